«.Banner»
// hbpf_muldiv: the multiplier and the divider of the hbpf core.
//
// Multiply (mul, «.C.mul» cycles): the operands are registered in the first cycle, the
// product in the second; the core writes it back in the last cycle.
//
// Divide (div sdiv mod smod): a restoring divider retiring DIV_K quotient bits
// per cycle. One cycle takes the magnitudes of the operands, DIV_ITERS64
// (DIV_ITERS32 for ALU32) cycles iterate, and the result with its sign is
// ready in the cycle after; the timing table's div64 = «.C.div64» and div32 = «.C.div32»
// cycles fix DIV_K = «.Div.K» (generated from hbpf/sim/timing).
// Division by zero does not trap: the quotient is 0 and the remainder is the
// dividend (zero-extended to 64 bits for ALU32).

`default_nettype none

module hbpf_muldiv #(
  parameter integer DIV_K   = «.Div.K»,  // quotient bits per cycle
  parameter integer HAS_MUL = «if .UseMul»1«else»0«end»,  // 0: no multiplier (no baked program multiplies)
  parameter integer HAS_DIV = «if .UseDiv»1«else»0«end»   // 0: no divider (no baked program divides)
) (
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire        start_i,  // first cycle of a mul or div instruction
  input  wire        mul_i,    // multiply (else divide)
  input  wire        alu32_i,
  input  wire        signed_i, // sdiv, smod
  input  wire        mod_i,    // mod, smod
  input  wire [63:0] a_i,      // dividend / multiplicand (register dst)
  input  wire [63:0] b_i,      // divisor / multiplier
  output reg  [63:0] y_o       // result, valid in the instruction's last cycle
);

  // ---------------------------------------------------------------- multiply
  reg  [63:0] ma_q, mb_q, prod_q;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ma_q   <= 64'd0;
      mb_q   <= 64'd0;
      prod_q <= 64'd0;
    end else begin
      if (start_i && mul_i) begin
        ma_q <= alu32_i ? {32'd0, a_i[31:0]} : a_i;
        mb_q <= alu32_i ? {32'd0, b_i[31:0]} : b_i;
      end
      prod_q <= ma_q * mb_q;
    end
  end

  // ------------------------------------------------------------------ divide
  localparam [7:0] DIV_ITERS64 = 8'd«.Div.Iters64»;  // iteration cycles of a 64-bit division
  localparam [7:0] DIV_ITERS32 = 8'd«.Div.Iters32»;  // iteration cycles of a 32-bit division
  // Magnitudes of the operands.
  wire        a_neg = signed_i & (alu32_i ? a_i[31] : a_i[63]);
  wire        b_neg = signed_i & (alu32_i ? b_i[31] : b_i[63]);
  wire [63:0] a_w   = alu32_i ? {32'd0, a_i[31:0]} : a_i;
  wire [63:0] b_w   = alu32_i ? {32'd0, b_i[31:0]} : b_i;
  wire [63:0] a_mag = a_neg ? (alu32_i ? {32'd0, 32'd0 - a_i[31:0]} : 64'd0 - a_i) : a_w;
  wire [63:0] b_mag = b_neg ? (alu32_i ? {32'd0, 32'd0 - b_i[31:0]} : 64'd0 - b_i) : b_w;

  reg  [63:0] quo_q, den_q, a_q, rem_q;
  reg  [7:0]  cnt_q;
  reg         qneg_q, rneg_q, zero_q, alu32_q, mod_q;

  // DIV_K restoring steps in one cycle.
  // The partial remainder stays below the divisor, so 64 bits hold it; the
  // shifted remainder needs 65.
  reg  [63:0] quo_n, rem_n;
  reg  [64:0] shifted, diff;
  integer k;
  always @* begin
    quo_n = quo_q;
    rem_n = rem_q;
    for (k = 0; k < DIV_K; k = k + 1) begin
      shifted = {rem_n, quo_n[63]};
      diff    = shifted - {1'b0, den_q};
      quo_n   = {quo_n[62:0], ~diff[64]};
      rem_n   = diff[64] ? shifted[63:0] : diff[63:0];
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      quo_q   <= 64'd0;
      den_q   <= 64'd0;
      rem_q   <= 64'd0;
      a_q     <= 64'd0;
      cnt_q   <= 8'd0;
      qneg_q  <= 1'b0;
      rneg_q  <= 1'b0;
      zero_q  <= 1'b0;
      alu32_q <= 1'b0;
      mod_q   <= 1'b0;
    end else if (start_i && !mul_i) begin
      // a 32-bit dividend sits in the upper half so that DIV_ITERS32 cycles suffice
      quo_q   <= alu32_i ? {a_mag[31:0], 32'd0} : a_mag;
      den_q   <= b_mag;
      rem_q   <= 64'd0;
      a_q     <= a_w;
      cnt_q   <= alu32_i ? DIV_ITERS32 : DIV_ITERS64;
      qneg_q  <= a_neg ^ b_neg;
      rneg_q  <= a_neg;
      zero_q  <= (b_w == 64'd0);
      alu32_q <= alu32_i;
      mod_q   <= mod_i;
    end else if (cnt_q != 8'd0) begin
      quo_q <= quo_n;
      rem_q <= rem_n;
      cnt_q <= cnt_q - 8'd1;
    end
  end

  // Result with its sign.
  wire [63:0] q_s = qneg_q ? 64'd0 - quo_q : quo_q;
  wire [63:0] r_s = rneg_q ? 64'd0 - rem_q : rem_q;
  reg  [63:0] div_y;
  always @* begin
    if (zero_q)     div_y = mod_q ? a_q : 64'd0;
    else if (mod_q) div_y = r_s;
    else            div_y = q_s;
    if (alu32_q) div_y = {32'd0, div_y[31:0]};
  end

  // A unit left out answers 0; the core never selects it.
  wire [63:0] mul_y = (HAS_MUL != 0) ? (alu32_i ? {32'd0, prod_q[31:0]} : prod_q) : 64'd0;
  wire [63:0] div_g = (HAS_DIV != 0) ? div_y : 64'd0;
  always @* begin
    if (mul_i) y_o = mul_y;
    else       y_o = div_g;
  end

endmodule

`default_nettype wire
