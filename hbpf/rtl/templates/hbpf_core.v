«.Banner»
// hbpf_core: the hbpf eBPF core: an in-order, multi-cycle machine that runs
// one instruction at a time, each for exactly the cycles the timing table of
// hbpf/sim/timing gives its class («.Profile»). The program memory is read
// synchronously: the fetch of the next instruction is issued in the last
// cycle of the current one, which is why a taken jump costs one cycle more
// than a fall-through.
//
// Every instruction retires through the retirement port (rt_*), which carries
// the co-simulation record of sim.Record: cycle stamp, pc, instruction,
// register written, memory written, helper call, trap cause, exit.
//
// Traps (cause numbers of sim.Cause) end the program:
//   4 invalid instruction (or pc past the end), 5 stack overflow (bpf-to-bpf
//   call depth MAX_DEPTH), 6 cycle budget (the instruction would end past
//   max_cycles_i), and the load/store and helper causes of hbpf_lsu and
//   hbpf_helpers. A trap detected before execution (4, 6) carries the cycle
//   count before the instruction, as the simulator's record does.

`default_nettype none

module hbpf_core #(
  parameter integer DMEM_AW     = «.DmemAW»,
  parameter integer PKT_BASE    = «.PktBase»,
  parameter integer STACK_BASE  = «.StackBase»,
  parameter integer STACK_BYTES = «.StackBytes»,
  parameter integer NUM_MAPS    = «.NumMaps»,
  parameter integer MAP_IW      = «.MapIW»,
  parameter integer RECIP_W     = «.RecipW»,
  parameter integer MAX_DEPTH   = «.MaxDepth»,  // call frames, the program's own included
  parameter integer FRAME_DW    = «.FrameDW»,
  parameter integer NUM_PROGS   = «.NumProgs»,  // programs in the program memory (tail calls)
  parameter integer PROG_IW     = «.ProgIW»,
  parameter integer NUM_HASH    = «.NumHash»,  // hash maps (hash units)
  parameter integer HASH_ENTRIES = «.HashEntries»,
  parameter integer HASH_SLOT_W = «.HashSlotW»,
  parameter integer HASH_WORDS  = «.HashKeyWords»
) (
  input  wire                        clk_i,
  input  wire                        rst_ni,
  // control
  input  wire                        start_i,    // start the program at slot 0
  output wire                        busy_o,
  output wire                        done_o,
  // configuration, sampled at start
  input  wire                        conf_mode_i,
  input  wire [63:0]                 max_cycles_i,
  input  wire [63:0]                 r1_init_i,
  input  wire [63:0]                 r2_init_i,
  input  wire [NUM_PROGS*16-1:0]     prog_base_i, // first slot of each program
  input  wire [NUM_PROGS*16-1:0]     prog_len_i,  // its length in slots (0: none)
  input  wire [7:0]                  prog_idx_i,  // the program to start
  input  wire [31:0]                 ctx_meta_i,
  input  wire [31:0]                 ctx_data_i,
  input  wire [31:0]                 ctx_end_i,
  input  wire [31:0]                 hard_end_i,
  input  wire [31:0]                 ingress_i,
  input  wire [31:0]                 rxq_i,
  input  wire [31:0]                 seed_i,
  input  wire                        seed_we_i,
  input  wire                        hash_we_i,
  input  wire [25:0]                 hash_addr_i,
  input  wire [63:0]                 hash_wdata_i,
  input  wire                        ring_we_i,
  input  wire [1:0]                  ring_addr_i,
  input  wire [31:0]                 ring_wdata_i,
  // maps
  input  wire [NUM_MAPS*3-1:0]       map_type_i,
  input  wire [NUM_MAPS*16-1:0]      map_ksize_i,
  input  wire [NUM_MAPS*32-1:0]      map_max_i,
  input  wire [NUM_MAPS*32-1:0]      map_bytes_i,
  input  wire [NUM_MAPS*16-1:0]      map_vsize_i,
  input  wire [NUM_MAPS*RECIP_W-1:0] map_recip_i,
  input  wire [NUM_MAPS*DMEM_AW-1:0] map_base_i,
  input  wire [NUM_MAPS-1:0]         map_ro_i,
  input  wire [NUM_MAPS-1:0]         map_inner_i, // map-in-map: values are inner maps' indices
  // program memory
  output wire [15:0]                 rom_addr_o,
  input  wire [63:0]                 rom_data_i,
  // data memory
  output wire                        dmem_re_o,
  output wire [DMEM_AW-1:0]          dmem_raddr_o,
  input  wire [63:0]                 dmem_rdata_i,
  output wire                        dmem_we_o,
  output wire [DMEM_AW-1:0]          dmem_waddr_o,
  output wire [63:0]                 dmem_wdata_o,
  output wire [7:0]                  dmem_be_o,
  // state after the run
  output wire [63:0]                 r0_o,
  output wire [63:0]                 cycles_o,
  output wire [31:0]                 ctx_meta_o,
  output wire [31:0]                 ctx_data_o,
  output wire [31:0]                 ctx_end_o,
  output wire [31:0]                 dirty_o,     // packet buffer bytes at and above are zero
  output wire [15:0]                 stack_lo_o,  // the lowest stack byte this run wrote
  output wire [1:0]                  redir_o,
  output wire [5:0]                  redir_map_o,
  output wire [31:0]                 redir_key_o,
  output wire [31:0]                 redir_ifindex_o,
  output wire [63:0]                 redir_flags_o,
  // retirement port
  output wire                        rt_valid_o,
  output wire [63:0]                 rt_cycle_o,
  output wire [7:0]                  rt_prog_o,
  output wire [15:0]                 rt_pc_o,
  output wire [63:0]                 rt_insn_o,
  output wire                        rt_dst_we_o,
  output wire [3:0]                  rt_dst_o,
  output wire [63:0]                 rt_value_o,
  output wire [3:0]                  rt_mem_size_o,  // 0: no memory write
  output wire [63:0]                 rt_mem_addr_o,
  output wire [63:0]                 rt_mem_data_o,
  output wire                        rt_helper_o,
  output wire [31:0]                 rt_helper_id_o,
  output wire [319:0]                rt_args_o,      // {r5, r4, r3, r2, r1}
  output wire [63:0]                 rt_ret_o,
  output wire [3:0]                  rt_trap_o,
  output wire                        rt_exit_o
);

  localparam [31:0] C_CALL   = 32'd«.C.call»;
  localparam [31:0] C_RET    = 32'd«.C.ret»;
  localparam [31:0] C_CALLL  = 32'd«.C.calll»;
  localparam [63:0] ENTRY    = 64'd«.Entry»;
  localparam [63:0] R10_INIT = {32'd3, 32'd«.StackBytes»};  // stack top
  localparam [63:0] FRAME    = 64'd«.StackFrame»;          // stack bytes per call

  localparam [3:0] CAUSE_INVALID  = 4'd4;
  localparam [3:0] CAUSE_OVERFLOW = 4'd5;
  localparam [3:0] CAUSE_BUDGET   = 4'd6;

  localparam [1:0] S_IDLE = 2'd0, S_EXEC = 2'd1, S_DONE = 2'd2;

  reg  [1:0]  st_q;
  reg  [15:0] step_q;
  reg  [15:0] pc_q;      // slot within the current program
  reg  [7:0]  prog_q;    // the current program
  reg  [63:0] cycle_q;   // cycles of this run before the current one
  reg  [63:0] clock_q;   // cycles of all finished runs (bpf_ktime_get_ns)
  reg  [63:0] ir_q;      // the instruction, from its step 1 on
  reg  [31:0] hi_q;      // lddw: the second slot's immediate
  reg  [FRAME_DW:0] depth_q;
  wire depth0 = (depth_q == {(FRAME_DW+1){1'b0}});
  reg  [31:0] meta_q, data_q, end_q;

  wire exec  = (st_q == S_EXEC);
  wire first = (step_q == 16'd0);
  wire start = start_i & ~exec;
  wire [63:0] insn = first ? rom_data_i : ir_q;

  wire [PROG_IW-1:0] pidx     = prog_q[PROG_IW-1:0];
  wire [15:0]        cur_base = prog_base_i[pidx*16 +: 16];
  wire [15:0]        cur_len  = ({24'd0, prog_q} < NUM_PROGS) ? prog_len_i[pidx*16 +: 16] : 16'd0;
  wire [NUM_PROGS-1:0] prog_ok;
  genvar gp;
  generate
    for (gp = 0; gp < NUM_PROGS; gp = gp + 1) begin : g_prog
      assign prog_ok[gp] = (prog_len_i[gp*16 +: 16] != 16'd0);
    end
  endgenerate

  // ----------------------------------------------------------------- decode
  wire [3:0]  dst, src, op, size;
  wire [15:0] off;
  wire [31:0] imm;
  wire [63:0] imm64;
  wire        alu32, regsrc;
  wire        u_alu, u_shift, u_swap, u_mul, u_div, u_lddw, u_load, u_store, u_atomic;
  wire        u_ja, u_jcond, u_call, u_calll, u_exit, u_legacy, u_invalid;
  wire        callx, ldsx, legacy_ind, sgn, md_mod, store_imm;
  wire [15:0] target;
  wire [7:0]  cost, cost_taken;

  hbpf_decode u_decode (
    .insn_i(insn), .pc_i(pc_q),
    .dst_o(dst), .src_o(src), .off_o(off), .imm_o(imm), .imm64_o(imm64), .op_o(op),
    .alu32_o(alu32), .regsrc_o(regsrc), .size_o(size),
    .u_alu_o(u_alu), .u_shift_o(u_shift), .u_swap_o(u_swap), .u_mul_o(u_mul), .u_div_o(u_div),
    .u_lddw_o(u_lddw), .u_load_o(u_load), .u_store_o(u_store), .u_atomic_o(u_atomic),
    .u_ja_o(u_ja), .u_jcond_o(u_jcond), .u_call_o(u_call), .u_calll_o(u_calll),
    .u_exit_o(u_exit), .u_legacy_o(u_legacy), .u_invalid_o(u_invalid),
    .callx_o(callx), .ldsx_o(ldsx), .legacy_ind_o(legacy_ind), .signed_o(sgn), .mod_o(md_mod),
    .store_imm_o(store_imm), .target_o(target), .cost_o(cost), .cost_taken_o(cost_taken)
  );

  // -------------------------------------------------------- register file
  wire [63:0]  ra, rb, r0, r10;
  wire [319:0] args;
  wire [255:0] callee;
  wire         rf_we;
  wire [3:0]   rf_wa;
  reg  [63:0]  rf_wd;
  wire         rf_r10_we, rf_restore;
  wire [63:0]  rf_r10;
  wire [400:0] frame_rd;
  wire         cb_we;
  wire [63:0]  cb_r1, cb_r2;

  hbpf_regfile u_regfile (
    .clk_i(clk_i), .rst_ni(rst_ni),
    .init_i(start), .init_r1_i(r1_init_i), .init_r2_i(r2_init_i), .init_r10_i(R10_INIT),
    .ra_i(dst), .rdata_a_o(ra), .rb_i(src), .rdata_b_o(rb),
    .args_o(args), .callee_o(callee), .r0_o(r0), .r10_o(r10),
    .we_i(rf_we), .wa_i(rf_wa), .wdata_i(rf_data),
    .r10_we_i(rf_r10_we), .r10_i(rf_r10), .restore_i(rf_restore), .callee_i(frame_rd[255:0]),
    .cb_we_i(cb_we), .cb_r1_i(cb_r1), .cb_r2_i(cb_r2)
  );

  wire [63:0] opb = regsrc ? rb : imm64;

  // ------------------------------------------------------- execution units
  wire [63:0] alu_y, sh_y, md_y;
  wire        taken;

  hbpf_alu u_alu_unit (
    .op_i(op), .alu32_i(alu32), .regsrc_i(regsrc), .a_i(ra), .b_i(opb),
    .off_i(off), .imm_i(imm), .y_o(alu_y)
  );

  hbpf_shifter u_shifter (
    .op_i(op), .alu32_i(alu32), .a_i(ra), .amt_i(opb[5:0]), .y_o(sh_y)
  );

  hbpf_muldiv u_muldiv (
    .clk_i(clk_i), .rst_ni(rst_ni), .start_i(exec & first & (u_mul | u_div)), .mul_i(u_mul),
    .alu32_i(alu32), .signed_i(sgn), .mod_i(md_mod), .a_i(ra), .b_i(opb), .y_o(md_y)
  );

  hbpf_branch u_branch (
    .op_i(op), .jmp32_i(alu32), .a_i(ra), .b_i(opb), .taken_o(taken)
  );

  // ------------------------------------------------------ load/store unit
  wire [63:0] lsu_addr = u_legacy ? (imm64 + (legacy_ind ? rb : 64'd0)) :
                         u_load   ? (rb + {{48{off[15]}}, off}) :
                                    (ra + {{48{off[15]}}, off});
  wire [63:0] lsu_val, lsu_wdata;
  wire        lsu_trap, lsu_wrote, legacy_ok;
  wire [3:0]  lsu_cause;
  wire        lsu_re, lsu_we;
  wire [DMEM_AW-1:0] lsu_raddr, lsu_waddr;
  wire [63:0] lsu_wmem;
  wire [7:0]  lsu_be;
  wire        mem_op = u_load | u_store | u_atomic | u_legacy;

  hbpf_lsu #(
    .DMEM_AW(DMEM_AW), .PKT_BASE(PKT_BASE), .STACK_BASE(STACK_BASE), .STACK_BYTES(STACK_BYTES),
    .NUM_MAPS(NUM_MAPS), .MAP_IW(MAP_IW), .RECIP_W(RECIP_W)
  ) u_lsu (
    .clk_i(clk_i), .rst_ni(rst_ni),
    .first_i(exec & first & mem_op), .second_i(exec & (step_q == 16'd1) & mem_op),
    .ld_i(u_load), .st_i(u_store), .atomic_i(u_atomic), .legacy_i(u_legacy), .ldsx_i(ldsx),
    .size_i(size), .addr_i(lsu_addr), .sdata_i(store_imm ? imm64 : rb),
    .aop_i(imm[7:4]), .cmp_i(r0),
    .meta_i(meta_q), .data_i(data_q), .end_i(end_q), .ingress_i(ingress_i), .rxq_i(rxq_i),
    .map_bytes_i(map_bytes_i), .map_vsize_i(map_vsize_i), .map_recip_i(map_recip_i),
    .map_base_i(map_base_i), .map_ro_i(map_ro_i),
    .value_o(lsu_val), .legacy_ok_o(legacy_ok), .trap_o(lsu_trap), .cause_o(lsu_cause),
    .wrote_o(lsu_wrote), .wdata_o(lsu_wdata),
    .re_o(lsu_re), .raddr_o(lsu_raddr), .rdata_i(dmem_rdata_i),
    .we_o(lsu_we), .waddr_o(lsu_waddr), .wdata_mem_o(lsu_wmem), .be_o(lsu_be)
  );

  // ---------------------------------------------------------------- helpers
  wire        h_active = exec & u_call;
  wire [31:0] h_len;
  wire        h_trap, h_stop, h_ctx_we;
  wire [3:0]  h_cause;
  wire [63:0] h_ret;
  wire [31:0] h_meta, h_data, h_end;
  wire        h_tail, h_loop;
  wire [PROG_IW-1:0] h_tail_prog;
  wire        h_re, h_we;
  wire [DMEM_AW-1:0] h_raddr, h_waddr;
  wire [63:0] h_wdata;
  wire [7:0]  h_be;
  wire [31:0] h_id = callx ? ra[31:0] : imm;
  wire        retire;
  wire        trap_any;

  hbpf_helpers #(
    .DMEM_AW(DMEM_AW), .PKT_BASE(PKT_BASE), .STACK_BASE(STACK_BASE), .STACK_BYTES(STACK_BYTES),
    .NUM_MAPS(NUM_MAPS), .MAP_IW(MAP_IW), .RECIP_W(RECIP_W), .NUM_PROGS(NUM_PROGS), .PROG_IW(PROG_IW),
    .NUM_HASH(NUM_HASH), .HASH_ENTRIES(HASH_ENTRIES), .HASH_SLOT_W(HASH_SLOT_W), .HASH_WORDS(HASH_WORDS)
  ) u_helpers (
    .clk_i(clk_i), .rst_ni(rst_ni), .start_i(start), .init_end_i(ctx_end_i),
    .active_i(h_active), .first_i(first), .retire_i(h_active & retire & ~trap_any),
    .step_i(step_q), .id_i(h_id), .conf_mode_i(conf_mode_i), .args_i(args[287:0]),
    .r0_i(r0), .depth0_i(depth0), .prog_len_i(cur_len), .prog_ok_i(prog_ok),
    .cycle_i(cycle_q), .clock_i(clock_q), .seed_i(seed_i), .seed_we_i(seed_we_i),
    .hash_we_i(hash_we_i), .hash_addr_i(hash_addr_i), .hash_wdata_i(hash_wdata_i),
    .ring_we_i(ring_we_i), .ring_addr_i(ring_addr_i), .ring_wdata_i(ring_wdata_i),
    .meta_i(meta_q), .data_i(data_q), .end_i(end_q), .hard_end_i(hard_end_i),
    .map_type_i(map_type_i), .map_ksize_i(map_ksize_i), .map_max_i(map_max_i),
    .map_bytes_i(map_bytes_i), .map_vsize_i(map_vsize_i), .map_recip_i(map_recip_i),
    .map_base_i(map_base_i), .map_ro_i(map_ro_i), .map_inner_i(map_inner_i),
    .len_o(h_len), .trap_o(h_trap), .cause_o(h_cause), .ret_o(h_ret), .stop_o(h_stop),
    .ctx_we_o(h_ctx_we), .meta_o(h_meta), .data_o(h_data), .end_o(h_end),
    .loop_o(h_loop), .tail_o(h_tail), .tail_prog_o(h_tail_prog),
    .dirty_o(dirty_o),
    .redir_o(redir_o), .redir_map_o(redir_map_o), .redir_key_o(redir_key_o),
    .redir_ifindex_o(redir_ifindex_o), .redir_flags_o(redir_flags_o),
    .re_o(h_re), .raddr_o(h_raddr), .rdata_i(dmem_rdata_i),
    .we_o(h_we), .waddr_o(h_waddr), .wdata_o(h_wdata), .be_o(h_be)
  );

  // The lowest stack byte written this run, so that the host clears only
  // what a run dirtied (the simulator starts every run with a zero stack).
  localparam [DMEM_AW-1:0] STACK_LO = «.DmemAW»'d«.StackBase»;
  localparam [DMEM_AW-1:0] STACK_HI = «.DmemAW»'d«add .StackBase .StackBytes»;
  reg  [15:0] stack_lo_q;
  wire [DMEM_AW-1:0] w_at  = dmem_waddr_o;
  wire [DMEM_AW-1:0] w_off = w_at - STACK_LO;
«- if lt .DmemAW 16»
  wire [15:0]        w_o16 = {«sub 16 .DmemAW»'d0, w_off};
«- else if eq .DmemAW 16»
  wire [15:0]        w_o16 = w_off;
«- else»
  wire [15:0]        w_o16 = w_off[15:0];  // the stack lies below 2^16
  wire unused_w_off_hi = &{1'b0, w_off[DMEM_AW-1:16]};
«- end»
  wire        w_stack = dmem_we_o && (w_at >= STACK_LO) && (w_at < STACK_HI);
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni)                           stack_lo_q <= 16'd0;
    else if (start)                        stack_lo_q <= 16'd«.StackBytes»;
    else if (w_stack && w_o16 < stack_lo_q) stack_lo_q <= w_o16;
  end
  assign stack_lo_o = stack_lo_q;

  assign dmem_re_o    = h_active ? h_re    : lsu_re;
  assign dmem_raddr_o = h_active ? h_raddr : lsu_raddr;
  assign dmem_we_o    = h_active ? h_we    : lsu_we;
  assign dmem_waddr_o = h_active ? h_waddr : lsu_waddr;
  assign dmem_wdata_o = h_active ? h_wdata : lsu_wmem;
  assign dmem_be_o    = h_active ? h_be    : lsu_be;

  // ------------------------------------------------------------ call frames
  wire overflow = (depth_q >= MAX_DEPTH[FRAME_DW:0] - 1'b1);  // depth + 1 >= MAX_DEPTH
  wire [FRAME_DW-1:0] fr_waddr = depth_q[FRAME_DW-1:0];
  wire [FRAME_DW-1:0] depth_m1 = fr_waddr - {{(FRAME_DW-1){1'b0}}, 1'b1};

  // bpf_loop frames: the loop state, valid from step 1 of an exit.
  wire        f_loop  = frame_rd[272];
  wire [23:0] f_i     = frame_rd[296:273];
  wire [23:0] f_n     = frame_rd[320:297];
  wire [15:0] f_cb    = frame_rd[336:321];
  wire [63:0] f_ctx   = frame_rd[400:337];
  wire [23:0] f_i1    = f_i + 24'd1;
  wire        again   = ~depth0 & f_loop & (r0 == 64'd0) & (f_i1 < f_n);  // call back once more

  wire lpush  = retire & ~trap_any & u_call & h_loop;           // enter the first callback
  wire lagain = retire & ~trap_any & u_exit & again;            // and the next ones
  reg  [400:0]        fr_wdata;
  reg  [FRAME_DW-1:0] fr_wa;
  always @* begin
    fr_wa    = fr_waddr;
    fr_wdata = {129'd0, pc_q + 16'd1, callee};
    if (u_call) fr_wdata = {args[191:128], args[79:64], args[23:0], 24'd0, 1'b1, pc_q + 16'd1, callee};
    if (u_exit) begin
      fr_wa    = depth_m1;
      fr_wdata = {frame_rd[400:297], f_i1, frame_rd[272:0]};
    end
  end

  hbpf_frames #(.DEPTH(MAX_DEPTH), .DW(FRAME_DW)) u_frames (
    .clk_i(clk_i),
    .we_i((exec & first & u_calll & ~overflow) | lpush | lagain), .waddr_i(fr_wa),
    .wdata_i(fr_wdata),
    .re_i(exec & first & u_exit), .raddr_i(depth_m1),
    .rdata_o(frame_rd)
  );

  // ---------------------------------------------------------- the schedule
  // Early traps are found in step 0, before the instruction executes.
  wire        oob    = (pc_q >= cur_len);
  wire [64:0] ends   = {1'b0, cycle_q} + {57'd0, cost};
  wire        budget = (ends > {1'b0, max_cycles_i});
  wire        early  = first & (oob | budget | u_invalid);
  wire [3:0]  early_cause = oob ? CAUSE_INVALID : (budget ? CAUSE_BUDGET : CAUSE_INVALID);

  reg [31:0] len;  // cycles of the current instruction
  always @* begin
    if (u_jcond)     len = {24'd0, taken ? cost_taken : cost};
    else if (u_call) len = h_trap ? C_CALL : h_len;
    else if (u_exit) len = depth0 ? {24'd0, cost} : (again ? C_RET + C_CALLL : C_RET);
    else             len = {24'd0, cost};
  end
  assign retire = exec & (early | ({16'd0, step_q} == len - 32'd1));

  // Traps found while executing, reported when the instruction retires.
  reg       trap_late;
  reg [3:0] cause_late;
  always @* begin
    trap_late  = 1'b0;
    cause_late = 4'd0;
    if ((u_load | u_store | u_atomic) && lsu_trap) begin
      trap_late  = 1'b1;
      cause_late = lsu_cause;
    end
    if (u_call && h_trap) begin
      trap_late  = 1'b1;
      cause_late = h_cause;
    end
    if ((u_calll || (u_call && h_loop && !h_trap)) && overflow) begin
      trap_late  = 1'b1;
      cause_late = CAUSE_OVERFLOW;
    end
  end
  assign trap_any = early | trap_late;
  wire [3:0] cause = early ? early_cause : cause_late;

  wire legacy_fail = u_legacy & ~legacy_ok;
  wire is_exit     = (u_exit & depth0) | legacy_fail;
  wire finish      = retire & (trap_any | is_exit | (u_call & h_stop));

  // ------------------------------------------------------------- writeback
  wire [31:0] hi   = (step_q == 16'd1) ? rom_data_i[63:32] : hi_q;
  reg  [63:0] lddw;
  always @* begin
    case (src)
      4'd1, 4'd5: lddw = {32'd4, imm};                     // map fd: a handle
      4'd2, 4'd6: lddw = {32'd16 + imm, hi};               // map value: region 16 + map
      4'd4:       lddw = {32'd5, 16'd0, pc_q + 16'd1 + imm[15:0]};  // function: a code address
      default:    lddw = {hi, imm};
    endcase
  end

  wire a_cmpxchg = (imm[7:4] == 4'hf);
  reg       wb;
  reg [3:0] wa;
  always @* begin
    wb    = 1'b0;
    wa    = dst;
    rf_wd = 64'd0;
    if (u_alu | u_swap) begin wb = 1'b1; rf_wd = alu_y; end
    if (u_shift)        begin wb = 1'b1; rf_wd = sh_y; end
    if (u_mul | u_div)  begin wb = 1'b1; rf_wd = md_y; end
    if (u_lddw)         begin wb = 1'b1; rf_wd = lddw; end
    if (u_load)         begin wb = 1'b1; rf_wd = lsu_val; end
    if (u_legacy)       begin wb = 1'b1; wa = 4'd0; rf_wd = legacy_ok ? lsu_val : 64'd0; end
    if (u_atomic && (a_cmpxchg || imm[0])) begin
      wb    = 1'b1;
      wa    = a_cmpxchg ? 4'd0 : src;
      rf_wd = lsu_val;
    end
    if (u_call)         begin wb = ~h_tail; wa = 4'd0; rf_wd = h_ret; end
    if (u_exit & ~depth0 & f_loop) begin  // a bpf_loop callback returns
      wb    = 1'b1;
      wa    = 4'd0;
      rf_wd = again ? r0 : {40'd0, f_i1};  // bpf_loop returns the iterations
    end
  end
  // A tail call sets r1 to the context (not a record's destination).
  wire tail = retire & ~trap_any & u_call & h_tail;
  assign rf_we = (retire & ~trap_any & wb) | tail;
  assign rf_wa = tail ? 4'd1 : wa;
  wire [63:0] rf_data = tail ? {32'd1, 32'd0} : rf_wd;

  wire do_call = retire & ~trap_any & (u_calll | (u_call & h_loop));
  wire do_ret  = retire & ~trap_any & u_exit & ~depth0 & ~again;
  assign rf_r10_we  = do_call | do_ret | tail;
  assign rf_r10     = tail ? R10_INIT : (do_call ? r10 - FRAME : r10 + FRAME);
  assign rf_restore = do_ret | lagain;
  assign cb_we      = lpush | lagain;
  assign cb_r1      = lpush ? 64'd0 : {40'd0, f_i1};
  assign cb_r2      = lpush ? args[191:128] : f_ctx;

  // ---------------------------------------------------------------- fetch
  reg [15:0] next_pc;
  always @* begin
    next_pc = pc_q + 16'd1;
    if (u_lddw)                           next_pc = pc_q + 16'd2;
    if (u_ja | (u_jcond & taken) | u_calll) next_pc = target;
    if (u_exit & ~depth0)                 next_pc = again ? f_cb : frame_rd[271:256];
    if (u_call & h_tail)                  next_pc = 16'd0;
    if (u_call & h_loop)                  next_pc = args[79:64];  // the callback
  end
  wire [PROG_IW-1:0] next_prog = (u_call & h_tail) ? h_tail_prog : pidx;
  wire [15:0] next_base = prog_base_i[next_prog*16 +: 16];
  wire [PROG_IW-1:0] start_prog = prog_idx_i[PROG_IW-1:0];
  wire [15:0] fetch = !exec  ? prog_base_i[start_prog*16 +: 16] :
                      retire ? next_base + next_pc :
                      cur_base + ((u_lddw & first) ? pc_q + 16'd1 : pc_q);
  assign rom_addr_o = fetch;

  // ----------------------------------------------------------------- state
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      st_q    <= S_IDLE;
      step_q  <= 16'd0;
      pc_q    <= 16'd0;
      prog_q  <= 8'd0;
      cycle_q <= 64'd0;
      clock_q <= 64'd0;
      ir_q    <= 64'd0;
      hi_q    <= 32'd0;
      depth_q <= {(FRAME_DW+1){1'b0}};
      meta_q  <= 32'd0;
      data_q  <= 32'd0;
      end_q   <= 32'd0;
    end else if (start) begin
      st_q    <= S_EXEC;
      step_q  <= 16'd0;
      pc_q    <= 16'd0;
      prog_q  <= prog_idx_i;
      cycle_q <= ENTRY;
      depth_q <= {(FRAME_DW+1){1'b0}};
      meta_q  <= ctx_meta_i;
      data_q  <= ctx_data_i;
      end_q   <= ctx_end_i;
    end else if (exec) begin
      if (first) ir_q <= rom_data_i;
      if (step_q == 16'd1) hi_q <= rom_data_i[63:32];
      if (retire) begin
        step_q <= 16'd0;
        pc_q   <= next_pc;
        if (tail) prog_q <= {{(8-PROG_IW){1'b0}}, h_tail_prog};
        if (do_call) depth_q <= depth_q + 1'b1;
        if (do_ret)  depth_q <= depth_q - 1'b1;
        if (u_call && h_ctx_we && !trap_any) begin
          meta_q <= h_meta;
          data_q <= h_data;
          end_q  <= h_end;
        end
      end else begin
        step_q <= step_q + 16'd1;
      end
      if (!early) cycle_q <= cycle_q + 64'd1;
      if (finish) begin
        st_q    <= S_DONE;
        clock_q <= clock_q + (early ? cycle_q : cycle_q + 64'd1);
      end
    end
  end

  assign busy_o     = exec;
  assign done_o     = (st_q == S_DONE);
  assign r0_o       = r0;
  assign cycles_o   = cycle_q;
  assign ctx_meta_o = meta_q;
  assign ctx_data_o = data_q;
  assign ctx_end_o  = end_q;

  // ------------------------------------------------------- retirement port
  assign rt_valid_o     = retire;
  assign rt_cycle_o     = early ? cycle_q : cycle_q + 64'd1;
  assign rt_prog_o      = prog_q;
  assign rt_pc_o        = pc_q;
  assign rt_insn_o      = (first & oob) ? 64'd0 : insn;
  assign rt_dst_we_o    = retire & ~trap_any & wb;
  assign rt_dst_o       = wa;
  assign rt_value_o     = rf_wd;
  assign rt_mem_size_o  = (~early & (u_store | u_atomic) & lsu_wrote & ~lsu_trap) ? size : 4'd0;
  assign rt_mem_addr_o  = lsu_addr;
  assign rt_mem_data_o  = lsu_wdata;
  assign rt_helper_o    = ~early & u_call & ~h_trap;
  assign rt_helper_id_o = h_id;
  assign rt_args_o      = args;
  assign rt_ret_o       = h_ret;
  assign rt_trap_o      = trap_any ? cause : 4'd0;
  assign rt_exit_o      = retire & ~trap_any & is_exit;

endmodule

`default_nettype wire
