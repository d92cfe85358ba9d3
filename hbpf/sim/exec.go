package sim

import (
	"math/bits"

	"github.com/hbpf/hbpf/hbpf/sim/timing"
)

// exec runs from m.pc until exit or trap.
func (m *Machine) exec() {
	img := m.images[m.cur]
	code := img.code
	regs := &m.regs
	pc := m.pc
	cycles, insns := m.cycles, m.insns
	budget := m.cfg.MaxCycles
	tracing := m.cfg.Trace != nil
	var hot []uint64 // executions per slot (Config.Hot)
	if m.Hot != nil {
		hot = m.Hot[m.cur]
	}
	retExtra := uint64(m.prof.Cost[timing.Return] - m.prof.Cost[timing.Exit])
	callCost := uint64(m.prof.Cost[timing.CallLocal])
	for {
		if uint(pc) >= uint(len(code)) {
			m.pc, m.cycles, m.insns = pc, cycles, insns
			m.trap(CauseInvalidInsn, 0, 0, "pc %d is outside the program (%d slots): execution ran off the end", pc, len(code))
			m.retire(img, pc, -1)
			return
		}
		d := &code[pc]
		if hot != nil {
			m.hotTick(pc, cycles)
		}
		cycles += uint64(d.cost)
		if cycles > budget {
			m.pc, m.cycles, m.insns = pc, cycles-uint64(d.cost), insns
			m.trap(CauseCycleBudget, 0, 0, "budget of %d cycles exhausted after %d instructions", budget, insns)
			m.retire(img, pc, -1)
			return
		}
		next := pc + 1
		dst := -1 // register written, for the retirement record
		switch d.code {
		// ALU64
		case cAdd | vK64:
			regs[d.dst&15] += uint64(d.imm)
			dst = int(d.dst)
		case cAdd | vX64:
			regs[d.dst&15] += regs[d.src&15]
			dst = int(d.dst)
		case cSub | vK64:
			regs[d.dst&15] -= uint64(d.imm)
			dst = int(d.dst)
		case cSub | vX64:
			regs[d.dst&15] -= regs[d.src&15]
			dst = int(d.dst)
		case cMul | vK64:
			regs[d.dst&15] *= uint64(d.imm)
			dst = int(d.dst)
		case cMul | vX64:
			regs[d.dst&15] *= regs[d.src&15]
			dst = int(d.dst)
		case cDiv | vK64:
			regs[d.dst&15] = udiv64(regs[d.dst&15], uint64(d.imm))
			dst = int(d.dst)
		case cDiv | vX64:
			regs[d.dst&15] = udiv64(regs[d.dst&15], regs[d.src&15])
			dst = int(d.dst)
		case cSDiv | vK64:
			regs[d.dst&15] = sdiv64(regs[d.dst&15], uint64(d.imm))
			dst = int(d.dst)
		case cSDiv | vX64:
			regs[d.dst&15] = sdiv64(regs[d.dst&15], regs[d.src&15])
			dst = int(d.dst)
		case cMod | vK64:
			regs[d.dst&15] = umod64(regs[d.dst&15], uint64(d.imm))
			dst = int(d.dst)
		case cMod | vX64:
			regs[d.dst&15] = umod64(regs[d.dst&15], regs[d.src&15])
			dst = int(d.dst)
		case cSMod | vK64:
			regs[d.dst&15] = smod64(regs[d.dst&15], uint64(d.imm))
			dst = int(d.dst)
		case cSMod | vX64:
			regs[d.dst&15] = smod64(regs[d.dst&15], regs[d.src&15])
			dst = int(d.dst)
		case cOr | vK64:
			regs[d.dst&15] |= uint64(d.imm)
			dst = int(d.dst)
		case cOr | vX64:
			regs[d.dst&15] |= regs[d.src&15]
			dst = int(d.dst)
		case cAnd | vK64:
			regs[d.dst&15] &= uint64(d.imm)
			dst = int(d.dst)
		case cAnd | vX64:
			regs[d.dst&15] &= regs[d.src&15]
			dst = int(d.dst)
		case cXor | vK64:
			regs[d.dst&15] ^= uint64(d.imm)
			dst = int(d.dst)
		case cXor | vX64:
			regs[d.dst&15] ^= regs[d.src&15]
			dst = int(d.dst)
		case cLsh | vK64:
			regs[d.dst&15] <<= uint64(d.imm) & 63
			dst = int(d.dst)
		case cLsh | vX64:
			regs[d.dst&15] <<= regs[d.src&15] & 63
			dst = int(d.dst)
		case cRsh | vK64:
			regs[d.dst&15] >>= uint64(d.imm) & 63
			dst = int(d.dst)
		case cRsh | vX64:
			regs[d.dst&15] >>= regs[d.src&15] & 63
			dst = int(d.dst)
		case cArsh | vK64:
			regs[d.dst&15] = uint64(int64(regs[d.dst&15]) >> (uint64(d.imm) & 63))
			dst = int(d.dst)
		case cArsh | vX64:
			regs[d.dst&15] = uint64(int64(regs[d.dst&15]) >> (regs[d.src&15] & 63))
			dst = int(d.dst)
		case cNeg | vK64:
			regs[d.dst&15] = -regs[d.dst&15]
			dst = int(d.dst)
		case cMov | vK64:
			regs[d.dst&15] = uint64(d.imm)
			dst = int(d.dst)
		case cMov | vX64:
			regs[d.dst&15] = regs[d.src&15]
			dst = int(d.dst)
		case cMovSX | vX64:
			regs[d.dst&15] = sext(regs[d.src&15], d.size)
			dst = int(d.dst)
		case cBswap | vK64:
			regs[d.dst&15] = bswap(regs[d.dst&15], d.size)
			dst = int(d.dst)

		// ALU32: operate on the low halves, zero-extend the result.
		case cAdd | vK32:
			regs[d.dst&15] = uint64(uint32(regs[d.dst&15]) + uint32(d.imm))
			dst = int(d.dst)
		case cAdd | vX32:
			regs[d.dst&15] = uint64(uint32(regs[d.dst&15]) + uint32(regs[d.src&15]))
			dst = int(d.dst)
		case cSub | vK32:
			regs[d.dst&15] = uint64(uint32(regs[d.dst&15]) - uint32(d.imm))
			dst = int(d.dst)
		case cSub | vX32:
			regs[d.dst&15] = uint64(uint32(regs[d.dst&15]) - uint32(regs[d.src&15]))
			dst = int(d.dst)
		case cMul | vK32:
			regs[d.dst&15] = uint64(uint32(regs[d.dst&15]) * uint32(d.imm))
			dst = int(d.dst)
		case cMul | vX32:
			regs[d.dst&15] = uint64(uint32(regs[d.dst&15]) * uint32(regs[d.src&15]))
			dst = int(d.dst)
		case cDiv | vK32:
			regs[d.dst&15] = udiv32(regs[d.dst&15], uint64(d.imm))
			dst = int(d.dst)
		case cDiv | vX32:
			regs[d.dst&15] = udiv32(regs[d.dst&15], regs[d.src&15])
			dst = int(d.dst)
		case cSDiv | vK32:
			regs[d.dst&15] = sdiv32(regs[d.dst&15], uint64(d.imm))
			dst = int(d.dst)
		case cSDiv | vX32:
			regs[d.dst&15] = sdiv32(regs[d.dst&15], regs[d.src&15])
			dst = int(d.dst)
		case cMod | vK32:
			regs[d.dst&15] = umod32(regs[d.dst&15], uint64(d.imm))
			dst = int(d.dst)
		case cMod | vX32:
			regs[d.dst&15] = umod32(regs[d.dst&15], regs[d.src&15])
			dst = int(d.dst)
		case cSMod | vK32:
			regs[d.dst&15] = smod32(regs[d.dst&15], uint64(d.imm))
			dst = int(d.dst)
		case cSMod | vX32:
			regs[d.dst&15] = smod32(regs[d.dst&15], regs[d.src&15])
			dst = int(d.dst)
		case cOr | vK32:
			regs[d.dst&15] = uint64(uint32(regs[d.dst&15]) | uint32(d.imm))
			dst = int(d.dst)
		case cOr | vX32:
			regs[d.dst&15] = uint64(uint32(regs[d.dst&15]) | uint32(regs[d.src&15]))
			dst = int(d.dst)
		case cAnd | vK32:
			regs[d.dst&15] = uint64(uint32(regs[d.dst&15]) & uint32(d.imm))
			dst = int(d.dst)
		case cAnd | vX32:
			regs[d.dst&15] = uint64(uint32(regs[d.dst&15]) & uint32(regs[d.src&15]))
			dst = int(d.dst)
		case cXor | vK32:
			regs[d.dst&15] = uint64(uint32(regs[d.dst&15]) ^ uint32(d.imm))
			dst = int(d.dst)
		case cXor | vX32:
			regs[d.dst&15] = uint64(uint32(regs[d.dst&15]) ^ uint32(regs[d.src&15]))
			dst = int(d.dst)
		case cLsh | vK32:
			regs[d.dst&15] = uint64(uint32(regs[d.dst&15]) << (uint32(d.imm) & 31))
			dst = int(d.dst)
		case cLsh | vX32:
			regs[d.dst&15] = uint64(uint32(regs[d.dst&15]) << (uint32(regs[d.src&15]) & 31))
			dst = int(d.dst)
		case cRsh | vK32:
			regs[d.dst&15] = uint64(uint32(regs[d.dst&15]) >> (uint32(d.imm) & 31))
			dst = int(d.dst)
		case cRsh | vX32:
			regs[d.dst&15] = uint64(uint32(regs[d.dst&15]) >> (uint32(regs[d.src&15]) & 31))
			dst = int(d.dst)
		case cArsh | vK32:
			regs[d.dst&15] = uint64(uint32(int32(regs[d.dst&15]) >> (uint32(d.imm) & 31)))
			dst = int(d.dst)
		case cArsh | vX32:
			regs[d.dst&15] = uint64(uint32(int32(regs[d.dst&15]) >> (uint32(regs[d.src&15]) & 31)))
			dst = int(d.dst)
		case cNeg | vK32:
			regs[d.dst&15] = uint64(-uint32(regs[d.dst&15]))
			dst = int(d.dst)
		case cMov | vK32:
			regs[d.dst&15] = uint64(uint32(d.imm))
			dst = int(d.dst)
		case cMov | vX32:
			regs[d.dst&15] = uint64(uint32(regs[d.src&15]))
			dst = int(d.dst)
		case cMovSX | vX32:
			regs[d.dst&15] = uint64(uint32(sext(regs[d.src&15], d.size)))
			dst = int(d.dst)
		case cLE | vK32:
			regs[d.dst&15] = regs[d.dst&15] & sizeMask(d.size)
			dst = int(d.dst)
		case cBE | vK32:
			regs[d.dst&15] = bswap(regs[d.dst&15], d.size)
			dst = int(d.dst)

		// JMP
		case cJa | vK64:
			next = int(d.target)
			cycles += uint64(d.taken - d.cost)
		case cJa | vK32:
			next = int(d.target)
			cycles += uint64(d.taken - d.cost)
		case cJeq | vK64, cJeq | vX64, cJeq | vK32, cJeq | vX32,
			cJgt | vK64, cJgt | vX64, cJgt | vK32, cJgt | vX32,
			cJge | vK64, cJge | vX64, cJge | vK32, cJge | vX32,
			cJset | vK64, cJset | vX64, cJset | vK32, cJset | vX32,
			cJne | vK64, cJne | vX64, cJne | vK32, cJne | vX32,
			cJsgt | vK64, cJsgt | vX64, cJsgt | vK32, cJsgt | vX32,
			cJsge | vK64, cJsge | vX64, cJsge | vK32, cJsge | vX32,
			cJlt | vK64, cJlt | vX64, cJlt | vK32, cJlt | vX32,
			cJle | vK64, cJle | vX64, cJle | vK32, cJle | vX32,
			cJslt | vK64, cJslt | vX64, cJslt | vK32, cJslt | vX32,
			cJsle | vK64, cJsle | vX64, cJsle | vK32, cJsle | vX32:
			a := regs[d.dst&15]
			b := uint64(d.imm)
			if d.code&1 != 0 {
				b = regs[d.src&15]
			}
			if d.code&2 != 0 {
				a, b = uint64(uint32(a)), uint64(uint32(b))
				if cond32(d.code&^3, a, b) {
					next = int(d.target)
					cycles += uint64(d.taken - d.cost)
				}
			} else if cond64(d.code&^3, a, b) {
				next = int(d.target)
				cycles += uint64(d.taken - d.cost)
			}
		case cCall | vK64, cCallx | vK64:
			id := int32(d.imm)
			if d.code == cCallx|vK64 {
				id = int32(regs[d.dst&15])
			}
			m.pc, m.cycles, m.insns = pc, cycles, insns
			if !m.call(id) {
				m.cycles = cycles
				m.retire(img, pc, -1)
				return
			}
			dst, cycles = 0, m.cycles
			if m.stop { // conformance unwind
				insns++
				m.insns = insns
				m.retire(img, pc, dst)
				return
			}
			if m.loop.pending { // bpf_loop: enter the first callback as a local call
				m.loop.pending = false
				if m.depth+1 >= MaxCallDepth {
					m.trap(CauseStackOverflow, 0, 0, "bpf_loop callback exceeds %d frames", MaxCallDepth)
					m.retire(img, pc, -1)
					return
				}
				f := &m.frames[m.depth]
				*f = frame{saved: [4]uint64{regs[6], regs[7], regs[8], regs[9]}, ret: pc + 1, r10: regs[10],
					loop: true, n: m.loop.n, cb: m.loop.cb, loopCtx: m.loop.ctx}
				m.depth++
				regs[10] -= StackFrame
				regs[1], regs[2] = 0, m.loop.ctx
				next = m.loop.cb
			}
			if m.cur != img.index { // tail call: continue in the new program
				insns++
				m.insns = insns
				m.retire(img, pc, -1)
				if hot != nil {
					hot = m.Hot[m.cur]
				}
				img = m.images[m.cur]
				code = img.code
				pc = 0
				continue
			}
		case cCallL | vK64:
			if m.depth+1 >= MaxCallDepth {
				m.pc, m.cycles, m.insns = pc, cycles, insns
				m.trap(CauseStackOverflow, 0, 0, "bpf-to-bpf call depth exceeds %d frames", MaxCallDepth)
				m.retire(img, pc, -1)
				return
			}
			m.frames[m.depth] = frame{saved: [4]uint64{regs[6], regs[7], regs[8], regs[9]}, ret: pc + 1, r10: regs[10]}
			m.depth++
			regs[10] -= StackFrame
			next = int(d.target)
		case cExit | vK64:
			if m.depth == 0 {
				insns++
				m.pc, m.cycles, m.insns = pc, cycles, insns
				if tracing {
					m.rec.Exit = true
					m.retire(img, pc, -1)
				}
				return
			}
			cycles += retExtra
			f := &m.frames[m.depth-1]
			regs[6], regs[7], regs[8], regs[9] = f.saved[0], f.saved[1], f.saved[2], f.saved[3]
			if f.loop {
				f.i++
				if regs[0] == 0 && f.i < f.n { // next iteration: call back again
					cycles += callCost
					regs[1], regs[2] = f.i, f.loopCtx
					regs[10] = f.r10 - StackFrame
					next = f.cb
					dst = 0
					break
				}
				regs[0] = f.i // bpf_loop returns the number of iterations
				dst = 0
			}
			m.depth--
			regs[10] = f.r10
			next = f.ret

		// Loads and stores
		case cLddw | vK64:
			regs[d.dst&15] = uint64(d.imm)
			dst = int(d.dst)
			next = pc + 2
		case cLdx | 0, cLdx | 1, cLdx | 2, cLdx | 3:
			m.pc = pc
			v, ok := m.load(regs[d.src&15]+uint64(d.off), d.size)
			if !ok {
				m.cycles, m.insns = cycles, insns
				m.retire(img, pc, -1)
				return
			}
			regs[d.dst&15] = v
			dst = int(d.dst)
		case cLdxs | 0, cLdxs | 1, cLdxs | 2:
			m.pc = pc
			v, ok := m.load(regs[d.src&15]+uint64(d.off), d.size)
			if !ok {
				m.cycles, m.insns = cycles, insns
				m.retire(img, pc, -1)
				return
			}
			regs[d.dst&15] = sext(v, d.size)
			dst = int(d.dst)
		case cSt | 0, cSt | 1, cSt | 2, cSt | 3:
			m.pc = pc
			if !m.store(regs[d.dst&15]+uint64(d.off), d.size, uint64(d.imm)) {
				m.cycles, m.insns = cycles, insns
				m.retire(img, pc, -1)
				return
			}
		case cStx | 0, cStx | 1, cStx | 2, cStx | 3:
			m.pc = pc
			if !m.store(regs[d.dst&15]+uint64(d.off), d.size, regs[d.src&15]) {
				m.cycles, m.insns = cycles, insns
				m.retire(img, pc, -1)
				return
			}
		case cAtom | vK64, cAtom | vK32:
			m.pc = pc
			w, ok := m.atomic(d)
			if !ok {
				m.cycles, m.insns = cycles, insns
				m.retire(img, pc, -1)
				return
			}
			dst = w
		case cLdAbs | vK64, cLdAbs | vK32, cLdInd | vK64, cLdInd | vK32:
			off := uint64(d.imm)
			if d.code&^3 == cLdInd {
				off += regs[d.src&15]
			}
			v, ok := m.legacyLoad(off, d.size)
			if !ok { // legacy semantics: the program exits with r0 = 0
				regs[0] = 0
				insns++
				m.pc, m.cycles, m.insns = pc, cycles, insns
				if tracing {
					m.rec.Exit = true
					m.retire(img, pc, 0)
				}
				return
			}
			regs[0] = v
			dst = 0
		default:
			m.pc, m.cycles, m.insns = pc, cycles-uint64(d.cost), insns
			m.trap(CauseInvalidInsn, 0, 0, "slot %d holds no executable instruction", pc)
			m.retire(img, pc, -1)
			return
		}
		insns++
		if tracing {
			m.cycles = cycles
			m.retire(img, pc, dst)
		}
		pc = next
	}
}

