«.Banner»
// hbpf_lsu: the load/store unit of the hbpf core: ldx, ldxs, st, stx, the
// atomics and the legacy ld_abs/ld_ind. Every access is bounds-checked
// (hbpf_region) and traps with the cause numbers of sim.Cause:
//   1 load out of bounds, 2 store out of bounds, 3 write to read-only memory.
// The xdp_md context (region 1) is served from registers: data, data_end and
// data_meta read as packet pointers, as after the kernel verifier's rewrite.
//
// Schedule (step = cycle within the instruction):
//   load    step 0 check and read, step 1 data («.C.load» cycles in all)
//   store   step 0 check and write («.C.store» cycles)
//   atomic  step 0 check and read, step 1 modify and write, step 2 result («.C.atomic» cycles)
//   legacy  step 0 check and read, step 1 data, byte-swapped («.C.legacy» cycles)

`default_nettype none

module hbpf_lsu #(
  parameter integer DMEM_AW     = «.DmemAW»,
  parameter integer PKT_BASE    = «.PktBase»,
  parameter integer STACK_BASE  = «.StackBase»,
  parameter integer STACK_BYTES = «.StackBytes»,
  parameter integer NUM_MAPS    = «.NumMaps»,
  parameter integer MAP_IW      = «.MapIW»,
  parameter integer RECIP_W     = «.RecipW»
) (
  input  wire                        clk_i,
  input  wire                        rst_ni,
  input  wire                        first_i,   // step 0 of a memory instruction
  input  wire                        second_i,  // step 1
  input  wire                        ld_i,      // ldx, ldxs
  input  wire                        st_i,      // st, stx
  input  wire                        atomic_i,
  input  wire                        legacy_i,  // ld_abs, ld_ind
  input  wire                        ldsx_i,
  input  wire [3:0]                  size_i,
  input  wire [63:0]                 addr_i,    // address; for legacy loads the packet offset
  input  wire [63:0]                 sdata_i,   // value stored; atomic operand
  input  wire [3:0]                  aop_i,     // atomic operation, imm bits 7:4
  input  wire [63:0]                 cmp_i,     // r0, for cmpxchg
  // xdp_md context
  input  wire [31:0]                 meta_i,
  input  wire [31:0]                 data_i,
  input  wire [31:0]                 end_i,
  input  wire [31:0]                 ingress_i,
  input  wire [31:0]                 rxq_i,
  // maps
  input  wire [NUM_MAPS*32-1:0]      map_bytes_i,
  input  wire [NUM_MAPS*16-1:0]      map_vsize_i,
  input  wire [NUM_MAPS*RECIP_W-1:0] map_recip_i,
  input  wire [NUM_MAPS*DMEM_AW-1:0] map_base_i,
  input  wire [NUM_MAPS-1:0]         map_ro_i,
  // results (valid in the instruction's last step)
  output wire [63:0]                 value_o,   // loaded value, or an atomic's old value
  output wire                        legacy_ok_o,
  output wire                        trap_o,
  output wire [3:0]                  cause_o,
  output wire                        wrote_o,   // memory written (for the retirement record)
  output wire [63:0]                 wdata_o,   // data written, zero-extended
  // data memory
  output wire                        re_o,
  output wire [DMEM_AW-1:0]          raddr_o,
  input  wire [63:0]                 rdata_i,
  output wire                        we_o,
  output wire [DMEM_AW-1:0]          waddr_o,
  output wire [63:0]                 wdata_mem_o,
  output wire [7:0]                  be_o
);

  localparam [3:0] CAUSE_LOAD  = 4'd1;
  localparam [3:0] CAUSE_STORE = 4'd2;
  localparam [3:0] CAUSE_RO    = 4'd3;

  // --------------------------------------------------------------- addresses
  wire               ok;
  wire [DMEM_AW-1:0] phys;
  wire [31:0]        rgn  = addr_i[63:32];
  wire               ctx  = (rgn == 32'd1);
  wire [31:0]        ridx = rgn - 32'd16;
  wire               ro   = (rgn >= 32'd16) && (ridx < NUM_MAPS) && map_ro_i[ridx[MAP_IW-1:0]];

  hbpf_region #(
    .DMEM_AW(DMEM_AW), .PKT_BASE(PKT_BASE), .STACK_BASE(STACK_BASE), .STACK_BYTES(STACK_BYTES),
    .NUM_MAPS(NUM_MAPS), .MAP_IW(MAP_IW), .RECIP_W(RECIP_W)
  ) u_region (
    .addr_i      (addr_i),
    .size_i      ({29'd0, size_i}),
    .wr_i        (1'b0),
    .pkt_lo_i    (meta_i),
    .pkt_hi_i    (end_i),
    .map_bytes_i (map_bytes_i),
    .map_vsize_i (map_vsize_i),
    .map_recip_i (map_recip_i),
    .map_base_i  (map_base_i),
    .map_ro_i    (map_ro_i),
    .ok_o        (ok),
    .phys_o      (phys)
  );

  // The context: 4-byte fields at offsets 0..20.
  wire [31:0] coff   = addr_i[31:0];
  wire        ctx_ok = ctx && (size_i == 4'd4) && (coff[1:0] == 2'b00) && (coff < 32'd24);
  reg  [63:0] ctx_val;
  always @* begin
    case (coff[4:2])
      3'd0:    ctx_val = {32'd2, data_i};
      3'd1:    ctx_val = {32'd2, end_i};
      3'd2:    ctx_val = {32'd2, meta_i};
      3'd3:    ctx_val = {32'd0, ingress_i};
      3'd4:    ctx_val = {32'd0, rxq_i};
      default: ctx_val = 64'd0;  // egress_ifindex
    endcase
  end

  // Legacy loads: big-endian from the packet data, [data, data_end).
  wire [31:0] plen     = end_i - data_i;
  wire [64:0] lend     = {1'b0, addr_i} + {61'd0, size_i};
  wire        lok      = (addr_i < {32'd0, plen}) && (lend <= {33'd0, plen});
  wire [DMEM_AW-1:0] lphys = PKT_BASE[DMEM_AW-1:0] + data_i[DMEM_AW-1:0] + addr_i[DMEM_AW-1:0];

  // ------------------------------------------------------------------- loads
  reg [63:0] mask;
  always @* begin
    case (size_i)
      4'd1:    mask = 64'h0000_0000_0000_00ff;
      4'd2:    mask = 64'h0000_0000_0000_ffff;
      4'd4:    mask = 64'h0000_0000_ffff_ffff;
      default: mask = 64'hffff_ffff_ffff_ffff;
    endcase
  end

  wire [63:0] raw = rdata_i & mask;
  reg  [63:0] ext;
  always @* begin
    ext = raw;
    if (ldsx_i && ld_i) begin
      case (size_i)
        4'd1:    ext = {{56{raw[7]}}, raw[7:0]};
        4'd2:    ext = {{48{raw[15]}}, raw[15:0]};
        4'd4:    ext = {{32{raw[31]}}, raw[31:0]};
        default: ext = raw;
      endcase
    end
    if (legacy_i) begin
      case (size_i)
        4'd2:    ext = {48'd0, raw[7:0], raw[15:8]};
        4'd4:    ext = {32'd0, raw[7:0], raw[15:8], raw[23:16], raw[31:24]};
        default: ext = raw;
      endcase
    end
  end

  // Value read in step 1: memory or context.
  wire [63:0] got = (ctx_ok && !legacy_i) ? ctx_val : ext;

  // ----------------------------------------------------------------- atomics
  wire [63:0] old = got;
  wire [63:0] opnd = sdata_i & mask;
  wire [63:0] cmpv = cmp_i & mask;
  reg  [63:0] nv;
  reg         awrite;
  always @* begin
    awrite = 1'b1;
    case (aop_i)
      4'h0:    nv = old + opnd;
      4'h4:    nv = old | opnd;
      4'h5:    nv = old & opnd;
      4'ha:    nv = old ^ opnd;
      4'he:    nv = opnd;
      default: begin nv = opnd; awrite = (old == cmpv); end  // cmpxchg
    endcase
  end

  reg [63:0] val_q, nv_q;
  reg        awrite_q;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      val_q    <= 64'd0;
      nv_q     <= 64'd0;
      awrite_q <= 1'b0;
    end else if (second_i) begin
      val_q    <= got;
      nv_q     <= nv & mask;
      awrite_q <= awrite;
    end
  end

  // ----------------------------------------------------------- memory ports
  wire ld_ok   = ok | ctx_ok;
  wire st_ok   = ok & ~ro;
  wire a_write = second_i ? awrite : awrite_q;

  assign re_o    = first_i & ((ld_i | atomic_i) ? ok : (legacy_i & lok));
  assign raddr_o = legacy_i ? lphys : phys;
  assign we_o    = (first_i & st_i & st_ok) | (second_i & atomic_i & st_ok & awrite);
  assign waddr_o = phys;
  assign wdata_mem_o = st_i ? sdata_i : nv;
  assign be_o    = (size_i == 4'd1) ? 8'h01 :
                   (size_i == 4'd2) ? 8'h03 :
                   (size_i == 4'd4) ? 8'h0f : 8'hff;

  // ---------------------------------------------------------------- results
  assign value_o     = second_i ? got : val_q;
  assign legacy_ok_o = lok;

  reg       trap;
  reg [3:0] cause;
  always @* begin
    trap  = 1'b0;
    cause = 4'd0;
    if ((ld_i || atomic_i) && !ld_ok) begin
      trap  = 1'b1;
      cause = CAUSE_LOAD;
    end else if (st_i || (atomic_i && a_write)) begin
      if (ctx) begin
        trap  = 1'b1;
        cause = CAUSE_RO;
      end else if (!ok) begin
        trap  = 1'b1;
        cause = CAUSE_STORE;
      end else if (ro) begin
        trap  = 1'b1;
        cause = CAUSE_RO;
      end
    end
  end
  assign trap_o  = trap;
  assign cause_o = cause;

  assign wrote_o = (st_i & st_ok) | (atomic_i & a_write & st_ok & ok);
  assign wdata_o = st_i ? (sdata_i & mask) : (second_i ? (nv & mask) : nv_q);

endmodule

`default_nettype wire
