«.Banner»
// hbpf_frames: the call-frame stack of bpf-to-bpf calls. A call saves r6-r9
// and the return slot in entry depth; a return reads entry depth-1 (one cycle
// later) to restore them. r10 moves by STACK_FRAME bytes, so it needs no entry.
// DEPTH = MaxCallDepth = «.MaxDepth»; the core traps before entry DEPTH-1 would be
// needed.

`default_nettype none

module hbpf_frames #(
  parameter integer DEPTH = «.MaxDepth»,
  parameter integer DW    = «.FrameDW»  // log2(DEPTH)
) (
  input  wire          clk_i,
  input  wire          we_i,
  input  wire [DW-1:0] waddr_i,
  input  wire [271:0]  wdata_i,  // {return slot, r9, r8, r7, r6}
  input  wire          re_i,
  input  wire [DW-1:0] raddr_i,
  output reg  [271:0]  rdata_o
);

  reg [271:0] mem [0:DEPTH-1];

  always @(posedge clk_i) begin
    if (we_i) mem[waddr_i] <= wdata_i;
    if (re_i) rdata_o <= mem[raddr_i];
  end

endmodule

`default_nettype wire
