package sim

import (
	"encoding/binary"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/sim/timing"
)

// dinsn is an instruction decoded once for fast dispatch. The code combines the
// operation with its width and source (or access size) so that the interpreter
// dispatches through one dense switch.
type dinsn struct {
	code   uint8
	dst    uint8
	src    uint8
	size   uint8
	off    int32
	target int32 // jump / local-call target slot
	imm    int64
	cost   uint32 // cycles when falling through
	taken  uint32 // cycles when the jump is taken
	insn   *isa.Insn
}

// Dispatch codes: isa.Op << 2 | variant. For ALU and jumps the variant is
// (32-bit << 1 | register source); for memory access it is log2(size).
const (
	vK64 = 0
	vX64 = 1
	vK32 = 2
	vX32 = 3
)

func code(op isa.Op, v uint8) uint8 { return uint8(op)<<2 | v }

const (
	cAdd   = uint8(isa.OpAdd) << 2
	cSub   = uint8(isa.OpSub) << 2
	cMul   = uint8(isa.OpMul) << 2
	cDiv   = uint8(isa.OpDiv) << 2
	cSDiv  = uint8(isa.OpSDiv) << 2
	cOr    = uint8(isa.OpOr) << 2
	cAnd   = uint8(isa.OpAnd) << 2
	cLsh   = uint8(isa.OpLsh) << 2
	cRsh   = uint8(isa.OpRsh) << 2
	cNeg   = uint8(isa.OpNeg) << 2
	cMod   = uint8(isa.OpMod) << 2
	cSMod  = uint8(isa.OpSMod) << 2
	cXor   = uint8(isa.OpXor) << 2
	cMov   = uint8(isa.OpMov) << 2
	cMovSX = uint8(isa.OpMovSX) << 2
	cArsh  = uint8(isa.OpArsh) << 2
	cLE    = uint8(isa.OpLE) << 2
	cBE    = uint8(isa.OpBE) << 2
	cBswap = uint8(isa.OpBswap) << 2
	cJa    = uint8(isa.OpJa) << 2
	cJeq   = uint8(isa.OpJeq) << 2
	cJgt   = uint8(isa.OpJgt) << 2
	cJge   = uint8(isa.OpJge) << 2
	cJset  = uint8(isa.OpJset) << 2
	cJne   = uint8(isa.OpJne) << 2
	cJsgt  = uint8(isa.OpJsgt) << 2
	cJsge  = uint8(isa.OpJsge) << 2
	cJlt   = uint8(isa.OpJlt) << 2
	cJle   = uint8(isa.OpJle) << 2
	cJslt  = uint8(isa.OpJslt) << 2
	cJsle  = uint8(isa.OpJsle) << 2
	cCall  = uint8(isa.OpCall) << 2
	cCallL = uint8(isa.OpCallLocal) << 2
	cCallx = uint8(isa.OpCallx) << 2
	cExit  = uint8(isa.OpExit) << 2
	cLddw  = uint8(isa.OpLddw) << 2
	cLdx   = uint8(isa.OpLdx) << 2
	cLdxs  = uint8(isa.OpLdxs) << 2
	cSt    = uint8(isa.OpSt) << 2
	cStx   = uint8(isa.OpStx) << 2
	cAtom  = uint8(isa.OpAtomic) << 2
	cLdAbs = uint8(isa.OpLdAbs) << 2
	cLdInd = uint8(isa.OpLdInd) << 2
	cBad   = uint8(isa.OpInvalid) << 2
)

var log2size = [9]uint8{1: 0, 2: 1, 4: 2, 8: 3}

// image is a program decoded for the interpreter, indexed by slot.
type image struct {
	index int
	prog  *isa.Program
	code  []dinsn
	raw   []uint64 // first raw slot of each instruction, for retirement records
}

func newImage(p *isa.Program, prof *timing.Profile) *image {
	n := p.NumSlots()
	img := &image{prog: p, code: make([]dinsn, n), raw: make([]uint64, n)}
	for i := range img.code {
		img.code[i] = dinsn{code: cBad, target: -1}
	}
	for i := range p.Insns {
		in := &p.Insns[i]
		d := dinsn{dst: in.Dst, src: in.Src, size: in.Size, off: int32(in.Off), imm: in.Imm, target: int32(in.Target), insn: in}
		fall, taken := prof.InsnCost(in)
		d.cost, d.taken = uint32(fall), uint32(taken)
		var v uint8
		switch {
		case in.Op == isa.OpLdx || in.Op == isa.OpLdxs || in.Op == isa.OpSt || in.Op == isa.OpStx:
			v = log2size[in.Size]
		default:
			if in.RegSrc {
				v |= 1
			}
			if in.ALU32 {
				v |= 2
			}
		}
		d.code = code(in.Op, v)
		img.code[in.Slot] = d
		img.raw[in.Slot] = binary.LittleEndian.Uint64(in.Encode())
	}
	return img
}
