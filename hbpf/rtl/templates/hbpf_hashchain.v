«.Banner»
// hbpf_hashchain: the hash unit of one hash map (HASH, PERCPU_HASH, HASH_OF_MAPS«if .UseLRU»;
// with the LRU list LRU_HASH, LRU_PERCPU_HASH«end»«if .UseLPM»; with prefix lengths LPM_TRIE«end»),
// in block RAM. Memories, each with one read and one write port:
//   head  ENTRIES entries: a bucket's first slot, or EMPTY
//   next  ENTRIES entries: a live slot's successor on its chain, a freed
//         slot's successor on the free list, or EMPTY
//   key   ENTRIES*KEY_WORDS words of 64 bits: the keys by slot
«- if .UseLRU»
//   cprev ENTRIES entries: a live slot's predecessor on its chain, or EMPTY
//   sbkt  ENTRIES entries: a live slot's bucket
//   lprev, lnext  ENTRIES entries each: the LRU list, most recent first
//                 (registers lhead, ltail)
«- end»
// Buckets, chains and slots are the simulator's (hbpf/sim/maps/chain.go and
// table.go): the bucket is maps.BucketHash (the key's 64-bit words folded as
// x = rotl(x, «.BucketRot») ^ word, halves xored, times 0x«printf "%08x" .BucketMul», top bits),
// a new key goes to the head of its chain, a delete unlinks; a new key takes
// the last freed slot (the free list is threaded through next, so it is a
// stack), else the next never-used one.
«- if .UseLPM»
// An LPM trie (control bit 29) keeps canonical keys (the prefix length, then
// the data with the bits past it cleared) and counts its entries per prefix
// length; a lookup walks the chain of the key canonical at each length in
// use, from the longest not beyond the key's prefix length down, until one
// matches: 2 more cycles per length after the first. Control word 0 bits 7:0
// hold the largest prefix length, 16 + l the entries of length l.
«- end»
«- if .UseLRU»
// An LRU map (control bit 30) is never full: a new key then takes the least
// recently used key's slot, which leaves its chain and the list first; a
// lookup or update that finds its key moves it to the front of the list.
«- end»
//
// A command (start_i with the key, zero-padded) walks the key's chain,
// comparing words_i key words a cycle each, and raises found_o for one cycle
// 2 + P*words_i cycles after start_i, P being the keys compared (the
// simulator's maps.Prober.LastProbes). With found_o: hit_o, slot_o (the key's
// slot), alloc_o (the slot an insert takes) and full_o are valid (touch_i:
// whether a hit counts as a use, for LRU maps). The unit
// then finishes the command on its own: an insert writes the key (words_i
// cycles) and links it (1«if .UseLRU» to 2; an eviction first takes 2 more«end»), a delete unlinks
// and frees (2)«if .UseLRU», an LRU hit moves the key to the front (3)«end». The helper unit's
// latencies leave room for that before the next command (rtl.helperFeasible).
//
// The host loads the memories while the core is idle (hbpf_top's sel 3):
// space 0 keys (slot*KEY_WORDS + word), 1 heads, 2 next, 3 control: 0
// {used[31], lru[30], lpm[29], map[21:16], bucket bits[12:8], largest
// prefix length[7:0]}, 1 free-list head, 2
// next never-used slot, 3 live keys«if .UseLRU», 4 lhead, 5 ltail; 4 cprev, 5 sbkt,
// 6 lprev, 7 lnext«end». Entries nothing points to are never read.

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
  input  wire [1:0]              op_i,      // 0 lookup, 1 insert if absent, 2 delete, 3 find (no insert)
  input  wire                    touch_i,   // a hit moves the key to the front of the LRU list
  input  wire [KEY_WORDS*64-1:0] key_i,
  output reg                     found_o,   // one cycle: the walk is over
  output reg                     hit_o,     // the key is present
  output reg  [SLOT_W-1:0]       slot_o,    // its slot
  output wire [SLOT_W-1:0]       alloc_o,   // the slot an insert takes
  output wire                    full_o,    // an insert fails: no slot left
  output wire                    lpm_o,     // the map is an LPM trie
  // host
  input  wire                    host_we_i,
  input  wire [2:0]              host_space_i,
  input  wire [20:0]             host_addr_i,  // beyond the space's words: ignored
  input  wire [63:0]             host_wdata_i
);

  localparam integer KEY_AW = SLOT_W + «.HashKeyShift»;        // log2(ENTRIES*KEY_WORDS)
  localparam [SLOT_W:0] EMPTY = {1'b1, {SLOT_W{1'b0}}};  // bit SLOT_W set: no slot
  localparam [1:0] OP_LOOKUP = 2'd0, OP_INSERT = 2'd1, OP_DELETE = 2'd2;  // 3: find, as a lookup of the exact key

  reg [SLOT_W:0] head_q [0:ENTRIES-1];
  reg [SLOT_W:0] next_q [0:ENTRIES-1];
  reg [63:0]     key_q  [0:ENTRIES*KEY_WORDS-1];
