package randprog

import (
	"github.com/hbpf/hbpf/hbpf/isa"
)

// mainRegs are main's data registers, in the order they are dumped.
var mainRegs = []uint8{0, 1, 2, 3, 4, 5, 8, 9}

// Main's fixed registers.
const (
	regCtx = 6 // the xdp_md context
	regPkt = 7 // packet data, checked for Window bytes
)

// program lays out main, its short path and the subprograms.
func (g *gen) program() {
	if g.has(FeatCall) {
		n := g.r.IntN(maxSubs + 1)
		for range n {
			g.subs = append(g.subs, subprog{label: g.newLabel(), nargs: 1 + g.r.IntN(5), ptr: g.chance(0.5)})
		}
	}
	g.short = g.newLabel()
	g.mainFunc()
	for i := range g.subs {
		g.subFunc(i)
	}
}

func (g *gen) mainFunc() {
	f := &frame{main: true, data: regs(mainRegs...), scratch: mainScratch, sub: -1}
	g.emit(mov64(regCtx, 1))
	g.derivePacket()
	var st state
	for _, r := range mainRegs {
		g.initReg(f, st, r)
		st.init = st.init.with(r)
	}
	for off := int16(8); off <= mainScratch; off += 8 {
		g.initSlot(f, st, off)
	}
	st = g.block(f, st, g.opts.Size/2+g.r.IntN(g.opts.Size+1))
	// Every subprogram must be reachable: call those main did not call.
	for i := range g.subs {
		if !g.subs[i].called {
			st = g.callSub(f, st, i)
		}
	}
	g.mainEpilogue(st)
	g.place(g.short)
	g.emit(mov64(1, regCtx), call(helperGetBuffLen), aluK(isa.OpMod, false, 0, 5), exit())
}

// derivePacket loads data and data_end and branches to the short path unless
// Window bytes are there; then r7 = data. It clobbers r1–r3.
func (g *gen) derivePacket() {
	g.emit(
		ldx(4, 2, regCtx, 0),
		ldx(4, 3, regCtx, 4),
		mov64(1, 2),
		aluK(isa.OpAdd, false, 1, int64(g.opts.Window)),
	)
	g.emitTo(jmpX(isa.OpJgt, false, 1, 3), g.short)
	g.emit(mov64(regPkt, 2))
}

// initReg gives register r an initial value from the packet or a constant.
func (g *gen) initReg(f *frame, st state, r uint8) {
	switch g.r.IntN(5) {
	case 0, 1:
		if f.main {
			size := g.size()
			off := int16(g.r.IntN(g.opts.Window - int(size) + 1))
			if size < 8 && g.chance(0.3) {
				g.emit(isa.Insn{Op: isa.OpLdxs, Size: size, Dst: r, Src: regPkt, Off: off})
			} else {
				g.emit(ldx(size, r, regPkt, off))
			}
			return
		}
		fallthrough
	case 2:
		g.emit(aluK(isa.OpMov, g.chance(0.3), r, g.imm32()))
	case 3:
		if rd := f.data & st.init; rd != 0 {
			g.emit(mov64(r, g.pick(rd)))
			return
		}
		g.emit(movK(r, g.imm32()))
	default:
		g.emit(lddw(r, g.imm64()))
	}
}

// initSlot fills the 8 stack bytes at r10-off.
func (g *gen) initSlot(f *frame, st state, off int16) {
	if rd := f.data & st.init; rd != 0 && g.chance(0.7) {
		g.emit(stx(8, 10, g.pick(rd), -off))
		return
	}
	g.emit(stImm(8, 10, -off, g.imm32()))
}

// mainEpilogue makes the registers observable and returns the action.
func (g *gen) mainEpilogue(st state) {
	for i, r := range mainRegs {
		if st.init.has(r) {
			off := int16(8 * i)
			g.emit(ldx(8, regCtx, regPkt, off), aluX(isa.OpXor, false, regCtx, r), stx(8, regPkt, regCtx, off))
		}
	}
	// Spill the registers.
	for i, r := range mainRegs {
		off := int16(-spillOff + 8*i)
		if st.init.has(r) {
			g.emit(stx(8, 10, r, off))
		} else {
			g.emit(stImm(8, 10, off, 0))
		}
	}
	// r6 = fold of the registers % 5: the action.
	g.emit(movK(regCtx, g.imm32()))
	for _, r := range mainRegs {
		if st.init.has(r) {
			op := []isa.Op{isa.OpXor, isa.OpAdd, isa.OpSub}[g.r.IntN(3)]
			g.emit(aluX(op, false, regCtx, r), aluK(isa.OpMul, false, regCtx, 0x01000193))
		}
	}
	g.emit(mov64(1, regCtx), aluK(isa.OpRsh, false, 1, 32), aluX(isa.OpXor, false, regCtx, 1))
	g.emit(aluK(isa.OpMod, false, regCtx, 5))
	// Store the spilled registers into the map.
	g.storeKey(int64(g.r.IntN(int(g.nkeys))))
	g.emit(stackPtr(2, keyOff)...)
	g.emit(stackPtr(3, spillOff)...)
	g.emit(movK(4, 0), lddwMap(1, mapMain), call(helperMapUpdate))
	g.emit(mov64(0, regCtx), exit())
}

