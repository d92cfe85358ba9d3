package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hbpf/hbpf/hbpf/conformance"
	"github.com/hbpf/hbpf/hbpf/cosim"
	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/rtl"
	"github.com/hbpf/hbpf/hbpf/sim/timing"
	"github.com/hbpf/hbpf/hbpf/xdp"
	"github.com/hbpf/hbpf/internal/progress"
)

func cosimCommand() *cli.Command {
	return &cli.Command{
		Name:      "cosim",
		Usage:     "run the Verilated RTL in lock-step with the simulator and compare every retired instruction (exit 3 on a divergence)",
		ArgsUsage: "PROG (ELF object, raw bytecode, assembly or .data test), or --random N",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "prog", Aliases: []string{"name"}, Usage: "program `NAME` in an ELF object (default: the first XDP program)"},
			&cli.StringFlag{Name: "mem", Usage: "run on memory: r1 points to these `HEX` bytes, r2 holds their length"},
			&cli.StringSliceFlag{Name: "packet", Usage: "run on the Ethernet frame `HEX` (repeatable)"},
			&cli.StringFlag{Name: "pcap", Usage: "run on every packet of the capture `IN`"},
			mapsInFlag,
			&cli.IntFlag{Name: "count", Usage: "stop after `N` packets (0: all)"},
			&cli.StringFlag{Name: "vcd", Usage: "write the waveform of the model to `FILE` (builds a tracing model)"},
			&cli.BoolFlag{Name: "alone", Usage: "do not stream retirement records: compare only results, packets and maps (speed)"},
			&cli.BoolFlag{Name: "json", Usage: "print the summary as one JSON document"},
			&cli.BoolFlag{Name: "specialised", Usage: "run the core specialised to the program (hbpfc verilog --prog): its code in ROM, unused units left out"},
			&cli.StringFlag{Name: "fault", Usage: "plant fault `F` in the RTL (alu-xor, load-cycle, hash-walk): proves the checker fails"},
			&cli.IntFlag{Name: "random", Usage: "instead of PROG, run `N` random programs (hbpf/randprog) on --packets packets each"},
			&cli.Int64Flag{Name: "first", Value: 1, Usage: "with --random: the first program seed `S`"},
			&cli.IntFlag{Name: "packets", Value: 3, Usage: "with --random: packets per program `N`"},
		}, simFlags(true)...),
		Action: cosimAction,
	}
}

// cosimSummary is what cosim reports.
type cosimSummary struct {
	Program      string  `json:"program"`
	Runs         int     `json:"runs"`
	Faults       int     `json:"faults"` // runs that trapped, alike on both sides
	Records      uint64  `json:"records"`
	Cycles       uint64  `json:"cycles"`       // core cycles of the runs (timing table)
	Clocks       uint64  `json:"clocks"`       // clock cycles the model simulated, host loading included
	Seconds      float64 `json:"seconds"`      // wall time of the runs
	CyclesPerSec float64 `json:"clocks_per_s"` // model speed
	LockStep     bool    `json:"lock_step"`
	Specialised  bool    `json:"specialised,omitempty"` // the core specialised to the program
	Model        string  `json:"model"`
	ModelCached  bool    `json:"model_cached"`
	BuildSeconds float64 `json:"build_seconds"`
}

