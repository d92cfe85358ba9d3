«.Banner»
// hbpf_helpers: the helper-call unit of the hbpf core. A helper call costs
// C_CALL cycles plus the helper's latency from the timing table, Fixed +
// PerWord * ceil(n/8) with n the helper's variable operand (the key of map
// helpers, the buffers of csum_diff, the length of xdp_load/store_bytes). The
// unit computes that length, checks the arguments (a bad argument traps in
// the call's step C_CALL-1 with cause 7 unknown helper or 8 invalid helper
// argument, as sim.Cause numbers them), does its memory work within the
// latency and holds the result for the call's last step.
//
// Helpers in hardware (id: name, latency from hbpf/sim/timing):
«- range .Helpers»
//   «printf "%3d" .ID»: «printf "%-28s" .Name» «.Fixed»«if .PerWord» + «.PerWord»/word«end»«if .Probe» + «.Probe»/probe word«end»«if .PerLength» + «.PerLength»/extra prefix length«end»
«- end»
// In conformance mode (bpf_conformance) only helper 5 exists, "unwind": it
// returns r1 and ends the program when r1 is 0.
//
// Map helpers work on ARRAY and PERCPU_ARRAY maps, and on HASH, PERCPU_HASH,
// their LRU variants and LPM_TRIE through NUM_HASH hash units
// (hbpf_hashchain). A lookup in a map-in-map (ARRAY_OF_MAPS, HASH_OF_MAPS:
// read-only arrays or hash maps whose 4-byte values are inner maps' indices)
// reads the value a step after the key's slot is known and returns the inner
// map's handle. On a hash map the helper's latency grows by one cycle per key
// word compared on the key's chain (the table's PerProbeWord) and, for an LPM
// lookup, by two per prefix length tried after the first (PerPrefixLength):
// the call retires when the unit's walk is over plus the fixed part of its
// latency. bpf_redirect_map works on
// DEVMAP, CPUMAP and XSKMAP (values, then a presence byte per entry), and on
// DEVMAP_HASH through its hash unit (the key in r2, walked from step 0; flags as
// __bpf_xdp_redirect_map: the fallback action, and for devmaps
// BPF_F_BROADCAST and BPF_F_EXCLUDE_INGRESS, anything else aborts);
// bpf_tail_call on PROG_ARRAY (per entry {program, present} in 8 bytes that
// programs cannot address). A tail call switches program at its last step.
// bpf_loop checks its arguments; the core enters the callback (hbpf_core).
// One RINGBUF map: bpf_ringbuf_output/reserve/submit/discard keep the
// producer and consumer positions and a table of RB_SLOTS outstanding
// reservations (the oldest plays the simulator's pending position), and
// write the kernel's 8-byte record headers into the ring.
//
// Memory work runs through one engine that reads eight bytes per cycle from
// step 1 on and writes them one cycle later: map values (update), packet
// bytes (xdp_load/store_bytes), the metadata moved by xdp_adjust_head; it sums
// 64-bit words with end-around carry for csum_diff (as Linux 6.13 and later)
// and clears the bytes that xdp_adjust_tail grows over, if an earlier shrink
// of the same run left data there (beyond that high-water mark the buffer is
// zero already).

