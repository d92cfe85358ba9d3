// Draft testbench: replays gen.go's trace on hbpf_hashchain and checks hit,
// slot and the latency formula against the simulator's probe counts.
#include "Vhbpf_hashchain.h"
#include "verilated.h"
#include <cstdio>
#include <cstring>
#include <cstdlib>

static Vhbpf_hashchain* t;
static void tick() { t->clk_i = 0; t->eval(); t->clk_i = 1; t->eval(); }

int main(int argc, char** argv) {
  Verilated::commandArgs(argc, argv);
  t = new Vhbpf_hashchain;
  int max, ks, bbits, n;
  if (scanf("%d %d %d %d", &max, &ks, &bbits, &n) != 4) return 2;
  int w = (ks + 7) / 8;
  t->rst_ni = 1; t->clk_i = 0; t->eval(); t->rst_ni = 0; t->eval(); t->rst_ni = 1; t->eval();
  t->max_i = max; t->words_i = w;
  int bad = 0; long hist[8][64] = {{0}};
  for (int i = 0; i < n; i++) {
    int op, hit, slot, probes; char hex[300];
    if (scanf("%d %299s %d %d %d", &op, hex, &hit, &slot, &probes) != 5) return 2;
    unsigned char key[64] = {0};
    for (int b = 0; b < ks; b++) { unsigned v; sscanf(hex + 2 * b, "%2x", &v); key[b] = v; }
    memcpy(&t->key_i, key, sizeof(t->key_i));
    t->op_i = op; t->start_i = 1;
    tick(); t->start_i = 0;
    int cyc = 1;
    while (!t->done_o) { tick(); cyc++; if (cyc > 100000) { printf("op %d hangs\n", i); return 1; } }
    int ghit = t->hit_o, gslot = t->full_o ? -1 : t->slot_o;
    bool ok = ghit == hit && (hit || op == 1 ? gslot == slot : true);
    // latency model: 2 + P*W, + W + 1 for an insert of a new key, + 2 for a delete hit
    int want = 2 + probes * w + (op == 1 && !hit && slot >= 0 ? w + 1 : 0) + (op == 2 && hit ? 2 : 0);
    if (op == 1 && !hit && slot < 0) want += 1;  // full: refused after one cycle
    if (!ok || cyc != want) {
      if (bad++ < 10) printf("op %d (%d %s): rtl hit %d slot %d cycles %d; sim hit %d slot %d probes %d want %d\n",
                             i, op, hex, ghit, gslot, cyc, hit, slot, probes, want);
    }
    if (probes < 64) hist[op][probes]++;
  }
  for (int op = 0; op < 3; op++) { printf("op %d probes:", op); for (int p = 0; p < 8; p++) printf(" %ld", hist[op][p]); printf("\n"); }
  printf("%d mismatches of %d\n", bad, n);
  delete t;
  return bad ? 1 : 0;
}
