package rtl

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hbpf/hbpf/hbpf/isa"
)

// TestSynth synthesises the default core for iCE40 and Xilinx 7-series with
// yosys (cached by a hash of the sources, so only the first run is slow:
// about 5 minutes for iCE40, 2 for xc7) and logs the resources.
func TestSynth(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesis takes minutes; skipped with -short")
	}
	files, err := Generate(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range Targets {
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			r, err := Synthesize(context.Background(), files, target, SynthConfig{})
			if errors.Is(err, ErrNoYosys) {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s (%.0f s%s)", r, r.Seconds, map[bool]string{true: ", cached"}[r.Cached])
			if r.LUT == 0 || r.FF == 0 || r.BRAM == 0 {
				t.Errorf("implausible result: %s", r)
			}
		})
	}
}

// TestSpecialisedSmaller synthesises the core specialised to a small
// program (testdata xdp_count) and the generic core for iCE40 and checks
// that the specialised one takes fewer LUTs. Cold, the two syntheses take
// about 5 minutes together (cached by design hash afterwards), so the test
// runs only with HBPF_SYNTH_TESTS=1.
func TestSpecialisedSmaller(t *testing.T) {
	if os.Getenv("HBPF_SYNTH_TESTS") != "1" {
		t.Skip("synthesis takes minutes cold; set HBPF_SYNTH_TESTS=1")
	}
	f, err := isa.Open(filepath.Join("..", "..", "testdata", "xdp", "xdp_count.o"))
	if err != nil {
		t.Fatal(err)
	}
	spec, _, _ := Specialise(f.Object.Programs, 0, f.Object.Maps)
	var rs [2]*Resources
	t.Run("synth", func(t *testing.T) {
		for i, cfg := range []Config{{}, spec} {
			t.Run([]string{"generic", "specialised"}[i], func(t *testing.T) {
				t.Parallel()
				files, err := Generate(cfg)
				if err != nil {
					t.Fatal(err)
				}
				r, err := Synthesize(context.Background(), files, TargetICE40, SynthConfig{})
				if errors.Is(err, ErrNoYosys) {
					t.Skip(err)
				}
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s (%.0f s%s)", r, r.Seconds, map[bool]string{true: ", cached"}[r.Cached])
				rs[i] = r
			})
		}
	})
	if rs[0] == nil || rs[1] == nil {
		return
	}
	if rs[1].LUT >= rs[0].LUT {
		t.Errorf("specialised core: %d LUT, generic %d: want fewer", rs[1].LUT, rs[0].LUT)
	}
}