// storeKey writes key k to the key slot (all KeySize bytes).
func (g *gen) storeKey(k int64) {
	if g.keySize == 8 {
		g.emit(stImm(8, 10, -keyOff, k))
	} else {
		g.emit(stImm(4, 10, -keyOff, k))
	}
}

func (g *gen) subFunc(i int) {
	s := &g.subs[i]
	g.place(s.label)
	data := regs(0, 2, 3, 4, 5, 6, 7, 8, 9)
	if !s.ptr {
		data = data.with(1)
	}
	f := &frame{data: data, scratch: subScratch, ptr: s.ptr, sub: i}
	st := state{ptr: s.ptr}
	for a := uint8(1); a <= uint8(s.nargs); a++ {
		if a != 1 || !s.ptr {
			st.init = st.init.with(a)
		}
	}
	for _, r := range []uint8{6, 7} {
		if (f.data & st.init).count() < 3 {
			g.initReg(f, st, r)
			st.init = st.init.with(r)
		}
	}
	for off := int16(8); off <= subScratch; off += 8 {
		g.initSlot(f, st, off)
	}
	st = g.block(f, st, max(4, g.opts.Size/4))
	rd := f.data & st.init
	if !rd.has(0) || g.chance(0.7) {
		g.emit(movK(0, g.imm32()))
		for range 3 {
			if rd != 0 {
				g.emit(aluX([]isa.Op{isa.OpXor, isa.OpAdd}[g.r.IntN(2)], g.chance(0.2), 0, g.pick(rd)))
			}
		}
	}
	g.emit(exit())
}

// block emits about budget instructions.
func (g *gen) block(f *frame, st state, budget int) state {
	start := len(g.code)
	for len(g.code)-start < budget {
		st = g.step(f, st, budget-(len(g.code)-start))
	}
	return st
}

// step emits one random construct.
func (g *gen) step(f *frame, st state, budget int) state {
	type choice struct {
		w  int
		fn func() state
	}
	cs := []choice{
		{30, func() state { return g.alu(f, st) }},
		{5, func() state { return g.endian(f, st) }},
		{2, func() state { return g.loadConst(f, st) }},
		{10, func() state { return g.stackOp(f, st) }},
	}
	if g.has(FeatAtomic) {
		cs = append(cs, choice{5, func() state { return g.stackAtomic(f, st) }})
	}
	if f.main && g.has(FeatPacket) {
		cs = append(cs, choice{8, func() state { return g.packetOp(f, st) }})
	}
	if g.has(FeatJump) && f.depth < maxBranchDepth && budget >= 3 {
		cs = append(cs, choice{6, func() state { return g.branch(f, st, budget) }})
	}
	if g.has(FeatLoop) && !f.loop && f.depth < 2 && budget >= 4 {
		cs = append(cs, choice{2, func() state { return g.loop(f, st, budget) }})
	}
	if f.main && g.has(FeatMap) {
		cs = append(cs, choice{3, func() state { return g.mapOp(f, st) }})
	}
	if g.has(FeatGlobal) {
		cs = append(cs, choice{2, func() state { return g.globalOp(f, st) }})
	}
	if g.has(FeatCall) && !(f.loop && f.ptr) && f.sub+1 < len(g.subs) {
		cs = append(cs, choice{2, func() state { return g.callOp(f, st) }})
	}
	if f.main && g.has(FeatHelper) {
		cs = append(cs, choice{2, func() state { return g.helper(f, st) }})
	}
	if f.main && g.has(FeatRingbuf) {
		cs = append(cs, choice{2, func() state { return g.ringOp(f, st) }})
	}
	if f.main && g.has(FeatRedirect) {
		cs = append(cs, choice{1, func() state { return g.redirectOp(f, st) }})
	}
	if f.main && g.has(FeatAdjust) && !f.loop {
		cs = append(cs, choice{1, func() state { return g.adjust(f, st) }})
	}
	total := 0
	for _, c := range cs {
		total += c.w
	}
	n := g.r.IntN(total)
	for _, c := range cs {
		if n < c.w {
			return c.fn()
		}
		n -= c.w
	}
	panic("randprog: no choice")
}

