«.Banner»
// hbpf_dmem: the data memory of the hbpf core (packet buffer, stack and map
// values), 2^AW bytes in eight byte lanes so that one cycle reads or writes
// any eight consecutive bytes, aligned or not. Lane l holds the bytes whose
// address is l modulo 8; an access starting at byte a uses row a/8 in the
// lanes at or above a mod 8 and row a/8 + 1 below. Each lane is a simple
// dual-port RAM (one synchronous read, one write), as block RAM provides.

`default_nettype none

module hbpf_dmem #(
  parameter integer AW = «.DmemAW»  // address width in bytes
) (
  input  wire          clk_i,
  // read port: eight bytes from raddr_i, little-endian, one cycle later
  input  wire          re_i,
  input  wire [AW-1:0] raddr_i,
  output wire [63:0]   rdata_o,
  // write port: byte j of wdata_i goes to waddr_i + j if be_i[j]
  input  wire          we_i,
  input  wire [AW-1:0] waddr_i,
  input  wire [63:0]   wdata_i,
  input  wire [7:0]    be_i
);

  localparam integer RW = AW - 3;  // row address width

  wire [RW-1:0] rrow = raddr_i[AW-1:3];
  wire [2:0]    rrot = raddr_i[2:0];
  wire [RW-1:0] wrow = waddr_i[AW-1:3];
  wire [2:0]    wrot = waddr_i[2:0];

  reg  [2:0]    rrot_q;
  wire [63:0]   lanes;  // lane l's byte at bits 8l+7:8l

  always @(posedge clk_i) begin
    if (re_i) rrot_q <= rrot;
  end

  // Lanes below the start of an access take the next row.
  wire [7:0] rnext = (8'd1 << rrot) - 8'd1;
  wire [7:0] wnext = (8'd1 << wrot) - 8'd1;

  genvar l;
  generate
    for (l = 0; l < 8; l = l + 1) begin : g_lane
      localparam [2:0] LANE = l;
      reg  [7:0]    mem [0:(1<<RW)-1];
      reg  [7:0]    q;
      wire [2:0]    wj  = LANE - wrot;  // byte of the write this lane takes
      wire [RW-1:0] ra  = rrow + {{(RW-1){1'b0}}, rnext[l]};
      wire [RW-1:0] wa  = wrow + {{(RW-1){1'b0}}, wnext[l]};
      always @(posedge clk_i) begin
        if (we_i && be_i[wj]) mem[wa] <= wdata_i[{wj, 3'b000} +: 8];
        if (re_i) q <= mem[ra];
      end
      assign lanes[8*l +: 8] = q;
    end
  endgenerate

  // Rotate the lanes so that byte 0 is the one at the read address.
  wire [119:0] twice = {lanes[55:0], lanes};
  assign rdata_o = twice[{1'b0, rrot_q, 3'b000} +: 64];

endmodule

`default_nettype wire
