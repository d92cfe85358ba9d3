«.Banner»
// hbpf_regfile: the eleven 64-bit registers r0-r10 in flip-flops. Two
// asynchronous read ports serve the ALU; r1-r5 are also exposed whole for the
// helper unit. One write port serves instructions; a second path restores
// r6-r9 and moves r10 on bpf-to-bpf calls and returns, a third sets r1 and
// r2 for bpf_loop callbacks, and a fourth clears the file and sets r1, r2 and
// r10 when a program starts.

`default_nettype none

module hbpf_regfile (
  input  wire         clk_i,
  input  wire         rst_ni,
  // program start
  input  wire         init_i,
  input  wire [63:0]  init_r1_i,
  input  wire [63:0]  init_r2_i,
  input  wire [63:0]  init_r10_i,
  // read ports
  input  wire [3:0]   ra_i,
  output wire [63:0]  rdata_a_o,
  input  wire [3:0]   rb_i,
  output wire [63:0]  rdata_b_o,
  output wire [319:0] args_o,      // {r5, r4, r3, r2, r1}
  output wire [255:0] callee_o,    // {r9, r8, r7, r6}
  output wire [63:0]  r0_o,
  output wire [63:0]  r10_o,
  // instruction write port
  input  wire         we_i,
  input  wire [3:0]   wa_i,
  input  wire [63:0]  wdata_i,
  // frame port: r10 on call and return, r6-r9 on return
  input  wire         r10_we_i,
  input  wire [63:0]  r10_i,
  input  wire         restore_i,
  input  wire [255:0] callee_i,    // {r9, r8, r7, r6}
  // callback port: r1 and r2
  input  wire         cb_we_i,
  input  wire [63:0]  cb_r1_i,
  input  wire [63:0]  cb_r2_i
);

  reg [63:0] regs_q [0:10];

  integer i;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (i = 0; i <= 10; i = i + 1) regs_q[i] <= 64'd0;
    end else if (init_i) begin
      for (i = 0; i <= 10; i = i + 1) regs_q[i] <= 64'd0;
      regs_q[1]  <= init_r1_i;
      regs_q[2]  <= init_r2_i;
      regs_q[10] <= init_r10_i;
    end else begin
      if (we_i && wa_i <= 4'd10) regs_q[wa_i] <= wdata_i;
      if (restore_i) begin
        regs_q[6] <= callee_i[63:0];
        regs_q[7] <= callee_i[127:64];
        regs_q[8] <= callee_i[191:128];
        regs_q[9] <= callee_i[255:192];
      end
      if (r10_we_i) regs_q[10] <= r10_i;
      if (cb_we_i) begin
        regs_q[1] <= cb_r1_i;
        regs_q[2] <= cb_r2_i;
      end
    end
  end

  assign rdata_a_o = (ra_i <= 4'd10) ? regs_q[ra_i] : 64'd0;
  assign rdata_b_o = (rb_i <= 4'd10) ? regs_q[rb_i] : 64'd0;
  assign args_o    = {regs_q[5], regs_q[4], regs_q[3], regs_q[2], regs_q[1]};
  assign callee_o  = {regs_q[9], regs_q[8], regs_q[7], regs_q[6]};
  assign r0_o      = regs_q[0];
  assign r10_o     = regs_q[10];

endmodule

`default_nettype wire
