// DRAFT (not wired into the generator): the block-RAM hash unit for HASH and
// PERCPU_HASH maps beyond the content-addressed key stores (hbpf_hash).
//
// Memories (one port each is enough; all synchronous-read block RAM):
//   head_q[NBUCKETS]  bucket → first slot of its chain, or EMPTY
//   next_q[ENTRIES]   slot → next slot of its chain (live slot) or of the free
//                     list (freed slot), or EMPTY
//   key_q[ENTRIES*KEY_WORDS]  the keys by slot, 64 bits a word
// Slot assignment is the simulator's (hbpf/sim/maps/table.go): the last freed
// slot first (the free list is threaded through next_q, so it is a stack),
// else the next never-used one. Chains are the simulator's
// (hbpf/sim/maps/chain.go): insert at the head, delete unlinks, and the
// bucket is maps.BucketHash (rotl-29 fold of the key words, halves xored,
// times 0x9e3779b1, top BUCKET_W bits).
//
// Latency in cycles, with W = KEY_WORDS of the map and P = the probes the
// simulator counts (maps.Prober.LastProbes):
//   every op:   1 (hash, head read issued) + 1 (head read) + P*W (each probe
//               reads W key words; next_q is read with word 0)
//   update, new key: + W (key words written) + 1 (head/next written)
//   delete, hit:     + 1 (unlink: head_q or next_q[prev]) + 1 (free: next_q[s])
// The helper unit gathers the key from memory before starting the unit (its
// PerWord cost already in the table).

