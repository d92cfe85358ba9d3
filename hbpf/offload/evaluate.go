package offload

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"sync"

	"gonum.org/v1/gonum/stat"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/packets"
	"github.com/hbpf/hbpf/hbpf/sim"
	"github.com/hbpf/hbpf/hbpf/sim/timing"
	"github.com/hbpf/hbpf/hbpf/xdp"
)

// Config configures an evaluation.
type Config struct {
	Prog         string            // program name; empty: the first XDP program
	Core         Core              // the core checked against; zero value: DefaultCore
	Profiles     []*timing.Profile // timing profiles; default all, hbpf first
	ClocksMHz    []float64         // clocks to report; default 156.25, 250, 322
	BusBytes     int               // ingest bus width in bytes per cycle; default 8
	SwapCycles   int               // cycles per packet to switch buffers; default 2
	MaxCores     int               // cores considered for line rate; default 64
	Hot          int               // hottest instructions to list; default 10
	Sim          sim.Config        // seed, budget, clock for ktime (Profile is set per run)
	Kernel       bool              // measure the kernel's software baseline
	KernelSample int               // packets timed in the kernel; default 50 (each call costs ~40 ms of fixed kernel overhead)
	KernelRepeat int               // runs per packet for timing; default 1000
	Progress     func(done int64)  // called as packets are simulated (hbpf profile)
	Logic        LogicFunc         // synthesis of the generic and specialised core, if available
}

// LogicFunc returns the logic cost of the core (generic, and specialised for
// the program) — from yosys via the RTL generator.
type LogicFunc func(obj *isa.Object, prog int) (*Logic, error)

func (c *Config) defaults() {
	if c.Core.Name == "" {
		c.Core = DefaultCore
	}
	if len(c.Profiles) == 0 {
		c.Profiles = timing.Profiles
	}
	if len(c.ClocksMHz) == 0 {
		c.ClocksMHz = []float64{156.25, 250, 322}
	}
	if c.BusBytes <= 0 {
		c.BusBytes = 8
	}
	if c.SwapCycles < 0 {
		c.SwapCycles = 0
	} else if c.SwapCycles == 0 {
		c.SwapCycles = 2
	}
	if c.MaxCores <= 0 {
		c.MaxCores = 64
	}
	if c.Hot <= 0 {
		c.Hot = 10
	}
	if c.KernelSample <= 0 {
		c.KernelSample = 50
	}
	if c.KernelRepeat <= 0 {
		c.KernelRepeat = 1000
	}
}

// Evaluate runs the whole evaluation of program cfg.Prog of obj on the trace
// at tracePath. A malformed trace is evaluated up to the first bad record and
// the problem is reported in Report.TraceError.
func Evaluate(obj *isa.Object, tracePath string, cfg Config) (*Report, error) {
	cfg.defaults()
	idx, err := xdp.SelectProgram(obj, cfg.Prog)
	if err != nil {
		return nil, err
	}
	p := obj.Programs[idx]
	tf, err := newTraceFile(tracePath)
	if err != nil {
		return nil, err
	}
	defer tf.remove()
	r := &Report{Object: obj.Path, Program: p.Name, Section: p.Section, Trace: tracePath, Core: cfg.Core.Name,
		BusBytes: cfg.BusBytes, SwapCycles: cfg.SwapCycles}
	r.Features = Inventory(obj, p)
	r.Blockers = Check(obj, p, r.Features, cfg.Core)
	r.Offloadable = len(r.Blockers) == 0
	r.DeadCode = DeadCode(obj, p, r.Features, cfg.Core)

	runs := make([]*profileRun, len(cfg.Profiles))
	var wg sync.WaitGroup
	for i, prof := range cfg.Profiles {
		runs[i] = &profileRun{prof: prof}
		wg.Add(1)
		go func(pr *profileRun, first bool) {
			defer wg.Done()
			var progress func(int64)
			if first {
				progress = cfg.Progress
			}
			pr.err = pr.run(obj, idx, tf, cfg, first, progress)
		}(runs[i], i == 0)
	}
	wg.Wait()
	for _, pr := range runs {
		if pr.err != nil {
			var fe *packets.FormatError
			if !errors.As(pr.err, &fe) || len(pr.cycles) == 0 {
				return nil, pr.err
			}
			r.TraceError = pr.err.Error()
		}
	}
	base := runs[0]
	r.Packets = len(base.cycles)
	if r.Packets == 0 {
		return nil, fmt.Errorf("%s: no packets", tracePath)
	}
	r.Sizes = base.sizes.Summary()
	r.Actions = base.actions
	r.Faults, r.FaultCount = base.faults, base.faultCount
	r.Skipped = base.skipped
	for _, pr := range runs {
		r.Profiles = append(r.Profiles, pr.stats(cfg))
	}
	r.perPacket = base
	if len(runs) > 1 {
		r.classic = runs[1]
	}
	r.Hot = hottest(p, base.hot, base.hotCycles, cfg.Hot)
	r.HashWalks = hashWalks(obj.Maps, base.walks)
	r.Throughput = throughput(r, cfg)
	r.LineRates = lineRates(r, cfg)
	if cfg.Kernel {
		r.Kernel = kernelBaseline(obj, cfg, tf)
	}
	if cfg.Logic != nil {
		lg, err := cfg.Logic(obj, idx)
		if err != nil {
			r.LogicError = err.Error()
		} else {
			r.Logic = lg
		}
	}
	return r, nil
}