// retire emits the retirement record of the instruction at pc.
func (m *Machine) retire(img *image, pc int, dst int) {
	if m.cfg.Trace == nil {
		return
	}
	r := &m.rec
	r.Cycle, r.Prog, r.PC = m.cycles, img.index, pc
	if uint(pc) < uint(len(img.raw)) {
		r.Insn = img.raw[pc]
	}
	r.Dst = int8(dst)
	if dst >= 0 {
		r.Value = m.regs[dst]
	}
	if m.fault != nil {
		r.Trap = m.fault.Cause
	}
	m.cfg.Trace(r)
	*r = Record{Helper: -1}
}

func cond64(c uint8, a, b uint64) bool {
	switch c {
	case cJeq:
		return a == b
	case cJgt:
		return a > b
	case cJge:
		return a >= b
	case cJset:
		return a&b != 0
	case cJne:
		return a != b
	case cJsgt:
		return int64(a) > int64(b)
	case cJsge:
		return int64(a) >= int64(b)
	case cJlt:
		return a < b
	case cJle:
		return a <= b
	case cJslt:
		return int64(a) < int64(b)
	case cJsle:
		return int64(a) <= int64(b)
	}
	return false
}

func cond32(c uint8, a, b uint64) bool {
	switch c {
	case cJsgt:
		return int32(a) > int32(b)
	case cJsge:
		return int32(a) >= int32(b)
	case cJslt:
		return int32(a) < int32(b)
	case cJsle:
		return int32(a) <= int32(b)
	}
	return cond64(c, a, b)
}