// def emits an instruction that writes dst: payload if dst already held an
// initialised scalar (removing the write leaves a scalar there), scaffolding
// otherwise (removing it could expose a pointer or an uninitialised register).
func (g *gen) def(st state, dst uint8, in isa.Insn) {
	if st.init.has(dst) {
		g.data(in)
	} else {
		g.emit(in)
	}
}

// readable returns the registers the function may read.
func readable(f *frame, st state) regset { return f.data & st.init }

// writable returns the registers the function may write.
func writable(f *frame, st state) regset { return f.data &^ st.lock }

// ensureReadable makes sure some register can be read, initialising one if
// needed.
func (g *gen) ensureReadable(f *frame, st state) state {
	if readable(f, st) != 0 {
		return st
	}
	r := g.pick(writable(f, st))
	g.emit(movK(r, g.imm32()))
	st.init = st.init.with(r)
	return st
}

var aluOps = []isa.Op{
	isa.OpAdd, isa.OpSub, isa.OpMul, isa.OpDiv, isa.OpSDiv, isa.OpMod, isa.OpSMod, isa.OpOr, isa.OpAnd,
	isa.OpXor, isa.OpLsh, isa.OpRsh, isa.OpArsh, isa.OpNeg, isa.OpMov, isa.OpMovSX,
}

// alu emits one ALU or ALU64 instruction.
func (g *gen) alu(f *frame, st state) state {
	st = g.ensureReadable(f, st)
	op := aluOps[g.r.IntN(len(aluOps))]
	alu32 := g.chance(0.4)
	rd, wr := readable(f, st), writable(f, st)
	dsts := wr & rd
	if op == isa.OpMov || op == isa.OpMovSX {
		dsts = wr
	}
	if dsts == 0 {
		op, dsts = isa.OpMov, wr
	}
	dst := g.pick(dsts)
	width := int64(64)
	if alu32 {
		width = 32
	}
	if (op == isa.OpSDiv || op == isa.OpSMod) && g.chance(0.15) {
		// The overflow corner: INT_MIN / -1 (the kernel rewrites it; the
		// quotient is INT_MIN, the remainder 0).
		if alu32 {
			g.def(st, dst, aluK(isa.OpMov, true, dst, -1<<31))
		} else {
			g.def(st, dst, lddw(dst, -1<<63))
		}
		st.init = st.init.with(dst)
		if others := wr.without(dst); others != 0 && g.chance(0.5) {
			src := g.pick(others)
			g.def(st, src, movK(src, -1))
			st.init = st.init.with(src)
			g.data(aluX(op, alu32, dst, src))
		} else {
			g.data(aluK(op, alu32, dst, -1))
		}
		return st
	}
	switch {
	case op == isa.OpNeg:
		g.def(st, dst, aluK(op, alu32, dst, 0))
	case op == isa.OpMovSX:
		size := []uint8{1, 2, 4}[g.r.IntN(3)]
		if alu32 && size == 4 {
			size = 2
		}
		g.def(st, dst, isa.Insn{Op: op, ALU32: alu32, RegSrc: true, Dst: dst, Src: g.pick(rd), Size: size})
	case g.chance(0.5):
		g.def(st, dst, aluX(op, alu32, dst, g.pick(rd)))
	default:
		imm := g.imm32()
		switch op {
		case isa.OpDiv, isa.OpSDiv, isa.OpMod, isa.OpSMod:
			if imm == 0 {
				imm = []int64{1, -1, 3, 7, -0x80000000}[g.r.IntN(5)]
			}
		case isa.OpLsh, isa.OpRsh, isa.OpArsh:
			imm = int64(g.r.IntN(int(width)))
		}
		g.def(st, dst, aluK(op, alu32, dst, imm))
	}
	st.init = st.init.with(dst)
	return st
}

// endian emits le, be or bswap of a random width.
func (g *gen) endian(f *frame, st state) state {
	st = g.ensureReadable(f, st)
	dsts := readable(f, st) & writable(f, st)
	if dsts == 0 {
		return g.alu(f, st)
	}
	size := []uint8{2, 4, 8}[g.r.IntN(3)]
	in := isa.Insn{Dst: g.pick(dsts), Size: size}
	switch g.r.IntN(3) {
	case 0:
		in.Op, in.ALU32 = isa.OpLE, true
	case 1:
		in.Op, in.ALU32 = isa.OpBE, true
	default:
		in.Op = isa.OpBswap
	}
	g.data(in)
	return st
}

