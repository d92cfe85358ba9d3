package offload

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	// Its bpf_trace_printk sits behind cfg_debug, which is 0 in .rodata: dead
	// code, listed but no blocker.
	if !r.Offloadable || len(r.Blockers) != 0 {
		t.Errorf("the firewall should be offloadable; blockers: %v", r.Blockers)
	}
	checkFirewallDeadCode(t, r.DeadCode)
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

// checkFirewallDeadCode checks that the firewall's bpf_trace_printk, behind
// cfg_debug = 0 in .rodata, is listed as dead code at its instruction with
// its C line and the reason.
func checkFirewallDeadCode(t *testing.T, ds []DeadFeature) {
	t.Helper()
	if len(ds) != 1 {
		t.Fatalf("dead code %v, want the one bpf_trace_printk", ds)
	}
	d := ds[0]
	if d.Slot != 87 || d.Insn != "call 6" || d.Feature != "helper 6 bpf_trace_printk" {
		t.Errorf("dead code %+v, want helper 6 bpf_trace_printk at slot 87 (call 6)", d)
	}
	if !strings.Contains(d.Source, "xdp_firewall.c:111:") || !strings.Contains(d.Source, "bpf_trace_printk(") {
		t.Errorf("dead code source %q, want the bpf_trace_printk line 111", d.Source)
	}
	if !strings.Contains(d.Why, "slot 78 always jumps") || !strings.Contains(d.Why, ".rodata") {
		t.Errorf("dead code reason %q, want the branch at slot 78 on .rodata", d.Why)
	}
	if !strings.Contains(d.WhySource, "cfg_debug") {
		t.Errorf("dead code branch source %q, want the line testing cfg_debug", d.WhySource)
	}
}

// TestVerdictFollowsHardware checks that the verdict is the RTL's: a program
// with a feature the hardware lacks in code that can run is not offloadable,
// one without is, and one whose only such feature is in code that cannot run
// with its .rodata is offloadable with the feature listed as dead code.
func TestVerdictFollowsHardware(t *testing.T) {
	// A program calling a helper the hardware lacks (bpf_get_current_pid_tgid)
	// where it runs.
	pid, err := isa.Assemble([]byte("call 14\nmov r0, 2\nexit\n"), "pid.s")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		obj     string
		want    bool
		blocker string // a blocker names this
		dead    int    // dead-code entries
	}{
		{"xdp_reflect.o", true, "", 0},
		{"xdp_count.o", true, "", 0},
		{"xdp_firewall.o", true, "", 1},  // bpf_trace_printk behind cfg_debug = 0 (TestDeadCodeBlocks sets it)
		{"xdp_flowtable.o", true, "", 0}, // LRU hash, on its specialised core
		{"xdp_sample.o", true, "", 0},    // map-in-map and a 256 KiB ring buffer, on its specialised core
		{"pid.s", false, "helper 14", 0},
	} {
		var obj *isa.Object
		if tt.obj == "pid.s" {
			obj = &isa.Object{Path: tt.obj, Programs: []*isa.Program{pid}}
		} else {
			obj = testdata(t, tt.obj)
		}
		p := obj.Programs[0]
		f := Inventory(obj, p)
		bs := Check(obj, p, f, DefaultCore)
		if got := len(bs) == 0; got != tt.want {
			t.Errorf("%s: offloadable = %v, want %v (blockers %v)", tt.obj, got, tt.want, bs)
		}
		if tt.blocker != "" && !strings.Contains(fmt.Sprint(bs), tt.blocker) {
			t.Errorf("%s: blockers %v do not name %s", tt.obj, bs, tt.blocker)
		}
		if ds := DeadCode(obj, p, f, DefaultCore); len(ds) != tt.dead {
			t.Errorf("%s: dead code %v, want %d entries", tt.obj, ds, tt.dead)
		}
	}
}

