«.Banner»
// hbpf_frames: the call-frame stack of bpf-to-bpf calls. A call saves r6-r9
// and the return slot in entry depth; a return reads entry depth-1 (one cycle
// later) to restore them. r10 moves by STACK_FRAME bytes, so it needs no entry.
// A bpf_loop frame also holds the loop: {context, callback, bound, count, 1}.
// Entry layout: [400:337] ctx, [336:321] callback slot, [320:297] loops,
// [296:273] iteration, [272] loop frame, [271:256] return slot, [255:0] r9..r6.
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
  input  wire [400:0]  wdata_i,
  input  wire          re_i,
  input  wire [DW-1:0] raddr_i,
  output reg  [400:0]  rdata_o
);

  reg [400:0] mem [0:DEPTH-1];

  always @(posedge clk_i) begin
    if (we_i) mem[waddr_i] <= wdata_i;
    if (re_i) rdata_o <= mem[raddr_i];
  end

endmodule

`default_nettype wire
