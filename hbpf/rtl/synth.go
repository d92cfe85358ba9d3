package rtl

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Synthesis targets.
const (
	TargetICE40 = "ice40" // yosys synth_ice40 -dsp (iCE40 UltraPlus cells)
	TargetXC7   = "xc7"   // yosys synth_xilinx -family xc7
)

// Targets lists the synthesis targets.
var Targets = []string{TargetICE40, TargetXC7}

// ErrNoYosys is returned by Synthesize when yosys is not installed.
var ErrNoYosys = errors.New("yosys not found (Debian: apt-get install yosys)")

// Resources is the logic a synthesis used.
type Resources struct {
	Target  string         `json:"target"`
	LUT     int            `json:"lut"`    // logic LUTs (SB_LUT4; LUT1–LUT6)
	FF      int            `json:"ff"`     // flip-flops
	BRAM    float64        `json:"bram"`   // block RAMs (SB_RAM40_4K; RAMB36E1, a RAMB18E1 counting half)
	DSP     int            `json:"dsp"`    // SB_MAC16; DSP48E1
	LUTRAM  int            `json:"lutram"` // LUTs used as memory (xc7)
	Carry   int            `json:"carry"`  // carry cells (SB_CARRY; CARRY4)
	Cells   map[string]int `json:"cells"`  // every cell type
	Seconds float64        `json:"seconds"`
	Cached  bool           `json:"cached,omitempty"`
}

// SynthConfig says where synthesis results are cached.
type SynthConfig struct {
	CacheDir  string // default: $XDG_CACHE_HOME/hbpf/yosys or ~/.cache/hbpf/yosys
	Log       string // if set, yosys writes its log there
	CacheOnly bool   // do not run yosys: return ErrNotCached unless the result is cached
}

// ErrNotCached is returned by Synthesize with CacheOnly when yosys would run.
var ErrNotCached = errors.New("synthesis result not cached")

// Synthesize runs yosys on the generated files for target, or returns the
// cached result of an identical run.
func Synthesize(ctx context.Context, files []File, target string, sc SynthConfig) (*Resources, error) {
	var script string
	switch target {
	case TargetICE40:
		script = "synth_ice40 -dsp -top " + Top
	case TargetXC7:
		script = "synth_xilinx -flatten -family xc7 -top " + Top
	default:
		return nil, fmt.Errorf("synthesis target %q (known: %s)", target, strings.Join(Targets, ", "))
	}
	if _, err := exec.LookPath("yosys"); err != nil {
		return nil, ErrNoYosys
	}
	ver, err := exec.CommandContext(ctx, "yosys", "-V").Output()
	if err != nil {
		return nil, fmt.Errorf("yosys -V: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", Hash(files), bytes.TrimSpace(ver), script)
	key := hex.EncodeToString(h.Sum(nil))[:20]
	dir := sc.CacheDir
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("synthesis cache: %w", err)
		}
		dir = filepath.Join(base, "hbpf", "yosys")
	}
	cached := filepath.Join(dir, key+"-"+target+".json")
	if b, err := os.ReadFile(cached); err == nil {
		var r Resources
		if json.Unmarshal(b, &r) == nil {
			r.Cached = true
			return &r, nil
		}
	}
	if sc.CacheOnly {
		return nil, ErrNotCached
	}

	t0 := time.Now()
	work, err := os.MkdirTemp("", "hbpf-yosys-")
	if err != nil {
		return nil, fmt.Errorf("synthesize: %w", err)
	}
	defer os.RemoveAll(work)
	if err := Write(work, files); err != nil {
		return nil, err
	}
	var read []string
	for _, f := range files {
		read = append(read, f.Name)
	}
	stat := filepath.Join(work, "stat.json")
	ys := fmt.Sprintf("read_verilog %s\n%s\ntee -q -o %s stat -json\n", strings.Join(read, " "), script, stat)
	if err := os.WriteFile(filepath.Join(work, "synth.ys"), []byte(ys), 0o644); err != nil {
		return nil, fmt.Errorf("synthesize: %w", err)
	}
	args := []string{"-q", "synth.ys"}
	if sc.Log != "" {
		args = []string{"-q", "-l", sc.Log, "synth.ys"}
	}
	cmd := exec.CommandContext(ctx, "yosys", args...)
	cmd.Dir = work
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("yosys %s: %w\n%s", target, err, tail(out.Bytes(), 4000))
	}
	b, err := os.ReadFile(stat)
	if err != nil {
		return nil, fmt.Errorf("yosys %s: no statistics: %w", target, err)
	}
	r, err := parseStat(b, target)
	if err != nil {
		return nil, err
	}
	r.Seconds = time.Since(t0).Seconds()
	if err := os.MkdirAll(dir, 0o755); err == nil {
		if b, err := json.Marshal(r); err == nil {
			_ = os.WriteFile(cached, b, 0o644)
		}
	}
	return r, nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// parseStat reads the cell counts of yosys's stat -json for the top module.
func parseStat(b []byte, target string) (*Resources, error) {
	var st struct {
		Modules map[string]struct {
			Cells map[string]int `json:"num_cells_by_type"`
		} `json:"modules"`
		Design struct {
			Cells map[string]int `json:"num_cells_by_type"`
		} `json:"design"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("yosys statistics: %w", err)
	}
	cells := st.Design.Cells
	if len(cells) == 0 {
		for name, m := range st.Modules {
			if strings.TrimPrefix(name, "\\") == Top {
				cells = m.Cells
			}
		}
	}
	if len(cells) == 0 {
		return nil, fmt.Errorf("yosys statistics: no cells for %s", Top)
	}
	r := &Resources{Target: target, Cells: cells}
	names := make([]string, 0, len(cells))
	for c := range cells {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, c := range names {
		n := cells[c]
		switch {
		case c == "SB_LUT4" || (strings.HasPrefix(c, "LUT") && len(c) == 4):
			r.LUT += n
		case strings.HasPrefix(c, "SB_DFF") || strings.HasPrefix(c, "FD"):
			r.FF += n
		case c == "SB_RAM40_4K" || c == "RAMB36E1":
			r.BRAM += float64(n)
		case c == "RAMB18E1":
			r.BRAM += float64(n) / 2
		case c == "SB_MAC16" || strings.HasPrefix(c, "DSP48"):
			r.DSP += n
		case strings.HasPrefix(c, "RAM32") || strings.HasPrefix(c, "RAM64") || strings.HasPrefix(c, "RAM128") || strings.HasPrefix(c, "RAM256"):
			r.LUTRAM += n
		case c == "SB_CARRY" || c == "CARRY4":
			r.Carry += n
		}
	}
	return r, nil
}

// String formats the resources on one line.
func (r *Resources) String() string {
	s := fmt.Sprintf("%s: %d LUT, %d FF, %g BRAM, %d DSP", r.Target, r.LUT, r.FF, r.BRAM, r.DSP)
	if r.LUTRAM > 0 {
		s += fmt.Sprintf(", %d LUTRAM", r.LUTRAM)
	}
	return s
}
