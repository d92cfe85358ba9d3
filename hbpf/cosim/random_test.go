package cosim

import (
	"flag"
	"testing"

	"github.com/hbpf/hbpf/hbpf/rtl"
)

var randomN = flag.Int("random", 1000, "random programs for TestRandomPrograms")

// TestRandomPrograms runs random programs of hbpf/randprog (every map type
// the hardware has) on three packets each, in the RTL and the simulator in
// lock-step. -random N sets how many (hbpfc cosim --random runs more).
func TestRandomPrograms(t *testing.T) {
	m := defaultModel(t)
	s := session(t, m)
	n := *randomN
	if testing.Short() {
		n = 100
	}
	r, err := Random(s, rtl.Config{}, 1, n, 3, nil)
	if err != nil {
		if mm, ok := IsMismatch(err); ok {
			t.Fatalf("%v\n%s", err, mm.Report())
		}
		t.Fatal(err)
	}
	t.Logf("%d programs, %d runs, %d records compared", r.Programs, r.Runs, r.Records)
}
