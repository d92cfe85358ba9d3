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
	"regexp"
	"sort"
	"strconv"
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
	Target string         `json:"target"`
	LUT    int            `json:"lut"`    // logic LUTs (SB_LUT4; LUT1–LUT6)
	FF     int            `json:"ff"`     // flip-flops
	BRAM   float64        `json:"bram"`   // block RAMs (SB_RAM40_4K; RAMB36E1, a RAMB18E1 counting half)
	DSP    int            `json:"dsp"`    // SB_MAC16; DSP48E1
	LUTRAM int            `json:"lutram"` // LUTs used as memory (xc7)
	Carry  int            `json:"carry"`  // carry cells (SB_CARRY; CARRY4)
	Cells  map[string]int `json:"cells"`  // every cell type
	// Depth is the logic depth: the longest combinational path in cells
	// (yosys ltp -noff; flip-flops and block RAMs end paths).
	Depth int `json:"depth"`
	// FmaxMHz is nextpnr-ice40's Fmax estimate on Device, when the design
	// fits it; otherwise PnR says why there is none.
	FmaxMHz    float64 `json:"fmax_mhz,omitempty"`
	Device     string  `json:"device,omitempty"`
	PnR        string  `json:"pnr,omitempty"`
	PnRSeconds float64 `json:"pnr_seconds,omitempty"`
	Seconds    float64 `json:"seconds"` // yosys
	Cached     bool    `json:"cached,omitempty"`
}

// ICE40Device is the iCE40 the ice40 target places and routes on: the
// largest with the SB_MAC16 DSPs that synth_ice40 -dsp maps to.
var ICE40Device = Device{Name: "iCE40UP5K", Arg: "--up5k", Package: "sg48", LUT: 5280, BRAM: 30, DSP: 8, IO: 39}

// Device is an FPGA nextpnr can place and route on, with its capacities.
type Device struct {
	Name, Arg, Package string
	LUT, BRAM, DSP, IO int
}

// fits says why r, with io top-level port bits, does not fit d, or "".
func (d Device) fits(r *Resources, io int) string {
	var over []string
	if r.LUT > d.LUT {
		over = append(over, fmt.Sprintf("%d LUT > %d", r.LUT, d.LUT))
	}
	if r.BRAM > float64(d.BRAM) {
		over = append(over, fmt.Sprintf("%g BRAM > %d", r.BRAM, d.BRAM))
	}
	if r.DSP > d.DSP {
		over = append(over, fmt.Sprintf("%d DSP > %d", r.DSP, d.DSP))
	}
	if io > d.IO {
		over = append(over, fmt.Sprintf("%d I/O pins > %d", io, d.IO))
	}
	if len(over) == 0 {
		return ""
	}
	return fmt.Sprintf("does not fit the %s (%s): not placed, logic depth only", d.Name, strings.Join(over, ", "))
}

// SynthConfig says where synthesis results are cached.
type SynthConfig struct {
	CacheDir  string // default: $XDG_CACHE_HOME/hbpf/yosys or ~/.cache/hbpf/yosys
	Log       string // if set, yosys writes its log there
	CacheOnly bool   // do not run yosys: return ErrNotCached unless the result is cached
	NoPnR     bool   // do not run nextpnr-ice40 even if the design fits
}