func cosimAction(c *cli.Context) error {
	if c.IsSet("random") {
		return cosimRandom(c)
	}
	if c.NArg() != 1 {
		return usageErr("cosim: want exactly one PROG, got %d arguments", c.NArg())
	}
	sc, err := simConfig(c)
	if err != nil {
		return err
	}
	sc.Log = io.Discard
	rc, err := rtlConfig(c)
	if err != nil {
		return err
	}
	rc.ClockMHz = sc.ClockMHz
	f, err := isa.Open(c.Args().First())
	if err != nil {
		return err
	}
	if _, err := applyMapsIn(c, f); err != nil {
		return err
	}
	idx, err := xdp.SelectProgram(f.Object, c.String("prog"))
	if err != nil {
		return err
	}
	progs, which := f.Object.Programs, idx
	specialised := c.Bool("specialised")
	spec, sprogs, swhich := rtl.Specialise(f.Object.Programs, idx, f.Object.Maps)
	spec.Profile, spec.DmemAW, spec.ClockMHz, spec.Fault = rc.Profile, rc.DmemAW, rc.ClockMHz, rc.Fault
	if !specialised && f.Kind != isa.KindData {
		// Maps too big for the generic core fit the core sized to the program.
		if u := rc.UnsupportedObject(progs, which, f.Object.Maps); len(u) > 0 && len(spec.UnsupportedObject(sprogs, swhich, f.Object.Maps)) == 0 {
			fmt.Fprintf(os.Stderr, "the generic core cannot run %s (%s); running the core specialised to it\n",
				f.Object.Programs[idx].Name, strings.TrimPrefix(u[0], "not offloadable: "))
			specialised = true
		}
	}
	if specialised {
		rc, progs, which = spec, sprogs, swhich
	}
	memMode := c.IsSet("mem") || (f.Kind == isa.KindData && !c.IsSet("pcap") && !c.IsSet("packet"))
	var mem []byte
	if memMode {
		if f.Test != nil {
			mem, sc.Conformance = f.Test.Mem, true
		}
		if c.IsSet("mem") {
			if mem, err = parseHex(c.String("mem"), "--mem"); err != nil {
				return err
			}
		}
	}
	var src packetSource
	if !memMode {
		var closeSrc func()
		if src, closeSrc, err = openPackets(c, "cosim"); err != nil {
			return err
		}
		defer closeSrc()
	}

	vcd := c.String("vcd")
	m, err := cosim.Build(c.Context, cosim.BuildConfig{RTL: rc, Trace: vcd != "", Log: nil})
	if err != nil {
		if errors.Is(err, cosim.ErrNoVerilator) {
			return withCode(exitIO, err)
		}
		return err
	}
	fmt.Fprintf(os.Stderr, "model %s (%s)\n", m.Dir, buildNote(m))
	s, err := m.Start(vcd)
	if err != nil {
		return err
	}
	defer s.Close()
	ch, err := cosim.NewChecker(s, rc, progs, which, f.Object.Maps, sc)
	if err != nil {
		if errors.Is(err, cosim.ErrUnsupported) {
			return withCode(exitBadInput, err)
		}
		return err
	}
	ch.NoRecords = c.Bool("alone")
	sum := cosimSummary{Program: f.Object.Programs[idx].Name, Specialised: specialised, LockStep: !ch.NoRecords, Model: m.Dir,
		ModelCached: m.Cached, BuildSeconds: m.Duration.Seconds()}
	t0 := time.Now()
	check := func(err error, cycles uint64) error {
		var mm *cosim.Mismatch
		if errors.As(err, &mm) {
			fmt.Fprint(os.Stderr, mm.Report())
			return withCode(exitMismatch, err)
		}
		if err != nil {
			if errors.Is(err, cosim.ErrUnsupported) {
				return withCode(exitBadInput, err)
			}
			return err
		}
		sum.Runs++
		sum.Cycles += cycles
		return nil
	}
	if memMode {
		r, err := ch.RunMem(mem)
		if err := check(err, r.Cycles); err != nil {
			return err
		}
		if r.Fault != nil {
			sum.Faults++
		}
	} else {
		limit := c.Int("count")
		for limit == 0 || sum.Runs < limit {
			p, err := src.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			r, err := ch.RunXDP(p.Data)
			if err := check(err, r.Cycles); err != nil {
				return fmt.Errorf("packet %d: %w", p.Index, err)
			}
			if r.Fault != nil {
				sum.Faults++
			}
		}
	}
	sum.Seconds = time.Since(t0).Seconds()
	sum.Records, sum.Clocks = ch.Records, s.Clocks
	if sum.Seconds > 0 {
		sum.CyclesPerSec = float64(s.Clocks) / sum.Seconds
	}
	if err := s.Close(); err != nil {
		return err
	}
	if c.Bool("json") {
		if err := json.NewEncoder(os.Stdout).Encode(sum); err != nil {
			return err
		}
	} else {
		mode := "lock-step, every retirement compared"
		if !sum.LockStep {
			mode = "alone, results compared"
		}
		fmt.Printf("%s: rtl = sim on %d runs (%s): %d records, %d core cycles\n", sum.Program, sum.Runs, mode, sum.Records, sum.Cycles)
		fmt.Printf("model: %d clock cycles in %.2f s (%.0f cycles/s)\n", sum.Clocks, sum.Seconds, sum.CyclesPerSec)
	}
	if sum.Faults > 0 {
		return withCode(exitFault, fmt.Errorf("%d of %d runs trapped (alike in the RTL and the simulator)", sum.Faults, sum.Runs))
	}
	return nil
}

