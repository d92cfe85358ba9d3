package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/cilium/ebpf"
	"github.com/urfave/cli/v2"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/packets"
	"github.com/hbpf/hbpf/hbpf/randprog"
	"github.com/hbpf/hbpf/hbpf/sim"
	"github.com/hbpf/hbpf/hbpf/sim/timing"
	"github.com/hbpf/hbpf/hbpf/xdp"
	"github.com/hbpf/hbpf/internal/progress"
)

func diffCommand() *cli.Command {
	return &cli.Command{
		Name:  "diff",
		Usage: "differential test: run programs in the simulator and the Linux kernel (root) and compare; prints \"N passed, N failed\" last (exit 3 on a divergence)",
		Description: "hbpfc diff --random N [--seed S]: generate N random verifier-safe XDP programs and compare each on --packets packets.\n" +
			"hbpfc diff PROG.o --pcap IN | --set SET: compare one program on a trace; the first divergence ends the run.\n" +
			"Both compare the action, the packet bytes and metadata, and every map after every packet.",
		ArgsUsage: "[PROG]",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "random", Usage: "compare `N` random programs"},
			&cli.IntFlag{Name: "packets", Value: 4, Usage: "with --random: packets per program"},
			&cli.IntFlag{Name: "size", Usage: "with --random: mean body size of the main function in instructions (default 64)"},
			&cli.IntFlag{Name: "window", Usage: "with --random: packet bytes the programs read and write (default 64)"},
			&cli.StringFlag{Name: "map", Usage: "with --random: map type `T`: array, hash, percpu_array or percpu_hash (default: from the seed)"},
			&cli.IntFlag{Name: "workers", Usage: "with --random: programs compared in parallel (default: the number of CPUs)"},
			&cli.IntFlag{Name: "keep", Value: 5, Usage: "with --random: failures printed in full"},
			&cli.BoolFlag{Name: "minimize", Usage: "with --random: also print each printed divergence shrunk to the instructions that matter"},
			&cli.BoolFlag{Name: "no-workarounds", Usage: "with --random: let the generated programs trigger the known Linux 6.18 verifier bugs (see package randprog)"},
			&cli.StringFlag{Name: "prog", Usage: "with PROG: program `NAME` in the object (default: the first XDP program)"},
			&cli.StringFlag{Name: "pcap", Usage: "with PROG: packets from the capture `IN`"},
			&cli.StringFlag{Name: "set", Usage: "with PROG: generated packets from `SET` (" + strings.Join(packets.Sets(), ", ") + ")"},
			&cli.IntFlag{Name: "count", Value: 1000, Usage: "with PROG --set: number of packets"},
			&cli.StringSliceFlag{Name: "mask", Usage: "with PROG: do not compare map bytes `MAP:OFF:LEN` (e.g. timestamps); repeatable"},
			&cli.Int64Flag{Name: "seed", Value: 1, Usage: "with --random: seed of the first program (program i uses seed+i); with --set: the trace's seed"},
			&cli.StringFlag{Name: "timing", Value: timing.Hbpf.Name, Usage: "timing profile `P` of the simulator (hbpf or hbpf-classic)"},
			&cli.Uint64Flag{Name: "max-cycles", Value: sim.DefaultMaxCycles, Usage: "simulator cycle budget per packet (`N`)"},
			&cli.BoolFlag{Name: "json", Usage: "one JSON document with the results on stdout"},
		},
		Action: diffAction,
	}
}

