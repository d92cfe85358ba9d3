package rtl

import (
	"context"
	"errors"
	"testing"
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
