package cosim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/rtl"
	"github.com/hbpf/hbpf/hbpf/sim"
	"github.com/hbpf/hbpf/hbpf/sim/maps"
)

// ErrUnsupported is wrapped by the error for a program the hardware cannot run.
var ErrUnsupported = errors.New("not offloadable")

// Room for a packet in the hardware's buffer: the simulator's headroom and
// tailroom around it.
const MaxPacket = rtl.PktBytes - sim.Headroom - sim.Tailroom

// HW is a program with its maps loaded into a harness session: the hardware
// counterpart of a sim.Machine.
type HW struct {
	S      *Session
	Config rtl.Config
	Maps   []rtl.MapSlot
	Prog   int // index of the program (the record's Prog)
	sc     sim.Config
	// What the last run may have left non-zero: the stack from stackLo up,
	// the packet buffer below pktHi.
	stackLo, pktHi int
}

// Load resets the core and loads the programs (prog is the one to run; tail
// calls reach the others) and the maps in the state of mps, the simulator's
// maps. sc supplies the cycle budget, the prandom seed, the context's
// interface indices and the conformance mode.
func Load(s *Session, cfg rtl.Config, progs []*isa.Program, prog int, specs []*isa.MapSpec, mps []maps.Map, sc sim.Config) (*HW, error) {
	p := progs[prog]
	if !sc.Conformance {
		if u := cfg.UnsupportedObject(progs, prog, specs); len(u) > 0 {
			return nil, fmt.Errorf("%s: %s: %w", p.Name, strings.Join(u, "; "), ErrUnsupported)
		}
	} else if n := p.NumSlots(); n > 1<<effectiveProgAW(cfg) {
		return nil, fmt.Errorf("%s: %d slots do not fit the program memory: %w", p.Name, n, ErrUnsupported)
	}
	if _, err := cfg.NsPerCycle(); err != nil && !sc.Conformance {
		return nil, fmt.Errorf("%w: %w", err, ErrUnsupported)
	}
	if sc.MaxCycles == 0 {
		sc.MaxCycles = sim.DefaultMaxCycles
	}
	if sc.Seed == 0 {
		sc.Seed = 1
	}
	if sc.Ingress == 0 {
		sc.Ingress = 1
	}
	h := &HW{S: s, Config: cfg, Maps: cfg.Layout(specs), Prog: prog, sc: sc, stackLo: 0, pktHi: rtl.PktBytes}
	s.Reset()
	mode := uint64(0)
	if sc.Conformance {
		mode = 1
	}
	s.Cfg(rtl.CfgMode, mode)
	s.Cfg(rtl.CfgMaxCycles, sc.MaxCycles)
	s.Cfg(rtl.CfgSeed, uint64(sc.Seed))
	s.Cfg(rtl.CfgIngress, uint64(sc.Ingress))
	s.Cfg(rtl.CfgRxQueue, uint64(sc.RxQueue))
	s.Cfg(rtl.CfgProgIndex, uint64(prog))
	base := 0
	for i, q := range progs {
		if i >= numProgs(cfg) {
			if i == prog {
				return nil, fmt.Errorf("%s: program %d: the core's program table holds %d: %w", q.Name, i, numProgs(cfg), ErrUnsupported)
			}
			continue
		}
		s.Rom(base, Words(q.Encode()))
		s.Cfg(rtl.CfgProg0+i, uint64(base)|uint64(q.NumSlots())<<16)
		base += q.NumSlots()
	}
	if base > 1<<effectiveProgAW(cfg) {
		return nil, fmt.Errorf("%d slots of programs do not fit the program memory: %w", base, ErrUnsupported)
	}
	for i, m := range h.Maps {
		if m.Problem != "" {
			continue
		}
		for k, w := range m.Words() {
			s.Cfg(rtl.CfgMap0+4*i+k, w)
		}
		if i < len(mps) {
			if img := storage(m, mps[i]); len(img) > 0 {
				s.MemBytes(int(m.Base), img)
			}
			if m.Type == rtl.MapHash || m.DevHash {
				if err := loadKeys(s, cfg.Defaults(), i, m, mps[i]); err != nil {
					return nil, err
				}
			}
			if rb, ok := mps[i].(*maps.RingBuf); ok && m.Type == rtl.MapRing {
				s.Cfg(rtl.CfgRing0, 1<<31|uint64(i)<<16)
				s.Cfg(rtl.CfgRing0+1, uint64(m.MaxEntries-1))
				s.Cfg(rtl.CfgRing0+2, uint64(uint32(rb.Query(3))))
				s.Cfg(rtl.CfgRing0+3, uint64(uint32(rb.Query(2))))
			}
		}
	}
	// Give a hung core twice the budget before the harness gives up.
	s.Limit(2*sc.MaxCycles + 1024)
	return h, nil
}

