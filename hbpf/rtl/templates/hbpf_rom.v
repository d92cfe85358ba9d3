«.Banner»
// hbpf_rom: the program memory, 2^AW slots of 64 bits with a synchronous read
// port. «if .Baked»The program is baked in («.ProgName», «.ProgSlots» slots); the write
// port is absent.«else»The host loads it through the write port while the core is idle;
// the core cannot write it (program memory is read-only to programs).«end»

`default_nettype none

module hbpf_rom #(
  parameter integer AW = «.ProgAW»  // address width in slots
) (
  input  wire          clk_i,
  input  wire [15:0]   raddr_i,  // slots at and above 2^AW read as zero
  output reg  [63:0]   rdata_o«if not .Baked»,
  input  wire          we_i,
  input  wire [AW-1:0] waddr_i,
  input  wire [63:0]   wdata_i«end»
);

  reg [63:0] mem [0:(1<<AW)-1];
  wire in_range = «if lt .ProgAW 16»(raddr_i[15:AW] == «sub 16 .ProgAW»'d0)«else»1'b1«end»;
«if .Baked»
  integer i;
  initial begin
    for (i = 0; i < (1<<AW); i = i + 1) mem[i] = 64'd0;
«- range $i, $w := .ProgWords»
    mem[«$i»] = 64'h«printf "%016x" $w»;
«- end»
  end

  always @(posedge clk_i) begin
    rdata_o <= in_range ? mem[raddr_i[AW-1:0]] : 64'd0;
  end
«else»
  always @(posedge clk_i) begin
    if (we_i) mem[waddr_i] <= wdata_i;
    rdata_o <= in_range ? mem[raddr_i[AW-1:0]] : 64'd0;
  end
«end»
endmodule

`default_nettype wire
