package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/offload"
	"github.com/hbpf/hbpf/hbpf/rtl"
	"github.com/hbpf/hbpf/hbpf/sim/timing"
	"github.com/hbpf/hbpf/hbpf/xdp"
)

func verilogCommand() *cli.Command {
	return &cli.Command{
		Name:      "verilog",
		Usage:     "generate the Verilog of the hbpf core (generic, or specialised for one program)",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Value: "rtl", Usage: "write the modules into `DIR`"},
			&cli.StringFlag{Name: "prog", Usage: "bake program `PROG` (ELF object, raw bytecode, assembly or .data test) and its maps into the core"},
			&cli.StringFlag{Name: "name", Usage: "program `NAME` in an ELF object (default: the first XDP program)"},
			&cli.StringFlag{Name: "timing", Value: timing.Hbpf.Name, Usage: "timing profile `P` the hardware realises"},
			&cli.IntFlag{Name: "prog-aw", Usage: "program memory of 2^`N` slots (default 12, or the baked program's size)"},
			&cli.IntFlag{Name: "dmem-aw", Usage: "data memory of 2^`N` bytes (14..20; default 15, or what the baked program's maps need)"},
			&cli.IntFlag{Name: "maps", Usage: "map table entries `N` (default 8, or the baked program's maps)"},
			&cli.Float64Flag{Name: "clock", Usage: "core clock in `MHz` for bpf_ktime_get_ns (default 250)"},
			&cli.BoolFlag{Name: "synth", Usage: "also synthesise with yosys for ice40 and xc7 and print LUT/FF/BRAM/DSP (cached; minutes the first time)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return usageErr("verilog: no arguments expected (use --prog PROG), got %d", c.NArg())
			}
			cfg, err := rtlConfig(c)
			if err != nil {
				return err
			}
			if p := c.String("prog"); p != "" {
				f, err := isa.Open(p)
				if err != nil {
					return err
				}
				idx, err := xdp.SelectProgram(f.Object, c.String("name"))
				if err != nil {
					return err
				}
				spec, progs, which := rtl.Specialise(f.Object.Programs, idx, f.Object.Maps)
				cfg.Prog, cfg.Progs, cfg.Maps = spec.Prog, spec.Progs, spec.Maps
				for _, u := range cfg.UnsupportedObject(progs, which, cfg.Maps) {
					fmt.Fprintf(os.Stderr, "hbpfc: warning: %s\n", u)
				}
			}
			files, err := rtl.Generate(cfg)
			if err != nil {
				return withCode(exitUsage, err)
			}
			dir := c.String("out")
			if err := rtl.Write(dir, files); err != nil {
				return withCode(exitIO, err)
			}
			for _, f := range files {
				fmt.Println(filepath.Join(dir, f.Name))
			}
			if !c.Bool("synth") {
				return nil
			}
			rs, err := synthAll(c.Context, files, rtl.SynthConfig{})
			if err != nil {
				return err
			}
			for _, r := range rs {
				fmt.Printf("%s (%.0f s%s)\n", r, r.Seconds, map[bool]string{true: ", cached"}[r.Cached])
			}
			return nil
		},
	}
}

// rtlConfig reads the core's configuration flags shared by verilog and cosim.
func rtlConfig(c *cli.Context) (rtl.Config, error) {
	prof, err := timing.Lookup(c.String("timing"))
	if err != nil {
		return rtl.Config{}, withCode(exitUsage, err)
	}
	cfg := rtl.Config{Profile: prof, ProgAW: c.Int("prog-aw"), DmemAW: c.Int("dmem-aw"), NumMaps: c.Int("maps"), ClockMHz: c.Float64("clock")}
	if f := c.String("fault"); f != "" {
		cfg.Fault = rtl.Fault(f)
	}
	return cfg, nil
}

// synthAll synthesises files for every target at once.
func synthAll(ctx context.Context, files []rtl.File, sc rtl.SynthConfig) ([]*rtl.Resources, error) {
	rs := make([]*rtl.Resources, len(rtl.Targets))
	errs := make([]error, len(rtl.Targets))
	var wg sync.WaitGroup
	for i, t := range rtl.Targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs[i], errs[i] = rtl.Synthesize(ctx, files, t, sc)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return rs, nil
}

func init() { logicCost = rtlLogicCost }

// synthCacheOnly makes rtlLogicCost use cached synthesis results only
// (hbpfc offload --no-synth).
var synthCacheOnly bool

// rtlLogicCost is the offload report's logic cost: the generic core and the
// core specialised for the program, synthesised with yosys (cached by design
// hash; minutes each the first time), with their logic depth and, where the
// design fits an iCE40, nextpnr's Fmax.
func rtlLogicCost(obj *isa.Object, prog int) (*offload.Logic, error) {
	sc := rtl.SynthConfig{CacheOnly: synthCacheOnly}
	if !synthCacheOnly {
		if _, err := exec.LookPath("yosys"); err == nil {
			fmt.Fprintln(os.Stderr, "synthesising the generic and specialised cores with yosys (cached by design hash)…")
		}
	}
	generic, err := rtl.Generate(rtl.Config{})
	if err != nil {
		return nil, err
	}
	lg := &offload.Logic{}
	spec, progs, which := rtl.Specialise(obj.Programs, prog, obj.Maps)
	for _, u := range spec.UnsupportedObject(progs, which, spec.Maps) {
		lg.Notes = append(lg.Notes, u)
	}
	special, err := rtl.Generate(spec)
	if err != nil {
		lg.Notes = append(lg.Notes, "specialised core: "+err.Error())
		special = nil
	}
	for _, set := range []struct {
		files []rtl.File
		out   *[]offload.Resources
		what  string
	}{{generic, &lg.Generic, "generic core"}, {special, &lg.Specialised, "specialised core"}} {
		if set.files == nil {
			continue
		}
		rs, err := synthAll(context.Background(), set.files, sc)
		switch {
		case err == rtl.ErrNotCached:
			lg.Notes = append(lg.Notes, set.what+": not synthesised yet (run without --no-synth, or hbpfc verilog --synth)")
			continue
		case errors.Is(err, rtl.ErrNoYosys):
			lg.Notes = append(lg.Notes, set.what+": not synthesised: "+err.Error())
			continue
		case err != nil:
			return nil, err
		}
		for _, r := range rs {
			*set.out = append(*set.out, offload.Resources{Target: r.Target, LUT: r.LUT, FF: r.FF,
				BRAM: int(math.Ceil(r.BRAM)), DSP: r.DSP, FmaxMHz: r.FmaxMHz, Depth: r.Depth, FromCache: r.Cached})
			if r.PnR != "" {
				lg.Notes = append(lg.Notes, fmt.Sprintf("%s, %s: %s", set.what, r.Target, r.PnR))
			}
		}
	}
	return lg, nil
}
