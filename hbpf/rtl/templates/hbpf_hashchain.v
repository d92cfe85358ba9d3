«.Banner»
// hbpf_hashchain: the hash unit of one hash map (HASH, PERCPU_HASH), in block
// RAM. Three memories, each with one read and one write port:
//   head  NBUCKETS entries: a bucket's first slot, or EMPTY
//   next  ENTRIES entries: a live slot's successor on its chain, a freed
//         slot's successor on the free list, or EMPTY
//   key   ENTRIES*KEY_WORDS words of 64 bits: the keys by slot
// Buckets, chains and slots are the simulator's (hbpf/sim/maps/chain.go and
// table.go): the bucket is maps.BucketHash (the key's 64-bit words folded as
// x = rotl(x, «.BucketRot») ^ word, halves xored, times 0x«printf "%08x" .BucketMul», top bits),
// a new key goes to the head of its chain, a delete unlinks; a new key takes
// the last freed slot (the free list is threaded through next, so it is a
// stack), else the next never-used one.
//
// A command (start_i with the key, zero-padded) walks the key's chain,
// comparing words_i key words a cycle each, and raises found_o for one cycle
// 2 + P*words_i cycles after start_i, P being the keys compared (the
// simulator's maps.Prober.LastProbes). With found_o: hit_o, slot_o (the key's
// slot), alloc_o (the slot an insert takes) and full_o are valid. Then an
// insert of an absent key into a map that is not full writes the key
// (words_i cycles) and links the slot (1 cycle); a delete of a present key
// unlinks (1 cycle) and frees the slot (1 cycle). The helper unit's latency
// from the timing table leaves room for both (rtl.helperFeasible).
//
// The host loads the memories while the core is idle (hbpf_top's sel 3):
// space 0 keys (slot*KEY_WORDS + word), 1 heads, 2 next, 3 control: 0
// {used[31], map[21:16], bucket bits[12:8]}, 1 free-list head, 2 next
// never-used slot, 3 live keys. Heads of buckets the map does not use and
// next entries of never-used slots are never read.

