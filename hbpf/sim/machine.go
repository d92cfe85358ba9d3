package sim

import (
	"errors"
	"fmt"
	"io"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/sim/maps"
	"github.com/hbpf/hbpf/hbpf/sim/timing"
)

// Memory regions (address bits 63–32).
const (
	RegionNone   = 0
	RegionCtx    = 1
	RegionPacket = 2
	RegionStack  = 3
	RegionMapFD  = 4
	RegionCode   = 5  // code addresses (lddw pseudo func, bpf_loop callbacks); not dereferenceable
	RegionMap0   = 16 // map i's values live in region RegionMap0+i
)

// MaxMaps is the number of maps a machine can hold.
const MaxMaps = 64

const numRegions = RegionMap0 + MaxMaps

// Core parameters shared with the RTL.
const (
	StackFrame       = 512 // bytes of stack per frame
	MaxCallDepth     = 8   // frames, including the program's own
	StackSize        = StackFrame * MaxCallDepth
	MaxTailCalls     = 33 // as the kernel's MAX_TAIL_CALL_CNT
	Headroom         = 256
	FrameSize        = 4096 // buffer per packet, as the kernel's test run
	Tailroom         = 320  // reserved for skb_shared_info at the end of the frame
	xdpFrameSize     = 40   // sizeof(struct xdp_frame), kept below data_hard_start+40
	DefaultMaxCycles = 1 << 24
	DefaultClockMHz  = 250
	ethHdrLen        = 14
	xdpMetaMax       = 252 // largest 4-aligned length the kernel's u8 skb_shared_info.meta_len holds
)

// Pointer returns the address of offset off in region r.
func Pointer(r int, off uint32) uint64 { return uint64(r)<<32 | uint64(off) }

type region struct {
	buf  []byte
	lo   uint32 // accessible bytes are [lo, hi)
	hi   uint32
	slot uint32 // if non-zero, an access must stay within one slot of this size
	ro   bool
}

// Config configures a Machine.
type Config struct {
	Profile     *timing.Profile // timing profile; default timing.Hbpf
	MaxCycles   uint64          // cycle budget per run; default DefaultMaxCycles
	Trace       func(*Record)   // called for every retired instruction, if set
	Conformance bool            // bpf_conformance conventions: helper 5 is "unwind"
	Seed        uint32          // seed of bpf_get_prandom_u32 (0 means 1)
	ClockMHz    float64         // core clock for bpf_ktime_get_ns; default DefaultClockMHz
	Log         io.Writer       // bpf_trace_printk output; default discarded
	Hot         bool            // count executions per instruction (see Machine.Hot)
	Ingress     uint32          // xdp_md.ingress_ifindex; default 1 (lo), as the kernel's test run
	RxQueue     uint32          // xdp_md.rx_queue_index
}

// Machine is one simulated hbpf core with its programs and maps. Map state is
// kept across runs. A Machine is not safe for concurrent use; make one per
// goroutine.
type Machine struct {
	cfg     Config
	prof    *timing.Profile
	images  []*image
	Maps    []maps.Map // the object's maps, by index
	regions [numRegions]region
	regs    [16]uint64 // r0–r10; 16 so that a 4-bit register index needs no bounds check
	stack   []byte
	pkt     []byte
	ctx     xdpBuff
	frames  [MaxCallDepth]frame
	depth   int
	cur     int // current program
	pc      int
	cycles  uint64
	insns   uint64
	clock   uint64 // cycles of all previous runs, for ktime
	rng     uint32
	tails   int
	redir   Redirect
	stop    bool // conformance unwind
	loop    loopReq
	fault   *Fault
	rec     Record
	// Hot[p][slot] counts executions of each instruction, and HotCycles[p][slot]
	// the cycles they took (helper latencies included), when Config.Hot is set.
	Hot, HotCycles [][]uint64
	// Walks[map] counts the hash-unit walks of map helpers, when Config.Hot
	// is set (nil until one happens).
	Walks []HashWalks

	hotPrev  []uint64 // HotCycles of the program the last counted instruction is in
	hotPC    int      // that instruction
	hotStart uint64   // the cycle it began
}

type frame struct {
	saved [4]uint64 // r6–r9
	ret   int
	r10   uint64
	// bpf_loop: the frame calls back cb for i = 0..n-1 with r1 = i, r2 = ctx.
	loop    bool
	i, n    uint64
	cb      int
	loopCtx uint64
}

// loopReq is a bpf_loop call waiting to enter its first callback.
type loopReq struct {
	n, ctx  uint64
	cb      int
	pending bool
}

// xdpBuff is the packet's place in the buffer (offsets into Machine.pkt).
type xdpBuff struct {
	meta, data, end uint32
}

