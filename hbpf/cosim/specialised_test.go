package cosim

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/packets"
	"github.com/hbpf/hbpf/hbpf/rtl"
	"github.com/hbpf/hbpf/hbpf/sim"
)

// offloadable are the testdata objects whose programs the hardware runs.
var offloadable = []string{"calls", "count", "encap", "firewall", "flowtable", "redirect", "reflect", "sample", "tailcall"}

// TestSpecialisedCores runs every offloadable testdata XDP program on the
// core specialised to it (its code baked into ROM, the units it never uses
// left out; each a model of its own, built once and cached) over a mixed
// packet set, in lock-step with the simulator.
func TestSpecialisedCores(t *testing.T) {
	if err := Available(); err != nil {
		t.Skipf("co-simulation needs Verilator: %v", err)
	}
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "xdp")
	n := 300
	if testing.Short() {
		n = 40
	}
	ps, err := packets.Generate("mixed", n, 1)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, name := range offloadable {
		f, err := isa.Open(filepath.Join(dir, "xdp_"+name+".o"))
		if err != nil {
			t.Fatal(err)
		}
		for idx, p := range f.Object.Programs {
			t.Run(name+"/"+p.Name, func(t *testing.T) {
				cfg, progs, which := rtl.Specialise(f.Object.Programs, idx, f.Object.Maps)
				if u := cfg.UnsupportedObject(progs, which, f.Object.Maps); len(u) > 0 {
					t.Fatalf("not offloadable on its specialised core: %s", strings.Join(u, "; "))
				}
				m, err := Build(context.Background(), BuildConfig{RTL: cfg})
				if err != nil {
					t.Fatal(err)
				}
				c, err := NewChecker(session(t, m), cfg, progs, which, f.Object.Maps, sim.Config{})
				if err != nil {
					t.Fatal(err)
				}
				for _, pk := range ps {
					if len(pk.Data) > MaxPacket {
						continue
					}
					if _, err := c.RunXDP(pk.Data); err != nil {
						var mm *Mismatch
						if errors.As(err, &mm) {
							t.Fatalf("packet %d:\n%s", pk.Index, mm.Report())
						}
						t.Fatalf("packet %d: %v", pk.Index, err)
					}
				}
				t.Logf("%d packets, %d records, 0 divergences (model %s, %s)", c.Runs, c.Records, filepath.Base(m.Dir),
					map[bool]string{true: "cached", false: "built in " + m.Duration.Round(1e8).String()}[m.Cached])
				total += c.Runs
			})
		}
	}
	t.Logf("%d runs on specialised cores", total)
}