// loadConst emits lddw or a 32-bit mov of a constant.
func (g *gen) loadConst(f *frame, st state) state {
	dst := g.pick(writable(f, st))
	if g.chance(0.6) {
		g.def(st, dst, lddw(dst, g.imm64()))
	} else {
		g.def(st, dst, aluK(isa.OpMov, true, dst, g.imm32()))
	}
	st.init = st.init.with(dst)
	return st
}

// memOp emits one load, store or (with atomics) atomic operation on
// [base+lo, base+hi). Offsets are aligned to the access size when aligned is
// set (the stack) and always for atomics. exclude lists registers that must
// not be read or written (the base pointer).
func (g *gen) memOp(f *frame, st state, base uint8, lo, hi int, aligned, atomics bool) state {
	st = g.ensureReadable(f, st)
	if atomics && g.chance(0.25) {
		return g.atomicOp(f, st, base, lo, hi, false)
	}
	size := g.size()
	for int(size) > hi-lo {
		size /= 2
	}
	off := lo + g.r.IntN(hi-lo-int(size)+1)
	if aligned {
		off = lo + int(size)*g.r.IntN((hi-lo)/int(size))
	}
	return g.memOpAt(f, st, base, off, size)
}

// memOpAt emits a load or store of size bytes at base+off.
func (g *gen) memOpAt(f *frame, st state, base uint8, off int, size uint8) state {
	st = g.ensureReadable(f, st)
	rd := readable(f, st).without(base)
	wr := writable(f, st).without(base)
	switch {
	case g.chance(0.45) && wr != 0:
		dst := g.pick(wr)
		if size < 8 && g.chance(0.35) {
			g.def(st, dst, isa.Insn{Op: isa.OpLdxs, Size: size, Dst: dst, Src: base, Off: int16(off)})
		} else {
			g.def(st, dst, ldx(size, dst, base, int16(off)))
		}
		st.init = st.init.with(dst)
	case rd != 0 && g.chance(0.7):
		g.data(stx(size, base, g.pick(rd), int16(off)))
	default:
		g.data(stImm(size, base, int16(off), g.imm32()))
	}
	return st
}

var atomicOps = []isa.AtomicOp{isa.AtomicAdd, isa.AtomicOr, isa.AtomicAnd, isa.AtomicXor, isa.AtomicXchg, isa.AtomicCmpXchg}

// atomicOp emits an aligned atomic operation within [base+lo, base+hi);
// stack says the memory is a stack frame.
func (g *gen) atomicOp(f *frame, st state, base uint8, lo, hi int, stack bool) state {
	size := uint8(8)
	if g.chance(0.5) {
		size = 4
	}
	first := lo
	for first%int(size) != 0 {
		first++
	}
	n := (hi - first) / int(size)
	if n <= 0 {
		return st
	}
	off := first + int(size)*g.r.IntN(n)
	op := atomicOps[g.r.IntN(len(atomicOps))]
	fetch := op == isa.AtomicXchg || op == isa.AtomicCmpXchg || g.chance(0.5)
	rd := readable(f, st).without(base)
	srcs := rd
	if fetch {
		srcs &= writable(f, st)
	}
	if op == isa.AtomicCmpXchg && !(rd.has(0) && writable(f, st).has(0) && base != 0) {
		op = isa.AtomicXchg
	}
	if srcs == 0 {
		return st
	}
	src := g.pick(srcs)
	if op == isa.AtomicCmpXchg && size == 4 && !g.opts.NoWorkarounds {
		// Work around a Linux 6.18 verifier bug: after pruning, it may not
		// insert the zero extension of r0 that a 32-bit cmpxchg needs on
		// x86-64 (which leaves rax's upper half alone when the exchange
		// succeeds). With the upper half already zero there is nothing
		// to extend.
		g.emit(aluX(isa.OpMov, true, 0, 0))
	}
	if fetch && stack && !g.opts.NoWorkarounds {
		// Work around a Linux verifier bug (fixed upstream in 179ee84a8911,
		// "bpf: Fix incorrect pruning due to atomic fetch precision
		// tracking", not in 6.18): precision is not propagated from the
		// fetched register to the stack slot, so a slot holding a constant
		// the verifier knows can make it prune a path whose slot differs
		// and remove a branch the program then takes. Rewriting one byte of
		// the slot with itself leaves the memory as it was but makes the
		// verifier forget what the slot holds.
		tmps := writable(f, st).without(base).without(src).without(0)
		if tmps == 0 {
			return st
		}
		t := g.pick(tmps)
		g.emit(ldx(1, t, base, int16(off)), stx(1, base, t, int16(off)))
		st.init = st.init.with(t)
	}
	g.data(isa.Insn{Op: isa.OpAtomic, Size: size, ALU32: size == 4, Dst: base, Src: src, Off: int16(off), Atomic: op, Fetch: fetch})
	return st
}

