package xdp

import (
	"encoding/hex"
	"fmt"

	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/packets"
	"github.com/hbpf/hbpf/hbpf/sim"
	"github.com/hbpf/hbpf/hbpf/sim/maps"
)

// Sim runs one XDP program of an object in the simulator, packet after packet,
// with map state kept across packets.
type Sim struct {
	M    *sim.Machine
	Prog int // index of the program in the object

	rings []*maps.RingBuf // drained after every packet, as by an ideal reader
}

// NewSim creates a simulator for program name (or the first XDP program if
// name is empty) of obj.
func NewSim(obj *isa.Object, name string, cfg sim.Config) (*Sim, error) {
	idx, err := SelectProgram(obj, name)
	if err != nil {
		return nil, err
	}
	m, err := sim.New(obj.Programs, obj.Maps, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", obj.Path, err)
	}
	s := &Sim{M: m, Prog: idx}
	for _, mp := range m.Maps {
		if rb, ok := mp.(*maps.RingBuf); ok {
			s.rings = append(s.rings, rb)
		}
	}
	return s, nil
}

// SelectProgram returns the index of the program to run: the one called name,
// or, if name is empty, the first XDP program (the first program if none is XDP).
func SelectProgram(obj *isa.Object, name string) (int, error) {
	if len(obj.Programs) == 0 {
		return 0, fmt.Errorf("%s: no programs: %w", obj.Path, isa.ErrInvalid)
	}
	if name != "" {
		if _, err := obj.Program(name); err != nil {
			return 0, err
		}
		return obj.ProgramIndex(name), nil
	}
	for i, p := range obj.Programs {
		if p.Type == ebpf.XDP {
			return i, nil
		}
	}
	return 0, nil
}

// MinFrame is the shortest packet an XDP program is run on: an Ethernet
// header. The kernel's BPF_PROG_TEST_RUN refuses shorter input, and no NIC
// delivers it.
const MinFrame = 14

// Run runs the program on one packet. A packet shorter than MinFrame is not
// run; its record carries an error, as the kernel's does.
func (s *Sim) Run(p *packets.Packet) PacketResult {
	if len(p.Data) < MinFrame {
		return runtError(p)
	}
	r := s.M.RunXDP(s.Prog, p.Data)
	pr := fromSim(p.Index, len(p.Data), &r)
	for _, rb := range s.rings {
		if recs := rb.Consume(); len(recs) > 0 {
			if pr.Ringbuf == nil {
				pr.Ringbuf = map[string][]string{}
			}
			for _, rec := range recs {
				pr.Ringbuf[rb.Spec().Name] = append(pr.Ringbuf[rb.Spec().Name], hex.EncodeToString(rec))
			}
		}
	}
	return pr
}

func runtError(p *packets.Packet) PacketResult {
	return PacketResult{Index: p.Index, Len: len(p.Data), Action: "ERROR",
		Error: fmt.Sprintf("packet of %d bytes is shorter than an Ethernet header (%d): not run", len(p.Data), MinFrame)}
}
