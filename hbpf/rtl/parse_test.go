package rtl

import (
	"os"
	"path/filepath"
	"testing"
)

// TestParseLogs reads captured yosys ltp and nextpnr-ice40 outputs
// (testdata/logs, from small designs) and made-up edge cases.
func TestParseLogs(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "logs", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Run("ltp", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			in   []byte
			want int
			err  bool
		}{
			{"captured", read("ltp-ice40.txt"), 19, false},
			{"two modules", []byte("Longest topological path in a (length=3):\nLongest topological path in \\b (length=12):\n"), 12, false},
			{"no path", []byte("Longest topological path in t (length=-1):\n"), -1, false},
			{"empty", nil, 0, true},
		} {
			got, err := ParseLTP(tt.in)
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("%s: got %d, %v; want %d, error %v", tt.name, got, err, tt.want, tt.err)
			}
		}
	})
	t.Run("nextpnr", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			in   []byte
			want float64
			err  bool
		}{
			{"captured", read("nextpnr-up5k.log"), 142.45, false},
			{"after routing", []byte("Info: Max frequency for clock 'clk': 80.00 MHz (PASS at 12.00 MHz)\nInfo: Max frequency for clock 'clk': 71.25 MHz (PASS at 12.00 MHz)\n"), 71.25, false},
			{"slowest clock", []byte("Info: Max frequency for clock 'a': 50.00 MHz (PASS at 12.00 MHz)\nInfo: Max frequency for clock   'b': 40.50 MHz (FAIL at 48.00 MHz)\n"), 40.5, false},
			{"no interior paths", []byte("Info: No Fmax available; no interior timing paths found in design.\n"), 0, true},
		} {
			got, err := ParseNextpnrFmax(tt.in)
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("%s: got %g, %v; want %g, error %v", tt.name, got, err, tt.want, tt.err)
			}
		}
	})
}

// TestDeviceFits checks the reasons for not placing a design.
func TestDeviceFits(t *testing.T) {
	d := Device{Name: "X", LUT: 100, BRAM: 2, DSP: 1, IO: 10}
	if why := d.fits(&Resources{LUT: 100, BRAM: 2, DSP: 1}, 10); why != "" {
		t.Errorf("a design at capacity does not fit: %s", why)
	}
	want := "does not fit the X (101 LUT > 100, 3 BRAM > 2, 11 I/O pins > 10): not placed, logic depth only"
	if why := d.fits(&Resources{LUT: 101, BRAM: 3}, 11); why != want {
		t.Errorf("got %q, want %q", why, want)
	}
}