// stackOp accesses the function's scratch area or, in a subprogram with a
// live pointer argument, the caller's.
func (g *gen) stackOp(f *frame, st state) state {
	if f.ptr && st.ptr && g.chance(0.4) {
		return g.memOp(f, st, 1, 0, ptrArea, true, false)
	}
	return g.memOp(f, st, 10, -int(f.scratch), 0, true, false)
}

// stackAtomic is an atomic operation on the stack (own or the caller's).
func (g *gen) stackAtomic(f *frame, st state) state {
	st = g.ensureReadable(f, st)
	if f.ptr && st.ptr && g.chance(0.4) {
		return g.atomicOp(f, st, 1, 0, ptrArea, true)
	}
	return g.atomicOp(f, st, 10, -int(f.scratch), 0, true)
}

// packetOp loads or stores packet bytes at a fixed or variable offset.
func (g *gen) packetOp(f *frame, st state) state {
	st = g.ensureReadable(f, st)
	if wr := writable(f, st); wr.count() >= 3 && g.chance(0.25) {
		// A variable offset: adding a scalar to a packet pointer makes a
		// new pointer of unknown range, which needs its own bounds check:
		//	t = s & mask; t += r7; t += k; e = data_end; if t > e goto skip
		//	access [t + off - k] with off + size <= k
		t := g.pick(wr)
		e := g.pick(wr.without(t))
		mask := []int{7, 15, 31}[g.r.IntN(3)]
		size := g.size()
		off := g.r.IntN(g.opts.Window - mask - int(size) + 1)
		k := off + int(size) + g.r.IntN(8)
		g.emit(mov64(t, g.pick(readable(f, st))), aluK(isa.OpAnd, false, t, int64(mask)), aluX(isa.OpAdd, false, t, regPkt),
			aluK(isa.OpAdd, false, t, int64(k)), ldx(4, e, regCtx, 4))
		skip := g.newLabel()
		g.emitTo(jmpX(isa.OpJgt, false, t, e), skip)
		st.init = st.init.without(t).without(e) // packet pointers now
		pf := *f
		pf.data = f.data.without(t).without(e)
		in := g.memOpAt(&pf, st, t, -k+off, size)
		g.place(skip)
		return join(st, in)
	}
	return g.memOp(f, st, regPkt, 0, g.opts.Window, false, false)
}

// condOps are the conditional jumps.
var condOps = []isa.Op{isa.OpJeq, isa.OpJne, isa.OpJgt, isa.OpJge, isa.OpJlt, isa.OpJle, isa.OpJsgt, isa.OpJsge, isa.OpJslt, isa.OpJsle, isa.OpJset}

// cond returns a random conditional jump on readable registers.
func (g *gen) cond(f *frame, st state) isa.Insn {
	rd := readable(f, st)
	op := condOps[g.r.IntN(len(condOps))]
	jmp32 := g.chance(0.35)
	if g.chance(0.5) {
		return jmpX(op, jmp32, g.pick(rd), g.pick(rd))
	}
	return jmpK(op, jmp32, g.pick(rd), g.imm32())
}

// branch emits an if or an if/else.
func (g *gen) branch(f *frame, st state, budget int) state {
	st = g.ensureReadable(f, st)
	inner := *f
	inner.depth++
	n := 1 + g.r.IntN(min(budget/2, 8))
	c := g.cond(f, st)
	if g.chance(0.5) {
		end := g.newLabel()
		g.dataTo(c, end)
		a := g.block(&inner, st, n)
		g.place(end)
		return join(st, a)
	}
	els, end := g.newLabel(), g.newLabel()
	g.dataTo(c, els)
	a := g.block(&inner, st, n)
	ja := isa.Insn{Op: isa.OpJa}
	if g.has(FeatGotol) && g.chance(0.4) {
		ja.ALU32 = true // gotol
	}
	g.dataTo(ja, end)
	g.place(els)
	b := g.block(&inner, st, 1+g.r.IntN(min(budget/2, 8)))
	g.place(end)
	return join(a, b)
}

