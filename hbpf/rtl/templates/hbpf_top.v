«.Banner»
// hbpf_top: the hbpf core with its memories and a host port.
//
// Memories (parameters below):
//   program memory  2^PROG_AW slots of 64 bits«if .Baked» (baked: «.ProgName»)«end», up to NUM_PROGS programs
//   data memory     2^DMEM_AW bytes: packet buffer at PKT_BASE (PKT_BYTES),
//                   stack at STACK_BASE (STACK_BYTES), map values from MAP_BASE
//
// Host port (used while the core is idle; sel selects the space):
//   sel 0  program memory, addr = slot«if .Baked» (baked: writes are ignored)«end»
//   sel 1  data memory, addr = 8-byte row; reads return the row a cycle later
//   sel 2  configuration registers, addr:
//            0 mode (bit 0: bpf_conformance, helper 5 is "unwind")
//            1 cycle budget        2 r1 at start      3 r2 at start
//            4 data_meta           5 data             6 data_end
//            7 end of the buffer less the tailroom (xdp_adjust_tail)
//            8 ingress_ifindex     9 rx_queue_index   11 program to start
//           12 bpf_get_prandom_u32 state
//          128 + p  program p«if .Baked» (baked: writes are ignored)«end»: {length[31:16], first slot[15:0]}
//          256 + 4*i + k  map i«if .BakedMaps» (baked: writes are ignored)«end»: k=0 {value size[47:32], key size[31:16],
//                 map-in-map[4], read-only[3], type[2:0] (rtl.MapArray, …)}, k=1 {bytes[63:32],
//                 max entries[31:0]}, k=2 physical base, k=3 slot reciprocal
//       0x2000 + k  the ring-buffer unit: k=0 {used[31], map[21:16]}, 1 ring size - 1,
//                   2 producer position, 3 consumer position
//   sel 3  hash unit u of the hash maps (see hbpf_hashchain.v),
//          addr = u<<24 | space<<21 | index: space 0 keys, 1 bucket heads,
//          2 next slots, 3 control, 4..7 the LRU links
// start_i runs the program to start from its first slot with a fresh register
// file; done_o rises when it exits or traps. State that outlives a run: map
// values and hash units, the ring buffer, the cycle clock of
// bpf_ktime_get_ns, the bpf_get_prandom_u32 state.
//
// The parameters document the configuration the generator derived them for
// (hbpfc verilog --prog-aw, --dmem-aw, --maps, …); regenerate rather than
// override them, as the modules below carry constants derived with them.

