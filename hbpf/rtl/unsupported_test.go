package rtl

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
)

func TestUnsupported(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "xdp")
	tests := []struct {
		object string
		want   []string // substrings, one per line, in order; none: offloadable
	}{
		{"xdp_count.o", nil},
		{"xdp_reflect.o", nil},
		{"xdp_encap.o", nil},
		{"xdp_firewall.o", nil}, // its bpf_trace_printk is dead code with cfg_debug = 0 (TestDeadCode)
		{"xdp_calls.o", nil},
		{"xdp_redirect.o", nil},
		{"xdp_flowtable.o", []string{`map 1 "flows": 4096 entries, this core's hash units hold 1024`}}, // its own core fits (TestSpecialisedFits)
		{"xdp_sample.o", []string{`"samples": 524288 bytes`}},                                          // its own core has the room (TestSpecialisedFits)
	}
	for _, tt := range tests {
		t.Run(tt.object, func(t *testing.T) {
			f, err := isa.Open(filepath.Join(dir, tt.object))
			if err != nil {
				t.Skipf("testdata object: %v", err)
			}
			got := Unsupported(f.Object.Programs[0], f.Object.Maps)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d lines, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i], "not offloadable: ") || !strings.Contains(got[i], w) {
					t.Errorf("line %d: %q, want it to name %q", i, got[i], w)
				}
			}
		})
	}
}

// TestDeadCode: the firewall's bpf_trace_printk runs only with cfg_debug set;
// with the object's .rodata (0) it is no obstacle, and DeadCode says why.
// With cfg_debug = 1 it is one again.
func TestDeadCode(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	f, err := isa.Open(filepath.Join(filepath.Dir(file), "..", "..", "testdata", "xdp", "xdp_firewall.o"))
	if err != nil {
		t.Skipf("testdata object: %v", err)
	}
	progs, maps := f.Object.Programs, f.Object.Maps
	dead := Config{}.DeadCode(progs, 0, maps)
	if len(dead) != 1 || !strings.Contains(dead[0], "helper 6 bpf_trace_printk (slot 87)") || !strings.Contains(dead[0], "slot 78 always jumps") {
		t.Fatalf("dead code: %q", dead)
	}
	var debug []*isa.MapSpec
	for _, m := range maps {
		if m.Name == ".rodata" {
			c := *m
			c.Contents = []isa.MapKV{{Key: m.Contents[0].Key, Value: append([]byte(nil), m.Contents[0].Value...)}}
			c.Contents[0].Value[4] = 1 // cfg_debug
			m = &c
		}
		debug = append(debug, m)
	}
	if got := Unsupported(progs[0], debug); len(got) != 1 || !strings.Contains(got[0], "helper 6 bpf_trace_printk") {
		t.Errorf("with cfg_debug = 1: %q", got)
	}
	if d := (Config{}).DeadCode(progs, 0, debug); len(d) != 0 {
		t.Errorf("with cfg_debug = 1, dead code: %q", d)
	}
}

// TestSpecialisedFits: the core specialised to a program sizes its hash units
// (LRU lists included) and data memory to the program's maps, so that the
// flow table (a 4096-entry LRU map of 32-byte values) offloads, and the
// sampler (map-in-map, a 256 KiB ring buffer) too.
func TestSpecialisedFits(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "xdp")
	s, err := isa.Open(filepath.Join(dir, "xdp_sample.o"))
	if err != nil {
		t.Skipf("testdata object: %v", err)
	}
	cfg, progs, which := Specialise(s.Object.Programs, 0, s.Object.Maps)
	if u := cfg.UnsupportedObject(progs, which, s.Object.Maps); len(u) > 0 {
		t.Errorf("xdp_sample not offloadable on its own core: %q", u)
	}
	if d := cfg.Defaults(); d.DmemAW != 20 {
		t.Errorf("xdp_sample: data memory 2^%d, want 2^20 (twice the 256 KiB ring)", d.DmemAW)
	}
	if lay := cfg.Layout(s.Object.Maps); !lay[1].Inner || !lay[1].ReadOnly || lay[1].Type != MapArray {
		t.Errorf("rate_config: %+v", lay[1])
	}
	f, err := isa.Open(filepath.Join(dir, "xdp_flowtable.o"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, progs, which = Specialise(f.Object.Programs, 0, f.Object.Maps)
	if u := cfg.UnsupportedObject(progs, which, f.Object.Maps); len(u) > 0 {
		t.Fatalf("not offloadable on its own core: %q", u)
	}
	d := cfg.Defaults()
	if d.HashEntries != 4096 || d.NumHash != 1 || !d.lruUnits() || d.DmemAW != 18 {
		t.Errorf("specialised core: %d hash units of %d entries (LRU %v), data memory 2^%d; want 1 of 4096, LRU, 2^18",
			d.NumHash, d.HashEntries, d.lruUnits(), d.DmemAW)
	}
	lay := cfg.Layout(f.Object.Maps)
	if !lay[1].LRU || lay[1].Type != MapHash {
		t.Errorf("flows: %+v", lay[1])
	}
}

// TestUnsupportedMaps: the map types and shapes the hash units take, and
// those they do not, named with the map.
func TestUnsupportedMaps(t *testing.T) {
	p, err := isa.Assemble([]byte("stw [%r10-8], 0\nstw [%r10-4], 0\nlddw %r1, map_fd(0)\nmov %r2, %r10\nadd %r2, -8\ncall 1\nmov %r0, 2\nexit\n"), "m.s")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		spec isa.MapSpec
		want string // "" offloadable
	}{
		{isa.MapSpec{Name: "v4", Type: ebpf.LPMTrie, KeySize: 8, ValueSize: 4, MaxEntries: 64, Flags: 1}, ""},
		{isa.MapSpec{Name: "v6", Type: ebpf.LPMTrie, KeySize: 20, ValueSize: 4, MaxEntries: 64, Flags: 1}, ""},
		{isa.MapSpec{Name: "wide", Type: ebpf.LPMTrie, KeySize: 36, ValueSize: 4, MaxEntries: 64, Flags: 1}, `"wide": LPM keys of 36 bytes`},
		{isa.MapSpec{Name: "lru", Type: ebpf.LRUHash, KeySize: 8, ValueSize: 8, MaxEntries: 64}, ""},
		{isa.MapSpec{Name: "big", Type: ebpf.Hash, KeySize: 8, ValueSize: 8, MaxEntries: 1 << 17}, `"big": 131072 entries, the hardware's hash units hold at most 65536`},
		{isa.MapSpec{Name: "q", Type: ebpf.Queue, KeySize: 0, ValueSize: 8, MaxEntries: 8}, `"q": Queue maps are not in hardware`},
	} {
		t.Run(tt.spec.Name, func(t *testing.T) {
			specs := []*isa.MapSpec{&tt.spec}
			cfg, progs, which := Specialise([]*isa.Program{p}, 0, specs)
			got := cfg.UnsupportedObject(progs, which, specs)
			if tt.want == "" {
				if len(got) != 0 {
					t.Errorf("want offloadable, got %q", got)
				}
				return
			}
			if len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), tt.want) {
				t.Errorf("got %q, want a line naming %s", got, tt.want)
			}
		})
	}
}
