package offload

import (
	"bytes"
	"strings"
	"testing"
)

// TestLogicSaved checks the specialised core's savings against the generic
// one, and that the summary shows them with the notes.
func TestLogicSaved(t *testing.T) {
	lg := &Logic{
		Generic:     []Resources{{Target: "ice40", LUT: 1000, FF: 400, BRAM: 10, DSP: 0}, {Target: "xc7", LUT: 800, FF: 400, BRAM: 4, DSP: 2}},
		Specialised: []Resources{{Target: "ice40", LUT: 750, FF: 300, BRAM: 10, DSP: 0, Depth: 40}},
		Notes:       []string{"specialised core, ice40: does not fit"},
	}
	got := lg.Saved()
	if len(got) != 1 {
		t.Fatalf("got %d targets, want 1 (xc7 has no specialised result)", len(got))
	}
	for _, tt := range []struct {
		name  string
		s     Saving
		delta int
		pct   float64
	}{
		{"LUT", got[0].LUT, 250, 25},
		{"FF", got[0].FF, 100, 25},
		{"BRAM", got[0].BRAM, 0, 0},
		{"DSP", got[0].DSP, 0, 0},
	} {
		if tt.s.Delta != tt.delta || tt.s.Percent != tt.pct {
			t.Errorf("%s: got %+v, want delta %d, %g%%", tt.name, tt.s, tt.delta, tt.pct)
		}
	}
	var b bytes.Buffer
	r := &Report{Logic: lg}
	if err := r.WriteSummary(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"saved        ice40  LUT    250 (25%)", "note: specialised core, ice40: does not fit", "depth  40"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}