func buildNote(m *cosim.Model) string {
	if m.Cached {
		return "cached"
	}
	return fmt.Sprintf("built in %.1f s", m.Duration.Seconds())
}

// conformanceRTL runs the conformance tests on the RTL through one model and
// one harness session (conformance --rtl).
func conformanceRTL(c *cli.Context, files []string, prof *timing.Profile) ([]conformance.Result, error) {
	rc := rtl.Config{Profile: prof}
	m, err := cosim.Build(c.Context, cosim.BuildConfig{RTL: rc})
	if err != nil {
		if errors.Is(err, cosim.ErrNoVerilator) {
			return nil, withCode(exitIO, err)
		}
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "model %s (%s)\n", m.Dir, buildNote(m))
	s, err := m.Start("")
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	b := &cosim.Backend{S: s, Config: rc, Profile: prof}
	rs := cosim.RunConformance(files, b, nil)
	if err := s.Close(); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "rtl: %d records compared, %d clock cycles in %.2f s\n", b.Records, s.Clocks, time.Since(t0).Seconds())
	return rs, nil
}

// cosimRandom runs random programs in lock-step (cosim --random N).
func cosimRandom(c *cli.Context) error {
	if c.NArg() != 0 {
		return usageErr("cosim --random: no PROG expected, got %d arguments", c.NArg())
	}
	n := c.Int("random")
	if n <= 0 || c.Int("packets") <= 0 {
		return usageErr("cosim --random N --packets M: both must be positive")
	}
	rc, err := rtlConfig(c)
	if err != nil {
		return err
	}
	m, err := cosim.Build(c.Context, cosim.BuildConfig{RTL: rc})
	if err != nil {
		if errors.Is(err, cosim.ErrNoVerilator) {
			return withCode(exitIO, err)
		}
		return err
	}
	fmt.Fprintf(os.Stderr, "model %s (%s)\n", m.Dir, buildNote(m))
	s, err := m.Start("")
	if err != nil {
		return err
	}
	defer s.Close()
	bar := progress.New(os.Stderr, "programs", int64(n))
	t0 := time.Now()
	r, err := cosim.Random(s, rc, c.Int64("first"), n, c.Int("packets"), func(int64) { bar.Add(1) })
	bar.Done()
	if err != nil {
		if mm, ok := cosim.IsMismatch(err); ok {
			fmt.Fprint(os.Stderr, mm.Report())
			return withCode(exitMismatch, err)
		}
		return err
	}
	secs := time.Since(t0).Seconds()
	if err := s.Close(); err != nil {
		return err
	}
	sum := cosimSummary{Program: fmt.Sprintf("random seeds %d..%d", c.Int64("first"), c.Int64("first")+int64(n)-1),
		Runs: r.Runs, Records: r.Records, Clocks: s.Clocks, Seconds: secs, LockStep: true, Model: m.Dir,
		ModelCached: m.Cached, BuildSeconds: m.Duration.Seconds()}
	if secs > 0 {
		sum.CyclesPerSec = float64(s.Clocks) / secs
	}
	if c.Bool("json") {
		return json.NewEncoder(os.Stdout).Encode(sum)
	}
	fmt.Printf("%d random programs, %d runs: rtl = sim, %d records compared in %.1f s\n", r.Programs, r.Runs, r.Records, secs)
	return nil
}
