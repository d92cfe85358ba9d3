package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/packets"
	"github.com/hbpf/hbpf/hbpf/sim"
	"github.com/hbpf/hbpf/hbpf/sim/maps"
	"github.com/hbpf/hbpf/hbpf/sim/timing"
	"github.com/hbpf/hbpf/hbpf/xdp"
	"github.com/hbpf/hbpf/internal/progress"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "simulate a program on packets (--pcap, --packet) or on memory (--mem, .data tests)",
		ArgsUsage: "PROG (ELF object, raw bytecode, assembly or .data test)",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "prog", Usage: "program `NAME` in an ELF object (default: the first XDP program)"},
			&cli.StringFlag{Name: "mem", Usage: "run on memory: r1 points to these `HEX` bytes, r2 holds their length"},
			&cli.StringFlag{Name: "pcap", Usage: "run on every packet of the capture `IN` (pcap or pcapng)"},
			&cli.StringSliceFlag{Name: "packet", Usage: "run on the Ethernet frame `HEX` (repeatable)"},
			&cli.IntFlag{Name: "count", Usage: "stop after `N` packets (0: all)"},
			&cli.StringFlag{Name: "pcap-out", Usage: "write the packets the program passes, transmits or redirects to `OUT`"},
			&cli.BoolFlag{Name: "trace", Usage: "print every retired instruction (the co-simulation record)"},
			&cli.BoolFlag{Name: "json", Usage: "JSONL on stdout: one record per packet (and per traced instruction)"},
			&cli.BoolFlag{Name: "maps", Usage: "dump the maps after the run (with --json: a final {\"maps\":…} line)"},
			mapsInFlag,
			&cli.BoolFlag{Name: "kernel", Usage: "run in the Linux kernel (BPF_PROG_TEST_RUN) instead of the simulator"},
			&cli.IntFlag{Name: "repeat", Value: 1, Usage: "with --kernel: time `N` extra runs per packet and report ns"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no per-packet lines, only the summary"},
		}, simFlags(true)...),
		Action: runAction,
	}
}

// simFlags are the simulator settings shared by run, cosim and offload
// (offload has a clock list of its own, so it leaves out --clock).
func simFlags(withClock bool) []cli.Flag {
	fs := []cli.Flag{
		&cli.StringFlag{Name: "timing", Value: timing.Hbpf.Name, Usage: "timing profile `P`: hbpf or hbpf-classic"},
		&cli.Uint64Flag{Name: "max-cycles", Value: sim.DefaultMaxCycles, Usage: "cycle budget per run (`N`); exceeding it traps"},
		&cli.UintFlag{Name: "seed", Value: 1, Usage: "seed of bpf_get_prandom_u32"},
	}
	if withClock {
		fs = append(fs, &cli.Float64Flag{Name: "clock", Value: sim.DefaultClockMHz, Usage: "core clock in `MHz`, for bpf_ktime_get_ns"})
	}
	return fs
}

func simConfig(c *cli.Context) (sim.Config, error) {
	prof, err := timing.Lookup(c.String("timing"))
	if err != nil {
		return sim.Config{}, withCode(exitUsage, err)
	}
	if c.Uint64("max-cycles") == 0 {
		return sim.Config{}, usageErr("--max-cycles must be positive")
	}
	cfg := sim.Config{Profile: prof, MaxCycles: c.Uint64("max-cycles"), Seed: uint32(c.Uint("seed")), Log: os.Stderr}
	if c.IsSet("clock") || c.Command.Name == "run" {
		cfg.ClockMHz = c.Float64("clock")
	}
	return cfg, nil
}