// loadKeys loads a hash map's hash unit: its keys by slot, bucket chains and
// free list, as the simulator's map holds them (maps.Chained).
func loadKeys(s *Session, cfg rtl.Config, i int, m rtl.MapSlot, mp maps.Map) error {
	ch, ok := mp.(maps.Chained)
	if !ok {
		return fmt.Errorf("map %d %q: the simulator's map keeps no bucket chains", i, m.Name)
	}
	img := ch.Chains()
	words := cfg.HashKey / 8
	u := m.KeyStore
	empty := uint64(cfg.HashEntries) // bit SLOT_W set: no slot
	slot := func(v int32) uint64 {
		if v < 0 {
			return empty
		}
		return uint64(v)
	}
	heads := make([]uint64, len(img.Heads))
	for b, v := range img.Heads {
		heads[b] = slot(v)
	}
	s.Hash(rtl.HashAddr(u, rtl.HashHeads, 0), heads)
	next := make([]uint64, img.Unused)
	for k := range next {
		next[k] = slot(img.Next[k])
	}
	s.Hash(rtl.HashAddr(u, rtl.HashNext, 0), next)
	for k, key := range img.Keys {
		if key == nil {
			continue
		}
		padded := make([]byte, 8*words)
		copy(padded, key)
		s.Hash(rtl.HashAddr(u, rtl.HashKeys, k*words), Words(padded))
	}
	ctrl := uint64(1)<<31 | uint64(i)<<16 | uint64(img.BucketBits)<<8
	if img.PrefixCounts != nil {
		if !m.LPM {
			return fmt.Errorf("map %d %q: an LPM trie in the simulator, not in the hardware's map table", i, m.Name)
		}
		// Control word 16 + l: the entries of prefix length l.
		ctrl |= 1<<29 | uint64(len(img.PrefixCounts)-1)
		counts := make([]uint64, len(img.PrefixCounts))
		for l, n := range img.PrefixCounts {
			counts[l] = uint64(n)
		}
		s.Hash(rtl.HashAddr(u, rtl.HashCtrl, 16), counts)
	}
	if img.LRU {
		if !m.LRU {
			return fmt.Errorf("map %d %q: an LRU map in the simulator, not in the hardware's map table", i, m.Name)
		}
		ctrl |= 1 << 30
		// Chain back links and buckets (for evictions), the LRU list.
		cprev := make([]uint64, img.Unused)
		sbkt := make([]uint64, img.Unused)
		for k := range cprev {
			cprev[k] = empty
		}
		for b, h := range img.Heads {
			p := int32(-1)
			for v := h; v >= 0; v = img.Next[v] {
				cprev[v], sbkt[v] = slot(p), uint64(b)
				p = v
			}
		}
		lprev := make([]uint64, img.Unused)
		lnext := make([]uint64, img.Unused)
		for k := range lprev {
			lprev[k], lnext[k] = slot(img.LRUPrev[k]), slot(img.LRUNext[k])
		}
		s.Hash(rtl.HashAddr(u, rtl.HashCPrev, 0), cprev)
		s.Hash(rtl.HashAddr(u, rtl.HashSBkt, 0), sbkt)
		s.Hash(rtl.HashAddr(u, rtl.HashLPrev, 0), lprev)
		s.Hash(rtl.HashAddr(u, rtl.HashLNext, 0), lnext)
		s.Hash(rtl.HashAddr(u, rtl.HashCtrl, 4), []uint64{slot(img.LRUHead), slot(img.LRUTail)})
	}
	s.Hash(rtl.HashAddr(u, rtl.HashCtrl, 0), []uint64{ctrl})
	s.Hash(rtl.HashAddr(u, rtl.HashCtrl, 1), []uint64{slot(img.Free), uint64(img.Unused), uint64(img.Count)})
	return nil
}

// storage returns the data-memory image of a map in the hardware's layout.
func storage(m rtl.MapSlot, mp maps.Map) []byte {
	img := make([]byte, m.Store)
	switch m.Type {
	case rtl.MapProgArray:
		for _, kv := range mp.Entries() {
			i := binary.LittleEndian.Uint32(kv.Key)
			binary.LittleEndian.PutUint32(img[8*i:], binary.LittleEndian.Uint32(kv.Value))
			img[8*i+4] = 1
		}
	case rtl.MapDevMap, rtl.MapTarget:
		copy(img, mp.Values())
		if m.DevHash {
			break // values by slot; presence is the hash unit's
		}
		for _, kv := range mp.Entries() {
			img[m.Bytes+binary.LittleEndian.Uint32(kv.Key)] = 1
		}
	default:
		copy(img, mp.Values())
	}
	return img
}