func udiv64(a, b uint64) uint64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func umod64(a, b uint64) uint64 {
	if b == 0 {
		return a
	}
	return a % b
}

func sdiv64(a, b uint64) uint64 {
	if b == 0 {
		return 0
	}
	return uint64(int64(a) / int64(b)) // Go defines MinInt64 / -1 = MinInt64
}

func smod64(a, b uint64) uint64 {
	if b == 0 {
		return a
	}
	return uint64(int64(a) % int64(b))
}

func udiv32(a, b uint64) uint64 {
	if uint32(b) == 0 {
		return 0
	}
	return uint64(uint32(a) / uint32(b))
}

func umod32(a, b uint64) uint64 {
	if uint32(b) == 0 {
		return uint64(uint32(a))
	}
	return uint64(uint32(a) % uint32(b))
}

func sdiv32(a, b uint64) uint64 {
	if uint32(b) == 0 {
		return 0
	}
	return uint64(uint32(int32(a) / int32(b)))
}

func smod32(a, b uint64) uint64 {
	if uint32(b) == 0 {
		return uint64(uint32(a))
	}
	return uint64(uint32(int32(a) % int32(b)))
}

// sext sign-extends the low size bytes of v.
func sext(v uint64, size uint8) uint64 {
	switch size {
	case 1:
		return uint64(int64(int8(v)))
	case 2:
		return uint64(int64(int16(v)))
	case 4:
		return uint64(int64(int32(v)))
	}
	return v
}