// parseHex decodes hex bytes, allowing white space, "0x" prefixes and ':' separators.
func parseHex(s, what string) ([]byte, error) {
	clean := strings.NewReplacer("0x", "", "0X", "", ":", "", " ", "", "\n", "", "\t", "", "\r", "").Replace(s)
	b, err := hex.DecodeString(clean)
	if err != nil {
		var ie hex.InvalidByteError
		if errors.As(err, &ie) {
			return nil, fmt.Errorf("%s: invalid hex character %q at position %d: %w", what, rune(ie), strings.IndexRune(clean, rune(ie)), errBadInput)
		}
		return nil, fmt.Errorf("%s: %d hex digits, want an even number: %w", what, len(clean), errBadInput)
	}
	return b, nil
}

func runAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageErr("run: want exactly one PROG, got %d arguments", c.NArg())
	}
	cfg, err := simConfig(c)
	if err != nil {
		return err
	}
	f, err := isa.Open(c.Args().First())
	if err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	jsonOut := c.Bool("json")
	if c.IsSet("mem") || (f.Kind == isa.KindData && !c.IsSet("pcap") && !c.IsSet("packet")) {
		return runMem(c, f, cfg, out)
	}
	src, closeSrc, err := openPackets(c, "run")
	if err != nil {
		return err
	}
	defer closeSrc()

	contents, err := applyMapsIn(c, f)
	if err != nil {
		return err
	}

	var run func(*packets.Packet) xdp.PacketResult
	var dumpMaps func() (maps.Contents, error)
	if c.Bool("kernel") {
		k, err := xdp.NewKernel(f.Object, c.String("prog"))
		if err != nil {
			return err
		}
		defer k.Close()
		k.Repeat = c.Int("repeat")
		if err := k.Preload(contents); err != nil {
			return err
		}
		run = k.Run
		dumpMaps = k.Snapshot
	} else {
		s, err := xdp.NewSim(f.Object, c.String("prog"), cfg)
		if err != nil {
			return err
		}
		run = s.Run
		if c.Bool("trace") {
			cur := 0
			s.M.SetTrace(tracer(out, jsonOut, &cur, s.M))
			run = func(p *packets.Packet) xdp.PacketResult { cur = p.Index; return s.Run(p) }
		}
		dumpMaps = func() (maps.Contents, error) { return maps.Snapshot(s.M.Maps), nil }
	}

	var pw *packets.Writer
	if po := c.String("pcap-out"); po != "" {
		pw, err = packets.Create(po)
		if err != nil {
			return err
		}
		defer pw.Close()
	}
	bar := progress.New(os.Stderr, "packets", 0)
	var st runStats
	limit := c.Int("count")
	var readErr error
	for limit == 0 || st.n < limit {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = err // report after the packets read so far
			break
		}
		r := run(&p)
		st.add(&r)
		if jsonOut {
			if err := json.NewEncoder(out).Encode(&r); err != nil {
				return err
			}
		} else if !c.Bool("quiet") {
			fmt.Fprintln(out, packetLine(&r))
		}
		if pw != nil && (r.Action == "XDP_PASS" || r.Action == "XDP_TX" || r.Action == "XDP_REDIRECT") {
			data, _ := hex.DecodeString(r.Data)
			if err := pw.WritePacket(packets.Packet{Index: p.Index, Timestamp: p.Timestamp, Data: data}); err != nil {
				return err
			}
		}
		bar.Add(1)
	}
	bar.Done()
	if c.Bool("maps") {
		mc, err := dumpMaps()
		if err != nil {
			return err
		}
		if jsonOut {
			line := struct {
				Maps maps.Contents `json:"maps"`
			}{mc}
			if err := json.NewEncoder(out).Encode(line); err != nil {
				return err
			}
		} else {
			printMaps(out, mc)
		}
	}
	out.Flush()
	st.summary(os.Stderr, c.Bool("kernel"))
	if readErr != nil {
		return readErr
	}
	if st.faults > 0 {
		return withCode(exitFault, fmt.Errorf("%d of %d packets trapped (first: packet %d: %s)", st.faults, st.n, st.firstFault.Index, faultText(st.firstFault.Fault)))
	}
	return nil
}

type packetSource interface {
	Next() (packets.Packet, error)
}

