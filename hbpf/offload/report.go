package offload

import (
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/hbpf/hbpf/hbpf/packets"
	"github.com/hbpf/hbpf/hbpf/sim"
)

// Report is the result of an evaluation. It marshals to the `--json` document.
type Report struct {
	Object      string              `json:"object"`
	Program     string              `json:"program"`
	Section     string              `json:"section,omitempty"`
	Trace       string              `json:"trace"`
	TraceError  string              `json:"trace_error,omitempty"` // the trace was malformed after Packets packets
	Core        string              `json:"core"`
	Offloadable bool                `json:"offloadable"`
	Blockers    []Blocker           `json:"blockers"`
	DeadCode    []DeadFeature       `json:"dead_code,omitempty"` // not blockers: what the hardware lacks in code that cannot run with the .rodata
	Features    Features            `json:"features"`
	Packets     int                 `json:"packets"` // packets simulated
	Skipped     int                 `json:"skipped"` // frames shorter than an Ethernet header, not run
	Sizes       packets.SizeSummary `json:"sizes"`
	Actions     map[string]int      `json:"actions"`
	FaultCount  int                 `json:"fault_count"`
	Faults      []PacketFault       `json:"faults,omitempty"` // the first ones
	Profiles    []ProfileStats      `json:"profiles"`         // hbpf first
	Hot         []HotInsn           `json:"hot"`
	HashWalks   []HashWalk          `json:"hash_walks,omitempty"` // per map whose hash-unit chains the helpers walked
	BusBytes    int                 `json:"bus_bytes"`
	SwapCycles  int                 `json:"swap_cycles"`
	Throughput  []Rate              `json:"throughput"`
	LineRates   []LineRate          `json:"line_rates"`
	Kernel      *KernelBaseline     `json:"kernel,omitempty"`
	Logic       *Logic              `json:"logic,omitempty"`
	LogicError  string              `json:"logic_error,omitempty"`

	perPacket *profileRun
	classic   *profileRun
}