«- if .UseLRU»
  reg [SLOT_W:0]   cprev_q [0:ENTRIES-1];
  reg [SLOT_W-1:0] sbkt_q  [0:ENTRIES-1];
  reg [SLOT_W:0]   lprev_q [0:ENTRIES-1];
  reg [SLOT_W:0]   lnext_q [0:ENTRIES-1];
«- end»

  reg            used_q;
  reg [5:0]      map_q;
  reg [4:0]      bbits_q;   // log2(buckets) of the map
  reg [SLOT_W:0] free_q;    // head of the free list
  reg [SLOT_W:0] unused_q;  // next never-used slot
  reg [SLOT_W:0] count_q;   // live keys
«- if .UseLRU»
  reg            lru_q;     // an LRU map
  reg [SLOT_W:0] lhead_q, ltail_q;
«- end»
«- if .UseLPM»
  localparam integer NLEN = «.LPMLens»;  // prefix lengths 0..NLEN-1
  reg            lpm_q;     // an LPM trie
  reg [7:0]      maxpfx_q;  // its largest prefix length
  reg [NLEN-1:0] lens_q;    // lengths in use
  reg [SLOT_W:0] lcnt_q [0:NLEN-1];  // entries per length (a small RAM)
  reg [SLOT_W:0] lcnt_rd;            // lcnt_q[len_q], read a cycle after len_q is set
  reg [NLEN-1:0] rem_q;     // lengths a lookup has still to try
  reg [7:0]      len_q;     // the length of an update's or delete's key
