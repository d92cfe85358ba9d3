package offload

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/packets"
)

func testdata(t *testing.T, name string) *isa.Object {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	obj, err := isa.LoadELF(filepath.Join(filepath.Dir(file), "..", "..", "testdata", "xdp", name))
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

func trace(t *testing.T, set string, n int) string {
	t.Helper()
	ps, err := packets.Generate(set, n, 7)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), set+".pcap")
	if err := packets.Write(path, ps); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestEvaluateFirewall(t *testing.T) {
	obj := testdata(t, "xdp_firewall.o")
	path := trace(t, "mixed", 2000)
	r, err := Evaluate(obj, path, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Offloadable || len(r.Blockers) == 0 {
		t.Errorf("the firewall uses bpf_trace_printk, which the hardware lacks; blockers: %v", r.Blockers)
	}
	if r.Packets+r.Skipped != 2000 {
		t.Errorf("%d packets + %d skipped, want 2000", r.Packets, r.Skipped)
	}
	if len(r.Profiles) != 2 || r.Profiles[0].Profile != "hbpf" {
		t.Fatalf("profiles %+v", r.Profiles)
	}
	hb, cl := r.Profiles[0], r.Profiles[1]
	for _, ps := range r.Profiles {
		c := ps.Cycles
		if !(c.Min <= c.P50 && c.P50 <= c.P90 && c.P90 <= c.P99 && c.P99 <= c.Max && c.Min <= c.Mean && c.Mean <= c.Max) {
			t.Errorf("%s: cycle distribution out of order: %+v", ps.Profile, c)
		}
		n := 0
		for _, d := range ps.ByAction {
			n += d.N
		}
		if n != r.Packets {
			t.Errorf("%s: per-action counts add to %d, want %d", ps.Profile, n, r.Packets)
		}
	}
	if hb.Insns != cl.Insns {
		t.Errorf("profiles retire different instructions: %+v vs %+v", hb.Insns, cl.Insns)
	}
	if cl.Cycles.Mean <= hb.Cycles.Mean {
		t.Errorf("classic %.1f cycles, hbpf %.1f: the classic core should be slower", cl.Cycles.Mean, hb.Cycles.Mean)
	}
	if len(r.Throughput) != 6 || len(r.LineRates) != 8 {
		t.Errorf("%d throughput rows, %d line rates", len(r.Throughput), len(r.LineRates))
	}
	withSource := 0
	for i, h := range r.Hot {
		if h.Count == 0 || h.Cycles < h.Count {
			t.Errorf("hot instruction %+v: every execution takes at least a cycle", h)
		}
		if i > 0 && h.Cycles > r.Hot[i-1].Cycles {
			t.Errorf("hot instructions not ranked by cycles: %+v after %+v", h, r.Hot[i-1])
		}
		if h.Source != "" {
			withSource++
		}
	}
	if len(r.Hot) == 0 || withSource == 0 {
		t.Errorf("no hot instruction, or none with its C line: %+v", r.Hot)
	}
}

// TestThroughputModel checks the arithmetic of the model on known numbers.
func TestThroughputModel(t *testing.T) {
	cfg := Config{BusBytes: 8, SwapCycles: 2}
	if got := occupancy(100, 64, cfg); got != 102 {
		t.Errorf("compute-bound occupancy = %v, want 102", got)
	}
	if got := occupancy(10, 1500, cfg); got != 190 { // ceil(1500/8) = 188
		t.Errorf("ingest-bound occupancy = %v, want 190", got)
	}
	r := &Report{Profiles: []ProfileStats{{Profile: "hbpf", Occupancy: 100}}, Sizes: packets.SizeSummary{Mean: 100}}
	rates := throughput(r, Config{ClocksMHz: []float64{250}})
	if len(rates) != 1 || rates[0].PPS != 2.5e6 || rates[0].NsPerPkt != 400 || rates[0].Gbps != 2.0 {
		t.Errorf("rates %+v, want 2.5 Mpps, 400 ns, 2 Gbit/s", rates)
	}
}

func TestBlockers(t *testing.T) {
	p, err := isa.Assemble([]byte("mov %r0, 2\nmov %r1, 1\ncall 1000\ncall %r1\nexit"), "blocked.s")
	if err != nil {
		t.Fatal(err)
	}
	obj := &isa.Object{Path: "blocked.s", Programs: []*isa.Program{p}}
	bs := Check(obj, p, Inventory(obj, p), DefaultCore)
	var text []string
	for _, b := range bs {
		text = append(text, b.String())
	}
	all := strings.Join(text, "\n")
	if !strings.Contains(all, "helper 1000") || !strings.Contains(all, "callx") {
		t.Errorf("blockers do not name the helper and callx:\n%s", all)
	}
	if bs[0].Slot < 0 || bs[0].Insn == "" {
		t.Errorf("blocker is not located at its instruction: %+v", bs[0])
	}
	deep := DefaultCore
	deep.StackFrame = 0
	p2, _ := isa.Assemble([]byte("stw [%r10-8], 1\nmov %r0, 2\nexit"), "stack.s")
	obj2 := &isa.Object{Path: "stack.s", Programs: []*isa.Program{p2}}
	if bs := Check(obj2, p2, Inventory(obj2, p2), deep); len(bs) != 1 || !strings.Contains(bs[0].Reason, "stack use of 8 bytes") {
		t.Errorf("a 0-byte frame should block an 8-byte stack use: %v", bs)
	}
}

// TestVerdictFollowsHardware checks that the verdict is the RTL's: a program
// with a helper the hardware lacks is not offloadable, one without is.
func TestVerdictFollowsHardware(t *testing.T) {
	for _, tt := range []struct {
		obj  string
		want bool
	}{{"xdp_reflect.o", true}, {"xdp_count.o", true}, {"xdp_firewall.o", false}} {
		obj := testdata(t, tt.obj)
		p := obj.Programs[0]
		bs := Check(obj, p, Inventory(obj, p), DefaultCore)
		if got := len(bs) == 0; got != tt.want {
			t.Errorf("%s: offloadable = %v, want %v (blockers %v)", tt.obj, got, tt.want, bs)
		}
	}
}

func TestTruncatedTrace(t *testing.T) {
	obj := testdata(t, "xdp_count.o")
	path := trace(t, "mixed", 300)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, data[:len(data)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Evaluate(obj, cut, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if r.TraceError == "" || r.Packets == 0 || r.Packets >= 300 {
		t.Errorf("truncated trace: %d packets, error %q; want some packets and the error", r.Packets, r.TraceError)
	}
}

func TestWriteDir(t *testing.T) {
	obj := testdata(t, "xdp_reflect.o")
	r, err := Evaluate(obj, trace(t, "imix", 500), Config{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := r.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"report.md", "report.json", "cycles-histogram.png", "cycles-histogram.svg", "cycles-vs-size.png"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	if !strings.Contains(string(md), "Verdict: offloadable") || !strings.Contains(string(md), "![cycles-histogram.png]") {
		t.Errorf("report.md lacks the verdict or the plots")
	}
}