// openPackets opens the packets of --pcap IN or --packet HEX… for command cmd.
// The returned function closes the source.
func openPackets(c *cli.Context, cmd string) (packetSource, func(), error) {
	switch {
	case c.IsSet("pcap") && c.IsSet("packet"):
		return nil, nil, usageErr("%s: give --pcap or --packet, not both", cmd)
	case c.IsSet("pcap"):
		rd, err := packets.Open(c.String("pcap"))
		if err != nil {
			return nil, nil, err
		}
		return rd, func() { rd.Close() }, nil
	case c.IsSet("packet"):
		var ps []packets.Packet
		for i, h := range c.StringSlice("packet") {
			b, err := parseHex(h, fmt.Sprintf("--packet #%d", i+1))
			if err != nil {
				return nil, nil, err
			}
			ps = append(ps, packets.Packet{Index: i, Data: b})
		}
		return &sliceSource{ps: ps}, func() {}, nil
	}
	return nil, nil, usageErr("%s: an XDP program needs packets: --pcap IN or --packet HEX (or --mem HEX for a plain program)", cmd)
}

type sliceSource struct {
	ps []packets.Packet
	i  int
}

func (s *sliceSource) Next() (packets.Packet, error) {
	if s.i >= len(s.ps) {
		return packets.Packet{}, io.EOF
	}
	s.i++
	return s.ps[s.i-1], nil
}

func faultText(f *xdp.FaultInfo) string {
	s := fmt.Sprintf("%s at pc %d", f.Cause, f.PC)
	if f.Detail != "" {
		s += ": " + f.Detail
	}
	if f.Source != "" {
		s += " (" + f.Source + ")"
	}
	return s
}

func packetLine(r *xdp.PacketResult) string {
	s := fmt.Sprintf("packet %d: %-12s r0=%d len=%d→%d", r.Index, r.Action, r.Retval, r.Len, len(r.Data)/2)
	if r.Insns > 0 {
		s += fmt.Sprintf(" insns=%d cycles=%d", r.Insns, r.Cycles)
	}
	if r.Ns > 0 {
		s += fmt.Sprintf(" ns=%.1f", r.Ns)
	}
	if r.Redirect != nil {
		s += fmt.Sprintf(" redirect=%s:%d→%d", r.Redirect.Helper, r.Redirect.Key, r.Redirect.Target)
	}
	for name, recs := range r.Ringbuf {
		s += fmt.Sprintf(" ringbuf %s: %s", name, strings.Join(recs, " "))
	}
	if r.Fault != nil {
		s += " TRAP " + faultText(r.Fault)
	}
	if r.Error != "" {
		s += " error: " + r.Error
	}
	return s
}

type runStats struct {
	n, faults  int
	actions    map[string]int
	insns, cyc uint64
	firstFault *xdp.PacketResult
}

func (s *runStats) add(r *xdp.PacketResult) {
	if s.actions == nil {
		s.actions = map[string]int{}
	}
	s.n++
	s.actions[r.Action]++
	s.insns += r.Insns
	s.cyc += r.Cycles
	if r.Fault != nil {
		s.faults++
		if s.firstFault == nil {
			cp := *r
			s.firstFault = &cp
		}
	}
}

func (s *runStats) summary(w io.Writer, kernel bool) {
	if s.n == 0 {
		fmt.Fprintln(w, "no packets")
		return
	}
	var acts []string
	for a, n := range s.actions {
		acts = append(acts, fmt.Sprintf("%s %d", a, n))
	}
	sort.Strings(acts)
	fmt.Fprintf(w, "%d packets: %s", s.n, strings.Join(acts, ", "))
	if !kernel {
		fmt.Fprintf(w, "; mean %.1f instructions, %.1f cycles per packet", float64(s.insns)/float64(s.n), float64(s.cyc)/float64(s.n))
	}
	fmt.Fprintln(w)
}

