«.Banner»
// hbpf_decode: splits one raw 64-bit instruction slot (RFC 9669 encoding,
// opcode in bits 7:0) into the fields and unit selects of the hbpf core, and
// looks up its cost in cycles. Purely combinational.
//
// The costs are the timing table of hbpf/sim/timing, profile "«.Profile»":
«- range .CostDoc»
//   «.»
«- end»

`default_nettype none

module hbpf_decode (
  input  wire [63:0]     insn_i,      // first slot of the instruction
  input  wire [15:0] pc_i,        // its slot index
  output wire [3:0]      dst_o,
  output wire [3:0]      src_o,
  output wire [15:0]     off_o,       // raw offset field
  output wire [31:0]     imm_o,       // raw immediate field
  output wire [63:0]     imm64_o,     // immediate, sign-extended
  output wire [3:0]      op_o,        // operation field, opcode bits 7:4
  output wire            alu32_o,     // ALU32 / JMP32 class, 32-bit atomic
  output wire            regsrc_o,    // operand b is register src
  output wire [3:0]      size_o,      // bytes accessed by loads, stores, atomics
  // unit selects: exactly one is set
  output wire            u_alu_o,     // add sub or and xor mov movsx neg
  output wire            u_shift_o,   // lsh rsh arsh
  output wire            u_swap_o,    // le be bswap
  output wire            u_mul_o,
  output wire            u_div_o,     // div sdiv mod smod
  output wire            u_lddw_o,
  output wire            u_load_o,    // ldx ldxs
  output wire            u_store_o,   // st stx
  output wire            u_atomic_o,
  output wire            u_ja_o,      // ja gotol
  output wire            u_jcond_o,   // conditional jumps
  output wire            u_call_o,    // helper call, id in imm or (callx) in register dst
  output wire            u_calll_o,   // bpf-to-bpf call
  output wire            u_exit_o,
  output wire            u_legacy_o,  // ld_abs ld_ind
  output wire            u_invalid_o,
  // details
  output wire            callx_o,     // helper id is in register dst
  output wire            ldsx_o,      // sign-extending load
  output wire            legacy_ind_o,// ld_ind: offset adds register src
  output wire            signed_o,    // sdiv smod (offset 1)
  output wire            mod_o,       // mod smod
  output wire            store_imm_o, // st: the stored value is the immediate
  output wire [15:0] target_o,    // jump or local-call target slot
  output wire [7:0]      cost_o,      // cycles when the instruction falls through
  output wire [7:0]      cost_taken_o // cycles of a taken conditional jump
);

  // Costs of the timing classes.
  localparam [7:0] C_ALU    = 8'd«.C.alu»;
  localparam [7:0] C_SHIFT  = 8'd«.C.shift»;
  localparam [7:0] C_SWAP   = 8'd«.C.swap»;
  localparam [7:0] C_MUL    = 8'd«.C.mul»;
  localparam [7:0] C_DIV32  = 8'd«.C.div32»;
  localparam [7:0] C_DIV64  = 8'd«.C.div64»;
  localparam [7:0] C_LDDW   = 8'd«.C.lddw»;
  localparam [7:0] C_LOAD   = 8'd«.C.load»;
  localparam [7:0] C_STORE  = 8'd«.C.store»;
  localparam [7:0] C_SBYTE  = 8'd«.StoreByte»;  // extra cycles per byte stored
  localparam [7:0] C_ATOMIC = 8'd«.C.atomic»;
  localparam [7:0] C_JA     = 8'd«.C.ja»;
  localparam [7:0] C_BNT    = 8'd«.C.bnt»;
  localparam [7:0] C_BT     = 8'd«.C.bt»;
  localparam [7:0] C_CALL   = 8'd«.C.call»;
  localparam [7:0] C_CALLL  = 8'd«.C.calll»;
  localparam [7:0] C_EXIT   = 8'd«.C.exit»;
  localparam [7:0] C_LEGACY = 8'd«.C.legacy»;

  wire [7:0] opc = insn_i[7:0];
  wire [2:0] cls = opc[2:0];
  wire [3:0] op  = opc[7:4];

  assign dst_o    = insn_i[11:8];
  assign src_o    = insn_i[15:12];
  assign off_o    = insn_i[31:16];
  assign imm_o    = insn_i[63:32];
  assign imm64_o  = {{32{insn_i[63]}}, insn_i[63:32]};
  assign op_o     = op;
  assign regsrc_o = opc[3];

  // Classes (opcode bits 2:0).
  wire c_ld    = (cls == 3'd0);
  wire c_ldx   = (cls == 3'd1);
  wire c_st    = (cls == 3'd2);
  wire c_stx   = (cls == 3'd3);
  wire c_alu32 = (cls == 3'd4);
  wire c_jmp   = (cls == 3'd5);
  wire c_jmp32 = (cls == 3'd6);
  wire c_alu64 = (cls == 3'd7);
  wire c_alu   = c_alu32 | c_alu64;
  wire c_jump  = c_jmp | c_jmp32;

  // Memory modes (opcode bits 7:5) and sizes (bits 4:3).
  wire [2:0] mode = opc[7:5];
  assign size_o = (opc[4:3] == 2'b00) ? 4'd4 :
                  (opc[4:3] == 2'b01) ? 4'd2 :
                  (opc[4:3] == 2'b10) ? 4'd1 : 4'd8;

  // ALU operations.
  wire a_arith = (op == 4'h0) | (op == 4'h1) | (op == 4'h4) | (op == 4'h5) |
                 (op == 4'h8) | (op == 4'ha) | (op == 4'hb);
  wire a_shift = (op == 4'h6) | (op == 4'h7) | (op == 4'hc);
  wire a_mul   = (op == 4'h2);
  wire a_div   = (op == 4'h3) | (op == 4'h9);
  wire a_end   = (op == 4'hd);

  // Jump operations.
  wire j_ja    = (op == 4'h0);
  wire j_call  = (op == 4'h8);
  wire j_exit  = (op == 4'h9);
  wire j_cond  = ~j_ja & ~j_call & ~j_exit & (op != 4'he) & (op != 4'hf);

  assign u_alu_o    = c_alu & a_arith;
  assign u_shift_o  = c_alu & a_shift;
  assign u_swap_o   = c_alu & a_end;
  assign u_mul_o    = c_alu & a_mul;
  assign u_div_o    = c_alu & a_div;
  assign u_lddw_o   = (opc == 8'h18);
  assign u_load_o   = c_ldx & ((mode == 3'b011) | ((mode == 3'b100) & (opc[4:3] != 2'b11)));
  assign u_store_o  = (c_st | c_stx) & (mode == 3'b011);
  assign u_atomic_o = c_stx & (mode == 3'b110) & ((opc[4:3] == 2'b00) | (opc[4:3] == 2'b11));
  assign u_ja_o     = c_jump & j_ja;
  assign u_jcond_o  = c_jump & j_cond;
  assign u_call_o   = c_jmp & j_call & (opc[3] | (insn_i[15:12] == 4'd0));
  assign u_calll_o  = c_jmp & j_call & ~opc[3] & (insn_i[15:12] == 4'd1);
  assign u_exit_o   = c_jmp & j_exit;
  assign u_legacy_o = c_ld & ((mode == 3'b001) | (mode == 3'b010)) & (opc[4:3] != 2'b11);
  assign u_invalid_o = ~(u_alu_o | u_shift_o | u_swap_o | u_mul_o | u_div_o | u_lddw_o |
                         u_load_o | u_store_o | u_atomic_o | u_ja_o | u_jcond_o | u_call_o |
                         u_calll_o | u_exit_o | u_legacy_o);

  assign alu32_o      = c_alu32 | c_jmp32 | (u_atomic_o & (opc[4:3] == 2'b00));
  assign callx_o      = opc[3];
  assign ldsx_o       = (mode == 3'b100);
  assign legacy_ind_o = (mode == 3'b010);
  assign signed_o     = (insn_i[31:16] == 16'd1);
  assign mod_o        = (op == 4'h9);
  assign store_imm_o  = c_st;

  // Targets: pc + 1 + offset; gotol and local calls take the immediate.
  wire use_imm = (c_jmp32 & j_ja) | u_calll_o;
  wire [15:0] rel = use_imm ? insn_i[47:32] : insn_i[31:16];
  assign target_o = pc_i + 16'd1 + rel;

  // Cost of the instruction from the timing table.
  reg [7:0] cost;
  always @* begin
    cost = 8'd0;  // invalid slots cost nothing: they trap before executing
    if (u_alu_o)    cost = C_ALU;
    if (u_shift_o)  cost = C_SHIFT;
    if (u_swap_o)   cost = C_SWAP;
    if (u_mul_o)    cost = C_MUL;
    if (u_div_o)    cost = c_alu32 ? C_DIV32 : C_DIV64;
    if (u_lddw_o)   cost = C_LDDW;
    if (u_load_o)   cost = C_LOAD;
    if (u_store_o)  cost = C_STORE + C_SBYTE * {4'd0, size_o};
    if (u_atomic_o) cost = C_ATOMIC;
    if (u_ja_o)     cost = C_JA;
    if (u_jcond_o)  cost = C_BNT;
    if (u_call_o)   cost = C_CALL;
    if (u_calll_o)  cost = C_CALLL;
    if (u_exit_o)   cost = C_EXIT;
    if (u_legacy_o) cost = C_LEGACY;
  end
  assign cost_o       = cost;
  assign cost_taken_o = C_BT;

endmodule

`default_nettype wire
