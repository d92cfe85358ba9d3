package cosim

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/packets"
	"github.com/hbpf/hbpf/hbpf/rtl"
	"github.com/hbpf/hbpf/hbpf/sim"
)

// TestTestdataPrograms runs every program of testdata/xdp on every packet
// set in lock-step: on the generic core, or, for a program whose maps the
// generic core cannot hold, on the core specialised to it. Every program
// must run on one of them.
func TestTestdataPrograms(t *testing.T) {
	m := defaultModel(t)
	s := session(t, m)
	_, file, _, _ := runtime.Caller(0)
	objs, err := filepath.Glob(filepath.Join(filepath.Dir(file), "..", "..", "testdata", "xdp", "*.o"))
	if err != nil || len(objs) == 0 {
		t.Fatalf("no testdata objects: %v", err)
	}
	n := 200
	if testing.Short() {
		n = 30
	}
	ran := 0
	for _, obj := range objs {
		f, err := isa.Open(obj)
		if err != nil {
			t.Fatal(err)
		}
		for idx, p := range f.Object.Programs {
			name := filepath.Base(obj) + "/" + p.Name
			cfg, progs, which, sess := rtl.Config{}, f.Object.Programs, idx, s
			if u := cfg.UnsupportedObject(progs, which, f.Object.Maps); len(u) > 0 {
				cfg, progs, which = rtl.Specialise(f.Object.Programs, idx, f.Object.Maps)
				if u2 := cfg.UnsupportedObject(progs, which, f.Object.Maps); len(u2) > 0 {
					t.Fatalf("%s: not offloadable on the generic core (%s) nor on its own (%s)", name, u[0], u2[0])
				}
				m, err := Build(context.Background(), BuildConfig{RTL: cfg})
				if err != nil {
					t.Fatal(err)
				}
				sess = session(t, m)
				t.Logf("%s: on its specialised core (generic: %s)", name, u[0])
			}
			for _, set := range packets.Sets() {
				ps, err := packets.Generate(set, n, 1)
				if err != nil {
					t.Fatal(err)
				}
				c, err := NewChecker(sess, cfg, progs, which, f.Object.Maps, sim.Config{})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				for _, pk := range ps {
					if len(pk.Data) > MaxPacket {
						continue
					}
					if _, err := c.RunXDP(pk.Data); err != nil {
						var mm *Mismatch
						if errors.As(err, &mm) {
							t.Fatalf("%s, set %s, packet %d:\n%s", name, set, pk.Index, mm.Report())
						}
						t.Fatalf("%s, set %s, packet %d: %v", name, set, pk.Index, err)
					}
				}
				t.Logf("%s, set %s: %d packets, %d records", name, set, c.Runs, c.Records)
				ran++
			}
		}
	}
	if ran == 0 {
		t.Error("no testdata program ran")
	}
	_ = os.Stderr
}