func diffAction(c *cli.Context) error {
	prof, err := timing.Lookup(c.String("timing"))
	if err != nil {
		return withCode(exitUsage, err)
	}
	if c.Uint64("max-cycles") == 0 {
		return usageErr("diff: --max-cycles must be positive")
	}
	cfg := sim.Config{Profile: prof, MaxCycles: c.Uint64("max-cycles")}
	switch {
	case c.IsSet("random") && c.NArg() > 0:
		return usageErr("diff: give --random N or a PROG, not both")
	case c.IsSet("random"):
		if c.Int("random") <= 0 || c.Int("packets") <= 0 {
			return usageErr("diff: --random and --packets must be positive")
		}
		opts := randprog.Options{Size: c.Int("size"), Window: c.Int("window"), NoWorkarounds: c.Bool("no-workarounds")}
		switch strings.ToLower(c.String("map")) {
		case "":
		case "array":
			opts.MapType = ebpf.Array
		case "hash":
			opts.MapType = ebpf.Hash
		case "percpu_array":
			opts.MapType = ebpf.PerCPUArray
		case "percpu_hash":
			opts.MapType = ebpf.PerCPUHash
		default:
			return usageErr("diff: --map %q: want array, hash, percpu_array or percpu_hash", c.String("map"))
		}
		if _, _, err := randprog.Generate(c.Int64("seed"), opts); err != nil {
			return withCode(exitUsage, err)
		}
		return diffRandom(c, randprog.Config{
			Seed: c.Int64("seed"), N: c.Int("random"), Packets: c.Int("packets"), Options: opts,
			Sim: cfg, Workers: c.Int("workers"), Keep: c.Int("keep"),
		})
	case c.NArg() == 1:
		return diffProgram(c, cfg)
	}
	return usageErr("diff: give --random N, or one PROG with --pcap IN or --set SET")
}

// diffFailure is a failing outcome in the JSON document.
type diffFailure struct {
	Seed      int64  `json:"seed"`
	Kind      string `json:"kind"` // "divergence" or "rejected"
	What      string `json:"what,omitempty"`
	Report    string `json:"report"`
	Minimized string `json:"minimized,omitempty"`
}

func diffRandom(c *cli.Context, rc randprog.Config) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	bar := progress.New(os.Stderr, "programs", int64(rc.N))
	rc.Progress = func(int, *randprog.Outcome) { bar.Add(1) }
	sum, err := randprog.Campaign(ctx, rc)
	bar.Done()
	if err != nil && sum == nil {
		return err
	}
	fails := []diffFailure{}
	for _, o := range sum.Failures {
		f := diffFailure{Seed: o.Seed, Kind: "rejected", Report: o.Report()}
		if o.Divergence != nil {
			f.Kind, f.What = "divergence", o.Divergence.What
			if c.Bool("minimize") {
				q, v, merr := randprog.Minimize(o.Seed, rc.Options, randprog.Packets(o.Seed, rc.Packets), rc.Sim)
				if merr == nil && v != nil {
					f.Minimized = randprog.Compact(q)
				}
			}
		}
		fails = append(fails, f)
	}
	summary := fmt.Sprintf("%d programs, %d packets in %v: %d diverged, %d rejected by the verifier (%.2f%%), seeds %d..%d",
		sum.Programs, sum.Packets, sum.Elapsed.Round(time.Millisecond), sum.Failed, sum.Rejected, 100*sum.RejectionRate(), rc.Seed, rc.Seed+int64(rc.N)-1)
	line := fmt.Sprintf("%d passed, %d failed", sum.Passed, sum.Failed+sum.Rejected)
	if c.Bool("json") {
		doc := struct {
			*randprog.Summary
			Seed     int64         `json:"seed"`
			Failures []diffFailure `json:"failures"`
		}{sum, rc.Seed, fails}
		if err := json.NewEncoder(os.Stdout).Encode(doc); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, summary)
		fmt.Fprintln(os.Stderr, line)
	} else {
		for _, f := range fails {
			fmt.Println(f.Report)
			if f.Minimized != "" {
				fmt.Printf("minimized (seed %d):\n%s\n", f.Seed, f.Minimized)
			}
		}
		fmt.Fprintln(os.Stderr, summary)
		fmt.Println(line)
	}
	switch {
	case err != nil:
		return err
	case sum.Failed > 0:
		return withCode(exitMismatch, fmt.Errorf("the simulator and the kernel diverged on %d of %d programs", sum.Failed, sum.Programs))
	case sum.Rejected > 0:
		return withCode(exitInternal, fmt.Errorf("the verifier rejected %d generated programs: a generator bug", sum.Rejected))
	}
	return nil
}