`default_nettype none

module hbpf_helpers #(
  parameter integer DMEM_AW     = «.DmemAW»,
  parameter integer PKT_BASE    = «.PktBase»,
  parameter integer STACK_BASE  = «.StackBase»,
  parameter integer STACK_BYTES = «.StackBytes»,
  parameter integer NUM_MAPS    = «.NumMaps»,
  parameter integer MAP_IW      = «.MapIW»,
  parameter integer RECIP_W     = «.RecipW»,
  parameter integer NUM_PROGS   = «.NumProgs»,  // programs a tail call may reach
  parameter integer PROG_IW     = «.ProgIW»,   // log2(NUM_PROGS), at least 1
  parameter integer NUM_HASH    = «.NumHash»,  // hash maps (hash units)
  parameter integer HASH_ENTRIES = «.HashEntries», // largest hash map, entries (a power of two)
  parameter integer HASH_SLOT_W = «.HashSlotW»,  // log2(HASH_ENTRIES)
  parameter integer HASH_WORDS  = «.HashKeyWords»   // largest key, bytes / 8 (a power of two)
) (
  input  wire                        clk_i,
  input  wire                        rst_ni,
  input  wire                        start_i,     // a program starts
  input  wire [31:0]                 init_end_i,  // its data_end
  input  wire                        active_i,    // a helper call executes
  input  wire                        first_i,     // its step 0
  input  wire                        retire_i,    // its last step
  input  wire [15:0]                 step_i,
  input  wire [31:0]                 id_i,
  input  wire                        conf_mode_i,
  input  wire [287:0]                args_i,      // {r5[31:0], r4, r3, r2, r1}
  input  wire [63:0]                 r0_i,        // r0, which a failed tail call keeps
  input  wire                        depth0_i,    // not inside a bpf-to-bpf call
  input  wire [15:0]                 prog_len_i,  // slots of the current program (bpf_loop callbacks)
  input  wire [NUM_PROGS-1:0]        prog_ok_i,   // programs loaded
  input  wire [63:0]                 cycle_i,     // cycles of this run so far
  input  wire [63:0]                 clock_i,     // cycles of the previous runs
  input  wire [31:0]                 seed_i,      // bpf_get_prandom_u32 state, set by the host
  input  wire                        seed_we_i,
  input  wire                        hash_we_i,   // host writes to the hash units
  input  wire [25:0]                 hash_addr_i, // {unit[25:24], space[23:21], index[20:0]}
  input  wire [63:0]                 hash_wdata_i,
  input  wire                        ring_we_i,   // host writes to the ring unit
  input  wire [1:0]                  ring_addr_i, // 0 {used[31], map[21:16]}, 1 mask, 2 producer, 3 consumer
  input  wire [31:0]                 ring_wdata_i,
  // xdp_md context
  input  wire [31:0]                 meta_i,
  input  wire [31:0]                 data_i,
  input  wire [31:0]                 end_i,
  input  wire [31:0]                 hard_end_i,  // buffer end minus the tailroom
  // maps
  input  wire [NUM_MAPS*3-1:0]       map_type_i,  // rtl.MapNone, MapArray, …
  input  wire [NUM_MAPS*16-1:0]      map_ksize_i,
  input  wire [NUM_MAPS*32-1:0]      map_max_i,
  input  wire [NUM_MAPS*32-1:0]      map_bytes_i,
  input  wire [NUM_MAPS*16-1:0]      map_vsize_i,
  input  wire [NUM_MAPS*RECIP_W-1:0] map_recip_i,
  input  wire [NUM_MAPS*DMEM_AW-1:0] map_base_i,
  input  wire [NUM_MAPS-1:0]         map_ro_i,
  input  wire [NUM_MAPS-1:0]         map_inner_i, // ARRAY_OF_MAPS, HASH_OF_MAPS: values are inner maps' indices
  // outcome
  output wire [31:0]                 len_o,       // cycles of the call instruction
  output wire                        trap_o,
  output wire [3:0]                  cause_o,
  output wire [63:0]                 ret_o,       // r0, valid in the last step
  output wire                        stop_o,      // conformance unwind with r1 = 0
  output wire                        ctx_we_o,    // update the context at retirement
  output wire [31:0]                 meta_o,
  output wire [31:0]                 data_o,
  output wire [31:0]                 end_o,
  output wire                        loop_o,      // bpf_loop: enter the callback (last step)
  output wire                        tail_o,      // the tail call switches program (last step)
  output wire [PROG_IW-1:0]          tail_prog_o,
  output wire [31:0]                 dirty_o,     // packet buffer bytes at and above are zero
  output reg  [1:0]                  redir_o,     // redirect: 0 none, 1 bpf_redirect, 2 bpf_redirect_map
  output reg  [5:0]                  redir_map_o,
  output reg  [31:0]                 redir_key_o,
  output reg  [31:0]                 redir_ifindex_o,
  output reg  [63:0]                 redir_flags_o,
  // data memory
  output wire                        re_o,
  output wire [DMEM_AW-1:0]          raddr_o,
  input  wire [63:0]                 rdata_i,
  output wire                        we_o,
  output wire [DMEM_AW-1:0]          waddr_o,
  output wire [63:0]                 wdata_o,
  output wire [7:0]                  be_o
);

  localparam [31:0] C_CALL     = 32'd«.C.call»;
  localparam [3:0]  CAUSE_UNKNOWN = 4'd7;
  localparam [3:0]  CAUSE_ARG     = 4'd8;
  localparam [3:0]  CAUSE_TAIL    = 4'd9;
  localparam [7:0]  MAX_TAILS     = 8'd«.MaxTailCalls»;
  localparam [2:0]  T_ARRAY = 3'd1, T_PCPU_ARRAY = 3'd2, T_DEVMAP = 3'd3, T_PROG_ARRAY = 3'd4, T_TARGET = 3'd5,
                    T_HASH = 3'd6, T_RING = 3'd7;
  localparam integer RB_SLOTS = «.RingSlots»;  // outstanding ring-buffer reservations

  // Byte mask of the low n bytes (n = 0 means 8).
  function [63:0] bytemask(input [3:0] nb);
    begin
      bytemask = (nb == 4'd0 || nb >= 4'd8) ? {64{1'b1}} : ((64'd1 << {nb, 3'b000}) - 64'd1);
    end
  endfunction

  // Helper ids.
«- range .Helpers»
  localparam [31:0] «.Const» = 32'd«.ID»;
«- end»
  // Helpers built («if .Baked»only those the baked programs call; a call of another
  // helper never happens«else»all of them«end»), and whether hash maps are.
«- range .Helpers»
  localparam [0:0]  «.Use» = 1'b«if .Used»1«else»0«end»;
«- end»
  localparam [0:0]  U_HASH = 1'b«if .UseHash»1«else»0«end»;

  wire [63:0] a1 = args_i[63:0];
  wire [63:0] a2 = args_i[127:64];
  wire [63:0] a3 = args_i[191:128];
  wire [63:0] a4 = args_i[255:192];
  wire [31:0] a5 = args_i[287:256];  // csum_diff's seed

  // ------------------------------------------------------------------ maps
  // Map handle (lddw with a map fd): region 4, offset the map's index; in r1,
  // but in r2 for bpf_tail_call.
  wire               is_tcall = «.Uc.tailcall» & (id_i == «.Hc.tailcall»);
  wire               is_rmap  = «.Uc.redirectmap» & (id_i == «.Hc.redirectmap»);
  wire [63:0]        handle = is_tcall ? a2 : a1;
  wire [31:0]        hidx32 = handle[31:0];
  wire [MAP_IW-1:0]  hidx   = hidx32[MAP_IW-1:0];
  wire [2:0]         htype  = map_type_i[hidx*3 +: 3];
  wire               hmap   = (handle[63:32] == 32'd4) && (hidx32 < NUM_MAPS);
  wire               harray = hmap && (htype == T_ARRAY || htype == T_PCPU_ARRAY);
  wire               hhash  = U_HASH && hmap && (htype == T_HASH);
  wire [DMEM_AW-1:0] hbytes = map_bytes_i[hidx*32 +: DMEM_AW];  // map sizes fit the data memory
  wire [15:0]        hks    = map_ksize_i[hidx*16 +: 16];
  wire [15:0]        hvs    = map_vsize_i[hidx*16 +: 16];
  wire [31:0]        hmax   = map_max_i[hidx*32 +: 32];
  wire [DMEM_AW-1:0] hbase  = map_base_i[hidx*DMEM_AW +: DMEM_AW];
  wire               hro    = map_ro_i[hidx];
  wire               hinner = map_inner_i[hidx];
  wire [5:0]         hidx6  = hidx32[5:0];

  wire is_lookup = «.Uc.lookup» & (id_i == «.Hc.lookup»);
  wire is_update = «.Uc.update» & (id_i == «.Hc.update»);
  wire is_delete = «.Uc.delete» & (id_i == «.Hc.delete»);
  wire is_map    = is_lookup | is_update | is_delete;
  wire is_csum   = «.Uc.csum» & (id_i == «.Hc.csum»);
  wire is_ldb    = «.Uc.loadbytes» & (id_i == «.Hc.loadbytes»);
  wire is_stb    = «.Uc.storebytes» & (id_i == «.Hc.storebytes»);
  wire is_head   = «.Uc.head» & (id_i == «.Hc.head»);
  wire is_meta   = «.Uc.meta» & (id_i == «.Hc.meta»);
  wire is_tail   = «.Uc.tail» & (id_i == «.Hc.tail»);
  wire is_loop   = «.Uc.loop» & (id_i == «.Hc.loop»);
  wire is_rbout  = «.Uc.rbout» & (id_i == «.Hc.rbout»);
  wire is_rbres  = «.Uc.rbres» & (id_i == «.Hc.rbres»);
  wire is_rbsub  = «.Uc.rbsub» & (id_i == «.Hc.rbsub»);
  wire is_rbdis  = «.Uc.rbdis» & (id_i == «.Hc.rbdis»);

  // bpf_loop(nr_loops, callback, ctx, flags): flags must be 0 (-EINVAL), at
  // most 2^23 loops (-E2BIG), the callback a slot of the program (region 5).
  wire        l_inval = (a4 != 64'd0);
  wire        l_big   = ~l_inval & (a1 > 64'h80_0000);
  wire        l_badcb = ~l_inval & ~l_big & ((a2[63:32] != 32'd5) || (a2[31:0] >= {16'd0, prog_len_i}));
  assign loop_o = is_loop & ~conf_mode_i & ~l_inval & ~l_big & ~l_badcb & (a1 != 64'd0);

  // ------------------------------------------------------- argument checks
  // Checker A: map key (r2), csum_diff "from" (r1), xdp_load/store_bytes buffer (r3).
  // Checker B: map value (r3), csum_diff "to" (r3).
  reg  [63:0] ca_addr, cb_addr;
  reg  [32:0] ca_size, cb_size;
  wire        ca_ok, cb_ok;
  wire [DMEM_AW-1:0] ca_phys, cb_phys;

  // csum_diff: the variable operand is both buffers.
  wire [63:0] csum_n    = a2 + a4;
  // xdp_load/store_bytes: offset r2, length r4 within [data, data_end).
  wire [31:0] plen      = end_i - data_i;
  wire        bytes_inval = (a2 > {32'd0, plen}) || (a4 > ({32'd0, plen} - a2)) || (a4 == 64'd0);

  always @* begin
    ca_addr = a2;
    ca_size = {17'd0, hks};
    cb_addr = a3;
    cb_size = {17'd0, hvs};
    if (is_csum) begin
      ca_addr = a1;
      ca_size = (a2[63:32] != 32'd0) ? {1'b1, 32'd0} : {1'b0, a2[31:0]};
      cb_size = (a4[63:32] != 32'd0) ? {1'b1, 32'd0} : {1'b0, a4[31:0]};
    end
    if (is_ldb || is_stb) begin
      ca_addr = a3;
      ca_size = {1'b0, a4[31:0]};
    end
    if (is_rbout) begin
      ca_addr = a2;
      ca_size = (a3[63:32] != 32'd0) ? {1'b1, 32'd0} : {1'b0, a3[31:0]};
    end
  end

  hbpf_region #(
    .DMEM_AW(DMEM_AW), .PKT_BASE(PKT_BASE), .STACK_BASE(STACK_BASE), .STACK_BYTES(STACK_BYTES),
    .NUM_MAPS(NUM_MAPS), .MAP_IW(MAP_IW), .RECIP_W(RECIP_W)
  ) u_check_a (
    .addr_i(ca_addr), .size_i(ca_size), .wr_i(is_ldb), .pkt_lo_i(meta_i), .pkt_hi_i(end_i),
    .map_bytes_i(map_bytes_i), .map_vsize_i(map_vsize_i), .map_recip_i(map_recip_i),
    .map_base_i(map_base_i), .map_ro_i(map_ro_i),
    .ok_o(ca_ok), .phys_o(ca_phys)
  );

  hbpf_region #(
    .DMEM_AW(DMEM_AW), .PKT_BASE(PKT_BASE), .STACK_BASE(STACK_BASE), .STACK_BYTES(STACK_BYTES),
    .NUM_MAPS(NUM_MAPS), .MAP_IW(MAP_IW), .RECIP_W(RECIP_W)
  ) u_check_b (
    .addr_i(cb_addr), .size_i(cb_size), .wr_i(1'b0), .pkt_lo_i(meta_i), .pkt_hi_i(end_i),
    .map_bytes_i(map_bytes_i), .map_vsize_i(map_vsize_i), .map_recip_i(map_recip_i),
    .map_base_i(map_base_i), .map_ro_i(map_ro_i),
    .ok_o(cb_ok), .phys_o(cb_phys)
  );

  // ---------------------------------------------------- context arithmetic
  // Signed 34-bit arithmetic on buffer offsets; delta is int32(r2).
  wire [33:0] delta   = {{2{a2[31]}}, a2[31:0]};
  wire [33:0] meta34  = {2'b00, meta_i};
  wire [33:0] data34  = {2'b00, data_i};
  wire [33:0] end34   = {2'b00, end_i};
  // xdp_adjust_head
  wire [33:0] metalen = data34 - meta34;
  wire [33:0] h_data  = data34 + delta;
  wire [31:0] h_meta  = meta_i + a2[31:0];
  wire        h_inval = ($signed(h_data) < $signed(34'd«.XdpFrameSize» + metalen)) ||
                        ($signed(h_data) > $signed(end34 - 34'd«.EthHdrLen»));
  // xdp_adjust_meta
  wire [33:0] m_meta  = meta34 + delta;
  wire [33:0] m_len   = data34 - m_meta;
  wire        m_inval = ($signed(m_meta) < $signed(34'd«.XdpFrameSize»)) || ($signed(m_meta) > $signed(data34));
  wire        m_acces = ($signed(m_len) > $signed(34'd«.XdpMetaMax»)) || (m_len[1:0] != 2'b00);
  // xdp_adjust_tail
  wire [33:0] t_end   = end34 + delta;
  wire        t_inval = ($signed(t_end) > $signed({2'b00, hard_end_i})) ||
                        ($signed(t_end) < $signed(data34 + 34'd«.EthHdrLen»));
  reg  [31:0] dirty_q;  // every byte of the packet buffer at or above it is zero
  wire [31:0] t_new   = t_end[31:0];
  wire [31:0] t_top   = (t_new < dirty_q) ? t_new : dirty_q;
  wire        t_grow  = ~t_inval & ~delta[33] & (delta != 34'd0);
  wire [31:0] t_clear = (t_grow && t_top > end_i) ? t_top - end_i : 32'd0;
  assign dirty_o = dirty_q;

  // --------------------------------------------------------- ring buffer
  reg                rb_used_q;
  reg  [5:0]         rb_mapq;
  reg  [31:0]        rb_mask_q, rb_prod_q, rb_cons_q;
  reg  [RB_SLOTS-1:0] rb_v_q;
  reg  [31:0]        rb_pos_q [0:RB_SLOTS-1];
  reg  [31:0]        rb_len_q [0:RB_SLOTS-1];
  // bpf_ringbuf_output and _reserve name the ring by its handle in r1.
  wire        rb_map_ok = hmap && (htype == T_RING) && rb_used_q && (rb_mapq == hidx6);
  wire [63:0] rb_size   = is_rbres ? a2 : a3;
  wire        rb_fbad   = is_rbres ? (a3 != 64'd0) : ((a4 & ~64'd3) != 64'd0);  // flags
  wire [31:0] rb_n      = (rb_size[31:0] + 32'd15) & ~32'd7;  // header and 8-byte rounding
  wire        rb_fits   = (rb_size <= 64'h3fff_ffff) && ({1'b0, rb_n} <= {1'b0, rb_mask_q} + 33'd1);
  reg  [31:0] rb_pend;       // the oldest reservation, else the producer
  reg  [RB_SLOTS-1:0] rb_free1; // one free table entry
  integer ri;
  always @* begin
    rb_pend  = rb_prod_q;
    rb_free1 = {RB_SLOTS{1'b0}};
    for (ri = RB_SLOTS - 1; ri >= 0; ri = ri - 1) begin
      if (rb_v_q[ri] && (rb_prod_q - rb_pos_q[ri]) > (rb_prod_q - rb_pend)) rb_pend = rb_pos_q[ri];
      if (!rb_v_q[ri]) rb_free1 = {RB_SLOTS{1'b0}} | ({{(RB_SLOTS-1){1'b0}}, 1'b1} << ri);
    end
  end
  wire [31:0] rb_next   = rb_prod_q + rb_n;
  wire        rb_space  = ((rb_next - rb_cons_q) <= rb_mask_q) && ((rb_next - rb_pend) <= rb_mask_q);
  wire        rb_ok     = rb_map_ok & ~rb_fbad & rb_fits & rb_space;
  wire        rb_room   = ~is_rbres | (rb_free1 != {RB_SLOTS{1'b0}});  // a table entry for the reservation
  wire [31:0] rb_at     = rb_prod_q & rb_mask_q;
  wire [31:0] rb_off    = rb_at + 32'd8;
  // bpf_ringbuf_submit and _discard name the record by its data pointer in r1.
  wire [31:0] rb_rgn    = a1[63:32] - 32'd16;
  wire        rb_rec_map = (a1[63:32] >= 32'd16) && (rb_rgn < NUM_MAPS) && rb_used_q && (rb_mapq == rb_rgn[5:0]) &&
                           (map_type_i[rb_rgn[MAP_IW-1:0]*3 +: 3] == T_RING);
  reg  [RB_SLOTS-1:0] rb_hit;
  reg  [31:0]        rb_hpos, rb_hlen;
  always @* begin
    rb_hit = {RB_SLOTS{1'b0}};
    rb_hpos = 32'd0;
    rb_hlen = 32'd0;
    for (ri = 0; ri < RB_SLOTS; ri = ri + 1) begin
      if (rb_v_q[ri] && ((rb_pos_q[ri] & rb_mask_q) + 32'd8) == a1[31:0]) begin
        rb_hit[ri] = 1'b1;
        rb_hpos    = rb_pos_q[ri];
        rb_hlen    = rb_len_q[ri];
      end
    end
  end
  wire        rb_found  = (rb_hit != {RB_SLOTS{1'b0}});
  wire [DMEM_AW-1:0] rb_base = map_base_i[rb_rgn[MAP_IW-1:0]*DMEM_AW +: DMEM_AW];
  // The record header {page offset, length with the busy and discard bits}.
  wire        rb_hdr_we = active_i & first_i & ~conf_mode_i &
                          (((is_rbres | is_rbout) & rb_ok & rb_room) | ((is_rbsub | is_rbdis) & rb_rec_map & rb_found));
  wire [31:0] rb_hat    = (is_rbsub | is_rbdis) ? (rb_hpos & rb_mask_q) : rb_at;
  wire [DMEM_AW-1:0] rb_hphys = ((is_rbsub | is_rbdis) ? rb_base : hbase) + rb_hat[DMEM_AW-1:0];
  wire [31:0] rb_hword  = (is_rbsub | is_rbdis) ? (rb_hlen | (is_rbdis ? 32'h4000_0000 : 32'd0)) :
                          (rb_size[31:0] | (is_rbres ? 32'h8000_0000 : 32'd0));
  wire [63:0] rb_hdr    = {{12'd0, rb_hat[31:12]}, rb_hword};

  // ------------------------------------------------------------- the plan
  reg        trap;
  reg [3:0]  cause;
  reg [31:0] n;        // variable operand, bytes
  always @* begin
    trap  = 1'b0;
    cause = 4'd0;
    n     = 32'd0;
    if (conf_mode_i) begin
      if (id_i != 32'd5) begin
        trap  = 1'b1;
        cause = CAUSE_UNKNOWN;
      end
    end else if (is_map) begin
      n = {16'd0, hks};
      if (!(harray || (hhash && hstore_ok)) || !ca_ok || (is_update && !cb_ok)) begin
        trap  = 1'b1;
        cause = CAUSE_ARG;
      end
    end else if (is_csum) begin
      n = (csum_n[63:32] != 32'd0) ? 32'hffff_ffff : csum_n[31:0];  // larger sums trap
      if ((a2 != 64'd0 && !ca_ok) || (a4 != 64'd0 && !cb_ok)) begin
        trap  = 1'b1;
        cause = CAUSE_ARG;
      end
    end else if (is_ldb || is_stb) begin
      if (!bytes_inval) begin
        n = a4[31:0];
        if (!ca_ok) begin
          trap  = 1'b1;
          cause = CAUSE_ARG;
        end
      end
    end else if (is_rmap) begin
      n = 32'd4;
      if (!hmap || (htype != T_DEVMAP && htype != T_TARGET)) begin
        trap  = 1'b1;
        cause = CAUSE_ARG;
      end
    end else if (is_tcall) begin
      if (!hmap || htype != T_PROG_ARRAY) begin
        trap  = 1'b1;
        cause = CAUSE_ARG;
      end else if (tfound && !depth0_i) begin
        trap  = 1'b1;
        cause = CAUSE_TAIL;
      end
    end else if (is_rbout || is_rbres) begin
      if (is_rbout) n = (a3[63:32] != 32'd0) ? 32'hffff_ffff : a3[31:0];
      if (!rb_map_ok || (is_rbout && a3 != 64'd0 && !ca_ok) || (rb_ok && !rb_room)) begin
        trap  = 1'b1;
        cause = CAUSE_ARG;
      end
    end else if (is_rbsub || is_rbdis) begin
      if (!rb_rec_map || !rb_found) begin
        trap  = 1'b1;
        cause = CAUSE_ARG;
      end
    end else if (is_loop) begin
      if (l_badcb) begin
        trap  = 1'b1;
        cause = CAUSE_ARG;
      end
    end else if (is_head) begin
      if (!h_inval) n = metalen[31:0];  // the metadata moved
    end else if (is_tail) begin
      if (t_grow) n = delta[31:0];      // the bytes grown
    end else begin
      case (id_i)
«- range .Helpers»
«- if .Simple»
        «.Const»: if (!«.Use») begin  // left out: unknown
          trap  = 1'b1;
          cause = CAUSE_UNKNOWN;
        end
«- end»
«- end»
        «.Hc.meta»: ;
        default: begin
          trap  = 1'b1;
          cause = CAUSE_UNKNOWN;
        end
      endcase
    end
  end

  // Latency from the timing table.
  reg [31:0] fixed, perword;
  always @* begin
    case (id_i)
«- range .Helpers»
      «.Const»: begin fixed = 32'd«.Fixed»; perword = 32'd«.PerWord»; end
«- end»
      default: begin fixed = 32'd«.DefaultFixed»; perword = 32'd«.DefaultPerWord»; end
    endcase
  end
  wire [31:0] nwords = {3'd0, n[31:3]} + {31'd0, (n[2:0] != 3'd0)};
  wire [31:0] flen   = C_CALL + fixed + perword * nwords;
  // A hash map's walk: one cycle per key word compared, which is the steps
  // from kstep + 2 to the step the walk ends in. Until then the call cannot end.
  reg  [31:0] hlen_q;
  reg         hwait_q;  // the walk is not over
  wire        hwalk  = ((is_map & h_probe) | (rhash & ~rabort)) & ~conf_mode_i & ~trap;
  assign len_o   = ~hwalk ? flen : ((first_i | hwait_q) ? 32'hffff_ffff : hlen_q);
  assign trap_o  = trap;
  assign cause_o = cause;

  // --------------------------------------------------------------- results
  // xorshift32, as sim/helpers.go
  reg  [31:0] rng_q;
  wire [31:0] x1 = rng_q ^ (rng_q << 13);
  wire [31:0] x2 = x1 ^ (x1 >> 17);
  wire [31:0] x3 = x2 ^ (x2 << 5);

  localparam [63:0] NS = 64'd«.NsPerCycle»;  // bpf_ktime_get_ns: nanoseconds per cycle («.ClockMHz» MHz)
  wire [63:0] ns = (clock_i + cycle_i + {32'd0, C_CALL}) * NS;
  reg  [63:0] ktime_q;

  // Map keys: word w read in step w, complete in step kstep = the key's
  // words (at least 1). An array's key is its index; a hash map's key goes to
  // its hash unit, which walks the key's chain from step kstep on.
  wire [15:0] kwords  = {3'd0, hks[15:3]} + {15'd0, (hks[2:0] != 3'd0)};
  wire [15:0] kstep   = (kwords == 16'd0) ? 16'd1 : kwords;
  wire [63:0] klast   = rdata_i & bytemask({1'b0, hks[2:0]});  // the key's last word
  wire        at_key  = active_i & (step_i == kstep);
«- if gt .HashKeyShift 0»
  reg  [HASH_WORDS*64-1:0] key_q;   // words 0 .. kstep-2
  wire [«sub .HashKeyShift 1»:0]        kw_last = kstep[«sub .HashKeyShift 1»:0] - 1'b1;
  wire [«sub .HashKeyShift 1»:0]        kw_now  = step_i[«sub .HashKeyShift 1»:0] - 1'b1;
  reg  [HASH_WORDS*64-1:0] key_now;
  always @* begin
    key_now = key_q;
    key_now[kw_last*64 +: 64] = klast;
  end
«- else»
  wire [63:0] key_now = klast;  // hash units of 8-byte keys
«- end»

  // The hash units; the one whose map the handle names answers. A walk
  // starts unless the call fails without one (a read-only map's update or
  // delete, bad flags).
  wire        h_probe = hhash & ~(hro & ~is_lookup) & ~(is_update & (a4 > 64'd2));
  wire        h_start = ((at_key & is_map & h_probe) | (active_i & first_i & rhash & ~rabort)) & ~conf_mode_i & ~trap;
  // bpf_redirect_map on a DEVMAP_HASH: its 4-byte key is r2, walked from step 0.
  wire        rhash   = is_rmap & hstore_ok;
  wire [HASH_WORDS*64-1:0] h_key = rhash ? {{(HASH_WORDS*64-32){1'b0}}, a2[31:0]} : key_now;
  wire [3:0]  h_words = rhash ? 4'd1 : kstep[3:0];
  wire [15:0] h_from  = rhash ? 16'd0 : kstep;  // the step the walk starts in
  // 0 lookup (an LPM trie's: longest prefix), 1 insert if absent, 2 delete,
  // 3 find the exact key (an update with BPF_EXIST).
  wire [1:0]  h_op    = is_delete ? 2'd2 : (is_update ? ((a4 != 64'd2) ? 2'd1 : 2'd3) : 2'd0);
  // An LRU hit is a use unless the update fails on it (BPF_NOEXIST: -EEXIST).
  wire        h_touch = is_lookup | (is_update & (a4 != 64'd1));
  wire [NUM_HASH-1:0] hs_used, hs_found, hs_hit, hs_full, hs_lpm, hs_sel;
  wire [NUM_HASH*6-1:0] hs_map;
  wire [NUM_HASH*HASH_SLOT_W-1:0] hs_slot, hs_alloc;
  genvar hs;
  generate
    for (hs = 0; hs < NUM_HASH; hs = hs + 1) begin : g_hash
      hbpf_hashchain #(.ENTRIES(HASH_ENTRIES), .SLOT_W(HASH_SLOT_W), .KEY_WORDS(HASH_WORDS)) u_hash (
        .clk_i(clk_i), .rst_ni(rst_ni),
        .used_o(hs_used[hs]), .map_o(hs_map[hs*6 +: 6]), .max_i(hmax[HASH_SLOT_W:0]), .words_i(h_words),
        .start_i(h_start & hs_sel[hs]), .op_i(h_op), .touch_i(h_touch), .key_i(h_key),
        .found_o(hs_found[hs]), .hit_o(hs_hit[hs]), .slot_o(hs_slot[hs*HASH_SLOT_W +: HASH_SLOT_W]),
        .alloc_o(hs_alloc[hs*HASH_SLOT_W +: HASH_SLOT_W]), .full_o(hs_full[hs]), .lpm_o(hs_lpm[hs]),
        .host_we_i(hash_we_i & (hash_addr_i[25:24] == hs)), .host_space_i(hash_addr_i[23:21]),
        .host_addr_i(hash_addr_i[20:0]), .host_wdata_i(hash_wdata_i)
      );
      assign hs_sel[hs] = hs_used[hs] & (hs_map[hs*6 +: 6] == hidx6);
    end
  endgenerate
  reg                   h_found, h_hit, h_full, h_lpm;
  reg [HASH_SLOT_W-1:0] h_slot, h_alloc;
  integer q;
  always @* begin
    h_found = 1'b0; h_hit = 1'b0; h_full = 1'b0; h_lpm = 1'b0; h_slot = {HASH_SLOT_W{1'b0}}; h_alloc = {HASH_SLOT_W{1'b0}};
    for (q = 0; q < NUM_HASH; q = q + 1) begin
      if (hs_sel[q]) begin
        h_found = hs_found[q];
        h_hit   = hs_hit[q];
        h_full  = hs_full[q];
        h_lpm   = hs_lpm[q];
        h_slot  = hs_slot[q*HASH_SLOT_W +: HASH_SLOT_W];
        h_alloc = hs_alloc[q*HASH_SLOT_W +: HASH_SLOT_W];
      end
    end
  end
  wire hstore_ok = |hs_sel;
  // The key's slot is known: in step kstep, or when the hash unit's walk ends.
  wire k_done  = active_i & is_map & ~conf_mode_i & (h_probe ? h_found : at_key);

  // bpf_map_update_elem on a hash map, as htab_map_update_elem; on an LPM
  // trie as trie_update_elem (a prefix length past the data's bits is
  // -EINVAL, a full trie -ENOSPC).
  reg  [31:0] pfx_q;    // an LPM key's prefix length
  wire        pfx_bad = h_lpm & (pfx_q > {13'd0, hks - 16'd4, 3'b000});
  reg  [63:0] hupdate;
  always @* begin
    if (hro)                          hupdate = 64'hffff_ffff_ffff_fff3;  // -EACCES
    else if (a4 > 64'd2)              hupdate = 64'hffff_ffff_ffff_ffea;  // -EINVAL
    else if (pfx_bad)                 hupdate = 64'hffff_ffff_ffff_ffea;  // -EINVAL
    else if (h_hit && a4 == 64'd1)    hupdate = 64'hffff_ffff_ffff_ffef;  // -EEXIST
    else if (!h_hit && a4 == 64'd2)   hupdate = 64'hffff_ffff_ffff_fffe;  // -ENOENT
    else if (!h_hit && h_full)        hupdate = h_lpm ? 64'hffff_ffff_ffff_ffe4 : 64'hffff_ffff_ffff_fff9;  // -ENOSPC, -E2BIG
    else                              hupdate = 64'd0;
  end
  wire [63:0] hdelete = hro ? 64'hffff_ffff_ffff_fff3 : pfx_bad ? 64'hffff_ffff_ffff_ffea :
                        (h_hit ? 64'd0 : 64'hffff_ffff_ffff_fffe);

  // The slot: an array's index, a hash map's slot, bpf_redirect_map's key.
  wire [31:0] kidx    = (is_rmap & ~rhash) ? a2[31:0] :
                        (hhash | rhash) ? {{(32-HASH_SLOT_W){1'b0}}, h_hit ? h_slot : h_alloc} : rdata_i[31:0];
  wire        kin     = (hhash | rhash) ? h_hit : (kidx < hmax);
  wire [31:0] koff    = kidx * {16'd0, hvs};
  wire [DMEM_AW-1:0] kphys = hbase + koff[DMEM_AW-1:0];
  wire [63:0] lookup  = kin ? {32'd16 + hidx32, koff} : 64'd0;
  // bpf_map_update_elem on an array, as array_map_update_elem: flags beyond
  // BPF_EXIST (BPF_F_LOCK aside) -EINVAL, an index out of range -E2BIG,
  // BPF_NOEXIST (a bit) -EEXIST, BPF_F_LOCK -EINVAL (no spin lock).
  wire [63:0] flags   = a4;
  reg  [63:0] update;
  always @* begin
    if (hhash)                        update = hupdate;
    else if (hro)                     update = 64'hffff_ffff_ffff_fff3;  // -EACCES
    else if ((flags & ~64'd4) > 64'd2) update = 64'hffff_ffff_ffff_ffea;  // -EINVAL
    else if (!kin)                    update = 64'hffff_ffff_ffff_fff9;  // -E2BIG
    else if (flags[0])                update = 64'hffff_ffff_ffff_ffef;  // -EEXIST
    else if (flags[2])                update = 64'hffff_ffff_ffff_ffea;  // -EINVAL
    else                              update = 64'd0;
  end
  reg  [63:0] kret_q;   // lookup or update result, from step 1 (hash maps: after the walk)
  reg         inner_q;  // a map-in-map lookup: the value read now names the inner map
  wire        inner_rd = k_done & is_lookup & hinner;
  wire [31:0] inner_ix = rdata_i[31:0];
  wire        inner_ok = (inner_ix < NUM_MAPS) && (map_type_i[inner_ix[MAP_IW-1:0]*3 +: 3] != 3'd0);
  reg         copy_ok_q;

  // bpf_redirect_map: the value read in step 0, the presence byte in step 1;
  // on a DEVMAP_HASH the value of the key's slot read when the walk ends.
  reg  [31:0] rtarget_q;
  reg         rfound_q;
  reg         rval_q;   // the value read last cycle is a DEVMAP_HASH's target
  wire [DMEM_AW-1:0] rval_at  = hbase + koff[DMEM_AW-1:0];
  wire [DMEM_AW-1:0] rpres_at = hbase + hbytes + kidx[DMEM_AW-1:0];
  wire        rfound  = kin & (rdata_i[7:0] != 8'd0);
  wire [63:0] rallow  = (htype == T_DEVMAP) ? 64'd27 : 64'd3;  // action, broadcast, exclude ingress
  wire        rabort  = (a3 & ~rallow) != 64'd0;
  wire        rredir  = ~rabort & (rfound_q | a3[3]);

  // bpf_tail_call: the entry {program, present} read in step 0.
  wire [31:0] tidx    = a3[31:0];
  wire [DMEM_AW-1:0] tent_at = hbase + {tidx[DMEM_AW-4:0], 3'b000};
  wire [31:0] tprog   = rdata_i[31:0];
  reg  [7:0]  tails_q;
  reg  [PROG_IW-1:0] tprog_q;
  reg         tfound_q;
  wire        tfound_now = (tidx < hmax) && rdata_i[32] && (tails_q < MAX_TAILS) &&
                           (tprog < NUM_PROGS) && prog_ok_i[tprog[PROG_IW-1:0]];
  wire        tfound  = (step_i == 16'd1) ? tfound_now : tfound_q;
  assign tail_o      = is_tcall & tfound_q;
  assign tail_prog_o = tprog_q;

  // csum_diff: csum_partial of "from" and of "to", 64-bit one's-complement
  // sums folded to 32 bits, combined and folded to 16 bits (from32to16).
  reg  [63:0] accf_q, acct_q;
  wire [32:0] pf_s  = {1'b0, accf_q[63:32]} + {1'b0, accf_q[31:0]};
  wire [31:0] pf    = pf_s[31:0] + {31'd0, pf_s[32]};
  wire [32:0] pt_s  = {1'b0, acct_q[63:32]} + {1'b0, acct_q[31:0]};
  wire [31:0] pt    = pt_s[31:0] + {31'd0, pt_s[32]};
  wire [32:0] pd_s  = {1'b0, pt} + {1'b0, ~pf};
  wire [31:0] pd    = pd_s[31:0] + {31'd0, pd_s[32]};
  wire [31:0] csum  = (a4 == 64'd0) ? ~pf : ((a2 == 64'd0) ? pt : pd);
  wire [16:0] csum_s = {1'b0, csum[15:0]} + {1'b0, csum[31:16]};
  wire [15:0] csum16 = csum_s[15:0] + {15'd0, csum_s[16]};  // from32to16

  reg [63:0] ret;
  always @* begin
    ret = 64'd0;
    if (conf_mode_i) ret = a1;
    else begin
      case (id_i)
        «.Hc.lookup»:     ret = «.Uc.lookup» ? kret_q : 64'd0;
        «.Hc.update»:     ret = «.Uc.update» ? kret_q : 64'd0;
        «.Hc.delete»:     ret = ~«.Uc.delete» ? 64'd0 : hhash ? kret_q : (hro ? 64'hffff_ffff_ffff_fff3 : 64'hffff_ffff_ffff_ffea);
        «.Hc.ktime», «.Hc.ktimeboot»: ret = («.Uc.ktime» | «.Uc.ktimeboot») ? ktime_q : 64'd0;
        «.Hc.prandom»:    ret = «.Uc.prandom» ? {32'd0, x3} : 64'd0;
        «.Hc.redirect»:   ret = (a2 == 64'd0) ? 64'd4 : 64'd0;
        «.Hc.redirectmap»: ret = ~«.Uc.redirectmap» ? 64'd0 : rabort ? 64'd0 : (rredir ? 64'd4 : {62'd0, a3[1:0]});
        «.Hc.tailcall»:   ret = r0_i;
        «.Hc.loop»:       ret = ~«.Uc.loop» ? 64'd0 : l_inval ? 64'hffff_ffff_ffff_ffea : (l_big ? 64'hffff_ffff_ffff_fff9 : 64'd0);
        «.Hc.rbres»:      ret = ~«.Uc.rbres» ? 64'd0 : rb_ok ? {32'd16 + hidx32, rb_off} : 64'd0;
        «.Hc.rbout»:      ret = ~«.Uc.rbout» ? 64'd0 : rb_fbad ? 64'hffff_ffff_ffff_ffea : (rb_ok ? 64'd0 : 64'hffff_ffff_ffff_fff5);
        «.Hc.csum»:       ret = «.Uc.csum» ? {48'd0, csum16} : 64'd0;
        «.Hc.head»:       ret = ~«.Uc.head» ? 64'd0 : h_inval ? 64'hffff_ffff_ffff_ffea : 64'd0;
        «.Hc.meta»:       ret = ~«.Uc.meta» ? 64'd0 : m_inval ? 64'hffff_ffff_ffff_ffea : (m_acces ? 64'hffff_ffff_ffff_fff3 : 64'd0);
        «.Hc.tail»:       ret = ~«.Uc.tail» ? 64'd0 : t_inval ? 64'hffff_ffff_ffff_ffea : 64'd0;
        «.Hc.bufflen»:    ret = «.Uc.bufflen» ? {32'd0, plen} : 64'd0;
        «.Hc.loadbytes», «.Hc.storebytes»: ret = ~(«.Uc.loadbytes» | «.Uc.storebytes») ? 64'd0 : bytes_inval ? 64'hffff_ffff_ffff_ffea : 64'd0;
        default:          ret = 64'd0;  // get_smp_processor_id
      endcase
    end
  end
  assign ret_o  = ret;
  assign stop_o = conf_mode_i & (a1 == 64'd0);

  assign ctx_we_o = ~conf_mode_i & ((is_head & ~h_inval) | (is_meta & ~m_inval & ~m_acces) | (is_tail & ~t_inval));
  assign meta_o   = is_head ? h_meta : (is_meta ? m_meta[31:0] : meta_i);
  assign data_o   = is_head ? h_data[31:0] : data_i;
  assign end_o    = is_tail ? t_new : end_i;

  // ---------------------------------------------------------------- engine
  // Modes: copy src -> dst (len bytes, either direction), sum two regions,
  // clear len bytes at dst.
  localparam [1:0] E_IDLE = 2'd0, E_COPY = 2'd1, E_SUM = 2'd2, E_CLEAR = 2'd3;
  localparam [DMEM_AW-1:0] EIGHT = 8;
  reg  [1:0]         mode_q;
  reg  [DMEM_AW-1:0] src_q, dst_q, src2_q;
  reg  [15:0]        len_q, rem_q, rem2_q;
  reg                back_q, toph_q;      // copy backwards; sum: now summing "to"
  reg                wv_q;                // a write is due this cycle
  reg  [DMEM_AW-1:0] woff_q;
  reg  [7:0]         wbe_q;
  reg                swv_q, swto_q;       // a summed chunk is due, and its buffer

  // Packet buffer address of data + r2 (xdp_load/store_bytes).
  wire [DMEM_AW-1:0] pkt_at = PKT_BASE[DMEM_AW-1:0] + data_i[DMEM_AW-1:0] + a2[DMEM_AW-1:0];
  wire [DMEM_AW-1:0] meta_phys = PKT_BASE[DMEM_AW-1:0] + meta_i[DMEM_AW-1:0];
  wire [DMEM_AW-1:0] end_phys  = PKT_BASE[DMEM_AW-1:0] + end_i[DMEM_AW-1:0];

  // The chunk read this cycle.
  reg  [15:0] estart_q;  // the engine reads from this step on
  wire        rd_more = (mode_q == E_COPY || mode_q == E_SUM) && (rem_q != 16'd0) && (step_i >= estart_q) &&
                        (~hwait_q || (hwalk && h_found));
  wire [15:0] c_off   = back_q ? ((rem_q > 16'd8) ? rem_q - 16'd8 : 16'd0) : (len_q - rem_q);
«- if gt .DmemAW 16»
  wire [DMEM_AW-1:0] c_offw = {{(DMEM_AW-16){1'b0}}, c_off};
«- else»
  wire [DMEM_AW-1:0] c_offw = c_off[DMEM_AW-1:0];
«- end»
  wire [15:0] c_n     = back_q ? (rem_q - c_off) : ((rem_q > 16'd8) ? 16'd8 : rem_q);
  wire [7:0]  c_be    = (c_n >= 16'd8) ? 8'hff : ((8'd1 << c_n[2:0]) - 8'd1);
  wire        wr_more = (mode_q == E_CLEAR) && (rem_q != 16'd0);

  // csum_diff: the chunk read last cycle (wbe_q says which bytes), added with
  // end-around carry to its buffer's sum.
  wire [63:0] chunk = rdata_i & {{8{wbe_q[7]}}, {8{wbe_q[6]}}, {8{wbe_q[5]}}, {8{wbe_q[4]}},
                                 {8{wbe_q[3]}}, {8{wbe_q[2]}}, {8{wbe_q[1]}}, {8{wbe_q[0]}}};
  wire [64:0] sum65 = {1'b0, swto_q ? acct_q : accf_q} + {1'b0, chunk};
  wire [63:0] csum_add = sum65[63:0] + {63'd0, sum65[64]};

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rng_q     <= 32'd1;
      ktime_q   <= 64'd0;
      kret_q    <= 64'd0;
      inner_q   <= 1'b0;
      copy_ok_q <= 1'b0;
      accf_q    <= 64'd0;
      acct_q    <= 64'd0;
      dirty_q   <= 32'd0;
      mode_q    <= E_IDLE;
      src_q     <= {DMEM_AW{1'b0}};
      dst_q     <= {DMEM_AW{1'b0}};
      src2_q    <= {DMEM_AW{1'b0}};
      len_q     <= 16'd0;
      rem_q     <= 16'd0;
      rem2_q    <= 16'd0;
      estart_q  <= 16'd1;
«- if gt .HashKeyShift 0»
      key_q     <= {HASH_WORDS*64{1'b0}};
«- end»
      hlen_q    <= 32'd0;
      pfx_q     <= 32'd0;
      hwait_q   <= 1'b0;
      back_q    <= 1'b0;
      toph_q    <= 1'b0;
      wv_q      <= 1'b0;
      woff_q    <= {DMEM_AW{1'b0}};
      wbe_q     <= 8'd0;
      swv_q     <= 1'b0;
      swto_q    <= 1'b0;
      redir_o   <= 2'd0;
      redir_map_o     <= 6'd0;
      redir_key_o     <= 32'd0;
      redir_ifindex_o <= 32'd0;
      redir_flags_o   <= 64'd0;
      rtarget_q <= 32'd0;
      rfound_q  <= 1'b0;
      rval_q    <= 1'b0;
      tails_q   <= 8'd0;
      tprog_q   <= {PROG_IW{1'b0}};
      tfound_q  <= 1'b0;
      rb_used_q <= 1'b0;
      rb_mapq   <= 6'd0;
      rb_mask_q <= 32'd0;
      rb_prod_q <= 32'd0;
      rb_cons_q <= 32'd0;
      rb_v_q    <= {RB_SLOTS{1'b0}};
      for (ri = 0; ri < RB_SLOTS; ri = ri + 1) begin
        rb_pos_q[ri] <= 32'd0;
        rb_len_q[ri] <= 32'd0;
      end
    end else begin
      if (ring_we_i) begin
        case (ring_addr_i)
          2'd0: begin rb_used_q <= ring_wdata_i[31]; rb_mapq <= ring_wdata_i[21:16]; rb_v_q <= {RB_SLOTS{1'b0}}; end
          2'd1: rb_mask_q <= ring_wdata_i;
          2'd2: rb_prod_q <= ring_wdata_i;
          default: rb_cons_q <= ring_wdata_i;
        endcase
      end
      if (seed_we_i) rng_q <= seed_i;
      if (start_i) begin
        hwait_q <= 1'b0;
        dirty_q <= init_end_i;
        tails_q <= 8'd0;
        redir_o <= 2'd0;
        redir_map_o     <= 6'd0;
        redir_key_o     <= 32'd0;
        redir_ifindex_o <= 32'd0;
        redir_flags_o   <= 64'd0;
      end

      // The write pipeline: a chunk read in one cycle is written in the next.
      wv_q  <= 1'b0;
      swv_q <= 1'b0;
      if (rd_more) begin
        rem_q  <= rem_q - c_n;
        woff_q <= c_offw;
        wbe_q  <= c_be;
        wv_q   <= (mode_q == E_COPY);
        swv_q  <= (mode_q == E_SUM);
        swto_q <= toph_q;
        if (mode_q == E_SUM && rem_q == c_n && rem2_q != 16'd0) begin
          // the "from" buffer is done: continue with "to"
          src_q  <= src2_q;
          len_q  <= rem2_q;
          rem_q  <= rem2_q;
          rem2_q <= 16'd0;
          toph_q <= 1'b1;
        end
      end
      if (wr_more) begin
        rem_q <= (rem_q > 16'd8) ? rem_q - 16'd8 : 16'd0;
        dst_q <= dst_q + EIGHT;
      end
      if (swv_q) begin
        if (swto_q) acct_q <= csum_add;
        else        accf_q <= csum_add;
      end
      rval_q <= active_i & rhash & h_found;
      if (active_i && is_rmap && (rhash ? rval_q : (step_i == 16'd1))) begin
        rtarget_q <= rdata_i[31:0];
      end
      if (active_i && is_rmap && (rhash ? h_found : (step_i == 16'd2))) begin
        rfound_q <= rhash ? h_hit : rfound;
      end
      if (active_i && step_i == 16'd1 && is_tcall) begin
        tfound_q <= tfound_now;
        tprog_q  <= tprog[PROG_IW-1:0];
      end
«- if gt .HashKeyShift 0»
      if (active_i && first_i) key_q <= {HASH_WORDS*64{1'b0}};
      if (active_i && step_i != 16'd0 && step_i < kstep) key_q[kw_now*64 +: 64] <= rdata_i;
«- end»
      if (at_key) pfx_q <= key_now[31:0];
      if (k_done) begin
        kret_q    <= is_lookup ? lookup : (is_update ? update : hdelete);
        copy_ok_q <= (update == 64'd0);
        dst_q     <= kphys;
      end
      inner_q <= inner_rd;
      if (inner_q) kret_q <= (kret_q != 64'd0 && inner_ok) ? {32'd4, inner_ix} : 64'd0;
      if (active_i && hwalk && h_found) begin
        hwait_q <= 1'b0;
        hlen_q  <= flen + {16'd0, step_i} - {16'd0, h_from} - 32'd2;
      end

      if (active_i && first_i && !trap && !conf_mode_i) begin
        ktime_q <= ns;
        rfound_q <= 1'b0;
        tfound_q <= 1'b0;
        mode_q  <= E_IDLE;
        back_q  <= 1'b0;
        toph_q  <= 1'b0;
        rem2_q  <= 16'd0;
        copy_ok_q <= 1'b1;
        estart_q <= 16'd1;
        hwait_q  <= hwalk;
        if (is_update) begin
          mode_q <= E_COPY;
          src_q  <= cb_phys;
          len_q  <= hvs;
          rem_q  <= hvs;
          estart_q <= kstep;
        end
        if (is_csum) begin
          mode_q  <= E_SUM;
          accf_q  <= (a4 == 64'd0) ? {32'd0, ~a5} : 64'd0;
          acct_q  <= {32'd0, a5};
          src_q   <= ca_phys;
          len_q   <= a2[15:0];
          rem_q   <= a2[15:0];
          src2_q  <= cb_phys;
          rem2_q  <= a4[15:0];
          if (a2 == 64'd0) begin
            src_q  <= cb_phys;
            len_q  <= a4[15:0];
            rem_q  <= a4[15:0];
            rem2_q <= 16'd0;
            toph_q <= 1'b1;
          end
        end
        if (is_rbout && rb_ok && a3 != 64'd0) begin
          mode_q <= E_COPY;
          src_q  <= ca_phys;
          dst_q  <= hbase + rb_off[DMEM_AW-1:0];
          len_q  <= a3[15:0];
          rem_q  <= a3[15:0];
        end
        if ((is_ldb || is_stb) && !bytes_inval) begin
          mode_q <= E_COPY;
          src_q  <= is_ldb ? pkt_at : ca_phys;
          dst_q  <= is_ldb ? ca_phys : pkt_at;
          back_q <= is_ldb ? (ca_phys > pkt_at) : (pkt_at > ca_phys);
          len_q  <= a4[15:0];
          rem_q  <= a4[15:0];
        end
        if (is_head && !h_inval && metalen != 34'd0) begin
          mode_q <= E_COPY;
          src_q  <= meta_phys;
          dst_q  <= meta_phys + delta[DMEM_AW-1:0];
          back_q <= ~delta[33];
          len_q  <= metalen[15:0];
          rem_q  <= metalen[15:0];
        end
        if (is_tail && t_clear != 32'd0) begin
          mode_q <= E_CLEAR;
          dst_q  <= end_phys;
          rem_q  <= t_clear[15:0];
        end
      end
      if (retire_i) begin
        mode_q <= E_IDLE;
        if (!conf_mode_i && «.Uc.prandom» && id_i == «.Hc.prandom») rng_q <= x3;
        if (!conf_mode_i && is_tail && !t_inval && t_new > dirty_q) dirty_q <= t_new;
        if (!conf_mode_i && «.Uc.redirect» && id_i == «.Hc.redirect») begin
          redir_o         <= (a2 == 64'd0) ? 2'd1 : 2'd0;
          redir_map_o     <= 6'd0;
          redir_key_o     <= (a2 == 64'd0) ? a1[31:0] : 32'd0;
          redir_ifindex_o <= (a2 == 64'd0) ? a1[31:0] : 32'd0;
          redir_flags_o   <= 64'd0;
        end
        if (!conf_mode_i && is_rmap && rredir) begin
          redir_o         <= 2'd2;
          redir_map_o     <= hidx6;
          redir_key_o     <= a2[31:0];
          redir_ifindex_o <= rfound_q ? rtarget_q : 32'd0;
          redir_flags_o   <= a3;
        end
        if (!conf_mode_i && is_tcall && tfound_q) tails_q <= tails_q + 8'd1;
        if (!conf_mode_i && (is_rbres || is_rbout) && rb_ok) rb_prod_q <= rb_next;
        if (!conf_mode_i && is_rbres && rb_ok) begin
          for (ri = 0; ri < RB_SLOTS; ri = ri + 1) begin
            if (rb_free1[ri]) begin
              rb_v_q[ri]   <= 1'b1;
              rb_pos_q[ri] <= rb_prod_q;
              rb_len_q[ri] <= rb_size[31:0];
            end
          end
        end
        if (!conf_mode_i && (is_rbsub || is_rbdis)) rb_v_q <= rb_v_q & ~rb_hit;
      end
    end
  end

  // Memory ports: the map key is read in steps 0 to kstep-1 (a redirect or
  // tail-call entry in step 0), a presence byte in step 1, chunks from step 1
  // (or kstep, or the end of a hash map's walk) on.
  wire key_rd  = active_i & (step_i < kstep) & is_map & ~conf_mode_i;
  wire rmap_rd = active_i & is_rmap & ~conf_mode_i & (rhash ? h_found : (first_i | (step_i == 16'd1)));
  wire tent_rd = active_i & first_i & is_tcall & ~conf_mode_i;
  assign re_o    = key_rd | rmap_rd | tent_rd | rd_more | inner_rd;
  assign raddr_o = key_rd ? ca_phys + {{(DMEM_AW-7){1'b0}}, step_i[3:0], 3'b000} :
                   inner_rd ? kphys :
                   tent_rd ? tent_at :
                   rmap_rd ? ((first_i | rhash) ? rval_at : rpres_at) :
                   (src_q + c_offw);
  assign we_o    = (wv_q & copy_ok_q) | wr_more | rb_hdr_we;
  assign waddr_o = rb_hdr_we ? rb_hphys : (wr_more ? dst_q : (dst_q + woff_q));
  assign wdata_o = rb_hdr_we ? rb_hdr : (wr_more ? 64'd0 : rdata_i);
  assign be_o    = rb_hdr_we ? 8'hff : (wr_more ? ((rem_q >= 16'd8) ? 8'hff : ((8'd1 << rem_q[2:0]) - 8'd1)) : wbe_q);

endmodule

`default_nettype wire
