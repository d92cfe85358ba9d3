package randprog

import (
	"fmt"
	"math/bits"
	"math/rand/v2"

	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
)

// Feature is a set of instruction classes the generator may use.
type Feature uint32

// Features. Options.Disable turns them off; everything else is always there
// (ALU, byte swaps, lddw, stack accesses and the observing prologue and
// epilogue).
const (
	FeatJump     Feature = 1 << iota // forward conditional jumps, ja, if/else
	FeatLoop                         // bounded loops
	FeatGotol                        // gotol (JMP32 ja) instead of some ja
	FeatAtomic                       // atomic operations
	FeatPacket                       // packet loads and stores in the body
	FeatMap                          // map lookups, updates and deletes in the body
	FeatGlobal                       // direct map value access (lddw PseudoMapValue)
	FeatCall                         // bpf-to-bpf calls
	FeatHelper                       // csum_diff, xdp_get_buff_len, xdp_load_bytes, xdp_store_bytes
	FeatAdjust                       // xdp_adjust_head, xdp_adjust_tail, xdp_adjust_meta
	FeatRingbuf                      // ringbuf_output, ringbuf_reserve with submit or discard
	FeatRedirect                     // redirect, redirect_map on a DEVMAP

	AllFeatures = FeatJump | FeatLoop | FeatGotol | FeatAtomic | FeatPacket | FeatMap | FeatGlobal |
		FeatCall | FeatHelper | FeatAdjust | FeatRingbuf | FeatRedirect
)

// Options configures Generate. The zero value is a sensible default.
type Options struct {
	// Size is the approximate number of instructions of the main function's
	// random body (default 64; each program draws its size from Size/2 to
	// 3*Size/2). Subprograms get about a quarter of Size each.
	Size int
	// Window is the number of packet bytes the program reads and writes
	// (default and minimum 64). Shorter packets take the short path.
	Window int
	// Disable lists features not to use.
	Disable Feature
	// MapType is the type of the program's map: ebpf.Array, ebpf.Hash or
	// their per-CPU variants, or ebpf.LRUHash, ebpf.LRUCPUHash or ebpf.LPMTrie
	// (8-byte keys: a prefix length below 16 and zero data). Zero picks
	// one of the first four from the seed (never an LRU map: the kernel's
	// LRU is approximate, so that its evictions differ from the simulator's
	// exact ones; LRU maps are for comparing the simulator with the RTL).
	MapType ebpf.MapType
	// NoWorkarounds leaves out the instructions that keep the Linux 6.18
	// verifier bugs described in the package documentation from
	// triggering, to check whether a kernel still has them.
	NoWorkarounds bool
}

// Helper ids (the kernel's numbers).
const (
	helperMapLookup   = 1
	helperMapUpdate   = 2
	helperMapDelete   = 3
	helperCsumDiff    = 28
	helperAdjustHead  = 44
	helperAdjustMeta  = 54
	helperAdjustTail  = 65
	helperGetBuffLen  = 188
	helperLoadBytes   = 189
	helperStoreBytes  = 190
	helperRedirect    = 23
	helperRedirectMap = 51
	helperRingOutput  = 130
	helperRingReserve = 131
	helperRingSubmit  = 132
	helperRingDiscard = 133
	ringSize          = 4096 // the smallest ring: fills up within a packet now and then
	defaultSize       = 64
	minWindow         = 64
	mainScratch       = 64  // bytes of stack scratch below r10 in main
	subScratch        = 32  // bytes of stack scratch below r10 in subprograms
	ptrArea           = 32  // bytes a subprogram may access through its pointer argument
	spillOff          = 128 // main: r10-128..r10-64 holds the spilled registers
	keyOff            = 136 // main: r10-136 holds the map key
	globalValueSize   = 64
	maxSubs           = 3
	maxBranchDepth    = 3
	maxLoopIterations = 6
)

// Map indices in the returned specs.
const (
	mapMain   = 0 // ARRAY or HASH: body lookups/updates/deletes and the final register dump
	mapGlobal = 1 // one-entry ARRAY accessed as global data
	mapRing   = 2 // RINGBUF
	mapDev    = 3 // DEVMAP: some entries hold ifindex 1 (lo)
)

// Generate returns a random XDP program for seed and the maps it uses
// (referenced by index, as isa.Object.Maps are). The same seed and options
// always give the same program.
func Generate(seed int64, opts Options) (*isa.Program, []*isa.MapSpec, error) {
	p, specs, _, err := generate(seed, opts)
	return p, specs, err
}

