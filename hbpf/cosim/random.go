package cosim

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/randprog"
	"github.com/hbpf/hbpf/hbpf/rtl"
	"github.com/hbpf/hbpf/hbpf/sim"
)

// RandomOptions returns the generator options for seed: the map type
// cycles through those randprog makes (LRU maps included), every feature is
// on.
func RandomOptions(seed int64) randprog.Options {
	types := []ebpf.MapType{ebpf.Array, ebpf.Hash, ebpf.PerCPUArray, ebpf.PerCPUHash, ebpf.LRUHash, ebpf.LRUCPUHash, ebpf.LPMTrie}
	return randprog.Options{MapType: types[uint64(seed)%uint64(len(types))]}
}

// RandomResult counts what a random campaign compared.
type RandomResult struct {
	Programs int
	Runs     int
	Records  uint64
}

// RandomError is the first divergence of a random campaign: the seed that
// reproduces it and the packet.
type RandomError struct {
	Seed   int64
	Packet int
	Err    error
}

func (e *RandomError) Error() string {
	return fmt.Sprintf("random program seed %d, packet %d: %v", e.Seed, e.Packet, e.Err)
}

func (e *RandomError) Unwrap() error { return e.Err }

// Random runs n random programs of package randprog (seeds first,
// first+1, …), each on packets packets, in the hardware and the simulator in
// lock-step. each, if set, is called after every program.
func Random(s *Session, cfg rtl.Config, first int64, n, packets int, each func(seed int64)) (RandomResult, error) {
	var r RandomResult
	for seed := first; seed < first+int64(n); seed++ {
		p, specs, err := randprog.Generate(seed, RandomOptions(seed))
		if err != nil {
			return r, fmt.Errorf("random program seed %d: %w", seed, err)
		}
		c, err := NewChecker(s, cfg, []*isa.Program{p}, 0, specs, sim.Config{})
		if err != nil {
			return r, &RandomError{Seed: seed, Packet: -1, Err: err}
		}
		for _, pk := range randprog.Packets(seed, packets) {
			if _, err := c.RunXDP(pk.Data); err != nil {
				return r, &RandomError{Seed: seed, Packet: pk.Index, Err: err}
			}
			r.Runs++
		}
		r.Programs++
		r.Records += c.Records
		if each != nil {
			each(seed)
		}
	}
	return r, nil
}

// IsMismatch reports whether err is (or wraps) a co-simulation divergence.
func IsMismatch(err error) (*Mismatch, bool) {
	var mm *Mismatch
	ok := errors.As(err, &mm)
	return mm, ok
}