// bswap reverses the low size bytes of v, zero-extending the result.
func bswap(v uint64, size uint8) uint64 {
	switch size {
	case 2:
		return uint64(bits.ReverseBytes16(uint16(v)))
	case 4:
		return uint64(bits.ReverseBytes32(uint32(v)))
	}
	return bits.ReverseBytes64(v)
}

// atomic executes an atomic instruction; it returns the register written (or -1).
func (m *Machine) atomic(d *dinsn) (int, bool) {
	in := d.insn
	regs := &m.regs
	addr := regs[d.dst&15] + uint64(d.off)
	old, ok := m.load(addr, d.size)
	if !ok {
		return -1, false
	}
	src := regs[d.src&15]
	var nv uint64
	write := true
	switch in.Atomic {
	case 1: // add
		nv = old + src
	case 2: // or
		nv = old | src
	case 3: // and
		nv = old & src
	case 4: // xor
		nv = old ^ src
	case 5: // xchg
		nv = src
	case 6: // cmpxchg
		cmp := regs[0]
		if d.size == 4 {
			cmp = uint64(uint32(cmp))
		}
		nv, write = src, old == cmp
	}
	if write && !m.store(addr, d.size, nv) {
		return -1, false
	}
	switch {
	case in.Atomic == 6:
		regs[0] = old
		return 0, true
	case in.Fetch:
		regs[d.src&15] = old
		return int(d.src), true
	}
	return -1, true
}

// legacyLoad is ld_abs/ld_ind: a big-endian load from the packet data.
func (m *Machine) legacyLoad(off uint64, size uint8) (uint64, bool) {
	data := m.pkt[m.ctx.data:m.ctx.end]
	if off >= uint64(len(data)) || off+uint64(size) > uint64(len(data)) {
		return 0, false
	}
	v := get(data[off:], size)
	if size > 1 {
		v = bswap(v, size)
	}
	return v, true
}

// hotTick counts an execution of the instruction at pc of the current program,
// and charges the cycles since the previous instruction began to that one.
func (m *Machine) hotTick(pc int, cycles uint64) {
	if m.hotPrev != nil {
		m.hotPrev[m.hotPC] += cycles - m.hotStart
	}
	m.Hot[m.cur][pc]++
	m.hotPrev, m.hotPC, m.hotStart = m.HotCycles[m.cur], pc, cycles
}

// hotFlush charges the last instruction of a run its cycles.
func (m *Machine) hotFlush() {
	if m.hotPrev != nil {
		m.hotPrev[m.hotPC] += m.cycles - m.hotStart
		m.hotPrev = nil
	}
}