// generate is Generate that also reports which instructions are payload
// (see gen.data), by index in the program's Insns.
func generate(seed int64, opts Options) (*isa.Program, []*isa.MapSpec, []bool, error) {
	if opts.Size <= 0 {
		opts.Size = defaultSize
	}
	if opts.Window == 0 {
		opts.Window = minWindow
	}
	if opts.Window < minWindow || opts.Window > 1024 {
		return nil, nil, nil, fmt.Errorf("generate: window %d bytes, want %d to 1024", opts.Window, minWindow)
	}
	if opts.Disable&^AllFeatures != 0 {
		return nil, nil, nil, fmt.Errorf("generate: unknown features 0x%x", uint32(opts.Disable&^AllFeatures))
	}
	g := &gen{
		r:    rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)),
		opts: opts,
		feat: AllFeatures &^ opts.Disable,
	}
	switch opts.MapType {
	case 0:
		g.mapType = []ebpf.MapType{ebpf.Array, ebpf.Hash, ebpf.Array, ebpf.Hash, ebpf.PerCPUArray, ebpf.PerCPUHash}[g.r.IntN(6)]
	case ebpf.Array, ebpf.Hash, ebpf.PerCPUArray, ebpf.PerCPUHash, ebpf.LRUHash, ebpf.LRUCPUHash, ebpf.LPMTrie:
		g.mapType = opts.MapType
	default:
		return nil, nil, nil, fmt.Errorf("generate: map type %s, want Array, Hash, PerCPUArray, PerCPUHash, LRUHash, LRUCPUHash or LPMTrie", opts.MapType)
	}
	specs := g.makeMaps()
	g.program()
	insns, err := g.link()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("generate seed %d: %w", seed, err)
	}
	p, err := isa.FromInsns(insns)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("generate seed %d: encoding: %w", seed, err)
	}
	p.Name = fmt.Sprintf("rand_%d", seed)
	p.Section = "xdp"
	p.Type = ebpf.XDP
	payload := make([]bool, len(g.code))
	for i, it := range g.code {
		payload[i] = it.payload
	}
	return p, specs, payload, nil
}

// regset is a set of registers r0–r10.
type regset uint16

func (s regset) has(r uint8) bool { return s&(1<<r) != 0 }
func (s regset) with(r uint8) regset {
	return s | 1<<r
}
func (s regset) without(r uint8) regset { return s &^ (1 << r) }
func (s regset) count() int             { return bits.OnesCount16(uint16(s)) }

func regs(rs ...uint8) regset {
	var s regset
	for _, r := range rs {
		s = s.with(r)
	}
	return s
}

// state is what the verifier knows about the registers at a point.
type state struct {
	init regset // registers holding initialised scalars
	lock regset // loop counters: read-only for the body
	ptr  bool   // r1 still holds the pointer argument (subprograms)
}

// join is the state after two paths meet.
func join(a, b state) state {
	return state{init: a.init & b.init, lock: a.lock | b.lock, ptr: a.ptr && b.ptr}
}

// frame describes the function being generated.
type frame struct {
	main    bool
	data    regset // registers the function computes with
	scratch int16  // initialised stack bytes below r10
	ptr     bool   // r1 points to ptrArea bytes of the caller's stack (subprograms)
	sub     int    // subprogram index, -1 for main; callees have higher indices
	loop    bool   // inside a loop body
	depth   int    // branch nesting
}

// subprog is a generated callee.
type subprog struct {
	label  int
	nargs  int  // r1..r_nargs are arguments
	ptr    bool // r1 is a pointer to ptrArea bytes of the caller's stack
	called bool // some call instruction targets it
}

// item is one instruction, with a label for jumps and local calls.
type item struct {
	in      isa.Insn
	label   int  // target label, or -1
	payload bool // computes data; Minimize may remove it (not scaffolding)
}

type gen struct {
	r       *rand.Rand
	opts    Options
	feat    Feature
	mapType ebpf.MapType
	keySize uint32
	nkeys   uint32 // the body's keys range over [0, nkeys)
	valSize uint32
	code    []item
	labels  []int // label → index in code
	subs    []subprog
	short   int // label of main's short path
}

