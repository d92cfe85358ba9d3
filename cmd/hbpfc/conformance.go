package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hbpf/hbpf/hbpf/conformance"
	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/sim"
	"github.com/hbpf/hbpf/hbpf/sim/timing"
)

func conformanceCommand() *cli.Command {
	return &cli.Command{
		Name:      "conformance",
		Usage:     "run bpf_conformance .data tests; prints \"N passed, N failed\" last (exit 1 if any fails)",
		ArgsUsage: "DIR|FILE...",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "timing", Value: timing.Hbpf.Name, Usage: "timing profile `P` for the cycle counts"},
			&cli.BoolFlag{Name: "json", Usage: "JSONL: one record per test"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print passing tests too"},
			&cli.BoolFlag{Name: "rtl", Usage: "run on the Verilated RTL, in lock-step with the simulator (a divergence fails the test)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usageErr("conformance: give the suite's directory (e.g. ../shared/conformance/tests) or .data files")
			}
			prof, err := timing.Lookup(c.String("timing"))
			if err != nil {
				return withCode(exitUsage, err)
			}
			files, err := conformance.Files(c.Args().Slice())
			if err != nil {
				return err
			}
			var rs []conformance.Result
			if c.Bool("rtl") {
				if rs, err = conformanceRTL(c, files, prof); err != nil {
					return err
				}
			} else {
				rs = conformance.Run(files, &conformance.Sim{Profile: prof})
			}
			enc := json.NewEncoder(os.Stdout)
			for _, r := range rs {
				switch {
				case c.Bool("json"):
					if err := enc.Encode(r); err != nil {
						return err
					}
				case !r.Pass:
					fmt.Printf("FAIL %s: %s\n", filepath.Base(r.File), r.Reason)
				case c.Bool("verbose"):
					fmt.Printf("PASS %s: %s insns=%d cycles=%d\n", filepath.Base(r.File), r.Got, r.Insns, r.Cycles)
				}
			}
			p, f := conformance.Counts(rs)
			line := fmt.Sprintf("%d passed, %d failed", p, f)
			if c.Bool("json") {
				fmt.Fprintln(os.Stderr, line)
			} else {
				fmt.Println(line)
			}
			if f > 0 {
				return withCode(exitInternal, fmt.Errorf("%d of %d conformance tests failed", f, len(rs)))
			}
			return nil
		},
	}
}

func pluginCommand() *cli.Command {
	return &cli.Command{
		Name:  "plugin",
		Usage: "bpf_conformance plugin: program hex on stdin (or an ELF with --elf), memory hex as the argument; prints r0 in hex",
		Description: "Use with the bpf_conformance runner: --plugin_path hbpfc --plugin_options plugin. " +
			"Helper 5 follows the suite's unwind convention.",
		ArgsUsage: "[MEMORY-HEX]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "elf", Usage: "stdin is an ELF object rather than program hex"},
			&cli.StringFlag{Name: "timing", Value: timing.Hbpf.Name, Usage: "timing profile `P`"},
		},
		Action: func(c *cli.Context) error {
			in, err := io.ReadAll(os.Stdin)
			if err != nil {
				return err
			}
			var p *isa.Program
			if c.Bool("elf") {
				obj, err := isa.LoadELFReader(bytes.NewReader(in), "<stdin>")
				if err != nil {
					return err
				}
				if len(obj.Programs) == 0 {
					return fmt.Errorf("<stdin>: the ELF object has no programs: %w", isa.ErrInvalid)
				}
				p = obj.Programs[0]
			} else {
				code, err := parseHex(string(in), "<stdin> program")
				if err != nil {
					return err
				}
				if p, err = isa.Decode(code); err != nil {
					return fmt.Errorf("<stdin>: %w", err)
				}
			}
			var mem []byte
			if c.NArg() > 0 {
				if mem, err = parseHex(strings.Join(c.Args().Slice(), ""), "memory argument"); err != nil {
					return err
				}
			}
			prof, err := timing.Lookup(c.String("timing"))
			if err != nil {
				return withCode(exitUsage, err)
			}
			m, err := sim.New([]*isa.Program{p}, nil, sim.Config{Conformance: true, Profile: prof})
			if err != nil {
				return err
			}
			r := m.RunMem(0, mem)
			if r.Fault != nil {
				return r.Fault
			}
			fmt.Printf("%x\n", r.R0)
			return nil
		},
	}
}

func timingCommand() *cli.Command {
	return &cli.Command{
		Name:  "timing",
		Usage: "print the per-instruction cycle table of the timing profiles (Markdown)",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "the profiles as JSON"}},
		Action: func(c *cli.Context) error {
			if c.Bool("json") {
				return json.NewEncoder(os.Stdout).Encode(timing.Profiles)
			}
			return timing.WriteMarkdown(os.Stdout)
		},
	}
}
