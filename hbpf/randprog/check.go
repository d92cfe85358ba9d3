package randprog

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/packets"
	"github.com/hbpf/hbpf/hbpf/sim"
	"github.com/hbpf/hbpf/hbpf/xdp"
)

// Packets returns n deterministic test packets for seed. Most are 64 to 320
// bytes with an Ethernet/IPv4/UDP-looking head and random contents; about one
// in eight is shorter than the default window (14 to 63 bytes), so that the
// short path runs too.
func Packets(seed int64, n int) []packets.Packet {
	r := rand.New(rand.NewPCG(uint64(seed), 0x51f15eed))
	ps := make([]packets.Packet, n)
	for i := range ps {
		size := 64 + r.IntN(257)
		if r.IntN(8) == 0 {
			size = xdp.MinFrame + r.IntN(minWindow-xdp.MinFrame)
		}
		b := make([]byte, size)
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		if size >= 34 && r.IntN(2) == 0 {
			binary.BigEndian.PutUint16(b[12:], 0x0800) // IPv4
			b[14] = 0x45
			b[23] = 17 // UDP
		}
		ps[i] = packets.Packet{Index: i, Data: b}
	}
	return ps
}

// Outcome is the result of running one random program in the simulator and
// the kernel.
type Outcome struct {
	Seed    int64
	Program *isa.Program
	Maps    []*isa.MapSpec
	Packets int // packets compared
	// Rejected is the kernel verifier's refusal of the program (with its
	// log): a generator bug.
	Rejected error
	// Divergence is the first disagreement between the simulator and the
	// kernel: a simulator (or kernel) bug.
	Divergence *xdp.Divergence
}

// OK reports whether the program loaded and the simulator and the kernel
// agreed on every packet.
func (o *Outcome) OK() bool { return o.Rejected == nil && o.Divergence == nil }

// Check generates the program for seed and runs it on pkts in the simulator
// (configured by cfg) and, pinned to CPU cpu, in the kernel, comparing action, packet bytes,
// metadata and map contents after every packet. The error is for failures of
// the comparison itself (no kernel, a map that cannot be dumped); a verifier
// rejection and a divergence are reported in the Outcome.
func Check(seed int64, opts Options, pkts []packets.Packet, cfg sim.Config, cpu int) (*Outcome, error) {
	p, specs, err := Generate(seed, opts)
	if err != nil {
		return nil, err
	}
	o := &Outcome{Seed: seed, Program: p, Maps: specs}
	obj := &isa.Object{Path: p.Name, License: "GPL", Programs: []*isa.Program{p}, Maps: specs}
	d, err := xdp.NewDiffer(obj, "", cfg)
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			o.Rejected = err
			return o, nil
		}
		return nil, fmt.Errorf("seed %d: %w", seed, err)
	}
	defer d.Close()
	d.Kernel.CPU = cpu
	for i := range pkts {
		v, err := d.Packet(&pkts[i])
		if err != nil {
			return nil, fmt.Errorf("seed %d: packet %d: %w", seed, i, err)
		}
		o.Packets++
		if v != nil {
			o.Divergence = v
			break
		}
	}
	return o, nil
}

// Report describes an unsuccessful outcome in full: seed, program, maps, and
// the verifier log or the divergence.
func (o *Outcome) Report() string {
	switch {
	case o.Rejected != nil:
		log := fmt.Sprint(o.Rejected)
		var ve *ebpf.VerifierError
		if errors.As(o.Rejected, &ve) {
			log = fmt.Sprintf("%+v", ve) // the whole verifier log
		}
		return fmt.Sprintf("seed %d: the verifier rejected the program:\n%s%s\n", o.Seed,
			isa.DisassembleString(o.Program, &isa.DisasmOptions{Labels: true, Slots: true}), log)
	case o.Divergence != nil:
		s := fmt.Sprintf("seed %d (reproduce: hbpfc diff --random 1 --seed %d):\n%s", o.Seed, o.Seed, o.Divergence.Report())
		for i, m := range o.Maps {
			s += fmt.Sprintf("map %d %s: %s key %d value %d max %d, %d initial entries\n", i, m.Name, m.Type, m.KeySize, m.ValueSize, m.MaxEntries, len(m.Contents))
		}
		return s
	}
	return fmt.Sprintf("seed %d: ok, %d packets\n", o.Seed, o.Packets)
}

// Config configures a differential campaign over many random programs.
type Config struct {
	Seed    int64      // seed of the first program; program i uses Seed+i
	N       int        // number of programs
	Packets int        // packets per program (default 4), from Packets(seed, n)
	Options Options    // generator options
	Sim     sim.Config // simulator configuration
	Workers int        // programs checked in parallel (default: the number of CPUs)
	Keep    int        // failing outcomes kept in the summary, lowest seeds first (default 10)
	// Progress, if set, is called after every program (from any worker,
	// serialised).
	Progress func(done int, o *Outcome)
}

// Summary is the result of a campaign.
type Summary struct {
	Programs int           `json:"programs"`
	Passed   int           `json:"passed"`
	Failed   int           `json:"failed"`   // divergences
	Rejected int           `json:"rejected"` // programs the verifier refused
	Packets  int           `json:"packets"`  // packets compared
	Elapsed  time.Duration `json:"elapsed_ns"`
	// Failures holds the first failing outcomes (by seed).
	Failures []*Outcome `json:"-"`
}

// RejectionRate is the fraction of programs the verifier refused.
func (s *Summary) RejectionRate() float64 {
	if s.Programs == 0 {
		return 0
	}
	return float64(s.Rejected) / float64(s.Programs)
}

// Campaign checks cfg.N random programs. It stops early, with the summary so
// far, when ctx is cancelled.
func Campaign(ctx context.Context, cfg Config) (*Summary, error) {
	if cfg.N < 0 {
		return nil, fmt.Errorf("campaign: %d programs", cfg.N)
	}
	if cfg.Packets <= 0 {
		cfg.Packets = 4
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 10
	}
	if err := xdp.KernelAvailable(); err != nil {
		return nil, err
	}
	ncpu, err := ebpf.PossibleCPU()
	if err != nil || ncpu < 1 {
		ncpu = 1
	}
	start := time.Now()
	var (
		mu       sync.Mutex
		sum      = &Summary{}
		firstErr error
		next     int64
		done     int
	)
	var wg sync.WaitGroup
	for w := 0; w < cfg.Workers; w++ {
		wg.Add(1)
		go func(cpu int) {
			defer wg.Done()
			for {
				mu.Lock()
				if next >= int64(cfg.N) || firstErr != nil || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				seed := cfg.Seed + next
				next++
				mu.Unlock()
				o, err := Check(seed, cfg.Options, Packets(seed, cfg.Packets), cfg.Sim, cpu)
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				sum.Programs++
				sum.Packets += o.Packets
				switch {
				case o.Rejected != nil:
					sum.Rejected++
				case o.Divergence != nil:
					sum.Failed++
				default:
					sum.Passed++
				}
				if !o.OK() {
					sum.Failures = append(sum.Failures, o)
					sort.Slice(sum.Failures, func(i, j int) bool { return sum.Failures[i].Seed < sum.Failures[j].Seed })
					if len(sum.Failures) > cfg.Keep {
						sum.Failures = sum.Failures[:cfg.Keep]
					}
				}
				done++
				if cfg.Progress != nil {
					cfg.Progress(done, o)
				}
				mu.Unlock()
			}
		}(w % ncpu)
	}
	wg.Wait()
	sum.Elapsed = time.Since(start)
	if firstErr != nil {
		return sum, firstErr
	}
	return sum, ctx.Err()
}