// Redirect records the target of XDP_REDIRECT.
type Redirect struct {
	Map     string `json:"map,omitempty"`     // map name for bpf_redirect_map
	Key     uint32 `json:"key"`               // map key, or ifindex for bpf_redirect
	Target  uint32 `json:"target"`            // ifindex / cpu / queue looked up
	Flags   uint64 `json:"flags,omitempty"`   // helper flags
	Helper  string `json:"helper"`            // which helper set it
	Present bool   `json:"present,omitempty"` // a redirect was requested
}

// New creates a machine for the programs (tail calls may go to any of them)
// and the maps they reference by index.
func New(progs []*isa.Program, specs []*isa.MapSpec, cfg Config) (*Machine, error) {
	if len(progs) == 0 {
		return nil, errors.New("no program to run")
	}
	if len(specs) > MaxMaps {
		return nil, fmt.Errorf("%d maps: the core has room for %d", len(specs), MaxMaps)
	}
	if cfg.Profile == nil {
		cfg.Profile = timing.Hbpf
	}
	if cfg.MaxCycles == 0 {
		cfg.MaxCycles = DefaultMaxCycles
	}
	if cfg.ClockMHz <= 0 {
		cfg.ClockMHz = DefaultClockMHz
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.Ingress == 0 {
		cfg.Ingress = 1
	}
	m := &Machine{cfg: cfg, prof: cfg.Profile, rng: cfg.Seed, stack: make([]byte, StackSize)}
	for i, p := range progs {
		img := newImage(p, cfg.Profile)
		img.index = i
		if err := bindPseudo(img, len(specs)); err != nil {
			return nil, err
		}
		m.images = append(m.images, img)
		if cfg.Hot {
			m.Hot = append(m.Hot, make([]uint64, p.NumSlots()))
			m.HotCycles = append(m.HotCycles, make([]uint64, p.NumSlots()))
		}
	}
	for i, s := range specs {
		mp, err := maps.New(s)
		if err != nil {
			return nil, fmt.Errorf("map %d %q: %w", i, s.Name, err)
		}
		m.Maps = append(m.Maps, mp)
		v := mp.Values()
		m.regions[RegionMap0+i] = region{buf: v, hi: uint32(len(v)), slot: s.ValueSize, ro: s.ReadOnly}
		if len(v) > 0 && uint64(len(v)) >= 1<<32 {
			return nil, fmt.Errorf("map %q: %d bytes of values exceed a 4 GiB region", s.Name, len(v))
		}
	}
	m.regions[RegionStack] = region{buf: m.stack, hi: StackSize}
	return m, nil
}

// Programs returns the machine's programs.
func (m *Machine) Programs() []*isa.Program {
	ps := make([]*isa.Program, len(m.images))
	for i, img := range m.images {
		ps[i] = img.prog
	}
	return ps
}

// Result is the outcome of one run.
type Result struct {
	R0     uint64 // return value
	Insns  uint64 // instructions retired
	Cycles uint64 // cycles, from the timing profile
	Fault  *Fault // non-nil if the run trapped
}

// XDPResult is the outcome of running an XDP program on one packet.
type XDPResult struct {
	Result
	Data     []byte   // the packet after the program (valid until the next run)
	Meta     []byte   // metadata in front of the packet (valid until the next run)
	Redirect Redirect // the redirect target, if the action is XDP_REDIRECT
	TailCall int      // tail calls taken
}

// XDP actions.
const (
	XDPAborted  = 0
	XDPDrop     = 1
	XDPPass     = 2
	XDPTX       = 3
	XDPRedirect = 4
)

var actionNames = []string{"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"}

// ActionName returns the name of an XDP action ("XDP_PASS"), or "XDP_UNKNOWN(n)".
func ActionName(a uint64) string {
	if a < uint64(len(actionNames)) {
		return actionNames[a]
	}
	return fmt.Sprintf("XDP_UNKNOWN(%d)", a)
}

// RunXDP runs program prog on one packet.
func (m *Machine) RunXDP(prog int, packet []byte) XDPResult {
	need := Headroom + len(packet) + Tailroom
	if need < FrameSize {
		need = FrameSize
	}
	if cap(m.pkt) < need {
		m.pkt = make([]byte, need)
	}
	m.pkt = m.pkt[:need]
	// The tailroom is not cleared: nothing can read past data_end, and
	// bpf_xdp_adjust_tail zeroes what it grows, as the kernel does.
	clear(m.pkt[:Headroom])
	copy(m.pkt[Headroom:], packet)
	m.ctx = xdpBuff{meta: Headroom, data: Headroom, end: uint32(Headroom + len(packet))}
	m.setPacketRegion()
	m.regions[RegionCtx] = region{} // ctx is served by loadCtx
	m.redir = Redirect{}
	m.reset(prog)
	m.regs[1] = Pointer(RegionCtx, 0)
	res := m.run()
	x := XDPResult{Result: res, TailCall: m.tails, Redirect: m.redir}
	x.Data = m.pkt[m.ctx.data:m.ctx.end]
	x.Meta = m.pkt[m.ctx.meta:m.ctx.data]
	return x
}

// RunMem runs program prog in the bpf_conformance way: r1 points to mem
// (read-write) and r2 holds its length.
func (m *Machine) RunMem(prog int, mem []byte) Result {
	m.pkt = mem
	m.ctx = xdpBuff{meta: 0, data: 0, end: uint32(len(mem))}
	m.setPacketRegion()
	m.reset(prog)
	if len(mem) > 0 {
		m.regs[1] = Pointer(RegionPacket, 0)
	}
	m.regs[2] = uint64(len(mem))
	return m.run()
}

func (m *Machine) setPacketRegion() {
	m.regions[RegionPacket] = region{buf: m.pkt, lo: m.ctx.meta, hi: m.ctx.end}
}

func (m *Machine) reset(prog int) {
	m.regs = [16]uint64{}
	m.regs[10] = Pointer(RegionStack, StackSize)
	clear(m.stack)
	m.depth, m.cur, m.pc, m.tails = 0, prog, 0, 0
	m.cycles, m.insns = uint64(m.prof.Entry), 0
	m.fault, m.stop, m.loop = nil, false, loopReq{}
	m.rec = Record{Helper: -1}
}

func (m *Machine) run() Result {
	m.exec()
	m.hotFlush()
	m.clock += m.cycles
	return Result{R0: m.regs[0], Insns: m.insns, Cycles: m.cycles, Fault: m.fault}
}

// Regs returns the register file after the last run.
func (m *Machine) Regs() (r [isa.NumRegs]uint64) {
	copy(r[:], m.regs[:])
	return r
}

// trap records a fault at the current instruction.
func (m *Machine) trap(c Cause, addr uint64, size int, format string, args ...any) {
	img := m.images[m.cur]
	f := &Fault{Cause: c, Prog: img.prog.Name, PC: m.pc, Addr: addr, Size: size, Detail: fmt.Sprintf(format, args...)}
	if in := img.prog.At(m.pc); in != nil && in.Source != nil {
		f.Source = fmt.Sprintf("%s:%d: %s", in.Source.File, in.Source.Line, in.Source.Text)
	}
	m.fault = f
}

// describe names an address for fault messages.
func (m *Machine) describe(addr uint64) string {
	r, off := int(addr>>32), uint32(addr)
	switch {
	case r == RegionCtx:
		return fmt.Sprintf("ctx+%d", off)
	case r == RegionPacket:
		return fmt.Sprintf("packet+%d (valid %d..%d)", int64(off)-int64(m.ctx.data), int64(m.ctx.meta)-int64(m.ctx.data), m.ctx.end-m.ctx.data)
	case r == RegionStack:
		return fmt.Sprintf("stack%+d (r10 = stack%+d)", int64(off)-StackSize, int64(uint32(m.regs[10]))-StackSize)
	case r >= RegionMap0 && r-RegionMap0 < len(m.Maps):
		s := m.Maps[r-RegionMap0].Spec()
		if s.ValueSize > 0 {
			return fmt.Sprintf("map %s value slot %d + %d (value size %d)", s.Name, off/s.ValueSize, off%s.ValueSize, s.ValueSize)
		}
		return fmt.Sprintf("map %s + %d", s.Name, off)
	case r == RegionMapFD:
		return fmt.Sprintf("map handle %d (not memory)", off)
	case addr == 0:
		return "null"
	}
	return fmt.Sprintf("0x%x (no such region)", addr)
}

// bindPseudo turns lddw's pseudo forms into the addresses of the core's memory map.
func bindPseudo(img *image, nmaps int) error {
	for i := range img.code {
		d := &img.code[i]
		if d.code != cLddw || d.insn == nil {
			continue
		}
		idx, off := uint32(d.insn.Imm), uint32(uint64(d.insn.Imm)>>32)
		switch d.insn.Src {
		case isa.PseudoNone:
			continue
		case isa.PseudoFunc:
			d.imm = int64(Pointer(RegionCode, uint32(d.insn.Target)))
			continue
		case isa.PseudoMapFD, isa.PseudoMapIdx:
			d.imm = int64(Pointer(RegionMapFD, idx))
		case isa.PseudoMapValue, isa.PseudoMapIdxValu:
			d.imm = int64(Pointer(RegionMap0+int(idx), off))
		default:
			return fmt.Errorf("%s: instruction %d: lddw pseudo source %d is not supported by the core", img.prog.Name, i, d.insn.Src)
		}
		if int(idx) >= nmaps {
			return fmt.Errorf("%s: instruction %d: lddw references map %d, but the program has %d maps", img.prog.Name, i, idx, nmaps)
		}
	}
	return nil
}

// SetTrace sets (or, with nil, clears) the retirement-record callback.
func (m *Machine) SetTrace(fn func(*Record)) { m.cfg.Trace = fn }