`default_nettype none

module hbpf_hashchain #(
  parameter integer ENTRIES   = «.HashEntries»,  // slots (a power of two): the largest map the unit takes
  parameter integer SLOT_W    = «.HashSlotW»,   // log2(ENTRIES)
  parameter integer KEY_WORDS = «.HashKeyWords»     // largest key in 64-bit words (a power of two)
) (
  input  wire                    clk_i,
  input  wire                    rst_ni,
  // configuration
  output wire                    used_o,    // the host gave the unit a map
  output wire [5:0]              map_o,     // which map
  input  wire [SLOT_W:0]         max_i,     // the map's MaxEntries
  input  wire [3:0]              words_i,   // the map's key words (1..KEY_WORDS)
  // command
  input  wire                    start_i,
  input  wire [1:0]              op_i,      // 0 lookup, 1 insert if absent, 2 delete
  input  wire [KEY_WORDS*64-1:0] key_i,
  output reg                     found_o,   // one cycle: the walk is over
  output reg                     hit_o,     // the key is present
  output reg  [SLOT_W-1:0]       slot_o,    // its slot
  output wire [SLOT_W-1:0]       alloc_o,   // the slot an insert takes
  output wire                    full_o,    // no slot left
  // host
  input  wire                    host_we_i,
  input  wire [1:0]              host_space_i,
  input  wire [21:0]             host_addr_i,  // beyond the space's words: ignored
  input  wire [63:0]             host_wdata_i
);

  localparam integer KEY_AW = SLOT_W + «.HashKeyShift»;        // log2(ENTRIES*KEY_WORDS)
  localparam [SLOT_W:0] EMPTY = {1'b1, {SLOT_W{1'b0}}};  // bit SLOT_W set: no slot
  localparam [1:0] OP_LOOKUP = 2'd0, OP_INSERT = 2'd1, OP_DELETE = 2'd2;

  reg [SLOT_W:0] head_q [0:ENTRIES-1];
  reg [SLOT_W:0] next_q [0:ENTRIES-1];
  reg [63:0]     key_q  [0:ENTRIES*KEY_WORDS-1];

  reg            used_q;
  reg [5:0]      map_q;
  reg [4:0]      bbits_q;   // log2(buckets) of the map
  reg [SLOT_W:0] free_q;    // head of the free list
  reg [SLOT_W:0] unused_q;  // next never-used slot
  reg [SLOT_W:0] count_q;   // live keys

  // The bucket function, maps.BucketHash.
  reg [63:0] fold;
  integer w;
  always @* begin
    fold = 64'd0;
    for (w = 0; w < KEY_WORDS; w = w + 1)
      if (w < {28'd0, words_i}) fold = {fold[«sub 63 .BucketRot»:0], fold[63:«sub 64 .BucketRot»]} ^ key_i[w*64 +: 64];
  end
  wire [31:0] folded  = fold[31:0] ^ fold[63:32];
  wire [31:0] product = folded * 32'h«printf "%08x" .BucketMul»;
  // The top bbits_q bits of the product (bbits_q <= SLOT_W).
  wire [SLOT_W-1:0] bucket = product[31 -: SLOT_W] >> (5'd«.HashSlotW» - bbits_q);
  wire unused_product = &{1'b0, product[31-SLOT_W:0]};

  localparam [2:0] S_IDLE = 3'd0, S_HEAD = 3'd1, S_CMP = 3'd2, S_INS = 3'd3,
                   S_LINK = 3'd4, S_UNLINK = 3'd5, S_FREE = 3'd6;

  reg [2:0]              state_q;
  reg [1:0]              op_q;
  reg [KEY_WORDS*64-1:0] kr_q;      // the key
  reg [SLOT_W-1:0]       bucket_q;
  reg [SLOT_W:0]         cur_q, prev_q, nxt_q, oldhead_q;
  reg [3:0]              word_q;
  reg                    eq_q;
  reg [SLOT_W:0]         head_rd, next_rd;  // synchronous reads
  reg [63:0]             key_rd;

  wire [SLOT_W-1:0] cur_slot  = cur_q[SLOT_W-1:0];
  wire [SLOT_W-1:0] alloc     = free_q[SLOT_W] ? unused_q[SLOT_W-1:0] : free_q[SLOT_W-1:0];
«- if gt .HashKeyShift 0»
  wire [63:0]       key_word  = kr_q[word_q[«sub .HashKeyShift 1»:0]*64 +: 64];
«- else»
  wire [63:0]       key_word  = kr_q;
«- end»
  wire              last_word = (word_q == words_i - 4'd1);
  wire              key_eq    = (key_rd == key_word);
  // The chain goes on at: the slot read with word 0 (if this is word 0), or
  // the one kept then.
  wire [SLOT_W:0]   succ      = (word_q == 4'd0) ? next_rd : nxt_q;
  assign alloc_o = alloc;
  assign full_o  = (count_q >= max_i);
  assign used_o  = used_q;
  assign map_o   = map_q;

  wire host_in   = host_we_i && (host_addr_i[21:KEY_AW] == {(22-KEY_AW){1'b0}});
  wire host_ctrl = host_in && host_space_i == 2'd3;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q   <= S_IDLE;
      op_q      <= OP_LOOKUP;
      kr_q      <= {KEY_WORDS*64{1'b0}};
      bucket_q  <= {SLOT_W{1'b0}};
      cur_q     <= EMPTY;
      prev_q    <= EMPTY;
      nxt_q     <= EMPTY;
      oldhead_q <= EMPTY;
      word_q    <= 4'd0;
      eq_q      <= 1'b0;
      used_q    <= 1'b0;
      map_q     <= 6'd0;
      bbits_q   <= 5'd0;
      free_q    <= EMPTY;
      unused_q  <= {(SLOT_W+1){1'b0}};
      count_q   <= {(SLOT_W+1){1'b0}};
      found_o   <= 1'b0;
      hit_o     <= 1'b0;
      slot_o    <= {SLOT_W{1'b0}};
    end else if (host_ctrl) begin
      case (host_addr_i[1:0])
        2'd0: begin used_q <= host_wdata_i[31]; map_q <= host_wdata_i[21:16]; bbits_q <= host_wdata_i[12:8]; end
        2'd1: free_q   <= host_wdata_i[SLOT_W:0];
        2'd2: unused_q <= host_wdata_i[SLOT_W:0];
        default: count_q <= host_wdata_i[SLOT_W:0];
      endcase
      state_q <= S_IDLE;
    end else begin
      found_o <= 1'b0;
      case (state_q)
        S_IDLE: if (start_i) begin
          op_q     <= op_i;
          kr_q     <= key_i;
          bucket_q <= bucket;
          prev_q   <= EMPTY;
          hit_o    <= 1'b0;
          state_q  <= S_HEAD;
        end
        S_HEAD: begin
          // head_rd: the bucket's first slot; its key's word 0 is read now.
          cur_q     <= head_rd;
          oldhead_q <= head_rd;
          word_q    <= 4'd0;
          eq_q      <= 1'b1;
          if (head_rd[SLOT_W]) begin
            found_o <= 1'b1;
            state_q <= (op_q == OP_INSERT && !full_o) ? S_INS : S_IDLE;
          end else begin
            state_q <= S_CMP;
          end
        end
        S_CMP: begin
          // key_rd: word word_q of slot cur_q.
          if (word_q == 4'd0) nxt_q <= next_rd;
          if (!last_word) begin
            eq_q   <= eq_q & key_eq;
            word_q <= word_q + 4'd1;
          end else if (eq_q && key_eq) begin
            found_o <= 1'b1;
            hit_o   <= 1'b1;
            slot_o  <= cur_slot;
            state_q <= (op_q == OP_DELETE) ? S_UNLINK : S_IDLE;
          end else begin
            prev_q <= cur_q;
            cur_q  <= succ;
            word_q <= 4'd0;
            eq_q   <= 1'b1;
            if (succ[SLOT_W]) begin
              found_o <= 1'b1;
              state_q <= (op_q == OP_INSERT && !full_o) ? S_INS : S_IDLE;
            end
          end
        end
        S_INS: begin
          // The key's words go to slot alloc, one a cycle (writes below).
          if (last_word) state_q <= S_LINK;
          else           word_q  <= word_q + 4'd1;
        end
        S_LINK: begin
          // next[alloc] = old head; head[bucket] = alloc (writes below); the
          // free list pops (next_rd: the freed slot's successor, read in S_INS).
          slot_o  <= alloc;
          count_q <= count_q + 1'b1;
          if (free_q[SLOT_W]) unused_q <= unused_q + 1'b1;
          else                free_q   <= next_rd;
          state_q <= S_IDLE;
        end
        S_UNLINK: state_q <= S_FREE;  // head[bucket] or next[prev] = next[cur]
        S_FREE: begin
          // next[cur] = free; free = cur.
          free_q  <= cur_q;
          count_q <= count_q - 1'b1;
          state_q <= S_IDLE;
        end
        default: state_q <= S_IDLE;
      endcase
    end
  end

  // Memory ports. Reads: the head at start; next and key of the slot to
  // compare next (or of alloc while inserting).
  wire [SLOT_W-1:0] rd_slot = (state_q == S_HEAD) ? head_rd[SLOT_W-1:0] :
                              (state_q == S_CMP && last_word) ? succ[SLOT_W-1:0] :
                              (state_q == S_INS) ? alloc : cur_slot;
«- if gt .HashKeyShift 0»
  wire [«sub .HashKeyShift 1»:0]        rd_word = (state_q == S_CMP && !last_word) ? word_q[«sub .HashKeyShift 1»:0] + 1'b1 : «.HashKeyShift»'d0;
  wire [KEY_AW-1:0] rd_key  = {rd_slot, rd_word};
  wire [KEY_AW-1:0] wr_key  = {alloc, word_q[«sub .HashKeyShift 1»:0]};
«- else»
  wire [KEY_AW-1:0] rd_key  = rd_slot;
  wire [KEY_AW-1:0] wr_key  = alloc;
«- end»
  wire [SLOT_W-1:0] host_slot = host_addr_i[SLOT_W-1:0];
  wire [KEY_AW-1:0] host_key  = host_addr_i[KEY_AW-1:0];

  always @(posedge clk_i) begin
    head_rd <= head_q[(state_q == S_IDLE) ? bucket : bucket_q];
    next_rd <= next_q[rd_slot];
    key_rd  <= key_q[rd_key];
    if (host_in && host_space_i == 2'd0)
      key_q[host_key] <= host_wdata_i;
    else if (state_q == S_INS)
      key_q[wr_key] <= key_word;
    if (host_in && host_space_i == 2'd1)
      head_q[host_slot] <= host_wdata_i[SLOT_W:0];
    else if (state_q == S_LINK)
      head_q[bucket_q] <= {1'b0, alloc};
    else if (state_q == S_UNLINK && prev_q[SLOT_W])
      head_q[bucket_q] <= nxt_q;
    if (host_in && host_space_i == 2'd2)
      next_q[host_slot] <= host_wdata_i[SLOT_W:0];
    else if (state_q == S_LINK)
      next_q[alloc] <= oldhead_q;
    else if (state_q == S_UNLINK && !prev_q[SLOT_W])
      next_q[prev_q[SLOT_W-1:0]] <= nxt_q;
    else if (state_q == S_FREE)
      next_q[cur_slot] <= free_q;
  end

endmodule

`default_nettype wire
