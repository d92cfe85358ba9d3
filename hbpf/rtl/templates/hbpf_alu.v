«.Banner»
// hbpf_alu: the single-cycle ALU of the hbpf core: add, sub, or, and, xor,
// mov, movsx, neg and the byte-order operations le, be and bswap, on 64 bits
// or (ALU32) on the low 32 bits with the result zero-extended.

`default_nettype none

module hbpf_alu (
  input  wire [3:0]  op_i,     // operation field, opcode bits 7:4
  input  wire        alu32_i,  // ALU32 class
  input  wire        regsrc_i, // opcode bit 3: register source, or "to big endian" for END
  input  wire [63:0] a_i,      // destination register
  input  wire [63:0] b_i,      // source register or sign-extended immediate
  input  wire [15:0] off_i,    // movsx source width in bits
  input  wire [31:0] imm_i,    // END width in bits (16, 32, 64)
  output reg  [63:0] y_o
);

  // Sign extension of b for movsx.
  reg [63:0] sx;
  always @* begin
    case (off_i)
      16'd8:   sx = {{56{b_i[7]}}, b_i[7:0]};
      16'd16:  sx = {{48{b_i[15]}}, b_i[15:0]};
      16'd32:  sx = {{32{b_i[31]}}, b_i[31:0]};
      default: sx = b_i;
    endcase
  end

  // Byte swaps and truncations of a for END.
  wire [63:0] swap16 = {48'd0, a_i[7:0], a_i[15:8]};
  wire [63:0] swap32 = {32'd0, a_i[7:0], a_i[15:8], a_i[23:16], a_i[31:24]};
  wire [63:0] swap64 = {a_i[7:0], a_i[15:8], a_i[23:16], a_i[31:24],
                        a_i[39:32], a_i[47:40], a_i[55:48], a_i[63:56]};
  reg  [63:0] endian;
  always @* begin
    if (alu32_i && !regsrc_i) begin
      // le: truncate to the width
      case (imm_i)
        32'd16:  endian = {48'd0, a_i[15:0]};
        32'd32:  endian = {32'd0, a_i[31:0]};
        default: endian = a_i;
      endcase
    end else begin
      // be (ALU32) and bswap (ALU64): reverse the bytes of the width
      case (imm_i)
        32'd16:  endian = swap16;
        32'd32:  endian = swap32;
        default: endian = swap64;
      endcase
    end
  end

  wire movsx = regsrc_i & (off_i != 16'd0);

  reg [63:0] y64;
  always @* begin
    case (op_i)
      4'h0:    y64 = a_i + b_i;
      4'h1:    y64 = a_i - b_i;
      4'h4:    y64 = a_i | b_i;
      4'h5:    y64 = a_i & b_i;
      4'h8:    y64 = 64'd0 - a_i;
      4'ha:    y64 = a_i ^ b_i;
      4'hb:    y64 = movsx ? sx : b_i;
      4'hd:    y64 = endian;
      default: y64 = 64'd0;
    endcase
  end

  always @* begin
    if (alu32_i && op_i != 4'hd) y_o = {32'd0, y64[31:0]};
    else                          y_o = y64;
  end

endmodule

`default_nettype wire