// Verdict returns a one-line verdict.
func (r *Report) Verdict() string {
	if r.Offloadable {
		return "offloadable"
	}
	return fmt.Sprintf("not offloadable (%d blocker%s)", len(r.Blockers), plural(len(r.Blockers)))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// WriteJSON writes the report as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteSummary writes the terminal summary.
func (r *Report) WriteSummary(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "hbpf offload evaluation: %s (%s) on %s\n", r.Program, r.Object, r.Trace)
	fmt.Fprintf(&b, "verdict: %s\n", r.Verdict())
	for _, bl := range r.Blockers {
		fmt.Fprintf(&b, "  - %s\n", bl)
	}
	r.writeDeadCode(&b, false)
	f := r.Features
	fmt.Fprintf(&b, "program: %d instructions (%d slots), stack ≈%d bytes, call depth %d, %d helper%s, %d map%s (%d bytes)\n",
		f.Insns, f.Slots, f.StackBytes, f.CallDepth, len(f.Helpers), plural(len(f.Helpers)), len(f.Maps), plural(len(f.Maps)), f.MapMemBytes)
	fmt.Fprintf(&b, "trace: %d packets (%d skipped), mean %.0f bytes", r.Packets, r.Skipped, r.Sizes.Mean)
	if r.TraceError != "" {
		fmt.Fprintf(&b, " — stopped early: %s", r.TraceError)
	}
	b.WriteString("\nactions:")
	for _, a := range sortedKeys(r.Actions) {
		fmt.Fprintf(&b, " %s %d", a, r.Actions[a])
	}
	if r.FaultCount > 0 {
		fmt.Fprintf(&b, "\n%d packets trapped; first: packet %d: %s", r.FaultCount, r.Faults[0].Index, r.Faults[0].Fault)
	}
	b.WriteString("\n\ncycles per packet      min   mean    p50    p90    p99    max   insns   CPI\n")
	for _, ps := range r.Profiles {
		c := ps.Cycles
		fmt.Fprintf(&b, "  %-16s %6.0f %6.1f %6.0f %6.0f %6.0f %6.0f %7.1f %5.2f\n", ps.Profile, c.Min, c.Mean, c.P50, c.P90, c.P99, c.Max, ps.Insns.Mean, ps.CPI)
	}
	if len(r.Profiles) > 1 && r.Profiles[0].Cycles.Mean > 0 {
		fmt.Fprintf(&b, "  %s / %s: %.2f× the cycles\n", r.Profiles[1].Profile, r.Profiles[0].Profile, r.Profiles[1].Cycles.Mean/r.Profiles[0].Cycles.Mean)
	}
	fmt.Fprintf(&b, "\nthroughput, one core (bus %d B/cycle, %d-cycle buffer swap):\n", r.BusBytes, r.SwapCycles)
	for _, t := range r.Throughput {
		fmt.Fprintf(&b, "  %-16s %7.2f MHz  %8.2f Mpps  %7.2f Gbit/s  %7.1f ns/packet\n", t.Profile, t.ClockMHz, t.PPS/1e6, t.Gbps, t.NsPerPkt)
	}
	if r.Kernel != nil {
		if r.Kernel.Available {
			fmt.Fprintf(&b, "  %-16s this host's CPU  %8.2f Mpps  (%.1f ns/packet mean, %d packets × %d runs, BPF_PROG_TEST_RUN)\n", "kernel", 1e3/r.Kernel.NsMean, r.Kernel.NsMean, r.Kernel.Packets, r.Kernel.Repeat)
		} else {
			fmt.Fprintf(&b, "  kernel baseline unavailable: %s\n", r.Kernel.Reason)
		}
	}
	b.WriteString("\ncores needed for line rate (hbpf profile; 0 = more than the limit):\n")
	for _, lr := range r.LineRates {
		fmt.Fprintf(&b, "  %5.0f GbE %-5s %7.2f Mpps:", lr.Gbps, lr.Frames, lr.PPS/1e6)
		for _, c := range lr.CoresNeed {
			if c.Profile == r.Profiles[0].Profile {
				fmt.Fprintf(&b, "  %g MHz→%s", c.ClockMHz, coresText(c.N))
			}
		}
		b.WriteString("\n")
	}
	if len(r.Hot) > 0 {
		b.WriteString("\nhottest instructions (share of the program's cycles, hbpf profile):\n")
		for _, h := range r.Hot {
			fmt.Fprintf(&b, "  %5.1f%%  %4d  %-32s %s\n", h.Share*100, h.Slot, h.Insn, strings.TrimSpace(h.Source))
		}
	}
	if len(r.HashWalks) > 0 {
		b.WriteString("\nhash-unit walks (hbpf profile; a cycle per 8 bytes of each key compared on the key's chain):\n")
		for _, w := range r.HashWalks {
			fmt.Fprintf(&b, "  %-16s %-12s %8d calls  %5.2f keys compared per call (max %d)", w.Map, w.Type, w.Calls, w.MeanProbes, w.MaxProbes)
			if w.MeanLengths > 0 {
				fmt.Fprintf(&b, ", %.2f prefix lengths tried", w.MeanLengths)
			}
			b.WriteString("\n")
		}
	}
	if lg := r.Logic; lg != nil {
		b.WriteString("\nlogic cost:\n")
		for _, set := range []struct {
			name string
			rs   []Resources
		}{{"generic", lg.Generic}, {"specialised", lg.Specialised}} {
			for _, x := range set.rs {
				fmt.Fprintf(&b, "  %-12s %-6s LUT %6d  FF %6d  BRAM %3d  DSP %3d%s\n", set.name, x.Target, x.LUT, x.FF, x.BRAM, x.DSP, fmaxText(x))
			}
		}
		for _, s := range lg.Saved() {
			fmt.Fprintf(&b, "  saved        %-6s LUT %6d (%s)  FF %6d (%s)  BRAM %3d (%s)  DSP %3d (%s)\n", s.Target,
				s.LUT.Delta, pct(s.LUT), s.FF.Delta, pct(s.FF), s.BRAM.Delta, pct(s.BRAM), s.DSP.Delta, pct(s.DSP))
		}
		for _, n := range lg.Notes {
			fmt.Fprintf(&b, "  note: %s\n", n)
		}
	} else if r.LogicError != "" {
		fmt.Fprintf(&b, "\nlogic cost unavailable: %s\n", r.LogicError)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeDeadCode explains the calls the hardware cannot make in code that
// cannot run with the object's .rodata: for the terminal summary, or as
// Markdown.
func (r *Report) writeDeadCode(b *strings.Builder, md bool) {
	n := len(r.DeadCode)
	if n == 0 {
		return
	}
	notA, aCall, it := "not a blocker", "a call", "it"
	if n > 1 {
		notA, aCall, it = "not blockers", "calls", "they"
	}
	trap := fmt.Sprintf("if a loader set the .rodata so that %s ran, the core would trap there (cause %d, %s)",
		it, sim.CauseUnknownHelper, sim.CauseUnknownHelper)
	if !md {
		fmt.Fprintf(b, "%s — %s the hardware cannot make, in code that cannot run with the object's .rodata (the verifier prunes it too):\n", notA, aCall)
		for _, d := range r.DeadCode {
			loc := d.Feature
			if d.Slot >= 0 {
				loc = fmt.Sprintf("insn %d `%s`: %s", d.Slot, d.Insn, d.Feature)
			}
			if d.Source != "" {
				loc += " (" + d.Source + ")"
			}
			fmt.Fprintf(b, "  - %s\n    cannot run: %s\n", loc, d.Why)
			if d.WhySource != "" {
				fmt.Fprintf(b, "      at %s\n", d.WhySource)
			}
		}
		fmt.Fprintf(b, "  %s\n", trap)
		return
	}
	fmt.Fprintf(b, "The program has %s the hardware cannot make, but only in code that cannot run with the read-only data (.rodata) the object carries. "+
		"The kernel's verifier prunes that code as well, so it does not stop the offload.\n\n", aCall)
	for _, d := range r.DeadCode {
		loc := "`" + d.Feature + "`"
		if d.Slot >= 0 {
			loc += fmt.Sprintf(" at slot %d (`%s`)", d.Slot, d.Insn)
		}
		if d.Source != "" {
			loc += fmt.Sprintf(", `%s`", d.Source)
		}
		why := d.Why
		if d.WhySource != "" {
			why += fmt.Sprintf(" (`%s`)", d.WhySource)
		}
		fmt.Fprintf(b, "- %s: cannot run — %s\n", loc, why)
	}
	fmt.Fprintf(b, "\n%s%s.\n", strings.ToUpper(trap[:1]), trap[1:])
}

// Saving is how much less of one resource the specialised core uses than
// the generic one.
type Saving struct {
	Delta   int     `json:"delta"`   // generic − specialised
	Percent float64 `json:"percent"` // of the generic core's; 0 when it uses none
}

// Saved is the logic the specialised core saves on one target.
type Saved struct {
	Target             string
	LUT, FF, BRAM, DSP Saving
}

// Saved returns, per target synthesised for both cores, the logic the
// specialised core saves against the generic one.
func (lg *Logic) Saved() []Saved {
	var out []Saved
	saving := func(g, s int) Saving {
		v := Saving{Delta: g - s}
		if g > 0 {
			v.Percent = 100 * float64(g-s) / float64(g)
		}
		return v
	}
	for _, g := range lg.Generic {
		for _, s := range lg.Specialised {
			if s.Target != g.Target {
				continue
			}
			out = append(out, Saved{Target: g.Target, LUT: saving(g.LUT, s.LUT), FF: saving(g.FF, s.FF),
				BRAM: saving(g.BRAM, s.BRAM), DSP: saving(g.DSP, s.DSP)})
		}
	}
	return out
}

func pct(s Saving) string { return fmt.Sprintf("%.0f%%", s.Percent) }

func coresText(n int) string {
	if n == 0 {
		return "—"
	}
	return fmt.Sprint(n)
}

func fmaxText(x Resources) string {
	switch {
	case x.FmaxMHz > 0:
		return fmt.Sprintf("  depth %3d  Fmax %.1f MHz", x.Depth, x.FmaxMHz)
	case x.Depth > 0:
		return fmt.Sprintf("  depth %3d", x.Depth)
	}
	return ""
}

// WriteDir writes report.md, report.json and the plots (SVG and PNG) into dir.
func (r *Report) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	jf, err := os.Create(filepath.Join(dir, "report.json"))
	if err != nil {
		return err
	}
	if err := r.WriteJSON(jf); err != nil {
		jf.Close()
		return err
	}
	if err := jf.Close(); err != nil {
		return err
	}
	plots, err := r.writePlots(dir)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Offload evaluation: `%s`\n\n", r.Program)
	fmt.Fprintf(&b, "Object `%s`, trace `%s`, core `%s`. **Verdict: %s.**\n\n", r.Object, r.Trace, r.Core, r.Verdict())
	if len(r.Blockers) > 0 {
		b.WriteString("## What stops the offload\n\n")
		for _, bl := range r.Blockers {
			fmt.Fprintf(&b, "- %s\n", bl)
		}
		b.WriteString("\n")
	}
	if len(r.DeadCode) > 0 {
		b.WriteString("## Not blocking: code that cannot run with the object's .rodata\n\n")
		r.writeDeadCode(&b, true)
		b.WriteString("\n")
	}
	b.WriteString("## Summary\n\n```\n")
	if err := r.WriteSummary(&b); err != nil {
		return err
	}
	b.WriteString("```\n\n## Program features\n\n| feature | value |\n|---|---|\n")
	f := r.Features
	fmt.Fprintf(&b, "| size | %d instructions, %d slots |\n| stack (estimate) | %d bytes |\n| bpf-to-bpf calls | %d sites, depth %d |\n| tail calls | %d |\n| atomics | %v |\n| division | %v |\n",
		f.Insns, f.Slots, f.StackBytes, f.LocalCalls, f.CallDepth, f.TailCalls, f.UsesAtomics, f.UsesDivision)
	for _, cl := range sortedKeys(f.Classes) {
		fmt.Fprintf(&b, "| class %s | %d |\n", cl, f.Classes[cl])
	}
	for _, h := range f.Helpers {
		fmt.Fprintf(&b, "| helper %d %s | %d call sites |\n", h.ID, h.Name, h.Sites)
	}
	for _, m := range f.Maps {
		fmt.Fprintf(&b, "| map %s | %s, key %d, value %d, %d entries, %d bytes |\n", m.Name, m.Type, m.KeySize, m.ValueSize, m.MaxEntries, m.Bytes)
	}
	b.WriteString("\n## Cycles per packet by action\n\n| profile | action | n | min | mean | p50 | p90 | p99 | max |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, ps := range r.Profiles {
		for _, a := range sortedKeys(ps.ByAction) {
			d := ps.ByAction[a]
			fmt.Fprintf(&b, "| %s | %s | %d | %.0f | %.1f | %.0f | %.0f | %.0f | %.0f |\n", ps.Profile, a, d.N, d.Min, d.Mean, d.P50, d.P90, d.P99, d.Max)
		}
	}
	if lg := r.Logic; lg != nil {
		b.WriteString("\n## Logic cost\n\nyosys (synth_ice40 -dsp, synth_xilinx -family xc7), cached by design hash; the logic depth is the longest combinational path in cells (ltp -noff); Fmax from nextpnr-ice40 where the design fits the device.\n\n")
		b.WriteString("| core | target | LUT | FF | BRAM | DSP | logic depth | Fmax |\n|---|---|---:|---:|---:|---:|---:|---:|\n")
		for _, set := range []struct {
			name string
			rs   []Resources
		}{{"generic", lg.Generic}, {"specialised", lg.Specialised}} {
			for _, x := range set.rs {
				fmax := "—"
				if x.FmaxMHz > 0 {
					fmax = fmt.Sprintf("%.1f MHz", x.FmaxMHz)
				}
				fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d | %d | %s |\n", set.name, x.Target, x.LUT, x.FF, x.BRAM, x.DSP, x.Depth, fmax)
			}
		}
		for _, s := range lg.Saved() {
			fmt.Fprintf(&b, "| **saved** | %s | %d (%s) | %d (%s) | %d (%s) | %d (%s) | | |\n", s.Target,
				s.LUT.Delta, pct(s.LUT), s.FF.Delta, pct(s.FF), s.BRAM.Delta, pct(s.BRAM), s.DSP.Delta, pct(s.DSP))
		}
		if len(lg.Notes) > 0 {
			b.WriteString("\n")
			for _, n := range lg.Notes {
				fmt.Fprintf(&b, "- %s\n", n)
			}
		}
	}
	b.WriteString("\n## Plots\n\n")
	for _, p := range plots {
		fmt.Fprintf(&b, "![%s](%s)\n\n", p, p)
	}
	b.WriteString("## Throughput model\n\n")
	fmt.Fprintf(&b, "Each core double-buffers packets: while it runs the program on one, the next is written over a %d-byte-per-cycle bus. "+
		"A packet holds a core for max(program cycles, ⌈length / %d⌉) + %d cycles; N cores give N times one core's rate. "+
		"Line rates count 20 bytes of preamble and inter-frame gap and the 4-byte FCS per frame (a 64-byte frame takes 84 byte times).\n", r.BusBytes, r.BusBytes, r.SwapCycles)
	return os.WriteFile(filepath.Join(dir, "report.md"), []byte(b.String()), 0o644)
}

// writePlots draws the cycle histogram and cycles against packet size.
func (r *Report) writePlots(dir string) ([]string, error) {
	if r.perPacket == nil || len(r.perPacket.cycles) == 0 {
		return nil, nil
	}
	var names []string
	hist := plot.New()
	hist.Title.Text = fmt.Sprintf("%s: cycles per packet (%s)", r.Program, r.Profiles[0].Profile)
	hist.X.Label.Text = "cycles"
	hist.Y.Label.Text = "packets"
	h, err := plotter.NewHist(plotter.Values(r.perPacket.cycles), 40)
	if err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	h.FillColor = color.RGBA{R: 70, G: 130, B: 180, A: 255}
	hist.Add(h)
	for _, ext := range []string{"svg", "png"} {
		name := "cycles-histogram." + ext
		if err := hist.Save(7*vg.Inch, 4*vg.Inch, filepath.Join(dir, name)); err != nil {
			return nil, fmt.Errorf("saving %s: %w", name, err)
		}
		if ext == "png" {
			names = append(names, name)
		}
	}
	sc := plot.New()
	sc.Title.Text = fmt.Sprintf("%s: cycles against packet length", r.Program)
	sc.X.Label.Text = "packet length (bytes)"
	sc.Y.Label.Text = "cycles"
	colors := []color.Color{color.RGBA{R: 70, G: 130, B: 180, A: 255}, color.RGBA{R: 220, G: 90, B: 40, A: 255}}
	for i, run := range []*profileRun{r.perPacket, r.classic} {
		if run == nil {
			continue
		}
		step := max(1, len(run.cycles)/20000)
		pts := make(plotter.XYs, 0, len(run.cycles)/step+1)
		for j := 0; j < len(run.cycles); j += step {
			pts = append(pts, plotter.XY{X: run.length[j], Y: run.cycles[j]})
		}
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, fmt.Errorf("scatter: %w", err)
		}
		s.GlyphStyle.Color = colors[i%len(colors)]
		s.GlyphStyle.Radius = vg.Points(1.5)
		sc.Add(s)
		sc.Legend.Add(run.prof.Name, s)
	}
	sc.Legend.Top = true
	sc.Y.Min = 0
	sc.Y.Max *= 1.25 // room for the legend above the points
	for _, ext := range []string{"svg", "png"} {
		name := "cycles-vs-size." + ext
		if err := sc.Save(7*vg.Inch, 4*vg.Inch, filepath.Join(dir, name)); err != nil {
			return nil, fmt.Errorf("saving %s: %w", name, err)
		}
		if ext == "png" {
			names = append(names, name)
		}
	}
	return names, nil
}
