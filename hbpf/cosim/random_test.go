package cosim

import (
	"errors"
	"flag"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/randprog"
	"github.com/hbpf/hbpf/hbpf/rtl"
	"github.com/hbpf/hbpf/hbpf/sim"
)

var randomN = flag.Int("random", 1000, "random programs for TestRandomPrograms")

// randomOptions picks, by seed, one of the map types the hardware has and
// leaves out what it does not have.
func randomOptions(seed int64) randprog.Options {
	types := []ebpf.MapType{ebpf.Array, ebpf.Hash, ebpf.PerCPUArray, ebpf.PerCPUHash}
	return randprog.Options{MapType: types[seed%int64(len(types))], Disable: randprog.FeatRingbuf}
}

// TestRandomPrograms runs random programs of hbpf/randprog on a few packets
// each, in the RTL and the simulator in lock-step.
func TestRandomPrograms(t *testing.T) {
	m := defaultModel(t)
	s := session(t, m)
	n := *randomN
	if testing.Short() {
		n = 100
	}
	var runs, records uint64
	for seed := int64(1); seed <= int64(n); seed++ {
		p, specs, err := randprog.Generate(seed, randomOptions(seed))
		if err != nil {
			t.Fatal(err)
		}
		c, err := NewChecker(s, rtl.Config{}, []*isa.Program{p}, 0, specs, sim.Config{})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		for _, pk := range randprog.Packets(seed, 3) {
			if _, err := c.RunXDP(pk.Data); err != nil {
				var mm *Mismatch
				if errors.As(err, &mm) {
					t.Fatalf("seed %d packet %d:\n%s", seed, pk.Index, mm.Report())
				}
				t.Fatalf("seed %d packet %d: %v", seed, pk.Index, err)
			}
			runs++
		}
		records += c.Records
	}
	t.Logf("%d programs, %d runs, %d records compared", n, runs, records)
}