`default_nettype none

module hbpf_hashchain #(
  parameter integer ENTRIES   = 1024,  // slots (a power of two)
  parameter integer SLOT_W    = 10,    // log2(ENTRIES)
  parameter integer BUCKET_W  = 10,    // log2(buckets) = maps.BucketBits(MaxEntries)
  parameter integer KEY_WORDS = 2      // key width in 64-bit words
) (
  input  wire                    clk_i,
  input  wire                    rst_ni,
  input  wire [SLOT_W:0]         max_i,     // the map's MaxEntries
  input  wire [3:0]              words_i,   // the map's key words (1..KEY_WORDS)
  // command
  input  wire                    start_i,
  input  wire [1:0]              op_i,      // 0 lookup, 1 insert-if-absent, 2 delete
  input  wire [KEY_WORDS*64-1:0] key_i,     // zero-padded
  output reg                     done_o,    // one cycle
  output reg                     hit_o,     // the key was present (before the op)
  output reg                     full_o,    // insert refused: map full
  output reg  [SLOT_W-1:0]       slot_o     // the key's slot (hit or inserted)
);

  localparam integer NBUCKETS = 1 << BUCKET_W;
  localparam integer KEY_AW   = $clog2(ENTRIES*KEY_WORDS);
  localparam [SLOT_W:0] EMPTY = {1'b1, {SLOT_W{1'b0}}};  // bit SLOT_W set: no slot

  localparam [1:0] OP_LOOKUP = 2'd0, OP_INSERT = 2'd1, OP_DELETE = 2'd2;

  // The memories.
  reg [SLOT_W:0] head_q [0:NBUCKETS-1];
  reg [SLOT_W:0] next_q [0:ENTRIES-1];
  reg [63:0]     key_q  [0:ENTRIES*KEY_WORDS-1];

  // The bucket function, maps.BucketHash.
  function automatic [BUCKET_W-1:0] bucket_of(input [KEY_WORDS*64-1:0] k, input [3:0] n);
    reg [63:0] x;
    reg [31:0] f;
    /* verilator lint_off UNUSEDSIGNAL */
    reg [31:0] p;
    /* verilator lint_on UNUSEDSIGNAL */
    integer w;
    begin
      x = 64'd0;
      for (w = 0; w < KEY_WORDS; w = w + 1)
        if (w < n) x = {x[34:0], x[63:35]} ^ k[w*64 +: 64];
      f = x[31:0] ^ x[63:32];
      p = f * 32'h9e3779b1;
      bucket_of = p[31 -: BUCKET_W];
    end
  endfunction

  localparam [2:0] S_IDLE = 3'd0, S_HEAD = 3'd1, S_CMP = 3'd2, S_INS = 3'd3,
                   S_LINK = 3'd4, S_UNLINK = 3'd5, S_FREE = 3'd6;

  reg [2:0]              state_q;
  reg [1:0]              op_q;
  reg [KEY_WORDS*64-1:0] key_r;
  reg [BUCKET_W-1:0]     bucket_q;
  reg [SLOT_W:0]         cur_q, prev_q, nxt_q, oldhead_q;
  reg [3:0]              word_q;
  reg                    eq_q;
  reg [SLOT_W:0]         free_q;    // head of the free list (freed slots)
  reg [SLOT_W:0]         unused_q;  // next never-used slot
  reg [SLOT_W:0]         count_q;

  // Synchronous reads.
  reg [SLOT_W:0] head_rd, next_rd;
  reg [63:0]     key_rd;

  wire [SLOT_W-1:0] cur_slot  = cur_q[SLOT_W-1:0];
  wire [SLOT_W-1:0] alloc     = free_q[SLOT_W] ? unused_q[SLOT_W-1:0] : free_q[SLOT_W-1:0];
  wire [63:0]       key_word  = key_r[word_q*64 +: 64];
  wire              last_word = (word_q == words_i - 4'd1);

  integer i;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q  <= S_IDLE;
      op_q     <= OP_LOOKUP;
      key_r    <= {KEY_WORDS*64{1'b0}};
      bucket_q <= {BUCKET_W{1'b0}};
      cur_q    <= EMPTY;
      prev_q   <= EMPTY;
      nxt_q    <= EMPTY;
      oldhead_q <= EMPTY;
      word_q   <= 4'd0;
      eq_q     <= 1'b0;
      free_q   <= EMPTY;
      unused_q <= {(SLOT_W+1){1'b0}};
      count_q  <= {(SLOT_W+1){1'b0}};
      done_o   <= 1'b0;
      hit_o    <= 1'b0;
      full_o   <= 1'b0;
      slot_o   <= {SLOT_W{1'b0}};
    end else begin
      done_o <= 1'b0;
      case (state_q)
        S_IDLE: if (start_i) begin
          op_q     <= op_i;
          key_r    <= key_i;
          bucket_q <= bucket_of(key_i, words_i);
          prev_q   <= EMPTY;
          hit_o    <= 1'b0;
          full_o   <= 1'b0;
          state_q  <= S_HEAD;
        end
        S_HEAD: begin
          // head_rd: the bucket's first slot.
          cur_q  <= head_rd;
          oldhead_q <= head_rd;
          word_q <= 4'd0;
          eq_q   <= 1'b1;
          if (head_rd[SLOT_W]) state_q <= (op_q == OP_INSERT) ? S_INS : S_IDLE;
          else                 state_q <= S_CMP;
          if (head_rd[SLOT_W] && op_q != OP_INSERT) done_o <= 1'b1;
        end
        S_CMP: begin
          // key_rd: word word_q of slot cur_q (read issued the cycle before).
          if (word_q == 4'd0) nxt_q <= next_rd;
          if (!last_word) begin
            eq_q   <= eq_q & (key_rd == key_word);
            word_q <= word_q + 4'd1;
          end else if (eq_q && key_rd == key_word) begin
            hit_o  <= 1'b1;
            slot_o <= cur_slot;
            if (op_q == OP_DELETE) state_q <= S_UNLINK;
            else begin state_q <= S_IDLE; done_o <= 1'b1; end
          end else begin
            prev_q <= cur_q;
            cur_q  <= (word_q == 4'd0) ? next_rd : nxt_q;
            word_q <= 4'd0;
            eq_q   <= 1'b1;
            if (((word_q == 4'd0) ? next_rd[SLOT_W] : nxt_q[SLOT_W])) begin
              state_q <= (op_q == OP_INSERT) ? S_INS : S_IDLE;
              if (op_q != OP_INSERT) done_o <= 1'b1;
            end
          end
        end
        S_INS: begin
          // The key's words go to slot alloc, one a cycle.
          if (count_q >= max_i) begin
            full_o <= 1'b1; done_o <= 1'b1; state_q <= S_IDLE;
          end else begin
            if (last_word) state_q <= S_LINK;
            word_q <= last_word ? word_q : word_q + 4'd1;
          end
        end
        S_LINK: begin
          // next[alloc] = head[bucket]; head[bucket] = alloc (writes below).
          slot_o  <= alloc;
          count_q <= count_q + 1'b1;
          if (free_q[SLOT_W]) unused_q <= unused_q + 1'b1;
          else                free_q   <= next_rd;  // the freed slot's link
          done_o  <= 1'b1;
          state_q <= S_IDLE;
        end
        S_UNLINK: begin
          // head[bucket] or next[prev] = next[cur] (writes below).
          state_q <= S_FREE;
        end
        S_FREE: begin
          // next[cur] = free; free = cur.
          free_q  <= cur_q;
          count_q <= count_q - 1'b1;
          done_o  <= 1'b1;
          state_q <= S_IDLE;
        end
        default: state_q <= S_IDLE;
      endcase
    end
  end

  // Memory ports: read addresses from the next state's needs, writes in
  // S_INS/S_LINK/S_UNLINK/S_FREE.
  wire [SLOT_W-1:0] rd_slot = (state_q == S_HEAD) ? head_rd[SLOT_W-1:0] :
                              (state_q == S_CMP && last_word) ? ((word_q == 4'd0) ? next_rd[SLOT_W-1:0] : nxt_q[SLOT_W-1:0]) :
                              (state_q == S_INS) ? alloc : cur_slot;
  wire [3:0]        rd_word = (state_q == S_CMP && !last_word) ? word_q + 4'd1 : 4'd0;

  always @(posedge clk_i) begin
    head_rd <= head_q[(state_q == S_IDLE) ? bucket_of(key_i, words_i) : bucket_q];
    next_rd <= next_q[rd_slot];
    key_rd  <= key_q[KEY_AW'(rd_slot) * KEY_AW'(KEY_WORDS) + KEY_AW'(rd_word)];
    if (state_q == S_INS && count_q < max_i)
      key_q[KEY_AW'(alloc) * KEY_AW'(KEY_WORDS) + KEY_AW'(word_q)] <= key_word;
    if (state_q == S_LINK) begin
      next_q[alloc]    <= oldhead_q;
      head_q[bucket_q] <= {1'b0, alloc};
    end
    if (state_q == S_UNLINK) begin
      if (prev_q[SLOT_W]) head_q[bucket_q]                  <= nxt_q;
      else                next_q[prev_q[SLOT_W-1:0]]        <= nxt_q;
    end
    if (state_q == S_FREE)
      next_q[cur_slot] <= free_q;
  end

  initial begin
    for (i = 0; i < NBUCKETS; i = i + 1) head_q[i] = EMPTY;
  end

endmodule

`default_nettype wire