func numProgs(c rtl.Config) int {
	if c.NumProgs != 0 {
		return c.NumProgs
	}
	return rtl.DefaultNumProgs
}

func effectiveProgAW(c rtl.Config) int {
	if c.ProgAW != 0 {
		return c.ProgAW
	}
	return rtl.DefaultProgAW
}

// prepare zeroes the stack, as the simulator does at every run, and loads
// the packet buffer: b at its start, zeros above up to what the last run may
// have dirtied (only that: the host port writes a row a cycle).
func (h *HW) prepare(b []byte) {
	lo := h.stackLo / 8
	h.S.Zero(rtl.StackBase/8+lo, rtl.StackBytes/8-lo)
	h.S.MemBytes(rtl.PktBase, b)
	rows := (len(b) + 7) / 8
	h.S.Zero(rtl.PktBase/8+rows, (h.pktHi+7)/8-rows)
}

// finished notes what a run dirtied.
func (h *HW) finished(d Done, end int) {
	h.stackLo = min(int(d.StackLo), rtl.StackBytes)
	h.pktHi = min(max(int(d.Dirty), end), rtl.PktBytes)
}

// RunMem runs the program the bpf_conformance way: r1 points to mem in the
// packet region, r2 holds its length.
func (h *HW) RunMem(tag string, mem []byte, rec func(*sim.Record)) (Done, error) {
	if len(mem) > rtl.PktBytes {
		return Done{}, fmt.Errorf("memory of %d bytes does not fit the core's %d-byte buffer: %w", len(mem), rtl.PktBytes, ErrUnsupported)
	}
	h.prepare(mem)
	r1 := uint64(0)
	if len(mem) > 0 {
		r1 = sim.Pointer(sim.RegionPacket, 0)
	}
	h.S.Cfg(rtl.CfgR1, r1)
	h.S.Cfg(rtl.CfgR2, uint64(len(mem)))
	h.S.Cfg(rtl.CfgMeta, 0)
	h.S.Cfg(rtl.CfgData, 0)
	h.S.Cfg(rtl.CfgEnd, uint64(len(mem)))
	h.S.Cfg(rtl.CfgHardEnd, 0)
	d, err := h.S.Run(tag, rec)
	if err == nil {
		h.finished(d, len(mem))
	}
	return d, err
}

// RunXDP runs the program on a packet, placed as the simulator places it:
// after sim.Headroom bytes of headroom, in a buffer of rtl.PktBytes.
func (h *HW) RunXDP(tag string, packet []byte, rec func(*sim.Record)) (Done, error) {
	if len(packet) > MaxPacket {
		return Done{}, fmt.Errorf("packet of %d bytes: the core's buffer takes %d: %w", len(packet), MaxPacket, ErrUnsupported)
	}
	buf := make([]byte, sim.Headroom+len(packet))
	copy(buf[sim.Headroom:], packet)
	h.prepare(buf)
	h.S.Cfg(rtl.CfgR1, sim.Pointer(sim.RegionCtx, 0))
	h.S.Cfg(rtl.CfgR2, 0)
	h.S.Cfg(rtl.CfgMeta, sim.Headroom)
	h.S.Cfg(rtl.CfgData, sim.Headroom)
	h.S.Cfg(rtl.CfgEnd, uint64(sim.Headroom+len(packet)))
	h.S.Cfg(rtl.CfgHardEnd, rtl.PktBytes-sim.Tailroom)
	d, err := h.S.Run(tag, rec)
	if err == nil {
		h.finished(d, len(buf))
	}
	return d, err
}

// MapValues reads map i's value memory (what programs address).
func (h *HW) MapValues(i int) ([]byte, error) {
	m := h.Maps[i]
	if m.Problem != "" || m.Bytes == 0 {
		return nil, nil
	}
	return h.S.DumpBytes(int(m.Base), int(m.Bytes))
}

// Packet reads the bytes [from, to) of the packet buffer.
func (h *HW) Packet(from, to uint32) ([]byte, error) {
	if to < from || to > rtl.PktBytes {
		return nil, fmt.Errorf("packet bounds %d..%d outside the buffer", from, to)
	}
	return h.S.DumpBytes(rtl.PktBase+int(from), int(to-from))
}
