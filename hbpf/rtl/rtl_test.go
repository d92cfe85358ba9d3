package rtl

import (
	"bytes"
	"errors"
	"flag"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/sim/timing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the generator")

// TestGolden compares the generated default core with testdata/golden; run
// with -update after changing the generator or the timing table.
func TestGolden(t *testing.T) {
	files, err := Generate(Config{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "golden")
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := Write(dir, files); err != nil {
			t.Fatal(err)
		}
	}
	names := map[string]bool{}
	for _, f := range files {
		names[f.Name] = true
		want, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Errorf("%s: %v (run go test ./hbpf/rtl -update)", f.Name, err)
			continue
		}
		if !bytes.Equal(f.Data, want) {
			t.Errorf("%s differs from the golden file (run go test ./hbpf/rtl -update and review the diff)", f.Name)
		}
	}
	// No stale golden files.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !names[e.Name()] {
			t.Errorf("testdata/golden/%s is not generated any more", e.Name())
		}
	}
}

// TestRegenerate checks that generation is deterministic and that every file
// is one module with the banner, default_nettype none and no leftover
// template actions.
func TestRegenerate(t *testing.T) {
	for _, cfg := range testConfigs(t) {
		a, err := Generate(cfg.cfg)
		if err != nil {
			t.Fatalf("%s: %v", cfg.name, err)
		}
		b, err := Generate(cfg.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if Hash(a) != Hash(b) {
			t.Errorf("%s: two generations differ", cfg.name)
		}
		for _, f := range a {
			s := string(f.Data)
			mod := strings.TrimSuffix(f.Name, ".v")
			switch {
			case !strings.HasPrefix(s, Banner+"\n"):
				t.Errorf("%s/%s: no banner", cfg.name, f.Name)
			case !strings.Contains(s, "`default_nettype none"):
				t.Errorf("%s/%s: no default_nettype none", cfg.name, f.Name)
			case strings.Count(s, "\nmodule ") != 1 || !strings.Contains(s, "\nmodule "+mod+" "):
				t.Errorf("%s/%s: want exactly module %s", cfg.name, f.Name, mod)
			case strings.ContainsAny(s, "«»"):
				t.Errorf("%s/%s: template delimiters left", cfg.name, f.Name)
			}
		}
	}
}

type namedConfig struct {
	name string
	cfg  Config
}

// testConfigs are the configurations the lint and regeneration tests cover.
func testConfigs(t testing.TB) []namedConfig {
	p, err := isa.Assemble([]byte("lddw %r1, 0x1122334455667788\nmov %r0, 2\nexit\n"), "baked.s")
	if err != nil {
		t.Fatal(err)
	}
	p.Name = "baked"
	q, err := isa.Assemble([]byte("mov %r0, 3\nmul %r0, 5\ncall 7\nexit\n"), "second.s")
	if err != nil {
		t.Fatal(err)
	}
	q.Name = "second"
	specs := []*isa.MapSpec{
		{Name: "counters", Type: ebpf.Array, KeySize: 4, ValueSize: 24, MaxEntries: 10},
		{Name: ".rodata", Type: ebpf.Array, KeySize: 4, ValueSize: 13, MaxEntries: 1, ReadOnly: true},
		{Name: "flows", Type: ebpf.Hash, KeySize: 8, ValueSize: 16, MaxEntries: 4},
	}
	return []namedConfig{
		{"default", Config{}},
		{"small", Config{ProgAW: 8, DmemAW: 14, NumMaps: 1}},
		{"large", Config{ProgAW: 16, DmemAW: 16, NumMaps: 64, ClockMHz: 125}},
		{"baked", Config{Prog: p, Maps: specs}},
		{"baked-two", Config{Prog: q, Progs: []*isa.Program{p, q}, Maps: specs}},
	}
}

// TestLint runs verilator --lint-only -Wall on every test configuration. The
// generated Verilog has one waiver, in hbpf_region.v, with its reason.
func TestLint(t *testing.T) {
	if _, err := exec.LookPath("verilator"); err != nil {
		t.Skip("verilator is not installed (Debian: apt-get install verilator)")
	}
	for _, nc := range testConfigs(t) {
		t.Run(nc.name, func(t *testing.T) {
			files, err := Generate(nc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := Write(dir, files); err != nil {
				t.Fatal(err)
			}
			args := []string{"--lint-only", "-Wall", "--top-module", Top}
			for _, f := range files {
				args = append(args, filepath.Join(dir, f.Name))
			}
			out, err := exec.Command("verilator", args...).CombinedOutput()
			if err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("verilator --lint-only -Wall: %v\n%s", err, out)
			}
		})
	}
}

// TestWaivers pins the lint waivers: each needs a written reason.
func TestWaivers(t *testing.T) {
	files, err := Generate(Config{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		lines := strings.Split(string(f.Data), "\n")
		for i, l := range lines {
			if !strings.Contains(l, "lint_off") {
				continue
			}
			n++
			if i < 2 || !strings.Contains(lines[i-2]+lines[i-1], "Waiver:") && !strings.Contains(lines[i-3]+lines[i-2]+lines[i-1], "Waiver:") {
				t.Errorf("%s:%d: lint waiver without a \"Waiver:\" reason above it", f.Name, i+1)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d lint waivers, want 1 (hbpf_region.v's reciprocal product)", n)
	}
}

// TestTimingFromTable checks that the generated hardware follows the timing
// table: change a cost and the Verilog changes with it; ask for what the
// hardware cannot do and Generate refuses.
func TestTimingFromTable(t *testing.T) {
	base, err := Generate(Config{})
	if err != nil {
		t.Fatal(err)
	}
	slow := *timing.Hbpf
	slow.Name = "slow"
	slow.Cost[timing.Load] = 5
	slow.Cost[timing.Div64] = 66
	slow.Cost[timing.Div32] = 34
	got, err := Generate(Config{Profile: &slow})
	if err != nil {
		t.Fatal(err)
	}
	text := func(fs []File, name string) string {
		for _, f := range fs {
			if f.Name == name {
				return string(f.Data)
			}
		}
		t.Fatalf("no %s", name)
		return ""
	}
	if !strings.Contains(text(got, "hbpf_decode.v"), "C_LOAD   = 8'd5;") || !strings.Contains(text(base, "hbpf_decode.v"), "C_LOAD   = 8'd2;") {
		t.Error("the load cost does not follow the table")
	}
	if !strings.Contains(text(got, "hbpf_muldiv.v"), "parameter integer DIV_K   = 1") || !strings.Contains(text(base, "hbpf_muldiv.v"), "parameter integer DIV_K   = 2") {
		t.Error("the divider's radix does not follow the table")
	}

	for _, tt := range []struct {
		name  string
		class timing.Class
		cost  int
	}{
		{"single-cycle load", timing.Load, 1},
		{"two-cycle multiply", timing.Mul, 2},
		{"one-cycle taken branch", timing.BranchTaken, 1},
		{"two-cycle 64-bit division", timing.Div64, 2},
	} {
		p := *timing.Hbpf
		p.Cost[tt.class] = tt.cost
		if _, err := Generate(Config{Profile: &p}); !errors.Is(err, errTiming) {
			t.Errorf("%s: Generate = %v, want a refusal", tt.name, err)
		}
	}
	if _, err := Generate(Config{Profile: timing.HbpfClassic}); !errors.Is(err, errTiming) {
		t.Errorf("hbpf-classic (single-cycle multiply) should be refused, got %v", err)
	}
}

// TestRecip checks the reciprocal division of hbpf_region for every value
// size a map may have and the offsets around every slot boundary.
func TestRecip(t *testing.T) {
	const aw = 16
	for vs := uint32(1); vs < 1<<16; vs += 1 + vs/64 {
		r := Recip(aw, vs)
		for slot := uint64(0); slot*uint64(vs) < 1<<aw; slot += 1 + slot/8 {
			for _, x := range []uint64{slot * uint64(vs), slot*uint64(vs) + uint64(vs) - 1} {
				if x >= 1<<aw {
					continue
				}
				if q := x * r >> (aw + 16); q != x/uint64(vs) {
					t.Fatalf("value size %d: offset %d: slot %d, want %d", vs, x, q, x/uint64(vs))
				}
			}
		}
	}
}

func TestFaults(t *testing.T) {
	base, err := Generate(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Faults {
		got, err := Generate(Config{Fault: f})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		changed := 0
		for i := range got {
			if !bytes.Equal(got[i].Data, base[i].Data) {
				changed++
			}
		}
		if changed != 1 {
			t.Errorf("%s changes %d files, want 1", f, changed)
		}
	}
	if _, err := Generate(Config{Fault: "nonsense"}); err == nil {
		t.Error("an unknown fault is accepted")
	}
}

// TestHashTimingRefused: a profile whose map-helper latencies the hash unit
// cannot meet (a walk slower or faster than one key word a cycle, or too
// little room after the walk for an insert) is refused, not generated wrong.
func TestHashTimingRefused(t *testing.T) {
	for _, tt := range []struct {
		name string
		fn   asm.BuiltinFunc
		cost timing.HelperCost
	}{
		{"probe 2", asm.FnMapLookupElem, timing.HelperCost{Fixed: 4, PerWord: 1, PerProbeWord: 2}},
		{"probe 0", asm.FnMapDeleteElem, timing.HelperCost{Fixed: 5, PerWord: 1}},
		{"no room to insert", asm.FnMapUpdateElem, timing.HelperCost{Fixed: 2, PerWord: 1, PerProbeWord: 1}},
		{"prefix lengths 3", asm.FnMapLookupElem, timing.HelperCost{Fixed: 4, PerWord: 1, PerProbeWord: 1, PerPrefixLength: 3}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := *timing.Hbpf
			p.Helpers = maps.Clone(timing.Hbpf.Helpers)
			p.Helpers[tt.fn] = tt.cost
			_, err := Generate(Config{Profile: &p})
			if !errors.Is(err, errTiming) {
				t.Fatalf("Generate: %v, want a timing refusal", err)
			}
			t.Log(err)
		})
	}
}