func (g *gen) has(f Feature) bool { return g.feat&f != 0 }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// pick returns a random member of s; s must not be empty.
func (g *gen) pick(s regset) uint8 {
	n := g.r.IntN(s.count())
	for r := uint8(0); r < isa.NumRegs; r++ {
		if s.has(r) {
			if n == 0 {
				return r
			}
			n--
		}
	}
	panic("randprog: pick from an empty register set")
}

func (g *gen) newLabel() int {
	g.labels = append(g.labels, -1)
	return len(g.labels) - 1
}

func (g *gen) place(l int) { g.labels[l] = len(g.code) }

func (g *gen) emit(ins ...isa.Insn) {
	for _, in := range ins {
		g.code = append(g.code, item{in: in, label: -1})
	}
}

func (g *gen) emitTo(in isa.Insn, label int) { g.code = append(g.code, item{in: in, label: label}) }

// data emits payload instructions: those that compute values rather than
// hold the program's structure together.
func (g *gen) data(ins ...isa.Insn) {
	for _, in := range ins {
		g.code = append(g.code, item{in: in, label: -1, payload: true})
	}
}

func (g *gen) dataTo(in isa.Insn, label int) {
	g.code = append(g.code, item{in: in, label: label, payload: true})
}

// link resolves labels into jump offsets and call immediates.
func (g *gen) link() ([]isa.Insn, error) {
	slot := make([]int, len(g.code)+1)
	for i, it := range g.code {
		slot[i+1] = slot[i] + it.in.Slots()
	}
	out := make([]isa.Insn, len(g.code))
	for i, it := range g.code {
		in := it.in
		if it.label >= 0 {
			t := g.labels[it.label]
			if t < 0 {
				return nil, fmt.Errorf("instruction %d: label %d was never placed", i, it.label)
			}
			rel := slot[t] - slot[i+1]
			switch {
			case in.Op == isa.OpCallLocal, in.Op == isa.OpJa && in.ALU32:
				in.Imm = int64(rel)
			default:
				if rel < -1<<15 || rel >= 1<<15 {
					return nil, fmt.Errorf("instruction %d: jump of %d slots does not fit in 16 bits", i, rel)
				}
				in.Off = int16(rel)
			}
		}
		out[i] = in
	}
	return out, nil
}

// makeMaps decides the maps' shapes and initial contents.
func (g *gen) makeMaps() []*isa.MapSpec {
	g.valSize = []uint32{8, 16, 24, 32, 48, 64}[g.r.IntN(6)]
	main := &isa.MapSpec{Name: "rand_map", Type: g.mapType, ValueSize: g.valSize}
	if g.mapType == ebpf.Array || g.mapType == ebpf.PerCPUArray {
		g.keySize = 4
		main.MaxEntries = uint32(1 + g.r.IntN(8))
		// Keys go a little beyond the end, so that some lookups miss and
		// some updates fail.
		g.nkeys = 8
		for k := uint32(0); k < main.MaxEntries; k++ {
			if g.chance(0.5) {
				main.Contents = append(main.Contents, isa.MapKV{Key: le32(k), Value: g.bytes(int(g.valSize))})
			}
		}
	} else {
		g.keySize = []uint32{4, 8}[g.r.IntN(2)]
		if g.mapType == ebpf.LPMTrie {
			// The key is a prefix length (below 16) and 4 bytes of data,
			// zero; BPF_F_NO_PREALLOC, as the kernel requires.
			g.keySize, main.Flags = 8, 1
		}
		main.MaxEntries = uint32(2 + g.r.IntN(7))
		// Key space larger than the map, so that it can fill up (-E2BIG).
		g.nkeys = 16
		for i := 0; i < int(main.MaxEntries)/2; i++ {
			k := make([]byte, g.keySize)
			k[0] = byte(g.r.IntN(int(g.nkeys)))
			dup := false
			for _, kv := range main.Contents {
				dup = dup || kv.Key[0] == k[0]
			}
			if !dup {
				main.Contents = append(main.Contents, isa.MapKV{Key: k, Value: g.bytes(int(g.valSize))})
			}
		}
	}
	main.KeySize = g.keySize
	global := &isa.MapSpec{Name: "rand_global", Type: ebpf.Array, KeySize: 4, ValueSize: globalValueSize, MaxEntries: 1,
		Contents: []isa.MapKV{{Key: le32(0), Value: g.bytes(globalValueSize)}}}
	ring := &isa.MapSpec{Name: "rand_ring", Type: ebpf.RingBuf, MaxEntries: ringSize}
	dev := &isa.MapSpec{Name: "rand_dev", Type: ebpf.DevMap, KeySize: 4, ValueSize: 4, MaxEntries: 8}
	for k := uint32(0); k < dev.MaxEntries; k++ {
		if g.chance(0.4) {
			dev.Contents = append(dev.Contents, isa.MapKV{Key: le32(k), Value: le32(1)}) // lo, which the test run's netns has
		}
	}
	return []*isa.MapSpec{main, global, ring, dev}
}