// loop emits a bounded do-while loop with a counter the body cannot write.
func (g *gen) loop(f *frame, st state, budget int) state {
	cands := regs(6, 7, 8, 9) & writable(f, st)
	if cands == 0 {
		return g.alu(f, st)
	}
	c := g.pick(cands)
	k := int64(1 + g.r.IntN(maxLoopIterations))
	up := g.chance(0.5)
	jmp32 := g.chance(0.3)
	if up {
		g.emit(aluK(isa.OpMov, g.chance(0.3), c, 0))
	} else {
		g.emit(aluK(isa.OpMov, g.chance(0.3), c, k))
	}
	st.init = st.init.with(c)
	top := g.newLabel()
	g.place(top)
	inner := *f
	inner.loop = true
	in := st
	in.lock = in.lock.with(c)
	body := g.block(&inner, in, 2+g.r.IntN(min(budget, 12)))
	// The next iteration must find every register the first one found.
	for r := uint8(0); r < isa.NumRegs; r++ {
		if st.init.has(r) && !body.init.has(r) {
			g.emit(movK(r, g.imm32()))
			body.init = body.init.with(r)
		}
	}
	var op isa.Op
	var imm int64
	if up {
		g.emit(aluK(isa.OpAdd, g.chance(0.3), c, 1))
		switch g.r.IntN(5) {
		case 0:
			op, imm = isa.OpJlt, k
		case 1:
			op, imm = isa.OpJle, k-1
		case 2:
			op, imm = isa.OpJne, k
		case 3:
			op, imm = isa.OpJslt, k
		default:
			op, imm = isa.OpJsle, k-1
		}
	} else {
		g.emit(aluK(isa.OpSub, g.chance(0.3), c, 1))
		switch g.r.IntN(5) {
		case 0:
			op, imm = isa.OpJne, 0
		case 1:
			op, imm = isa.OpJgt, 0
		case 2:
			op, imm = isa.OpJsgt, 0
		case 3:
			op, imm = isa.OpJge, 1
		default:
			op, imm = isa.OpJsge, 1
		}
	}
	g.emitTo(jmpK(op, jmp32, c, imm), top)
	body.lock = st.lock
	return body
}

// clobber is the state after a helper or local call.
func clobber(st state) state {
	st.init = (st.init &^ regs(1, 2, 3, 4, 5)).with(0)
	st.ptr = false
	return st
}

// mapOp looks up, updates or deletes a key of the main map.
func (g *gen) mapOp(f *frame, st state) state {
	rd := readable(f, st)
	if rd != 0 && g.chance(0.7) {
		g.emit(mov64(1, g.pick(rd)), aluK(isa.OpAnd, false, 1, int64(g.nkeys-1)))
	} else {
		g.emit(movK(1, int64(g.r.IntN(int(g.nkeys)))))
	}
	if g.keySize == 8 {
		if g.chance(0.5) {
			g.emit(stImm(8, 10, -keyOff, 0), stx(4, 10, 1, -keyOff))
		} else {
			g.emit(stx(8, 10, 1, -keyOff))
		}
	} else {
		g.emit(stx(4, 10, 1, -keyOff))
	}
	g.emit(stackPtr(2, keyOff)...)
	switch n := g.r.IntN(10); {
	case n < 5:
		g.emit(lddwMap(1, mapMain), call(helperMapLookup))
		null := g.newLabel()
		g.emitTo(jmpK(isa.OpJeq, false, 0, 0), null)
		g.emit(mov64(1, 0), movK(0, g.imm32()))
		hit := clobber(st)
		hf := *f
		hf.data = f.data.without(1)
		for range 1 + g.r.IntN(4) {
			hit = g.memOp(&hf, hit, 1, 0, int(g.valSize), false, g.has(FeatAtomic))
		}
		g.place(null)
		out := join(clobber(st), hit)
		out.init = out.init.without(1)
		return out
	case n < 8:
		g.emit(stackPtr(3, mainScratch)...)
		flags := []int64{0, 0, 0, 1, 2, 3, 4, 5, 6, 8}[g.r.IntN(10)] // with BPF_F_LOCK (4) and invalid ones
		g.emit(movK(4, flags), lddwMap(1, mapMain), call(helperMapUpdate))
	default:
		g.emit(lddwMap(1, mapMain), call(helperMapDelete))
	}
	return clobber(st)
}

// globalOp accesses the one-entry global map through a direct value pointer.
func (g *gen) globalOp(f *frame, st state) state {
	st = g.ensureReadable(f, st)
	wr := writable(f, st)
	if wr.count() < 2 {
		return g.alu(f, st)
	}
	p := g.pick(wr)
	off := []int{0, 8, 16, 32}[g.r.IntN(4)]
	g.emit(lddwValue(p, mapGlobal, uint32(off)))
	st.init = st.init.without(p)
	gf := *f
	gf.data = f.data.without(p)
	for range 1 + g.r.IntN(3) {
		st = g.memOp(&gf, st, p, -off, globalValueSize-off, false, g.has(FeatAtomic))
	}
	st.init = st.init.without(p) // still the pointer
	return st
}

