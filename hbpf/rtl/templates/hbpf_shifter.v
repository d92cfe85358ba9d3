«.Banner»
// hbpf_shifter: the single-cycle barrel shifter of the hbpf core: lsh, rsh and
// arsh on 64 bits (amount mod 64) or, for ALU32, on the low 32 bits (amount
// mod 32) with the result zero-extended.

`default_nettype none

module hbpf_shifter (
  input  wire [3:0]  op_i,    // 6 lsh, 7 rsh, c arsh
  input  wire        alu32_i,
  input  wire [63:0] a_i,
  input  wire [5:0]  amt_i,   // shift amount (ALU32: its low 5 bits)
  output reg  [63:0] y_o
);

  wire [5:0]  n64 = amt_i;
  wire [4:0]  n32 = amt_i[4:0];
  wire [31:0] a32 = a_i[31:0];

  always @* begin
    if (alu32_i) begin
      case (op_i)
        4'h6:    y_o = {32'd0, a32 << n32};
        4'h7:    y_o = {32'd0, a32 >> n32};
        default: y_o = {32'd0, $signed(a32) >>> n32};
      endcase
    end else begin
      case (op_i)
        4'h6:    y_o = a_i << n64;
        4'h7:    y_o = a_i >> n64;
        default: y_o = $signed(a_i) >>> n64;
      endcase
    end
  end

endmodule

`default_nettype wire
