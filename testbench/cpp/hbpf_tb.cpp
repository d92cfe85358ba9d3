// hbpf_tb: the Verilator harness of the hbpf core (hbpf_top).
//
// It reads commands from stdin, one per line, drives the core's host port and
// writes what the core does to stdout. hbpf/cosim writes the commands and
// parses the answers; the protocol is plain text so that a person can drive
// it too:
//
//   reset                  pulse the reset (a fresh machine: clock, prandom state, maps)
//   cfg IDX HEX            write configuration register IDX
//   rom SLOT HEX...        write program slots from SLOT on (64-bit words)
//   mem ROW HEX...         write data-memory rows (8 bytes, little-endian words) from ROW on
//   zero ROW COUNT         clear COUNT rows from ROW on
//   trace 0|1|2            a retirement record per instruction: 0 none, 1 text
//                          (default), 2 binary (faster; see below)
//   limit CYCLES           give up a run after CYCLES clock cycles (default 2^32)
//   run TAG                start the program and run it to its end
//   dump ROW COUNT         print COUNT data-memory rows
//   quit
//
// Answers:
//   R cycle prog pc insn dst value msize maddr mdata helper hid r1 r2 r3 r4 r5 ret trap exit
//        a retirement record, every field in hex; dst and hid are "-" when absent
//   or, with trace 2, the byte 'r' and 100 bytes, little-endian: cycle u64,
//        prog u8, pc u16, insn u64, dst u8 (0xff: none), value u64, msize u8,
//        maddr u64, mdata u64, helper u8 (1: present), hid u32, r1..r5 u64,
//        ret u64, trap u8, exit u8
//   D TAG r0 cycles meta data end redirect map key ifindex flags dirty stacklo clocks hang
//        the end of a run: r0, the run's cycles, the context, the redirect
//        (0 none, 1 bpf_redirect, 2 bpf_redirect_map; its map, key, target
//        and flags), the packet buffer's zero boundary and the lowest stack
//        byte written (what the host must clear before the next run), the
//        clock cycles simulated, and 1 if the core did not finish
//   M ROW HEX...           dumped rows
//   E message              a bad command
//
// With --vcd FILE (and a model built with --trace) every cycle goes to FILE.

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "Vhbpf_top.h"
#include "verilated.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif

namespace {

class Harness {
 public:
  Harness(VerilatedContext* ctx, const char* vcd) : top_(new Vhbpf_top(ctx)) {
#if VM_TRACE
    if (vcd) {
      ctx->traceEverOn(true);
      trace_.reset(new VerilatedVcdC);
      top_->trace(trace_.get(), 99);
      trace_->open(vcd);
    }
#else
    if (vcd) std::fprintf(stderr, "hbpf_tb: built without --trace, --vcd ignored\n");
#endif
    top_->clk_i = 0;
    top_->rst_ni = 1;
    idle();
    reset();
  }

  ~Harness() {
#if VM_TRACE
    if (trace_) trace_->close();
#endif
    top_->final();
  }

  void reset() {
    top_->rst_ni = 0;
    tick();
    top_->rst_ni = 1;
    tick();
  }

  void write(int sel, uint32_t addr, uint64_t data) {
    top_->host_sel_i = sel;
    top_->host_addr_i = addr;
    top_->host_wdata_i = data;
    top_->host_we_i = 1;
    tick();
    idle();
  }

  uint64_t read_row(uint32_t row) {
    top_->host_sel_i = 1;
    top_->host_addr_i = row;
    top_->host_re_i = 1;
    tick();
    idle();
    top_->eval();
    return top_->host_rdata_o;
  }

  void run(const std::string& tag, int trace, uint64_t limit) {
    top_->start_i = 1;
    tick();
    top_->start_i = 0;
    top_->eval();
    uint64_t n = 0;
    bool hang = true;
    // After each rising edge the outputs show the new cycle: its retirement.
    while (n < limit) {
      if (trace && top_->rt_valid_o) {
        if (trace == 2)
          binary();
        else
          record();
      }
      if (top_->done_o) {
        hang = false;
        break;
      }
      tick();
      n++;
    }
    std::printf("D %s %" PRIx64 " %" PRIx64 " %x %x %x %x %x %x %x %" PRIx64 " %x %x %" PRIx64 " %d\n",
                tag.c_str(), (uint64_t)top_->r0_o, (uint64_t)top_->cycles_o, top_->ctx_meta_o, top_->ctx_data_o,
                top_->ctx_end_o, top_->redir_o, top_->redir_map_o, top_->redir_key_o, top_->redir_ifindex_o,
                (uint64_t)top_->redir_flags_o, top_->dirty_o, top_->stack_lo_o, n, hang ? 1 : 0);
    std::fflush(stdout);
  }

  uint64_t cycles() const { return cycles_; }

 private:
  void idle() {
    top_->host_we_i = 0;
    top_->host_re_i = 0;
    top_->start_i = 0;
  }

  void tick() {
    top_->clk_i = 0;
    top_->eval();
    dump();
    top_->clk_i = 1;
    top_->eval();
    dump();
    cycles_++;
  }

  void dump() {
#if VM_TRACE
    if (trace_) trace_->dump(time_);
#endif
    time_ += 5;
  }

  static uint64_t arg(const VlWide<10>& w, int i) {
    return (uint64_t)w[2 * i] | ((uint64_t)w[2 * i + 1] << 32);
  }

  template <typename T>
  static char* put(char* p, T v, int n) {
    for (int i = 0; i < n; i++) *p++ = (char)((uint64_t)v >> (8 * i));
    return p;
  }

