«.Banner»
// hbpf_region: decodes an address of the hbpf memory map (region << 32 |
// offset) and checks that an access of size bytes lies within its region:
//
//   region 2        packet buffer, valid between data_meta and data_end
//   region 3        stack of STACK_BYTES, r10 at its top
//   region 16 + i   values of map i: MaxEntries slots of ValueSize bytes, an
//                   access must stay within one slot
//
// The xdp_md context (region 1) is not memory; the load/store unit serves it.
// A write (wr_i) must also not go to a read-only map. An access that passes
// yields its physical byte address in the data memory. Purely combinational.
//
// The slot check divides the offset by the value size with a multiplication
// by a reciprocal: q = (off * recip) >> (DMEM_AW + 16) with recip =
// ceil(2^(DMEM_AW+16) / ValueSize) is exact for every offset below 2^DMEM_AW and
// every value size below 2^16 (the map table holds recip, computed by Go).

`default_nettype none

module hbpf_region #(
  parameter integer DMEM_AW     = «.DmemAW»,   // data memory address width (bytes)
  parameter integer PKT_BASE    = «.PktBase»,  // physical base of the packet buffer
  parameter integer STACK_BASE  = «.StackBase», // physical base of the stack
  parameter integer STACK_BYTES = «.StackBytes», // stack size (MaxCallDepth frames)
  parameter integer NUM_MAPS    = «.NumMaps»,   // map descriptors
  parameter integer MAP_IW      = «.MapIW»,   // log2(NUM_MAPS)
  parameter integer RECIP_W     = «.RecipW»   // reciprocal width, DMEM_AW + 17
) (
  input  wire [63:0]                  addr_i,
  input  wire [32:0]                  size_i,     // bytes; 2^32 and more never fit
  input  wire                         wr_i,       // the access writes
  input  wire [31:0]                  pkt_lo_i,   // data_meta
  input  wire [31:0]                  pkt_hi_i,   // data_end
  input  wire [NUM_MAPS*32-1:0]       map_bytes_i,
  input  wire [NUM_MAPS*16-1:0]       map_vsize_i,
  input  wire [NUM_MAPS*RECIP_W-1:0]  map_recip_i,
  input  wire [NUM_MAPS*DMEM_AW-1:0]  map_base_i,
  input  wire [NUM_MAPS-1:0]          map_ro_i,
  output wire                         ok_o,       // in bounds (and writable if wr_i)
  output reg  [DMEM_AW-1:0]           phys_o
);

  localparam integer SHIFT = DMEM_AW + 16;
  wire [33:0]        stack_end = {2'b00, STACK_BYTES[31:0]};

  wire [31:0] rgn = addr_i[63:32];
  wire [31:0] off = addr_i[31:0];
  wire [33:0] last = {2'b00, off} + {1'b0, size_i};  // one past the access

  wire is_pkt = (rgn == 32'd2);
  wire is_stk = (rgn == 32'd3);
  wire [31:0] midx32 = rgn - 32'd16;
  wire is_map = (rgn >= 32'd16) && (midx32 < NUM_MAPS);
  wire [MAP_IW-1:0] midx = midx32[MAP_IW-1:0];

  wire [31:0]          m_bytes = map_bytes_i[midx*32 +: 32];
  wire [15:0]          m_vsize = map_vsize_i[midx*16 +: 16];
  wire [RECIP_W-1:0]   m_recip = map_recip_i[midx*RECIP_W +: RECIP_W];
  wire [DMEM_AW-1:0]   m_base  = map_base_i[midx*DMEM_AW +: DMEM_AW];

  // Slot of the offset and the offset within the slot; only meaningful when
  // the offset is below the map's size, which bounds it by 2^DMEM_AW.
  function [DMEM_AW-1:0] slot_of(input [DMEM_AW-1:0] x, input [RECIP_W-1:0] r);
    // Waiver: the low SHIFT bits of the product are the fraction of x / ValueSize
    // and its top bit is zero for x < 2^DMEM_AW; the slot needs neither.
    /* verilator lint_off UNUSEDSIGNAL */
    reg [DMEM_AW+RECIP_W-1:0] p;
    /* verilator lint_on UNUSEDSIGNAL */
    begin
      p = {{RECIP_W{1'b0}}, x} * {{DMEM_AW{1'b0}}, r};
      slot_of = p[SHIFT +: DMEM_AW];
    end
  endfunction

  wire [DMEM_AW-1:0] moff      = off[DMEM_AW-1:0];
  wire [DMEM_AW-1:0] slot      = slot_of(moff, m_recip);
«- if lt .DmemAW 16»
  wire [15:0]        slot16    = {«sub 16 .DmemAW»'d0, slot};
«- else if eq .DmemAW 16»
  wire [15:0]        slot16    = slot;
«- else»
  wire [15:0]        slot16    = slot[15:0];  // in_slot is exact mod 2^16
  wire unused_slot_hi = &{1'b0, slot[DMEM_AW-1:16]};
«- end»
  wire [15:0]        in_slot   = off[15:0] - slot16 * m_vsize;  // below ValueSize: exact mod 2^16
  wire [33:0]        slot_last = {18'd0, in_slot} + {1'b0, size_i};

  wire pkt_ok = is_pkt && (off >= pkt_lo_i) && (last <= {2'b00, pkt_hi_i});
  wire stk_ok = is_stk && (last <= stack_end);
  // A ring buffer (value size 0) has no slots: its data area is one block.
  wire map_ok = is_map && (last <= {2'b00, m_bytes}) && ((m_vsize == 16'd0) || (slot_last <= {18'd0, m_vsize}));

  assign ok_o = pkt_ok | stk_ok | (map_ok & ~(wr_i & map_ro_i[midx]));

  always @* begin
    if (is_map)      phys_o = m_base + moff;
    else if (is_stk) phys_o = STACK_BASE[DMEM_AW-1:0] + moff;
    else             phys_o = PKT_BASE[DMEM_AW-1:0] + moff;
  end

endmodule

`default_nettype wire
