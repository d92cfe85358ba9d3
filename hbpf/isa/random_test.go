package isa

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// randImm32 returns an immediate biased towards edge values.
func randImm32(r *rand.Rand) int64 {
	switch r.IntN(6) {
	case 0:
		return 0
	case 1:
		return -1
	case 2:
		return int64(int32(r.Uint32()))
	case 3:
		return []int64{-1 << 31, 1<<31 - 1, 255, -256, 0xffff, 0x10000}[r.IntN(6)]
	}
	return int64(r.IntN(512) - 256)
}

func randOff(r *rand.Rand) int16 {
	if r.IntN(4) == 0 {
		return []int16{-32768, 32767, 0, -1}[r.IntN(4)]
	}
	return int16(r.IntN(1024) - 512)
}

// randReg returns a register; writable ones exclude r10.
func randReg(r *rand.Rand, writable bool) uint8 {
	if writable {
		return uint8(r.IntN(10))
	}
	return uint8(r.IntN(11))
}

var randSizes = []uint8{1, 2, 4, 8}

// randInsn returns a random valid instruction of operation op. Jump and call
// offsets are left for randProgram to fill.
func randInsn(r *rand.Rand, op Op) Insn {
	in := Insn{Op: op, Dst: randReg(r, true), Target: -1}
	switch {
	case op == OpNeg:
		in.ALU32 = r.IntN(2) == 0
	case op == OpMovSX:
		in.RegSrc, in.Src = true, randReg(r, false)
		in.ALU32 = r.IntN(2) == 0
		in.Size = []uint8{1, 2, 4}[r.IntN(2+boolInt(!in.ALU32))]
	case op == OpLE || op == OpBE:
		in.ALU32, in.Size = true, []uint8{2, 4, 8}[r.IntN(3)]
	case op == OpBswap:
		in.Size = []uint8{2, 4, 8}[r.IntN(3)]
	case op.IsALU():
		in.ALU32 = r.IntN(2) == 0
		if in.RegSrc = r.IntN(2) == 0; in.RegSrc {
			in.Src = randReg(r, false)
		} else {
			in.Imm = randImm32(r)
		}
	case op.IsCondJump():
		in.Dst = randReg(r, false)
		in.ALU32 = r.IntN(2) == 0
		if in.RegSrc = r.IntN(2) == 0; in.RegSrc {
			in.Src = randReg(r, false)
		} else {
			in.Imm = randImm32(r)
		}
	case op == OpJa:
		in.Dst = 0
		in.ALU32 = r.IntN(3) == 0 // gotol
	case op == OpCall:
		in.Dst, in.Imm = 0, int64(r.IntN(300))
		if r.IntN(8) == 0 {
			in.Imm = -1 - int64(r.IntN(1<<20)) // placeholder ids, kept by the decoder
		}
	case op == OpCallLocal:
		in.Dst, in.Src = 0, 1
	case op == OpCallx:
		in.Dst = randReg(r, false)
	case op == OpExit:
		in.Dst = 0
	case op == OpLddw:
		in.Size = 8
		in.Src = uint8(r.IntN(PseudoMapIdxValu + 1))
		in.Imm = int64(r.Uint64())
		if r.IntN(3) == 0 {
			in.Imm = int64(r.IntN(1000))
		}
		if in.Src == PseudoFunc {
			in.Imm = 0 // filled by randProgram
		}
	case op == OpLdx:
		in.Size, in.Src, in.Off = randSizes[r.IntN(4)], randReg(r, false), randOff(r)
	case op == OpLdxs:
		in.Size, in.Src, in.Off = randSizes[r.IntN(3)], randReg(r, false), randOff(r)
	case op == OpSt:
		in.Dst, in.Size, in.Off, in.Imm = randReg(r, false), randSizes[r.IntN(4)], randOff(r), randImm32(r)
	case op == OpStx:
		in.Dst, in.Size, in.Src, in.Off = randReg(r, false), randSizes[r.IntN(4)], randReg(r, false), randOff(r)
	case op == OpAtomic:
		in.Dst, in.Off = randReg(r, false), randOff(r)
		in.Size = []uint8{4, 8}[r.IntN(2)]
		in.ALU32 = in.Size == 4
		in.Atomic = AtomicOp(1 + r.IntN(int(AtomicCmpXchg)))
		in.Fetch = in.Atomic >= AtomicXchg || r.IntN(2) == 0
		in.Src = randReg(r, in.Fetch && in.Atomic != AtomicCmpXchg) // fetches write src
	case op == OpLdAbs:
		in.Dst, in.Size, in.Imm = 0, randSizes[r.IntN(3)], randImm32(r)
	case op == OpLdInd:
		in.Dst, in.Size, in.Src, in.Imm = 0, randSizes[r.IntN(3)], randReg(r, false), randImm32(r)
	}
	return in
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// randProgram builds a valid program of about n instructions covering random
// operations, with jumps and calls aimed at random instruction starts.
func randProgram(r *rand.Rand, n int, ops []Op) []Insn {
	insns := make([]Insn, 0, n+1)
	for i := 0; i < n; i++ {
		insns = append(insns, randInsn(r, ops[r.IntN(len(ops))]))
	}
	insns = append(insns, Insn{Op: OpExit, Target: -1})
	slots := make([]int, len(insns))
	total := 0
	for i := range insns {
		slots[i] = total
		total += insns[i].Slots()
	}
	for i := range insns {
		in := &insns[i]
		tgt := slots[r.IntN(len(insns))]
		rel := int64(tgt - slots[i] - 1)
		switch {
		case in.Op == OpJa && in.ALU32, in.Op == OpCallLocal:
			in.Imm = rel
		case in.Op.IsJump():
			in.Off = int16(rel)
		case in.Op == OpLddw && in.Src == PseudoFunc:
			hi := uint64(0)
			if r.IntN(4) == 0 {
				hi = uint64(r.Uint32())
			}
			in.Imm = int64(hi<<32 | uint64(uint32(int32(rel))))
		}
	}
	return insns
}

func TestRandomRoundTrip(t *testing.T) {
	var ops []Op
	for op := OpAdd; op < NumOps; op++ {
		ops = append(ops, op)
	}
	r := rand.New(rand.NewPCG(1, 2))
	programs, insns := 200, 0
	type shape struct {
		op     Op
		alu32  bool
		regSrc bool
		size   uint8
		atomic AtomicOp
		fetch  bool
		pseudo uint8
	}
	seen := map[shape]bool{}
	for i := 0; i < programs; i++ {
		prog := randProgram(r, 100, ops)
		p, err := FromInsns(prog)
		if err != nil {
			t.Fatalf("program %d: FromInsns: %v", i, err)
		}
		for j := range p.Insns {
			in := &p.Insns[j]
			in.Source = &Line{File: "rand.c", Line: j / 3, Text: fmt.Sprintf("line %d", j/3)}
			s := shape{in.Op, in.ALU32, in.RegSrc, in.Size, in.Atomic, in.Fetch, 0}
			if in.Op == OpLddw {
				s.pseudo = in.Src
			}
			seen[s] = true
		}
		roundTrip(t, fmt.Sprintf("random program %d", i), p)
		// Every instruction also round-trips on its own through Format.
		for j := range p.Insns {
			in := &p.Insns[j]
			if in.Target >= 0 {
				continue // relative targets need their program
			}
			for _, syn := range []Syntax{SyntaxConformance, SyntaxLLVM} {
				text := Format(in, syn)
				q, err := Assemble([]byte(text), "insn")
				if err != nil {
					t.Fatalf("Format(%v) = %q: %v", syn, text, err)
				}
				if got, want := q.Insns[0].Encode(), in.Encode(); string(got) != string(want) {
					t.Fatalf("Format(%v) = %q: got % x, want % x", syn, text, got, want)
				}
			}
		}
		insns += len(p.Insns)
	}
	// Coverage: every operation, and the atomic and pseudo-lddw variants.
	covered := map[Op]bool{}
	atomics := map[[3]int]bool{}
	pseudos := map[uint8]bool{}
	for s := range seen {
		covered[s.op] = true
		if s.op == OpAtomic {
			atomics[[3]int{int(s.atomic), int(s.size), boolInt(s.fetch)}] = true
		}
		if s.op == OpLddw {
			pseudos[s.pseudo] = true
		}
	}
	for op := OpAdd; op < NumOps; op++ {
		if !covered[op] {
			t.Errorf("operation %v never generated", op)
		}
	}
	if len(atomics) != 2*(4*2+2) {
		t.Errorf("%d atomic variants generated, want 20", len(atomics))
	}
	if len(pseudos) != PseudoMapIdxValu+1 {
		t.Errorf("%d lddw pseudo sources generated, want %d", len(pseudos), PseudoMapIdxValu+1)
	}
	t.Logf("round-tripped %d random programs, %d instructions (%d distinct shapes), in both syntaxes, %d option sets each, plus each non-branch instruction alone",
		programs, insns, len(seen), len(disasmVariants()))
}