func diffProgram(c *cli.Context, cfg sim.Config) error {
	var seq func(yield func(packets.Packet, error) bool)
	switch {
	case c.IsSet("pcap") && c.IsSet("set"):
		return usageErr("diff: give --pcap or --set, not both")
	case c.IsSet("pcap"):
		rd, err := packets.Open(c.String("pcap"))
		if err != nil {
			return err
		}
		defer rd.Close()
		seq = rd.All()
	case c.IsSet("set"):
		if c.Int("count") <= 0 {
			return usageErr("diff: --count must be positive")
		}
		ps, err := packets.Generate(c.String("set"), c.Int("count"), c.Int64("seed"))
		if err != nil {
			return withCode(exitUsage, err)
		}
		seq = func(yield func(packets.Packet, error) bool) {
			for _, p := range ps {
				if !yield(p, nil) {
					return
				}
			}
		}
	default:
		return usageErr("diff: PROG needs packets: --pcap IN or --set SET")
	}
	masks, err := parseMasks(c.StringSlice("mask"))
	if err != nil {
		return err
	}
	f, err := isa.Open(c.Args().First())
	if err != nil {
		return err
	}
	d, err := xdp.NewDiffer(f.Object, c.String("prog"), cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	d.Masks = masks
	v, err := d.Trace(seq)
	if err != nil {
		return err
	}
	failed := 0
	if v != nil {
		failed = 1
	}
	passed := d.Compared - failed
	summary := fmt.Sprintf("%s: %d packets compared, %d skipped (longer than %d bytes), actions %v",
		d.Obj.Programs[d.Prog].Name, d.Compared, d.Skipped, xdp.KernelLinearMax, d.Actions)
	for _, m := range xdp.NotCompared(f.Object.Maps) {
		summary += "\nmap not compared: " + m
	}
	line := fmt.Sprintf("%d passed, %d failed", passed, failed)
	if c.Bool("json") {
		doc := struct {
			Program    string         `json:"program"`
			Passed     int            `json:"passed"`
			Failed     int            `json:"failed"`
			Skipped    int            `json:"skipped"`
			Actions    map[string]int `json:"actions"`
			Divergence *diffJSON      `json:"divergence,omitempty"`
		}{d.Obj.Programs[d.Prog].Name, passed, failed, d.Skipped, d.Actions, divergenceJSON(v)}
		if err := json.NewEncoder(os.Stdout).Encode(doc); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, summary)
		fmt.Fprintln(os.Stderr, line)
	} else {
		if v != nil {
			fmt.Print(v.Report())
		}
		fmt.Fprintln(os.Stderr, summary)
		fmt.Println(line)
	}
	if v != nil {
		return withCode(exitMismatch, fmt.Errorf("the simulator and the kernel diverged on packet %d: %s", v.Packet.Index, v.Detail))
	}
	return nil
}

// diffJSON is a divergence in the JSON document.
type diffJSON struct {
	Packet int              `json:"packet"`
	What   string           `json:"what"`
	Detail string           `json:"detail"`
	Sim    xdp.PacketResult `json:"sim"`
	Kernel xdp.PacketResult `json:"kernel"`
	Report string           `json:"report"`
}

func divergenceJSON(v *xdp.Divergence) *diffJSON {
	if v == nil {
		return nil
	}
	return &diffJSON{Packet: v.Packet.Index, What: v.What, Detail: v.Detail, Sim: v.Sim, Kernel: v.Kernel, Report: v.Report()}
}

// parseMasks parses --mask MAP:OFF:LEN values.
func parseMasks(ss []string) ([]xdp.Mask, error) {
	var ms []xdp.Mask
	for _, s := range ss {
		i := strings.LastIndexByte(s, ':')
		j := strings.LastIndexByte(s[:max(i, 0)], ':')
		if i < 0 || j <= 0 {
			return nil, usageErr("diff: --mask %q: want MAP:OFF:LEN", s)
		}
		off, err1 := strconv.Atoi(s[j+1 : i])
		n, err2 := strconv.Atoi(s[i+1:])
		if err := errors.Join(err1, err2); err != nil || off < 0 || n <= 0 {
			return nil, usageErr("diff: --mask %q: want MAP:OFF:LEN with OFF ≥ 0 and LEN > 0", s)
		}
		ms = append(ms, xdp.Mask{Map: s[:j], Offset: off, Len: n, Reason: "--mask"})
	}
	return ms, nil
}