`default_nettype none

module hbpf_top #(
  parameter integer PROG_AW     = «.ProgAW»,     // program memory: 2^PROG_AW slots
  parameter integer DMEM_AW     = «.DmemAW»,     // data memory: 2^DMEM_AW bytes
  parameter integer PKT_BASE    = «.PktBase»,      // packet buffer base («.PktBytes» bytes: headroom, frame, tailroom)
  parameter integer STACK_BASE  = «.StackBase»,   // stack base, map values follow the stack at «.MapBase»
  parameter integer STACK_BYTES = «.StackBytes»,   // MaxCallDepth frames of «.StackFrame» bytes
  parameter integer NUM_MAPS    = «.NumMaps»,      // map descriptors (a power of two)
  parameter integer MAP_IW      = «.MapIW»,      // log2(NUM_MAPS), at least 1
  parameter integer RECIP_W     = «.RecipW»,     // DMEM_AW + 17
  parameter integer MAX_DEPTH   = «.MaxDepth»,      // bpf-to-bpf call frames, the program's own included
  parameter integer FRAME_DW    = «.FrameDW»,       // log2(MAX_DEPTH)
  parameter integer NUM_PROGS   = «.NumProgs»,       // programs (tail calls), a power of two
  parameter integer PROG_IW     = «.ProgIW»,       // log2(NUM_PROGS), at least 1
  parameter integer NUM_HASH    = «.NumHash»,       // hash maps (hash units)
  parameter integer HASH_ENTRIES = «.HashEntries»,     // largest hash map, entries
  parameter integer HASH_SLOT_W = «.HashSlotW»,       // log2(HASH_ENTRIES)
  parameter integer HASH_WORDS  = «.HashKeyWords»        // largest key, bytes / 8
) (
  input  wire         clk_i,
  input  wire         rst_ni,
  // host port
  input  wire         host_we_i,
  input  wire         host_re_i,
  input  wire [1:0]   host_sel_i,
  input  wire [31:0]  host_addr_i,
  input  wire [63:0]  host_wdata_i,
  output wire [63:0]  host_rdata_o,
  // control and state
  input  wire         start_i,
  output wire         busy_o,
  output wire         done_o,
  output wire [63:0]  r0_o,
  output wire [63:0]  cycles_o,
  output wire [31:0]  ctx_meta_o,
  output wire [31:0]  ctx_data_o,
  output wire [31:0]  ctx_end_o,
  output wire [31:0]  dirty_o,         // packet buffer bytes at and above are zero
  output wire [15:0]  stack_lo_o,      // the lowest stack byte the run wrote
  output wire [1:0]   redir_o,         // 0 none, 1 bpf_redirect, 2 bpf_redirect_map
  output wire [5:0]   redir_map_o,
  output wire [31:0]  redir_key_o,
  output wire [31:0]  redir_ifindex_o,
  output wire [63:0]  redir_flags_o,
  // retirement port
  output wire         rt_valid_o,
  output wire [63:0]  rt_cycle_o,
  output wire [7:0]   rt_prog_o,
  output wire [15:0]  rt_pc_o,
  output wire [63:0]  rt_insn_o,
  output wire         rt_dst_we_o,
  output wire [3:0]   rt_dst_o,
  output wire [63:0]  rt_value_o,
  output wire [3:0]   rt_mem_size_o,
  output wire [63:0]  rt_mem_addr_o,
  output wire [63:0]  rt_mem_data_o,
  output wire         rt_helper_o,
  output wire [31:0]  rt_helper_id_o,
  output wire [319:0] rt_args_o,
  output wire [63:0]  rt_ret_o,
  output wire [3:0]   rt_trap_o,
  output wire         rt_exit_o
);

  // ------------------------------------------------------ configuration
  reg         mode_q;
  reg  [63:0] max_cycles_q, r1_q, r2_q;
  reg  [31:0] meta_q, data_q, end_q, hard_end_q, ingress_q, rxq_q;
  reg  [7:0]  prog_idx_q;

  wire cfg_we = host_we_i & (host_sel_i == 2'd2) & ~busy_o;
  wire cfg_lo  = (host_addr_i[31:16] == 16'd0);
  wire seed_we = cfg_we & (host_addr_i == 32'd12);
  wire hash_we = host_we_i & (host_sel_i == 2'd3) & ~busy_o & (host_addr_i[31:26] == 6'd0);
  wire ring_we = cfg_we & cfg_lo & (host_addr_i[15:2] == 14'h0800);

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mode_q       <= 1'b0;
      max_cycles_q <= 64'd«.MaxCycles»;
      r1_q         <= 64'd0;
      r2_q         <= 64'd0;
      meta_q       <= 32'd0;
      data_q       <= 32'd0;
      end_q        <= 32'd0;
      hard_end_q   <= 32'd0;
      ingress_q    <= 32'd1;
      rxq_q        <= 32'd0;
      prog_idx_q   <= 8'd0;
    end else if (cfg_we) begin
      case (host_addr_i)
        32'd0:  mode_q       <= host_wdata_i[0];
        32'd1:  max_cycles_q <= host_wdata_i;
        32'd2:  r1_q         <= host_wdata_i;
        32'd3:  r2_q         <= host_wdata_i;
        32'd4:  meta_q       <= host_wdata_i[31:0];
        32'd5:  data_q       <= host_wdata_i[31:0];
        32'd6:  end_q        <= host_wdata_i[31:0];
        32'd7:  hard_end_q   <= host_wdata_i[31:0];
        32'd8:  ingress_q    <= host_wdata_i[31:0];
        32'd9:  rxq_q        <= host_wdata_i[31:0];
        32'd11: prog_idx_q   <= host_wdata_i[7:0];
        default: ;
      endcase
    end
  end

  // ------------------------------------------------------ program table
  wire [NUM_PROGS*16-1:0] prog_base, prog_len;
«- if .Baked»
  // Baked programs (the program table's rows).
«- range $i, $p := .BakedProgs»
  assign prog_base[«$i»*16 +: 16] = 16'd«$p.Base»;  // «$p.Name»
  assign prog_len[«$i»*16 +: 16]  = 16'd«$p.Slots»;
«- end»
«- if lt (len .BakedProgs) .NumProgs»
  assign prog_base[NUM_PROGS*16-1:«len .BakedProgs»*16] = {(NUM_PROGS-«len .BakedProgs»)*16{1'b0}};
  assign prog_len[NUM_PROGS*16-1:«len .BakedProgs»*16]  = {(NUM_PROGS-«len .BakedProgs»)*16{1'b0}};
«- end»
«- else»
  reg  [15:0] pbase_q [0:NUM_PROGS-1];
  reg  [15:0] plen_q  [0:NUM_PROGS-1];
  wire        prog_we  = cfg_we & cfg_lo & (host_addr_i[15:7] == 9'd1);
  wire [6:0]  prog_row = host_addr_i[6:0];
  integer k;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (k = 0; k < NUM_PROGS; k = k + 1) begin
        pbase_q[k] <= 16'd0;
        plen_q[k]  <= 16'd0;
      end
    end else if (prog_we && {25'd0, prog_row} < NUM_PROGS) begin
      pbase_q[prog_row[PROG_IW-1:0]] <= host_wdata_i[15:0];
      plen_q[prog_row[PROG_IW-1:0]]  <= host_wdata_i[31:16];
    end
  end
  genvar gq;
  generate
    for (gq = 0; gq < NUM_PROGS; gq = gq + 1) begin : g_prog
      assign prog_base[gq*16 +: 16] = pbase_q[gq];
      assign prog_len[gq*16 +: 16]  = plen_q[gq];
    end
  endgenerate
«- end»

  // ---------------------------------------------------------- map table
  wire [NUM_MAPS*3-1:0]       map_type;
  wire [NUM_MAPS*16-1:0]      map_ksize, map_vsize;
  wire [NUM_MAPS*32-1:0]      map_max, map_bytes;
  wire [NUM_MAPS*RECIP_W-1:0] map_recip;
  wire [NUM_MAPS*DMEM_AW-1:0] map_base;
  wire [NUM_MAPS-1:0]         map_ro, map_inner;
«if .BakedMaps»
  // Baked from the program's map specs.
«- range $i, $m := .Maps»
  // map «$i»: «$m.Name» («$m.TypeName», key «$m.KeySize», value «$m.ValueSize», «$m.MaxEntries» entries«if $m.ReadOnly», read-only«end»)
  assign map_type[«$i»*3 +: 3]             = 3'd«$m.Type»;
  assign map_ksize[«$i»*16 +: 16]          = 16'd«$m.KeySize»;
  assign map_vsize[«$i»*16 +: 16]          = 16'd«$m.ValueSize»;
  assign map_max[«$i»*32 +: 32]            = 32'd«$m.MaxEntries»;
  assign map_bytes[«$i»*32 +: 32]          = 32'd«$m.Bytes»;
  assign map_recip[«$i»*RECIP_W +: RECIP_W] = «$.RecipW»'d«$m.Recip»;
  assign map_base[«$i»*DMEM_AW +: DMEM_AW]  = «$.DmemAW»'d«$m.Base»;
  assign map_ro[«$i»]                      = 1'b«if $m.ReadOnly»1«else»0«end»;
  assign map_inner[«$i»]                   = 1'b«if $m.Inner»1«else»0«end»;
«- end»
«else»
  reg [2:0]         mt_q [0:NUM_MAPS-1];
  reg [15:0]        mk_q [0:NUM_MAPS-1];
  reg [15:0]        mv_q [0:NUM_MAPS-1];
  reg [31:0]        mm_q [0:NUM_MAPS-1];
  reg [31:0]        mb_q [0:NUM_MAPS-1];
  reg [RECIP_W-1:0] mr_q [0:NUM_MAPS-1];
  reg [DMEM_AW-1:0] ma_q [0:NUM_MAPS-1];
  reg               mo_q [0:NUM_MAPS-1];
  reg               mi_q [0:NUM_MAPS-1];

  wire              map_we  = cfg_we & cfg_lo & (host_addr_i[15:8] == 8'd1);
  wire [5:0]        map_row = host_addr_i[7:2];
  wire [MAP_IW-1:0] map_sel = map_row[MAP_IW-1:0];
  integer j;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (j = 0; j < NUM_MAPS; j = j + 1) begin
        mt_q[j] <= 3'd0;
        mk_q[j] <= 16'd0;
        mv_q[j] <= 16'd0;
        mm_q[j] <= 32'd0;
        mb_q[j] <= 32'd0;
        mr_q[j] <= {RECIP_W{1'b0}};
        ma_q[j] <= {DMEM_AW{1'b0}};
        mo_q[j] <= 1'b0;
        mi_q[j] <= 1'b0;
      end
    end else if (map_we && {26'd0, map_row} < NUM_MAPS) begin
      case (host_addr_i[1:0])
        2'd0: begin
          mt_q[map_sel] <= host_wdata_i[2:0];
          mo_q[map_sel] <= host_wdata_i[3];
          mi_q[map_sel] <= host_wdata_i[4];
          mk_q[map_sel] <= host_wdata_i[31:16];
          mv_q[map_sel] <= host_wdata_i[47:32];
        end
        2'd1: begin
          mm_q[map_sel] <= host_wdata_i[31:0];
          mb_q[map_sel] <= host_wdata_i[63:32];
        end
        2'd2: ma_q[map_sel] <= host_wdata_i[DMEM_AW-1:0];
        default: mr_q[map_sel] <= host_wdata_i[RECIP_W-1:0];
      endcase
    end
  end

  genvar g;
  generate
    for (g = 0; g < NUM_MAPS; g = g + 1) begin : g_map
      assign map_type[g*3 +: 3]             = mt_q[g];
      assign map_ksize[g*16 +: 16]          = mk_q[g];
      assign map_vsize[g*16 +: 16]          = mv_q[g];
      assign map_max[g*32 +: 32]            = mm_q[g];
      assign map_bytes[g*32 +: 32]          = mb_q[g];
      assign map_recip[g*RECIP_W +: RECIP_W] = mr_q[g];
      assign map_base[g*DMEM_AW +: DMEM_AW]  = ma_q[g];
      assign map_ro[g]                      = mo_q[g];
      assign map_inner[g]                   = mi_q[g];
    end
  endgenerate
«end»
  // ------------------------------------------------------------ memories
  wire [15:0]        rom_addr;
  wire [63:0]        rom_data;

  hbpf_rom #(.AW(PROG_AW)) u_rom (
    .clk_i(clk_i), .raddr_i(rom_addr), .rdata_o(rom_data)«if not .Baked»,
    .we_i(host_we_i & (host_sel_i == 2'd0) & ~busy_o),
    .waddr_i(host_addr_i[PROG_AW-1:0]), .wdata_i(host_wdata_i)«end»
  );

  wire               c_re, c_we;
  wire [DMEM_AW-1:0] c_raddr, c_waddr;
  wire [63:0]        c_wdata, m_rdata;
  wire [7:0]         c_be;
  wire               host_mem = (host_sel_i == 2'd1) & ~busy_o;
  wire [DMEM_AW-1:0] host_byte = {host_addr_i[DMEM_AW-4:0], 3'b000};

  hbpf_dmem #(.AW(DMEM_AW)) u_dmem (
    .clk_i   (clk_i),
    .re_i    (busy_o ? c_re : (host_mem & host_re_i)),
    .raddr_i (busy_o ? c_raddr : host_byte),
    .rdata_o (m_rdata),
    .we_i    (busy_o ? c_we : (host_mem & host_we_i)),
    .waddr_i (busy_o ? c_waddr : host_byte),
    .wdata_i (busy_o ? c_wdata : host_wdata_i),
    .be_i    (busy_o ? c_be : 8'hff)
  );
  assign host_rdata_o = m_rdata;

  // ---------------------------------------------------------------- core
  hbpf_core #(
    .DMEM_AW(DMEM_AW), .PKT_BASE(PKT_BASE), .STACK_BASE(STACK_BASE),
    .STACK_BYTES(STACK_BYTES), .NUM_MAPS(NUM_MAPS), .MAP_IW(MAP_IW), .RECIP_W(RECIP_W),
    .MAX_DEPTH(MAX_DEPTH), .FRAME_DW(FRAME_DW), .NUM_PROGS(NUM_PROGS), .PROG_IW(PROG_IW),
    .NUM_HASH(NUM_HASH), .HASH_ENTRIES(HASH_ENTRIES), .HASH_SLOT_W(HASH_SLOT_W), .HASH_WORDS(HASH_WORDS)
  ) u_core (
    .clk_i(clk_i), .rst_ni(rst_ni),
    .start_i(start_i), .busy_o(busy_o), .done_o(done_o),
    .conf_mode_i(mode_q), .max_cycles_i(max_cycles_q), .r1_init_i(r1_q), .r2_init_i(r2_q),
    .prog_base_i(prog_base), .prog_len_i(prog_len), .prog_idx_i(prog_idx_q),
    .ctx_meta_i(meta_q), .ctx_data_i(data_q), .ctx_end_i(end_q), .hard_end_i(hard_end_q),
    .ingress_i(ingress_q), .rxq_i(rxq_q), .seed_i(host_wdata_i[31:0]), .seed_we_i(seed_we),
    .hash_we_i(hash_we), .hash_addr_i(host_addr_i[25:0]), .hash_wdata_i(host_wdata_i),
    .ring_we_i(ring_we), .ring_addr_i(host_addr_i[1:0]), .ring_wdata_i(host_wdata_i[31:0]),
    .map_type_i(map_type), .map_ksize_i(map_ksize), .map_max_i(map_max), .map_bytes_i(map_bytes),
    .map_vsize_i(map_vsize), .map_recip_i(map_recip), .map_base_i(map_base), .map_ro_i(map_ro),
    .map_inner_i(map_inner),
    .rom_addr_o(rom_addr), .rom_data_i(rom_data),
    .dmem_re_o(c_re), .dmem_raddr_o(c_raddr), .dmem_rdata_i(m_rdata),
    .dmem_we_o(c_we), .dmem_waddr_o(c_waddr), .dmem_wdata_o(c_wdata), .dmem_be_o(c_be),
    .r0_o(r0_o), .cycles_o(cycles_o), .ctx_meta_o(ctx_meta_o), .ctx_data_o(ctx_data_o),
    .ctx_end_o(ctx_end_o), .dirty_o(dirty_o), .stack_lo_o(stack_lo_o), .redir_o(redir_o), .redir_map_o(redir_map_o), .redir_key_o(redir_key_o),
    .redir_ifindex_o(redir_ifindex_o),
    .redir_flags_o(redir_flags_o),
    .rt_valid_o(rt_valid_o), .rt_cycle_o(rt_cycle_o), .rt_prog_o(rt_prog_o), .rt_pc_o(rt_pc_o),
    .rt_insn_o(rt_insn_o), .rt_dst_we_o(rt_dst_we_o), .rt_dst_o(rt_dst_o), .rt_value_o(rt_value_o),
    .rt_mem_size_o(rt_mem_size_o), .rt_mem_addr_o(rt_mem_addr_o), .rt_mem_data_o(rt_mem_data_o),
    .rt_helper_o(rt_helper_o), .rt_helper_id_o(rt_helper_id_o), .rt_args_o(rt_args_o),
    .rt_ret_o(rt_ret_o), .rt_trap_o(rt_trap_o), .rt_exit_o(rt_exit_o)
  );

endmodule

`default_nettype wire