// ltpSelection is what yosys ltp measures: every cell but the sequential
// ones, so that paths end at flip-flops and block RAMs.
const ltpSelection = "* t:SB_DFF* %d t:FD* %d t:SB_RAM40_4K %d t:RAMB* %d"

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
	pnr := ""
	if target == TargetICE40 && !sc.NoPnR {
		if _, err := exec.LookPath("nextpnr-ice40"); err == nil {
			v, _ := exec.CommandContext(ctx, "nextpnr-ice40", "--version").CombinedOutput()
			pnr = fmt.Sprintf("%s %s %s %s", bytes.TrimSpace(v), ICE40Device.Arg, ICE40Device.Package, ICE40Device.Name)
		}
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00ltp -noff %s\x00%s\x00", Hash(files), bytes.TrimSpace(ver), script, ltpSelection, pnr)
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
	ys := fmt.Sprintf("read_verilog %s\n%s\ntee -q -o %s stat -json\ntee -q -o ltp.txt ltp -noff %s\n", strings.Join(read, " "), script, stat, ltpSelection)
	if pnr != "" {
		ys += "write_json design.json\n"
	}
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
	lb, err := os.ReadFile(filepath.Join(work, "ltp.txt"))
	if err != nil {
		return nil, fmt.Errorf("yosys %s: no logic depth: %w", target, err)
	}
	if r.Depth, err = ParseLTP(lb); err != nil {
		return nil, fmt.Errorf("yosys %s: %w", target, err)
	}
	r.Seconds = time.Since(t0).Seconds()
	switch {
	case target != TargetICE40:
	case pnr == "":
		r.PnR = "nextpnr-ice40 not run (not installed, or disabled)"
	default:
		r.Device = ICE40Device.Name
		if why := ICE40Device.fits(r, topIO(files)); why != "" {
			r.PnR = why
			break
		}
		t1 := time.Now()
		log := filepath.Join(work, "nextpnr.log")
		cmd := exec.CommandContext(ctx, "nextpnr-ice40", ICE40Device.Arg, "--package", ICE40Device.Package,
			"--json", "design.json", "--asc", "design.asc", "-q", "-l", log)
		cmd.Dir = work
		out, perr := cmd.CombinedOutput()
		r.PnRSeconds = time.Since(t1).Seconds()
		lb, _ := os.ReadFile(log)
		f, ferr := ParseNextpnrFmax(lb)
		switch {
		case perr != nil:
			r.PnR = fmt.Sprintf("nextpnr-ice40 on the %s failed: %v: %s", ICE40Device.Name, perr, lastLine(out))
		case ferr != nil:
			r.PnR = ferr.Error()
		default:
			r.FmaxMHz = f
		}
	}
	if err := os.MkdirAll(dir, 0o755); err == nil {
		if b, err := json.Marshal(r); err == nil {
			_ = os.WriteFile(cached, b, 0o644)
		}
	}
	return r, nil
}

// topIO counts the top module's port bits, the I/O pins it would need.
func topIO(files []File) int {
	re := regexp.MustCompile(`(?m)^\s*(input|output)\s+(?:wire|reg)?\s*(?:\[(\d+):(\d+)\])?`)
	n := 0
	for _, f := range files {
		if f.Name != Top+".v" {
			continue
		}
		for _, m := range re.FindAllStringSubmatch(string(f.Data), -1) {
			w := 1
			if m[2] != "" {
				hi, _ := strconv.Atoi(m[2])
				lo, _ := strconv.Atoi(m[3])
				w = hi - lo + 1
			}
			n += w
		}
	}
	return n
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

var (
	ltpRE  = regexp.MustCompile(`Longest topological path in \S+ \(length=(-?\d+)\)`)
	fmaxRE = regexp.MustCompile(`Max frequency for clock +'([^']*)': *([0-9.]+) MHz`)
)

// ParseLTP returns the longest path length that yosys's ltp pass printed
// (the largest over modules).
func ParseLTP(b []byte) (int, error) {
	ms := ltpRE.FindAllSubmatch(b, -1)
	if len(ms) == 0 {
		return 0, errors.New("ltp output: no longest path")
	}
	depth := -1
	for _, m := range ms {
		n, err := strconv.Atoi(string(m[1]))
		if err != nil {
			return 0, fmt.Errorf("ltp output: %w", err)
		}
		depth = max(depth, n)
	}
	return depth, nil
}

// ParseNextpnrFmax returns the Fmax that nextpnr's log reports after
// routing (its last report per clock), of the slowest clock.
func ParseNextpnrFmax(b []byte) (float64, error) {
	last := map[string]float64{}
	for _, m := range fmaxRE.FindAllSubmatch(b, -1) {
		f, err := strconv.ParseFloat(string(m[2]), 64)
		if err != nil {
			return 0, fmt.Errorf("nextpnr log: %w", err)
		}
		last[string(m[1])] = f
	}
	if len(last) == 0 {
		return 0, errors.New("nextpnr log: no \"Max frequency for clock\" line")
	}
	fmax := 0.0
	for _, f := range last {
		if fmax == 0 || f < fmax {
			fmax = f
		}
	}
	return fmax, nil
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
	s += fmt.Sprintf(", logic depth %d", r.Depth)
	if r.FmaxMHz > 0 {
		s += fmt.Sprintf(", Fmax %.1f MHz on the %s", r.FmaxMHz, r.Device)
	}
	return s
}
