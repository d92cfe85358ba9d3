package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/hbpf/hbpf/hbpf/isa"
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
			&cli.IntFlag{Name: "dmem-aw", Usage: "data memory of 2^`N` bytes (14..16, default 15)"},
			&cli.IntFlag{Name: "maps", Usage: "map table entries `N` (default 8, or the baked program's maps)"},
			&cli.Float64Flag{Name: "clock", Usage: "core clock in `MHz` for bpf_ktime_get_ns (default 250)"},
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
				cfg.Prog, cfg.Maps = f.Object.Programs[idx], f.Object.Maps
				for _, u := range cfg.Unsupported(cfg.Prog, cfg.Maps) {
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