  void binary() {
    char b[101], *p = b;
    *p++ = 'r';
    p = put(p, (uint64_t)top_->rt_cycle_o, 8);
    p = put(p, top_->rt_prog_o, 1);
    p = put(p, top_->rt_pc_o, 2);
    p = put(p, (uint64_t)top_->rt_insn_o, 8);
    p = put(p, top_->rt_dst_we_o ? top_->rt_dst_o : 0xff, 1);
    p = put(p, (uint64_t)top_->rt_value_o, 8);
    p = put(p, top_->rt_mem_size_o, 1);
    p = put(p, (uint64_t)top_->rt_mem_addr_o, 8);
    p = put(p, (uint64_t)top_->rt_mem_data_o, 8);
    p = put(p, top_->rt_helper_o, 1);
    p = put(p, top_->rt_helper_id_o, 4);
    for (int i = 0; i < 5; i++) p = put(p, arg(top_->rt_args_o, i), 8);
    p = put(p, (uint64_t)top_->rt_ret_o, 8);
    p = put(p, top_->rt_trap_o, 1);
    p = put(p, top_->rt_exit_o, 1);
    std::fwrite(b, 1, sizeof b, stdout);
  }

  void record() {
    char dst[8] = "-", hid[16] = "-";
    if (top_->rt_dst_we_o) std::snprintf(dst, sizeof dst, "%x", top_->rt_dst_o);
    if (top_->rt_helper_o) std::snprintf(hid, sizeof hid, "%x", top_->rt_helper_id_o);
    std::printf("R %" PRIx64 " %x %x %" PRIx64 " %s %" PRIx64 " %x %" PRIx64 " %" PRIx64 " %d %s %" PRIx64
                " %" PRIx64 " %" PRIx64 " %" PRIx64 " %" PRIx64 " %" PRIx64 " %x %d\n",
                (uint64_t)top_->rt_cycle_o, top_->rt_prog_o, top_->rt_pc_o, (uint64_t)top_->rt_insn_o, dst,
                (uint64_t)top_->rt_value_o, top_->rt_mem_size_o, (uint64_t)top_->rt_mem_addr_o,
                (uint64_t)top_->rt_mem_data_o, top_->rt_helper_o, hid, arg(top_->rt_args_o, 0),
                arg(top_->rt_args_o, 1), arg(top_->rt_args_o, 2), arg(top_->rt_args_o, 3),
                arg(top_->rt_args_o, 4), (uint64_t)top_->rt_ret_o, top_->rt_trap_o, top_->rt_exit_o);
  }

  std::unique_ptr<Vhbpf_top> top_;
#if VM_TRACE
  std::unique_ptr<VerilatedVcdC> trace_;
#endif
  uint64_t time_ = 0;
  uint64_t cycles_ = 0;
};

uint64_t hex(const std::string& s, bool* ok) {
  char* end = nullptr;
  uint64_t v = std::strtoull(s.c_str(), &end, 16);
  *ok = !s.empty() && end && *end == '\0';
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  const char* vcd = nullptr;
  for (int i = 1; i < argc; i++) {
    if (!std::strcmp(argv[i], "--vcd") && i + 1 < argc) {
      vcd = argv[++i];
    } else if (argv[i][0] != '+') {
      std::fprintf(stderr, "usage: %s [--vcd FILE] < commands\n", argv[0]);
      return 2;
    }
  }
  auto ctx = std::make_unique<VerilatedContext>();
  ctx->commandArgs(argc, argv);
  Harness h(ctx.get(), vcd);

  int trace = 1;
  uint64_t limit = 1ull << 32;
  std::string line;
  char buf[1 << 16];
  while (std::fgets(buf, sizeof buf, stdin)) {
    line = buf;
    std::istringstream in(line);
    std::string cmd;
    if (!(in >> cmd) || cmd[0] == '#') continue;
    std::vector<std::string> a;
    for (std::string w; in >> w;) a.push_back(w);
    bool ok = true;
    auto num = [&](size_t i) -> uint64_t {
      if (i >= a.size()) {
        ok = false;
        return 0;
      }
      bool good;
      uint64_t v = hex(a[i], &good);
      ok = ok && good;
      return v;
    };
    if (cmd == "quit") break;
    if (cmd == "reset") {
      h.reset();
    } else if (cmd == "cfg") {
      uint64_t idx = num(0), v = num(1);
      if (ok) h.write(2, (uint32_t)idx, v);
    } else if (cmd == "rom" || cmd == "mem" || cmd == "hash") {
      uint64_t at = num(0);
      int sel = cmd == "rom" ? 0 : (cmd == "mem" ? 1 : 3);
      for (size_t i = 1; ok && i < a.size(); i++) {
        uint64_t v = num(i);
        if (ok) h.write(sel, (uint32_t)(at + i - 1), v);
      }
    } else if (cmd == "zero") {
      uint64_t at = num(0), n = num(1);
      for (uint64_t i = 0; ok && i < n; i++) h.write(1, (uint32_t)(at + i), 0);
    } else if (cmd == "trace") {
      trace = (int)num(0);
    } else if (cmd == "limit") {
      limit = num(0);
    } else if (cmd == "run") {
      h.run(a.empty() ? "-" : a[0], trace, limit);
    } else if (cmd == "dump") {
      uint64_t at = num(0), n = num(1);
      if (ok) {
        std::printf("M %" PRIx64, at);
        for (uint64_t i = 0; i < n; i++) std::printf(" %" PRIx64, h.read_row((uint32_t)(at + i)));
        std::printf("\n");
        std::fflush(stdout);
      }
    } else {
      ok = false;
    }
    if (!ok) {
      std::printf("E bad command: %s", line.c_str());
      std::fflush(stdout);
    }
  }
  std::fprintf(stderr, "hbpf_tb: %" PRIu64 " clock cycles\n", h.cycles());
  return 0;
}