func printMaps(w io.Writer, mc maps.Contents) {
	names := make([]string, 0, len(mc))
	for n := range mc {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "map %s: %d entries\n", n, len(mc[n]))
		for _, kv := range mc[n] {
			fmt.Fprintf(w, "  %s → %s\n", hex.EncodeToString(kv.Key), hex.EncodeToString(kv.Value))
		}
	}
}

// runMem runs a program the bpf_conformance way (r1 = memory, r2 = length).
func runMem(c *cli.Context, f *isa.File, cfg sim.Config, out *bufio.Writer) error {
	var mem []byte
	if f.Test != nil {
		mem = f.Test.Mem
		cfg.Conformance = true
	}
	if c.IsSet("mem") {
		var err error
		if mem, err = parseHex(c.String("mem"), "--mem"); err != nil {
			return err
		}
	}
	m, err := sim.New(f.Object.Programs, f.Object.Maps, cfg)
	if err != nil {
		return err
	}
	idx, err := xdp.SelectProgram(f.Object, c.String("prog"))
	if err != nil {
		return err
	}
	if c.Bool("trace") {
		cur := 0
		m.SetTrace(tracer(out, c.Bool("json"), &cur, m))
	}
	r := m.RunMem(idx, mem)
	if c.Bool("json") {
		rec := map[string]any{"retval": r.R0, "insns": r.Insns, "cycles": r.Cycles, "mem": hex.EncodeToString(mem)}
		if r.Fault != nil {
			rec["fault"] = r.Fault.Error()
		}
		if f.Test != nil && f.Test.HasResult {
			rec["expected"] = f.Test.Result
		}
		if err := json.NewEncoder(out).Encode(rec); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(out, "r0 = 0x%x (%d)  insns=%d cycles=%d [%s]\n", r.R0, int64(r.R0), r.Insns, r.Cycles, cfg.Profile.Name)
		if f.Test != nil && f.Test.HasResult && r.Fault == nil {
			verdict := "matches"
			if r.R0 != f.Test.Result {
				verdict = "DIFFERS from"
			}
			fmt.Fprintf(out, "%s the expected result 0x%x\n", verdict, f.Test.Result)
		}
	}
	out.Flush()
	if r.Fault != nil {
		return r.Fault
	}
	return nil
}

// tracer returns a trace callback writing m's retirement records as text or
// JSONL (tagged with the packet index).
func tracer(w io.Writer, jsonOut bool, packet *int, m *sim.Machine) func(*sim.Record) {
	enc := json.NewEncoder(w)
	progs := m.Programs()
	return func(r *sim.Record) {
		if r.Prog < len(progs) {
			if in := progs[r.Prog].At(r.PC); in != nil {
				r.Disasm = isa.Format(in, isa.SyntaxConformance)
				if in.Source != nil {
					r.Source = fmt.Sprintf("%s:%d", in.Source.File, in.Source.Line)
				}
			}
		}
		if jsonOut {
			line := struct {
				Packet int `json:"packet"`
				*sim.Record
			}{*packet, r}
			_ = enc.Encode(line)
			return
		}
		fmt.Fprintln(w, r.String())
	}
}

// mapsInFlag preloads maps (run, cosim, offload).
var mapsInFlag = &cli.StringFlag{Name: "maps-in", Usage: "preload maps from `FILE` ({\"NAME\":[{\"key\":\"hex\",\"value\":\"hex\"}]}), e.g. a rule table or .rodata configuration"}

// applyMapsIn reads --maps-in, if given, and makes its entries the initial
// contents of f's maps, after the object's own; it returns what it read.
func applyMapsIn(c *cli.Context, f *isa.File) (maps.Contents, error) {
	mi := c.String("maps-in")
	if mi == "" || f.Object == nil {
		return nil, nil
	}
	fh, err := os.Open(mi)
	if err != nil {
		return nil, err
	}
	contents, err := maps.LoadJSON(fh)
	fh.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", mi, err, errBadInput)
	}
	specs, err := maps.WithContents(f.Object.Maps, contents)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", mi, err, errBadInput)
	}
	f.Object.Maps = specs
	return contents, nil
}
