«.Banner»
// hbpf_branch: the condition of a conditional jump, on 64 bits or (JMP32) on
// the low 32 bits.

`default_nettype none

module hbpf_branch (
  input  wire [3:0]  op_i,     // jump operation, opcode bits 7:4
  input  wire        jmp32_i,
  input  wire [63:0] a_i,      // register dst
  input  wire [63:0] b_i,      // register src or sign-extended immediate
  output reg         taken_o
);

  // Operands as compared: 32-bit comparisons use the low halves.
  wire [63:0] a = jmp32_i ? {32'd0, a_i[31:0]} : a_i;
  wire [63:0] b = jmp32_i ? {32'd0, b_i[31:0]} : b_i;
  // Signed comparisons flip the sign bit of the compared width.
  wire [63:0] sa = jmp32_i ? {32'd0, ~a_i[31], a_i[30:0]} : {~a_i[63], a_i[62:0]};
  wire [63:0] sb = jmp32_i ? {32'd0, ~b_i[31], b_i[30:0]} : {~b_i[63], b_i[62:0]};

  always @* begin
    case (op_i)
      4'h1:    taken_o = (a == b);          // jeq
      4'h2:    taken_o = (a > b);           // jgt
      4'h3:    taken_o = (a >= b);          // jge
      4'h4:    taken_o = ((a & b) != 64'd0);// jset
      4'h5:    taken_o = (a != b);          // jne
      4'h6:    taken_o = (sa > sb);         // jsgt
      4'h7:    taken_o = (sa >= sb);        // jsge
      4'ha:    taken_o = (a < b);           // jlt
      4'hb:    taken_o = (a <= b);          // jle
      4'hc:    taken_o = (sa < sb);         // jslt
      4'hd:    taken_o = (sa <= sb);        // jsle
      default: taken_o = 1'b0;
    endcase
  end

endmodule

`default_nettype wire