// callOp calls a random later subprogram.
func (g *gen) callOp(f *frame, st state) state {
	j := f.sub + 1 + g.r.IntN(len(g.subs)-f.sub-1)
	return g.callSub(f, st, j)
}

// callSub sets up the arguments of subprogram j and calls it.
func (g *gen) callSub(f *frame, st state, j int) state {
	s := &g.subs[j]
	s.called = true
	for a := uint8(s.nargs); a >= 1; a-- {
		if a == 1 && s.ptr {
			g.emit(stackPtr(1, f.scratch)...)
			break
		}
		rd := readable(f, st)
		switch {
		case rd.has(a) && g.chance(0.5):
		case rd != 0 && g.chance(0.6):
			g.emit(mov64(a, g.pick(rd)))
		default:
			g.emit(movK(a, g.imm32()))
		}
		st.init = st.init.with(a)
	}
	g.emitTo(isa.Insn{Op: isa.OpCallLocal, Src: 1}, s.label)
	return clobber(st)
}

// helper calls csum_diff, xdp_get_buff_len, xdp_load_bytes or xdp_store_bytes.
func (g *gen) helper(f *frame, st state) state {
	st = g.ensureReadable(f, st)
	rd := readable(f, st)
	switch g.r.IntN(4) {
	case 0: // csum_diff(from, from_size, to, to_size, seed)
		if g.chance(0.5) {
			g.emit(mov64(5, g.pick(rd)))
		} else {
			g.emit(movK(5, g.imm32()))
		}
		size := func() int {
			n := 4 * g.r.IntN(9)
			if g.chance(0.08) {
				n += 1 + g.r.IntN(3) // not a multiple of 4: -EINVAL
			}
			return n
		}
		// A pointer to the frame's top is refused even for 0 bytes.
		fs, ts := size(), size()
		g.emit(movK(4, int64(ts)))
		if ts == 0 && g.chance(0.5) {
			g.emit(movK(3, 0))
		} else {
			g.emit(stackPtr(3, int16(mainScratch-g.r.IntN(mainScratch-max(ts, 1)+1)))...)
		}
		g.emit(movK(2, int64(fs)))
		if fs == 0 && g.chance(0.5) {
			g.emit(movK(1, 0))
		} else {
			g.emit(stackPtr(1, int16(mainScratch-g.r.IntN(mainScratch-max(fs, 1)+1)))...)
		}
		g.emit(call(helperCsumDiff))
	case 1:
		g.emit(mov64(1, regCtx), call(helperGetBuffLen))
	default: // xdp_load_bytes / xdp_store_bytes(ctx, off, buf, len)
		if g.chance(0.6) {
			g.emit(mov64(2, g.pick(rd)), aluK(isa.OpAnd, false, 2, 127))
		} else {
			g.emit(movK(2, int64(g.r.IntN(2*g.opts.Window))))
		}
		n := 1 + g.r.IntN(32)
		g.emit(stackPtr(3, int16(mainScratch-g.r.IntN(mainScratch-n+1)))...)
		g.emit(movK(4, int64(n)), mov64(1, regCtx))
		if g.chance(0.5) {
			g.emit(call(helperLoadBytes))
		} else {
			g.emit(call(helperStoreBytes))
			st = clobber(st)
			g.derivePacket()
		}
	}
	return clobber(st)
}

// adjust calls xdp_adjust_head, _tail or _meta and re-derives the packet
// pointer (a short packet leaves by the short path).
func (g *gen) adjust(f *frame, st state) state {
	var id, delta int64
	switch g.r.IntN(3) {
	case 0:
		id = helperAdjustHead
		delta = int64(g.r.IntN(97)) - 48
		if g.chance(0.1) {
			delta = []int64{-256, -217, -216, -215, -300, 4096, 2000, -1 << 31}[g.r.IntN(8)]
		}
	case 1:
		id = helperAdjustTail
		delta = int64(g.r.IntN(81)) - 40
		if g.chance(0.1) {
			delta = []int64{-4096, 4096, 3000, 1 << 20, -1}[g.r.IntN(5)]
		}
	default:
		id = helperAdjustMeta
		delta = []int64{-4, -8, -12, -16, -32, -36, -3, 4, 0, -40}[g.r.IntN(10)]
	}
	g.emit(mov64(1, regCtx), movK(2, delta), call(id))
	st = clobber(st)
	if id == helperAdjustMeta {
		// Write a register into the metadata if there are 4 bytes of it.
		skip := g.newLabel()
		g.emit(ldx(4, 2, regCtx, 8), ldx(4, 3, regCtx, 0), mov64(1, 2), aluK(isa.OpAdd, false, 1, 4))
		g.emitTo(jmpX(isa.OpJgt, false, 1, 3), skip)
		rd := readable(f, st)
		if g.chance(0.7) && rd != 0 {
			g.emit(stx(4, 2, g.pick(rd), 0))
		} else {
			g.emit(stImm(4, 2, 0, g.imm32()))
		}
		g.place(skip)
	}
	g.derivePacket()
	return st
}