// TestDeadCodeBlocks checks that the firewall's bpf_trace_printk, dead code
// with the compiled-in cfg_debug = 0, blocks the offload once a loader sets
// cfg_debug = 1 in .rodata.
func TestDeadCodeBlocks(t *testing.T) {
	obj := testdata(t, "xdp_firewall.o")
	p := obj.Programs[0]
	var ro *isa.MapSpec
	for _, m := range obj.Maps {
		if m.Name == ".rodata" {
			ro = m
		}
	}
	if ro == nil || len(ro.Contents) != 1 || len(ro.Contents[0].Value) < 5 {
		t.Fatalf("no .rodata with cfg_debug at offset 4: %+v", ro)
	}
	// A loader sets cfg_debug = 1: the call can run, and blocks.
	on := *ro
	v := append([]byte(nil), ro.Contents[0].Value...)
	v[4] = 1
	on.Contents = []isa.MapKV{{Key: ro.Contents[0].Key, Value: v}}
	obj2 := *obj
	obj2.Maps = append([]*isa.MapSpec(nil), obj.Maps...)
	for i, m := range obj2.Maps {
		if m == ro {
			obj2.Maps[i] = &on
		}
	}
	f := Inventory(&obj2, p)
	bs := Check(&obj2, p, f, DefaultCore)
	if len(bs) == 0 || !strings.Contains(fmt.Sprint(bs), "bpf_trace_printk") || bs[0].Slot != 87 {
		t.Errorf("with cfg_debug = 1 the bpf_trace_printk at slot 87 should block: %v", bs)
	}
	if ds := DeadCode(&obj2, p, f, DefaultCore); len(ds) != 0 {
		t.Errorf("with cfg_debug = 1 nothing is dead: %v", ds)
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
	if strings.Contains(string(md), "Not blocking") {
		t.Errorf("report.md has a dead-code section for a program without dead code")
	}
	js, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	if strings.Contains(string(js), "dead_code") {
		t.Errorf("report.json has dead_code for a program without dead code")
	}
}

// TestReportDeadCode checks that the firewall's reports (Markdown, JSON and
// the terminal summary) list its dead bpf_trace_printk and say what it means.
func TestReportDeadCode(t *testing.T) {
	obj := testdata(t, "xdp_firewall.o")
	r, err := Evaluate(obj, trace(t, "mixed", 200), Config{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := r.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Verdict: offloadable.", "## Not blocking: code that cannot run with the object's .rodata",
		"`helper 6 bpf_trace_printk` at slot 87 (`call 6`)", "xdp_firewall.c:111:", "the branch at slot 78 always jumps",
		"cfg_debug", "cause 7, unknown helper"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
	if i, j := strings.Index(string(md), "Not blocking"), strings.Index(string(md), "## Summary"); i < 0 || i > j {
		t.Errorf("the dead-code section should come before the summary")
	}
	js, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Offloadable bool          `json:"offloadable"`
		Blockers    []Blocker     `json:"blockers"`
		DeadCode    []DeadFeature `json:"dead_code"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	if !doc.Offloadable || len(doc.Blockers) != 0 {
		t.Errorf("report.json: offloadable %v, blockers %v", doc.Offloadable, doc.Blockers)
	}
	checkFirewallDeadCode(t, doc.DeadCode)
	var b bytes.Buffer
	if err := r.WriteSummary(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"verdict: offloadable\nnot a blocker", "insn 87 `call 6`: helper 6 bpf_trace_printk", "cannot run: the branch at slot 78", "cause 7, unknown helper"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}

// TestHashWalks: the report counts each hash map's walks; a flow table that
// fills up compares keys on its chains, the walks' share is consistent with
// the calls, and an array-only program has none.
func TestHashWalks(t *testing.T) {
	obj := testdata(t, "xdp_flowtable.o")
	r, err := Evaluate(obj, trace(t, "mixed", 5000), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.HashWalks) != 1 || r.HashWalks[0].Map != "flows" {
		t.Fatalf("hash walks %+v, want the flows map", r.HashWalks)
	}
	w := r.HashWalks[0]
	if w.Calls < uint64(r.Packets) || w.MeanProbes <= 0 || float64(w.MaxProbes) < w.MeanProbes || w.MeanLengths != 0 {
		t.Errorf("flows: %+v over %d packets: want a lookup per packet, keys compared, no prefix lengths", w, r.Packets)
	}
	var sum strings.Builder
	if err := r.WriteSummary(&sum); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sum.String(), "hash-unit walks") || !strings.Contains(sum.String(), "keys compared per call") {
		t.Errorf("summary lacks the hash-unit walks:\n%s", sum.String())
	}
	r, err = Evaluate(testdata(t, "xdp_count.o"), trace(t, "mixed", 500), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.HashWalks) != 0 {
		t.Errorf("xdp_count (arrays only): hash walks %+v", r.HashWalks)
	}
}
