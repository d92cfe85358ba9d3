package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/offload"
	"github.com/hbpf/hbpf/internal/progress"
)

func offloadCommand() *cli.Command {
	return &cli.Command{
		Name:      "offload",
		Usage:     "evaluate an XDP program for FPGA offload: feasibility, cycles per packet, throughput, software baseline, logic cost",
		ArgsUsage: "PROG.o --pcap IN",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "prog", Usage: "program `NAME` in the object (default: the first XDP program)"},
			&cli.StringFlag{Name: "pcap", Required: true, Usage: "packet trace `IN` (pcap or pcapng)"},
			mapsInFlag,
			&cli.StringFlag{Name: "clock", Value: "156.25,250,322", Usage: "core clocks in `MHz`, comma-separated"},
			&cli.StringFlag{Name: "report", Usage: "write report.md, report.json and plots into `DIR`"},
			&cli.BoolFlag{Name: "json", Usage: "print the report as one JSON document"},
			&cli.IntFlag{Name: "bus-bytes", Value: 8, Usage: "packet ingest bus width in `BYTES` per cycle"},
			&cli.IntFlag{Name: "swap-cycles", Value: 2, Usage: "cycles per packet to swap buffers (`N`)"},
			&cli.BoolFlag{Name: "no-kernel", Usage: "skip the kernel's software baseline"},
			&cli.IntFlag{Name: "kernel-packets", Value: 50, Usage: "packets timed in the kernel (`N`)"},
			&cli.BoolFlag{Name: "no-synth", Usage: "do not run yosys for the logic cost: use cached synthesis results only"},
		}, simFlags(false)...),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErr("offload: want exactly one PROG, got %d arguments", c.NArg())
			}
			clocks, err := parseClocks(c.String("clock"))
			if err != nil {
				return err
			}
			sc, err := simConfig(c)
			if err != nil {
				return err
			}
			sc.Log, sc.ClockMHz = nil, clocks[0]
			synthCacheOnly = c.Bool("no-synth")
			f, err := isa.Open(c.Args().First())
			if err != nil {
				return err
			}
			if _, err := applyMapsIn(c, f); err != nil {
				return err
			}
			bar := progress.New(os.Stderr, "simulating", 0)
			var last int64
			cfg := offload.Config{
				Prog: c.String("prog"), ClocksMHz: clocks, BusBytes: c.Int("bus-bytes"), SwapCycles: c.Int("swap-cycles"),
				Sim: sc, Kernel: !c.Bool("no-kernel"), KernelSample: c.Int("kernel-packets"),
				Progress: func(n int64) { bar.Add(n - last); last = n },
				Logic:    logicCost,
			}
			r, err := offload.Evaluate(f.Object, c.String("pcap"), cfg)
			bar.Done()
			if err != nil {
				return err
			}
			if dir := c.String("report"); dir != "" {
				if err := r.WriteDir(dir); err != nil {
					return err
				}
				fmt.Fprintf(os.Stderr, "report written to %s/report.md\n", dir)
			}
			if c.Bool("json") {
				return r.WriteJSON(os.Stdout)
			}
			return r.WriteSummary(os.Stdout)
		},
	}
}

func parseClocks(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v <= 0 {
			return nil, usageErr("--clock: %q is not a clock in MHz (want e.g. 156.25,250,322)", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// logicCost is filled in when the RTL generator and yosys are available.
var logicCost offload.LogicFunc