«- if lt .LPMLenW 8»
  wire unused_len_hi = &{1'b0, len_q[7:«.LPMLenW»]};
«- end»
  reg            none_q;    // nothing to walk: the command misses
  reg [KEY_WORDS*64-1:0] orig_q;  // a lookup's key
  wire           lpm = lpm_q;

  // key with the prefix length m and the data's bits past it cleared
  function automatic [KEY_WORDS*64-1:0] canon(input [KEY_WORDS*64-1:0] k, input [7:0] m);
    integer b;
    begin
      canon = k;
      canon[31:0] = {24'd0, m};
      // data byte b-4 keeps its first m - 8(b-4) bits (big-endian bit order)
      for (b = 4; b < KEY_WORDS*8; b = b + 1) begin
        if ({1'b0, m[7:3]} < b[5:0] - 6'd4)       canon[b*8 +: 8] = 8'h00;
        else if ({1'b0, m[7:3]} == b[5:0] - 6'd4) canon[b*8 +: 8] = k[b*8 +: 8] & ~(8'hff >> m[2:0]);
      end
    end
  endfunction

  // the longest length in set
  function automatic [8:0] longest(input [NLEN-1:0] set);  // {none, length}
    integer l;
    begin
      longest = 9'h100;
      for (l = 0; l < NLEN; l = l + 1)
        if (set[l]) longest = {1'b0, l[7:0]};
    end
  endfunction

  wire [31:0]    pfx_i    = key_i[31:0];
  wire           pfx_bad  = (pfx_i > {24'd0, maxpfx_q});
  reg  [NLEN-1:0] upto;     // lengths 0..pfx_i
  integer ul;
  always @* begin
    for (ul = 0; ul < NLEN; ul = ul + 1) upto[ul] = (ul[7:0] <= pfx_i[7:0]);  // pfx_i <= 128 where it counts
  end
  wire [NLEN-1:0] cand     = pfx_bad ? {NLEN{1'b0}} : (lens_q & upto);
  wire [8:0]     first    = longest(cand);
  wire [8:0]     next_len = longest(rem_q);
  // The key a walk starts with: in S_IDLE the command's (an LPM lookup's at
  // its longest candidate length, an update's or delete's at its own), in
  // S_LEN the lookup's at the next length.
  wire [KEY_WORDS*64-1:0] walk_key = (state_q == S_LEN) ? canon(orig_q, next_len[7:0]) :
                                     ~lpm ? key_i : canon(key_i, (op_i == OP_LOOKUP) ? first[7:0] : pfx_i[7:0]);
  wire           start_none = lpm && (pfx_bad || (op_i == OP_LOOKUP && first[8]));
  wire           more     = lpm && (op_q == OP_LOOKUP) && (rem_q != {NLEN{1'b0}});
«- else»
  wire [KEY_WORDS*64-1:0] walk_key = key_i;
  wire           none_q   = 1'b0;
  wire           more     = 1'b0;
«- end»

  // The bucket function, maps.BucketHash.
  reg [63:0] fold;
  integer w;
  always @* begin
    fold = 64'd0;
    for (w = 0; w < KEY_WORDS; w = w + 1)
      if (w < {28'd0, words_i}) fold = {fold[«sub 63 .BucketRot»:0], fold[63:«sub 64 .BucketRot»]} ^ walk_key[w*64 +: 64];
  end
  wire [31:0] folded  = fold[31:0] ^ fold[63:32];
  wire [31:0] product = folded * 32'h«printf "%08x" .BucketMul»;
  // The top bbits_q bits of the product (bbits_q <= SLOT_W).
  wire [SLOT_W-1:0] bucket = product[31 -: SLOT_W] >> (5'd«.HashSlotW» - bbits_q);
  wire unused_product = &{1'b0, product[31-SLOT_W:0]};

  localparam [3:0] S_IDLE = 4'd0, S_HEAD = 4'd1, S_CMP = 4'd2, S_INS = 4'd3, S_LINK = 4'd4,
                   S_UNLINK = 4'd5, S_FREE = 4'd6, S_LEN = 4'd13;
«- if .UseLRU»
  localparam [3:0] S_LINK2 = 4'd7, S_EVICT1 = 4'd8, S_EVICT2 = 4'd9, S_T1 = 4'd10, S_T2 = 4'd11, S_T3 = 4'd12;
«- end»

  reg [3:0]              state_q;
  reg [1:0]              op_q;
«- if .UseLRU»
  reg                    touch_q;
«- else»
  wire unused_touch = touch_i;
«- end»
  reg [KEY_WORDS*64-1:0] kr_q;      // the key
  reg [SLOT_W-1:0]       bucket_q;
  reg [SLOT_W:0]         cur_q, prev_q, nxt_q;
  reg [SLOT_W-1:0]       ins_q;     // the slot an insert fills
  reg                    evict_q;   // the insert evicts ins_q first
  reg [3:0]              word_q;
  reg                    eq_q;
  reg [SLOT_W:0]         head_rd, next_rd;  // synchronous reads
  reg [63:0]             key_rd;
«- if .UseLRU»
  reg [SLOT_W:0]         cprev_rd, lprev_rd, lnext_rd;
  reg [SLOT_W:0]         oldhead_q;  // the bucket's head an insert displaced
  reg [SLOT_W-1:0]       sbkt_rd;
  wire                   lru = lru_q;
«- else»
  wire                   lru = 1'b0;
«- end»

  wire [SLOT_W-1:0] cur_slot  = cur_q[SLOT_W-1:0];
  wire              at_max    = (count_q >= max_i);
«- if .UseLRU»
  wire [SLOT_W-1:0] alloc     = (lru && at_max) ? ltail_q[SLOT_W-1:0] :
                                free_q[SLOT_W] ? unused_q[SLOT_W-1:0] : free_q[SLOT_W-1:0];
«- else»
  wire [SLOT_W-1:0] alloc     = free_q[SLOT_W] ? unused_q[SLOT_W-1:0] : free_q[SLOT_W-1:0];
«- end»
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
  wire              can_ins   = (op_q == OP_INSERT) && !full_o && !none_q;
  wire              head_none = head_rd[SLOT_W] | none_q;
«- if .UseLRU»
  wire [3:0]        ins_state = (lru && at_max) ? S_EVICT1 : S_INS;
«- else»
  wire [3:0]        ins_state = S_INS;
«- end»
  assign alloc_o = alloc;
«- if .UseLRU»
  assign full_o  = at_max & (~lru | ltail_q[SLOT_W]);  // an LRU map evicts its tail
«- else»
  assign full_o  = at_max;
«- end»
«- if .UseLPM»
  assign lpm_o   = lpm_q;
«- else»
  assign lpm_o   = 1'b0;
«- end»
  assign used_o  = used_q;
  assign map_o   = map_q;

  wire host_in   = host_we_i && (host_addr_i[20:KEY_AW] == {(21-KEY_AW){1'b0}});
  wire host_ctrl = host_we_i && host_space_i == 3'd3 && (host_addr_i[20:9] == 12'd0);
«- if .UseLPM»
  wire [8:0] host_len  = host_addr_i[8:0] - 9'd16;
  wire       host_lens = (host_addr_i[8:0] >= 9'd16) && (host_len < 9'd«.LPMLens»);
«- end»

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q   <= S_IDLE;
      op_q      <= OP_LOOKUP;
«- if .UseLRU»
      touch_q   <= 1'b0;
«- end»
      kr_q      <= {KEY_WORDS*64{1'b0}};
      bucket_q  <= {SLOT_W{1'b0}};
      cur_q     <= EMPTY;
      prev_q    <= EMPTY;
      nxt_q     <= EMPTY;
«- if .UseLRU»
      oldhead_q <= EMPTY;
«- end»
      ins_q     <= {SLOT_W{1'b0}};
      evict_q   <= 1'b0;
      word_q    <= 4'd0;
      eq_q      <= 1'b0;
      used_q    <= 1'b0;
      map_q     <= 6'd0;
      bbits_q   <= 5'd0;
      free_q    <= EMPTY;
      unused_q  <= {(SLOT_W+1){1'b0}};
      count_q   <= {(SLOT_W+1){1'b0}};
«- if .UseLRU»
      lru_q     <= 1'b0;
      lhead_q   <= EMPTY;
      ltail_q   <= EMPTY;
«- end»
«- if .UseLPM»
      lpm_q     <= 1'b0;
      maxpfx_q  <= 8'd0;
      lens_q    <= {NLEN{1'b0}};
      rem_q     <= {NLEN{1'b0}};
      len_q     <= 8'd0;
      none_q    <= 1'b0;
      orig_q    <= {KEY_WORDS*64{1'b0}};
«- end»
      found_o   <= 1'b0;
      hit_o     <= 1'b0;
      slot_o    <= {SLOT_W{1'b0}};
    end else if (host_ctrl) begin
«- if .UseLPM»
      if (host_lens) begin
        // 16 + l: the entries of prefix length l
        lens_q[host_len[«sub .LPMLenW 1»:0]] <= (host_wdata_i[SLOT_W:0] != {(SLOT_W+1){1'b0}});
      end else
«- end»
      case (host_addr_i[2:0])
        3'd0: begin
          used_q  <= host_wdata_i[31];
          map_q   <= host_wdata_i[21:16];
          bbits_q <= host_wdata_i[12:8];
«- if .UseLPM»
          lpm_q    <= host_wdata_i[29];
          maxpfx_q <= host_wdata_i[7:0];
«- end»
«- if .UseLRU»
          lru_q   <= host_wdata_i[30];
«- end»
        end
        3'd1: free_q   <= host_wdata_i[SLOT_W:0];
        3'd2: unused_q <= host_wdata_i[SLOT_W:0];
        3'd3: count_q  <= host_wdata_i[SLOT_W:0];
«- if .UseLRU»
        3'd4: lhead_q  <= host_wdata_i[SLOT_W:0];
        3'd5: ltail_q  <= host_wdata_i[SLOT_W:0];
«- end»
        default: ;
      endcase
      state_q <= S_IDLE;
    end else begin
      found_o <= 1'b0;
      case (state_q)
        S_IDLE: if (start_i) begin
          op_q     <= op_i;
«- if .UseLRU»
          touch_q  <= touch_i;
«- end»
          kr_q     <= walk_key;
          bucket_q <= bucket;
          prev_q   <= EMPTY;
          hit_o    <= 1'b0;
          state_q  <= S_HEAD;
«- if .UseLPM»
          orig_q   <= key_i;
          len_q    <= pfx_i[7:0];
          none_q   <= start_none;
          rem_q    <= (first[8] || op_i != OP_LOOKUP) ? {NLEN{1'b0}} : (cand & ~({{(NLEN-1){1'b0}}, 1'b1} << first[7:0]));
«- end»
        end
«- if .UseLPM»
        S_LEN: begin
          // The lookup's next length: its canonical key's head is read now.
          kr_q     <= walk_key;
          bucket_q <= bucket;
          prev_q   <= EMPTY;
          rem_q    <= rem_q & ~({{(NLEN-1){1'b0}}, 1'b1} << next_len[7:0]);
          state_q  <= S_HEAD;
        end
«- end»
        S_HEAD: begin
          // head_rd: the bucket's first slot; its key's word 0 is read now.
          cur_q  <= head_rd;
          word_q <= 4'd0;
          eq_q   <= 1'b1;
          ins_q  <= alloc;
          evict_q <= lru && at_max;
          if (head_none && more) begin
            state_q <= S_LEN;  // an LPM lookup tries its next length
          end else if (head_none) begin
            found_o <= 1'b1;
            state_q <= can_ins ? ins_state : S_IDLE;
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
            if (op_q == OP_DELETE) state_q <= S_UNLINK;
«- if .UseLRU»
            else if (lru && touch_q && lhead_q != cur_q) state_q <= S_T1;  // move to the front
«- end»
            else state_q <= S_IDLE;
          end else begin
            prev_q <= cur_q;
            cur_q  <= succ;
            word_q <= 4'd0;
            eq_q   <= 1'b1;
            if (succ[SLOT_W] && more) begin
              state_q <= S_LEN;
            end else if (succ[SLOT_W]) begin
              found_o <= 1'b1;
              state_q <= can_ins ? ins_state : S_IDLE;
            end
          end
        end
«- if .UseLRU»
        S_EVICT1: state_q <= S_EVICT2;  // reads of the least recently used slot's links
        S_EVICT2: begin
          // It leaves the LRU list (it is the tail) and its chain (writes below).
          if (lprev_rd[SLOT_W]) lhead_q <= EMPTY;
          ltail_q <= lprev_rd;
          state_q <= S_INS;
        end
«- end»
        S_INS: begin
          // The key's words go to slot ins_q, one a cycle (writes below).
          if (last_word) state_q <= S_LINK;
          else           word_q  <= word_q + 4'd1;
        end
        S_LINK: begin
          // next[ins] = head[bucket] (read in S_INS); head[bucket] = ins; the
          // free list pops (next_rd: the slot's successor on it, read in S_INS).
«- if .UseLRU»
          oldhead_q <= head_rd;
«- end»
          slot_o    <= ins_q;
«- if .UseLPM»
          if (lpm) begin
            lens_q[len_q[«sub .LPMLenW 1»:0]] <= 1'b1;
          end
«- end»
          if (!evict_q) begin
            count_q <= count_q + 1'b1;
            if (free_q[SLOT_W]) unused_q <= unused_q + 1'b1;
            else                free_q   <= next_rd;
          end
«- if .UseLRU»
          state_q <= lru ? S_LINK2 : S_IDLE;
«- else»
          state_q <= S_IDLE;
«- end»
        end
«- if .UseLRU»
        S_LINK2: begin
          // cprev[old head] = ins; the slot goes to the front of the list.
          if (lhead_q[SLOT_W]) ltail_q <= {1'b0, ins_q};
          lhead_q <= {1'b0, ins_q};
          state_q <= S_IDLE;
        end
        S_T1: begin
          // Unlink cur (not the head): lnext[p] = n, lprev[n] = p or ltail = p.
          if (lnext_rd[SLOT_W]) ltail_q <= lprev_rd;
          state_q <= S_T2;
        end
        S_T2: state_q <= S_T3;  // lnext[cur] = lhead, lprev[cur] = EMPTY
        S_T3: begin
          lhead_q <= cur_q;     // lprev[old head] = cur
          state_q <= S_IDLE;
        end
«- end»
        S_UNLINK: begin
          // head[bucket] or next[prev] = next[cur]«if .UseLRU»; cprev[next[cur]] = prev;
          // lnext[lprev[cur]] = lnext[cur], or lhead«end» (writes below).
«- if .UseLRU»
          if (lru && lprev_rd[SLOT_W]) lhead_q <= lnext_rd;
«- end»
          state_q <= S_FREE;
        end
        S_FREE: begin
          // next[cur] = free; free = cur«if .UseLRU»; lprev[lnext[cur]] = lprev[cur], or ltail«end».
«- if .UseLRU»
          if (lru && lnext_rd[SLOT_W]) ltail_q <= lprev_rd;
«- end»
«- if .UseLPM»
          if (lpm) begin
            if (lcnt_rd == {{SLOT_W{1'b0}}, 1'b1}) lens_q[len_q[«sub .LPMLenW 1»:0]] <= 1'b0;
          end
«- end»
          free_q  <= cur_q;
          count_q <= count_q - 1'b1;
          state_q <= S_IDLE;
        end
        default: state_q <= S_IDLE;
      endcase
    end
  end

  // Memory ports. Reads: the head at start (and of the bucket while
  // inserting); next and key of the slot to compare next (or of ins_q while
  // inserting«if .UseLRU», of the LRU tail while evicting«end»).
  wire [SLOT_W-1:0] rd_slot = (state_q == S_HEAD) ? head_rd[SLOT_W-1:0] :
                              (state_q == S_CMP && last_word) ? succ[SLOT_W-1:0] :
«- if .UseLRU»
                              (state_q == S_EVICT1) ? ins_q :
«- end»
                              (state_q == S_INS) ? ins_q : cur_slot;
«- if gt .HashKeyShift 0»
  wire [«sub .HashKeyShift 1»:0]        rd_word = (state_q == S_CMP && !last_word) ? word_q[«sub .HashKeyShift 1»:0] + 1'b1 : «.HashKeyShift»'d0;
  wire [KEY_AW-1:0] rd_key  = {rd_slot, rd_word};
  wire [KEY_AW-1:0] wr_key  = {ins_q, word_q[«sub .HashKeyShift 1»:0]};
«- else»
  wire [KEY_AW-1:0] rd_key  = rd_slot;
  wire [KEY_AW-1:0] wr_key  = ins_q;
«- end»
  wire [SLOT_W-1:0] host_slot = host_addr_i[SLOT_W-1:0];
  wire [KEY_AW-1:0] host_key  = host_addr_i[KEY_AW-1:0];
«- if .UseLPM»
  wire [SLOT_W-1:0] hb_now    = (state_q == S_IDLE || state_q == S_LEN) ? bucket : bucket_q;
  wire unused_next_len = next_len[8];
«- else»
  wire [SLOT_W-1:0] hb_now    = (state_q == S_IDLE) ? bucket : bucket_q;
«- end»
«- if .UseLRU»
  // The LRU reads follow rd_slot's slot of the walk (cur), or the victim.
  // (on a hit, cur stays: a move to the front or a delete needs its links).
  wire [SLOT_W-1:0] lrd_slot  = (state_q == S_EVICT1) ? ins_q :
                                (state_q == S_CMP && last_word && !(eq_q && key_eq)) ? succ[SLOT_W-1:0] :
                                (state_q == S_HEAD) ? head_rd[SLOT_W-1:0] : cur_slot;
  wire [SLOT_W-1:0] lp        = lprev_rd[SLOT_W-1:0];
  wire [SLOT_W-1:0] ln        = lnext_rd[SLOT_W-1:0];
  wire [SLOT_W-1:0] cp        = cprev_rd[SLOT_W-1:0];
  wire [SLOT_W-1:0] cn        = next_rd[SLOT_W-1:0];
«- end»

«- if .UseLPM»
  // The entries per prefix length: read continuously at len_q, counted up
  // when an insert links its key, down when a delete frees it.
  always @(posedge clk_i) begin
    lcnt_rd <= lcnt_q[len_q[«sub .LPMLenW 1»:0]];
    if (host_ctrl && host_lens)
      lcnt_q[host_len[«sub .LPMLenW 1»:0]] <= host_wdata_i[SLOT_W:0];
    else if (state_q == S_LINK && lpm)
      lcnt_q[len_q[«sub .LPMLenW 1»:0]] <= lcnt_rd + 1'b1;
    else if (state_q == S_FREE && lpm)
      lcnt_q[len_q[«sub .LPMLenW 1»:0]] <= lcnt_rd - 1'b1;
  end
«- end»

  always @(posedge clk_i) begin
    head_rd <= head_q[hb_now];
    next_rd <= next_q[rd_slot];
    key_rd  <= key_q[rd_key];
    if (host_in && host_space_i == 3'd0)
      key_q[host_key] <= host_wdata_i;
    else if (state_q == S_INS)
      key_q[wr_key] <= key_word;
    if (host_in && host_space_i == 3'd1)
      head_q[host_slot] <= host_wdata_i[SLOT_W:0];
    else if (state_q == S_LINK)
      head_q[bucket_q] <= {1'b0, ins_q};
    else if (state_q == S_UNLINK && prev_q[SLOT_W])
      head_q[bucket_q] <= nxt_q;
«- if .UseLRU»
    else if (state_q == S_EVICT2 && cprev_rd[SLOT_W])
      head_q[sbkt_rd] <= next_rd;
«- end»
    if (host_in && host_space_i == 3'd2)
      next_q[host_slot] <= host_wdata_i[SLOT_W:0];
    else if (state_q == S_LINK)
      next_q[ins_q] <= head_rd;
    else if (state_q == S_UNLINK && !prev_q[SLOT_W])
      next_q[prev_q[SLOT_W-1:0]] <= nxt_q;
    else if (state_q == S_FREE)
      next_q[cur_slot] <= free_q;
«- if .UseLRU»
    else if (state_q == S_EVICT2 && !cprev_rd[SLOT_W])
      next_q[cp] <= next_rd;

    cprev_rd <= cprev_q[rd_slot];
    sbkt_rd  <= sbkt_q[rd_slot];
    lprev_rd <= lprev_q[lrd_slot];
    lnext_rd <= lnext_q[lrd_slot];
    // cprev: the chain's back links.
    if (host_in && host_space_i == 3'd4)
      cprev_q[host_slot] <= host_wdata_i[SLOT_W:0];
    else if (state_q == S_LINK)
      cprev_q[ins_q] <= EMPTY;
    else if (state_q == S_LINK2 && !oldhead_q[SLOT_W])
      cprev_q[oldhead_q[SLOT_W-1:0]] <= {1'b0, ins_q};
    else if (state_q == S_UNLINK && !nxt_q[SLOT_W])
      cprev_q[nxt_q[SLOT_W-1:0]] <= prev_q;
    else if (state_q == S_EVICT2 && !next_rd[SLOT_W])
      cprev_q[cn] <= cprev_rd;
    // sbkt: each slot's bucket.
    if (host_in && host_space_i == 3'd5)
      sbkt_q[host_slot] <= host_wdata_i[SLOT_W-1:0];
    else if (state_q == S_LINK)
      sbkt_q[ins_q] <= bucket_q;
    // lprev, lnext: the LRU list.
    if (host_in && host_space_i == 3'd6)
      lprev_q[host_slot] <= host_wdata_i[SLOT_W:0];
    else if (state_q == S_LINK && lru)
      lprev_q[ins_q] <= EMPTY;
    else if (state_q == S_LINK2 && !lhead_q[SLOT_W])
      lprev_q[lhead_q[SLOT_W-1:0]] <= {1'b0, ins_q};
    else if (state_q == S_T1 && !lnext_rd[SLOT_W])
      lprev_q[ln] <= lprev_rd;
    else if (state_q == S_T2)
      lprev_q[cur_slot] <= EMPTY;
    else if (state_q == S_T3)
      lprev_q[lhead_q[SLOT_W-1:0]] <= cur_q;
    else if (state_q == S_FREE && lru && !lnext_rd[SLOT_W])
      lprev_q[ln] <= lprev_rd;
    if (host_in && host_space_i == 3'd7)
      lnext_q[host_slot] <= host_wdata_i[SLOT_W:0];
    else if (state_q == S_LINK && lru)
      lnext_q[ins_q] <= lhead_q;
    else if (state_q == S_EVICT2 && !lprev_rd[SLOT_W])
      lnext_q[lp] <= EMPTY;
    else if (state_q == S_T1)
      lnext_q[lp] <= lnext_rd;
    else if (state_q == S_T2)
      lnext_q[cur_slot] <= lhead_q;
    else if (state_q == S_UNLINK && lru && !lprev_rd[SLOT_W])
      lnext_q[lp] <= lnext_rd;
«- end»
  end

endmodule

`default_nettype wire