// traceFile is the packet trace an evaluation reads, once per profile and
// once for the kernel baseline. A trace that is not a regular file (a pipe,
// as from --pcap <(...)) can be read only once, so it is first copied to a
// temporary file; errors still name the path given.
type traceFile struct {
	path  string // as given
	spool string // the copy, if any
}

func newTraceFile(path string) (*traceFile, error) {
	t := &traceFile{path: path}
	if st, err := os.Stat(path); err != nil || st.Mode().IsRegular() {
		return t, nil // packets.Open reports a missing file
	}
	in, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open capture: %w", err)
	}
	defer in.Close()
	out, err := os.CreateTemp("", "hbpf-trace-*")
	if err != nil {
		return nil, err
	}
	t.spool = out.Name()
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.remove()
		return nil, fmt.Errorf("%s: copying the trace: %w", path, err)
	}
	return t, nil
}

// remove deletes the copy, if any.
func (t *traceFile) remove() {
	if t.spool != "" {
		os.Remove(t.spool)
	}
}

// traceReader is one pass over the trace.
type traceReader struct {
	*packets.Reader
	f *os.File // the copy, when reading one
}

func (r *traceReader) Close() error {
	err := r.Reader.Close()
	if r.f != nil {
		if cerr := r.f.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// open starts a pass over the trace.
func (t *traceFile) open() (*traceReader, error) {
	if t.spool == "" {
		rd, err := packets.Open(t.path)
		if err != nil {
			return nil, err
		}
		return &traceReader{Reader: rd}, nil
	}
	f, err := os.Open(t.spool)
	if err != nil {
		return nil, fmt.Errorf("open capture: %w", err)
	}
	rd, err := packets.NewReader(f, t.path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &traceReader{Reader: rd, f: f}, nil
}

// profileRun is one profile's pass over the trace.
type profileRun struct {
	prof       *timing.Profile
	cycles     []float64 // per packet
	insns      []float64
	length     []float64
	action     []uint8
	actions    map[string]int
	sizes      packets.SizeCounter
	faults     []PacketFault
	faultCount int
	skipped    int
	hot        []uint64        // executions per slot
	hotCycles  []uint64        // cycles per slot
	walks      []sim.HashWalks // per map
	totalInsns uint64
	err        error
}

func (pr *profileRun) run(obj *isa.Object, idx int, tf *traceFile, cfg Config, hot bool, progress func(int64)) error {
	sc := cfg.Sim
	sc.Profile, sc.Hot, sc.Trace = pr.prof, hot, nil
	if sc.Log == nil {
		sc.Log = io.Discard
	}
	s, err := xdp.NewSim(obj, obj.Programs[idx].Name, sc)
	if err != nil {
		return err
	}
	rd, err := tf.open()
	if err != nil {
		return err
	}
	defer rd.Close()
	pr.actions = map[string]int{}
	var n int64
	for {
		pkt, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		pr.sizes.Add(&pkt)
		if len(pkt.Data) < xdp.MinFrame {
			pr.skipped++
			continue
		}
		res := s.M.RunXDP(s.Prog, pkt.Data)
		act := sim.ActionName(uint64(uint32(res.R0)))
		if res.Fault != nil {
			act = "TRAP"
			pr.faultCount++
			if len(pr.faults) < 20 {
				pr.faults = append(pr.faults, PacketFault{Index: pkt.Index, Len: len(pkt.Data), Fault: res.Fault.Error()})
			}
		}
		pr.actions[act]++
		pr.cycles = append(pr.cycles, float64(res.Cycles))
		pr.insns = append(pr.insns, float64(res.Insns))
		pr.length = append(pr.length, float64(len(pkt.Data)))
		pr.action = append(pr.action, actionCode(act))
		pr.totalInsns += res.Insns
		n++
		if progress != nil && n%4096 == 0 {
			progress(n)
		}
	}
	if progress != nil {
		progress(n)
	}
	if hot {
		pr.hot, pr.hotCycles, pr.walks = s.M.Hot[s.Prog], s.M.HotCycles[s.Prog], s.M.Walks
	}
	return nil
}

var actionOrder = []string{"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT", "TRAP"}

func actionCode(a string) uint8 {
	for i, n := range actionOrder {
		if n == a {
			return uint8(i)
		}
	}
	return uint8(len(actionOrder))
}

// Dist summarises a distribution.
type Dist struct {
	N    int     `json:"n"`
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

func distOf(xs []float64) Dist {
	if len(xs) == 0 {
		return Dist{}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	q := func(p float64) float64 { return stat.Quantile(p, stat.Empirical, s, nil) }
	return Dist{N: len(s), Min: s[0], Mean: stat.Mean(s, nil), P50: q(0.5), P90: q(0.9), P99: q(0.99), Max: s[len(s)-1]}
}

// ProfileStats is the cycle picture of one timing profile.
type ProfileStats struct {
	Profile  string          `json:"profile"`
	Cycles   Dist            `json:"cycles"`
	Insns    Dist            `json:"insns"`
	CPI      float64         `json:"cpi"`       // cycles per instruction over the trace
	ByAction map[string]Dist `json:"by_action"` // cycles per packet by action
	// Occupancy is cycles per packet including ingest and buffer swap (the
	// throughput model), averaged over the trace.
	Occupancy float64 `json:"occupancy"`
	// SizeSlope is the least-squares slope of cycles over packet length
	// (cycles per byte) and SizeR2 its coefficient of determination.
	SizeSlope float64 `json:"size_slope"`
	SizeR2    float64 `json:"size_r2"`
}

func (pr *profileRun) stats(cfg Config) ProfileStats {
	ps := ProfileStats{Profile: pr.prof.Name, Cycles: distOf(pr.cycles), Insns: distOf(pr.insns), ByAction: map[string]Dist{}}
	if ti := stat.Mean(pr.insns, nil); ti > 0 {
		ps.CPI = stat.Mean(pr.cycles, nil) / ti
	}
	by := map[uint8][]float64{}
	for i, a := range pr.action {
		by[a] = append(by[a], pr.cycles[i])
	}
	for a, xs := range by {
		name := "other"
		if int(a) < len(actionOrder) {
			name = actionOrder[a]
		}
		ps.ByAction[name] = distOf(xs)
	}
	var occ float64
	for i, c := range pr.cycles {
		occ += occupancy(c, pr.length[i], cfg)
	}
	ps.Occupancy = occ / float64(len(pr.cycles))
	if len(pr.cycles) > 2 {
		alpha, beta := stat.LinearRegression(pr.length, pr.cycles, nil, false)
		ps.SizeSlope = beta
		ps.SizeR2 = stat.RSquared(pr.length, pr.cycles, nil, alpha, beta)
		if math.IsNaN(ps.SizeR2) {
			ps.SizeR2 = 0
		}
	}
	return ps
}

// occupancy is the cycles a packet holds a core in the throughput model.
func occupancy(cycles, length float64, cfg Config) float64 {
	ingest := math.Ceil(length / float64(cfg.BusBytes))
	return math.Max(cycles, ingest) + float64(cfg.SwapCycles)
}

// PacketFault is a packet whose run trapped.
type PacketFault struct {
	Index int    `json:"index"`
	Len   int    `json:"len"`
	Fault string `json:"fault"`
}

// HotInsn is an instruction with its share of the cycles spent in the program.
type HotInsn struct {
	Slot   int     `json:"slot"`
	Count  uint64  `json:"count"`  // executions
	Cycles uint64  `json:"cycles"` // cycles spent in it, helper latencies included
	Share  float64 `json:"share"`  // of all cycles in the program
	Insn   string  `json:"insn"`
	Source string  `json:"source,omitempty"`
}

// HashWalk is what the map helpers' walks of one map's hash-unit chains
// came to over the trace (hbpf profile): each key compared costs a cycle per
// 8 bytes of key, each further prefix length of an LPM lookup two.
type HashWalk struct {
	Map         string  `json:"map"`
	Type        string  `json:"type"`
	Calls       uint64  `json:"calls"`
	MeanProbes  float64 `json:"mean_probes"` // keys compared per call
	MaxProbes   uint64  `json:"max_probes"`
	MeanLengths float64 `json:"mean_prefix_lengths,omitempty"` // LPM lookups: prefix lengths tried per call
}

func hashWalks(specs []*isa.MapSpec, ws []sim.HashWalks) []HashWalk {
	var out []HashWalk
	for i, w := range ws {
		if w.Calls == 0 || i >= len(specs) {
			continue
		}
		out = append(out, HashWalk{Map: specs[i].Name, Type: specs[i].Type.String(), Calls: w.Calls,
			MeanProbes: float64(w.Probes) / float64(w.Calls), MaxProbes: w.MaxProbes,
			MeanLengths: float64(w.Walks) / float64(w.Calls)})
	}
	return out
}

// hottest ranks the instructions by the cycles spent in them.
func hottest(p *isa.Program, hot, hotCycles []uint64, n int) []HotInsn {
	var total uint64
	for _, c := range hotCycles {
		total += c
	}
	var hs []HotInsn
	for slot, c := range hot {
		if c == 0 {
			continue
		}
		h := HotInsn{Slot: slot, Count: c, Cycles: hotCycles[slot], Share: float64(hotCycles[slot]) / float64(max(total, 1))}
		if in := p.At(slot); in != nil {
			h.Insn, h.Source = isa.Format(in, isa.SyntaxConformance), sourceAt(p, slot)
		}
		hs = append(hs, h)
	}
	sort.SliceStable(hs, func(a, b int) bool { return hs[a].Cycles > hs[b].Cycles })
	if len(hs) > n {
		hs = hs[:n]
	}
	return hs
}
