«.Banner»
// hbpf_hash: the key store of one hash map (HASH, PERCPU_HASH): a content-
// addressable memory of ENTRIES keys of KEY_W bits, compared all at once, so
// that lookups, updates and deletes take the fixed latency of the timing
// table. Entry i holds the key whose value lives in slot i. Slots are handed
// out as the simulator does (hbpf/sim/maps/table.go): the last freed slot
// first, else the next never-used one; the map is full at MaxEntries keys.
//
// The helper unit probes with key_i (zero-padded to KEY_W) and commits an
// insert or a remove in the call's last cycle. The host loads the initial
// keys: word w of entry s at address s*KEY_WORDS + w (which also marks the
// entry valid), then the control word at ENTRIES*KEY_WORDS:
// {used[31], map[21:16], entries loaded[15:0]}.

`default_nettype none

module hbpf_hash #(
  parameter integer ENTRIES   = «.HashEntries»,  // keys held
  parameter integer SLOT_W    = «.HashSlotW»,   // log2(ENTRIES)
  parameter integer KEY_WORDS = «.HashKeyWords»    // key width in 64-bit words
) (
  input  wire                  clk_i,
  input  wire                  rst_ni,
  // configuration
  output wire                  used_o,     // the host gave the unit a map
  output wire [5:0]            map_o,      // which map
  input  wire [SLOT_W:0]       max_i,      // the map's MaxEntries
  // probe (combinational)
  input  wire [KEY_WORDS*64-1:0] key_i,
  output wire                  hit_o,
  output reg  [SLOT_W-1:0]     slot_o,     // the key's slot, if hit_o
  output wire [SLOT_W-1:0]     alloc_o,    // the slot an insert takes
  output wire                  full_o,
  // commit
  input  wire                  insert_i,   // key_i into alloc_o
  input  wire                  remove_i,   // slot rslot_i
  input  wire [SLOT_W-1:0]     rslot_i,
  // host
  input  wire                  host_we_i,
  input  wire [15:0]           host_addr_i,
  input  wire [63:0]           host_wdata_i
);

  localparam integer KW = KEY_WORDS * 64;

  reg [KW-1:0]     key_q  [0:ENTRIES-1];
  reg [ENTRIES-1:0] valid_q;
  reg [SLOT_W-1:0] free_q [0:ENTRIES-1];  // freed slots, a stack
  reg [SLOT_W:0]   nfree_q, next_q, count_q;
  reg              used_q;
  reg [5:0]        map_q;

  // Probe: the valid entry holding the key.
  wire [ENTRIES-1:0] match;
  genvar e;
  generate
    for (e = 0; e < ENTRIES; e = e + 1) begin : g_match
      assign match[e] = valid_q[e] && (key_q[e] == key_i);
    end
  endgenerate
  integer i;
  always @* begin
    slot_o = {SLOT_W{1'b0}};
    for (i = 0; i < ENTRIES; i = i + 1)
      if (match[i]) slot_o = slot_o | i[SLOT_W-1:0];
  end
  assign hit_o   = |match;
  assign alloc_o = (nfree_q != {(SLOT_W+1){1'b0}}) ? free_q[nfree_q[SLOT_W-1:0] - 1'b1] : next_q[SLOT_W-1:0];
  assign full_o  = (count_q >= max_i);
  assign used_o  = used_q;
  assign map_o   = map_q;

  // Host addressing.
  localparam [15:0] CTRL = 16'd«mul .HashEntries .HashKeyWords»;  // ENTRIES * KEY_WORDS
  wire               host_key  = host_we_i && (host_addr_i < CTRL);
  wire [SLOT_W-1:0]  host_slot = host_addr_i[SLOT_W-1+«.HashKeyShift»:«.HashKeyShift»];
«- if gt .HashKeyWords 1»
  wire [«sub .HashKeyShift 1»:0]       host_word = host_addr_i[«sub .HashKeyShift 1»:0];
«- end»

  integer k;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (k = 0; k < ENTRIES; k = k + 1) begin
        key_q[k]  <= {KW{1'b0}};
        free_q[k] <= {SLOT_W{1'b0}};
      end
      valid_q <= {ENTRIES{1'b0}};
      nfree_q <= {(SLOT_W+1){1'b0}};
      next_q  <= {(SLOT_W+1){1'b0}};
      count_q <= {(SLOT_W+1){1'b0}};
      used_q  <= 1'b0;
      map_q   <= 6'd0;
    end else if (host_key) begin
«- if gt .HashKeyWords 1»
      key_q[host_slot][host_word*64 +: 64] <= host_wdata_i;
«- else»
      key_q[host_slot] <= host_wdata_i;
«- end»
      valid_q[host_slot] <= 1'b1;
    end else if (host_we_i && host_addr_i == CTRL) begin
      used_q  <= host_wdata_i[31];
      map_q   <= host_wdata_i[21:16];
      next_q  <= host_wdata_i[SLOT_W:0];
      count_q <= host_wdata_i[SLOT_W:0];
      nfree_q <= {(SLOT_W+1){1'b0}};
    end else if (insert_i) begin
      key_q[alloc_o]   <= key_i;
      valid_q[alloc_o] <= 1'b1;
      count_q <= count_q + 1'b1;
      if (nfree_q != {(SLOT_W+1){1'b0}}) nfree_q <= nfree_q - 1'b1;
      else                               next_q  <= next_q + 1'b1;
    end else if (remove_i) begin
      valid_q[rslot_i] <= 1'b0;
      free_q[nfree_q[SLOT_W-1:0]] <= rslot_i;
      nfree_q <= nfree_q + 1'b1;
      count_q <= count_q - 1'b1;
    end
  end

endmodule

`default_nettype wire