// ringOp writes a record to the ring buffer, with bpf_ringbuf_output from
// the stack or with bpf_ringbuf_reserve, stores and bpf_ringbuf_submit or
// bpf_ringbuf_discard.
func (g *gen) ringOp(f *frame, st state) state {
	if g.chance(0.5) {
		n := g.r.IntN(65)                                    // 0 to 64 bytes
		g.emit(movK(4, []int64{0, 0, 1, 2, 4}[g.r.IntN(5)])) // BPF_RB_NO_WAKEUP, _FORCE_WAKEUP; 4 is invalid
		g.emit(movK(3, int64(n)))
		g.emit(stackPtr(2, int16(mainScratch-g.r.IntN(mainScratch-max(n, 1)+1)))...)
		g.emit(lddwMap(1, mapRing), call(helperRingOutput))
		return clobber(st)
	}
	if g.chance(0.3) {
		// A large reservation, discarded unread: fills the ring within a
		// packet, so that later reservations and outputs fail.
		size := []int64{1024, 2000, 2040, 3000, 4088, 4096}[g.r.IntN(6)]
		skip := g.newLabel()
		g.emit(lddwMap(1, mapRing), movK(2, size), movK(3, 0), call(helperRingReserve))
		g.emitTo(jmpK(isa.OpJeq, false, 0, 0), skip)
		g.emit(mov64(1, 0), movK(2, 0), call(helperRingDiscard), movK(0, 1))
		g.place(skip)
		return clobber(st)
	}
	size := 8 * (1 + g.r.IntN(8))
	g.emit(lddwMap(1, mapRing), movK(2, int64(size)), movK(3, 0), call(helperRingReserve))
	skip := g.newLabel()
	g.emitTo(jmpK(isa.OpJeq, false, 0, 0), skip)
	// The reserved record is not zeroed by the kernel: write all of it
	// before anything may read it.
	in := clobber(st)
	in.init = in.init.without(0) // r0 is the record pointer
	rf := *f
	rf.data = f.data.without(0)
	for off := 0; off < size; off += 8 {
		if rd := readable(&rf, in); rd != 0 && g.chance(0.7) {
			g.emit(stx(8, 0, g.pick(rd), int16(off)))
		} else {
			g.emit(stImm(8, 0, int16(off), g.imm32()))
		}
	}
	for range g.r.IntN(3) {
		in = g.memOp(&rf, in, 0, 0, size, false, false)
	}
	g.emit(mov64(1, 0), movK(2, []int64{0, 1, 2}[g.r.IntN(3)]))
	if g.chance(0.75) {
		g.emit(call(helperRingSubmit))
	} else {
		g.emit(call(helperRingDiscard))
	}
	g.emit(movK(0, 1)) // submit and discard return nothing: r0 is unreadable
	g.place(skip)
	return clobber(st)
}

// redirectOp calls bpf_redirect or bpf_redirect_map on the DEVMAP, with
// valid and invalid flags; the return value is an XDP action.
func (g *gen) redirectOp(f *frame, st state) state {
	st = g.ensureReadable(f, st)
	rd := readable(f, st)
	if g.chance(0.3) {
		g.emit(movK(2, []int64{0, 0, 1, 8}[g.r.IntN(4)]))
		if g.chance(0.5) {
			g.emit(mov64(1, g.pick(rd)))
		} else {
			g.emit(movK(1, int64(g.r.IntN(4))))
		}
		g.emit(call(helperRedirect))
		return clobber(st)
	}
	// Lower bits: the action when the key has no entry; BPF_F_BROADCAST (8)
	// and BPF_F_EXCLUDE_INGRESS (16) are valid for a DEVMAP; 4 and 32 are not.
	g.emit(movK(3, []int64{0, 1, 2, 3, 8, 16, 8 | 2, 8 | 16, 4, 32}[g.r.IntN(10)]))
	if g.chance(0.6) {
		g.emit(mov64(2, g.pick(rd)), aluK(isa.OpAnd, false, 2, 15))
	} else {
		g.emit(movK(2, int64(g.r.IntN(16))))
	}
	g.emit(lddwMap(1, mapDev), call(helperRedirectMap))
	return clobber(st)
}