func le32(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }

func (g *gen) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return b
}

// imm32 returns an interesting 32-bit immediate (sign-extended to 64 bits).
func (g *gen) imm32() int64 {
	switch g.r.IntN(8) {
	case 0:
		return []int64{0, 1, -1, 2, -2, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65}[g.r.IntN(15)]
	case 1:
		return []int64{0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, -0x80000000, -0x7fffffff, 0x55555555, -0x55555556}[g.r.IntN(13)]
	case 2:
		return int64(int32(1) << g.r.IntN(32))
	case 3, 4:
		return int64(g.r.IntN(256)) - 128
	}
	return int64(int32(g.r.Uint32()))
}

// imm64 returns an interesting 64-bit constant for lddw.
func (g *gen) imm64() int64 {
	switch g.r.IntN(5) {
	case 0:
		return []int64{0, -1, 1, -1 << 63, 1<<63 - 1, 0xffffffff, 0x100000000, 0x80000000, -0x80000000, 0x00ff00ff00ff00ff}[g.r.IntN(10)]
	case 1:
		return int64(uint64(1) << g.r.IntN(64))
	case 2:
		return int64(g.r.Uint32()) | int64(g.r.IntN(4))<<32
	}
	return int64(g.r.Uint64())
}

// Instruction constructors.

func aluK(op isa.Op, alu32 bool, dst uint8, imm int64) isa.Insn {
	return isa.Insn{Op: op, ALU32: alu32, Dst: dst, Imm: imm}
}

func aluX(op isa.Op, alu32 bool, dst, src uint8) isa.Insn {
	return isa.Insn{Op: op, ALU32: alu32, RegSrc: true, Dst: dst, Src: src}
}

func mov64(dst, src uint8) isa.Insn { return aluX(isa.OpMov, false, dst, src) }
func movK(dst uint8, imm int64) isa.Insn {
	return aluK(isa.OpMov, false, dst, imm)
}

func ldx(size uint8, dst, base uint8, off int16) isa.Insn {
	return isa.Insn{Op: isa.OpLdx, Size: size, Dst: dst, Src: base, Off: off}
}

func stx(size uint8, base, src uint8, off int16) isa.Insn {
	return isa.Insn{Op: isa.OpStx, Size: size, Dst: base, Src: src, Off: off}
}

func stImm(size uint8, base uint8, off int16, imm int64) isa.Insn {
	return isa.Insn{Op: isa.OpSt, Size: size, Dst: base, Off: off, Imm: imm}
}

func call(id int64) isa.Insn { return isa.Insn{Op: isa.OpCall, Imm: id} }

func exit() isa.Insn { return isa.Insn{Op: isa.OpExit} }

func lddw(dst uint8, v int64) isa.Insn { return isa.Insn{Op: isa.OpLddw, Dst: dst, Imm: v} }

func lddwMap(dst uint8, idx int) isa.Insn {
	return isa.Insn{Op: isa.OpLddw, Dst: dst, Src: isa.PseudoMapFD, Imm: int64(idx)}
}

func lddwValue(dst uint8, idx int, off uint32) isa.Insn {
	return isa.Insn{Op: isa.OpLddw, Dst: dst, Src: isa.PseudoMapValue, Imm: int64(off)<<32 | int64(idx)}
}

func jmpK(op isa.Op, jmp32 bool, dst uint8, imm int64) isa.Insn {
	return isa.Insn{Op: op, ALU32: jmp32, Dst: dst, Imm: imm}
}

func jmpX(op isa.Op, jmp32 bool, dst, src uint8) isa.Insn {
	return isa.Insn{Op: op, ALU32: jmp32, RegSrc: true, Dst: dst, Src: src}
}

// stackPtr sets dst = r10 - off.
func stackPtr(dst uint8, off int16) []isa.Insn {
	return []isa.Insn{mov64(dst, 10), aluK(isa.OpAdd, false, dst, -int64(off))}
}

var sizes = []uint8{1, 2, 4, 8}

func (g *gen) size() uint8 { return sizes[g.r.IntN(4)] }
