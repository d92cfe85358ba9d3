package isa

import "strings"

// LLVM (llvm-objdump) syntax.

var llvmALUOps = map[string]Op{
	"+=": OpAdd, "-=": OpSub, "*=": OpMul, "/=": OpDiv, "s/=": OpSDiv, "%=": OpMod, "s%=": OpSMod,
	"|=": OpOr, "&=": OpAnd, "^=": OpXor, "<<=": OpLsh, ">>=": OpRsh, "s>>=": OpArsh,
}

var llvmJumpOps = map[string]Op{
	"==": OpJeq, "!=": OpJne, ">": OpJgt, ">=": OpJge, "<": OpJlt, "<=": OpJle,
	"s>": OpJsgt, "s>=": OpJsge, "s<": OpJslt, "s<=": OpJsle, "&": OpJset,
}

var llvmAtomicOps = map[string]AtomicOp{"+=": AtomicAdd, "|=": AtomicOr, "&=": AtomicAnd, "^=": AtomicXor}

var llvmFetchOps = map[string]AtomicOp{
	"atomic_fetch_add": AtomicAdd, "atomic_fetch_or": AtomicOr, "atomic_fetch_and": AtomicAnd,
	"atomic_fetch_xor": AtomicXor,
}

var llvmEndian = func() map[string]confMnemonic {
	m := map[string]confMnemonic{}
	for _, bits := range []string{"16", "32", "64"} {
		size := map[string]uint8{"16": 2, "32": 4, "64": 8}[bits]
		m["le"+bits] = confMnemonic{op: OpLE, alu32: true, size: size}
		m["be"+bits] = confMnemonic{op: OpBE, alu32: true, size: size}
		m["bswap"+bits] = confMnemonic{op: OpBswap, size: size}
	}
	return m
}()

// llvmOp reads an operator, joining a leading "s" word with the operator that
// follows ("s>>=", "s<", ...).
func (p *parser) llvmOp() (string, int, bool) {
	t := p.peek()
	if t == nil {
		return "", p.eol, false
	}
	if t.kind == tWord && t.text == "s" {
		if n := p.peekAt(1); n != nil && n.kind == tOp && n.col == t.col+1 {
			p.pos += 2
			return "s" + n.text, t.col, true
		}
		return "", t.col, false
	}
	if t.kind != tOp {
		return "", t.col, false
	}
	p.pos++
	return t.text, t.col, true
}

// llvm assembles one line in LLVM syntax.
func (p *parser) llvm() error {
	t := p.peek()
	switch {
	case t.kind == tWord && t.text == "if":
		p.pos++
		return p.llvmIf()
	case t.kind == tWord && (t.text == "goto" || t.text == "gotol"):
		p.pos++
		in := Insn{Op: OpJa}
		var err error
		if t.text == "gotol" {
			in.ALU32 = true
			err = p.longTarget(&in)
		} else {
			err = p.jumpTarget(&in)
		}
		if err != nil {
			return err
		}
		return p.emit(in)
	case t.kind == tWord && t.text == "lock":
		p.pos++
		return p.llvmLock()
	case t.kind == tOp && t.text == "*":
		return p.llvmStore()
	case p.isReg():
		return p.llvmAssign()
	}
	return p.errf(t.col, "unknown instruction starting with %q", t.text)
}

// ptrType parses "(u32 *)" and returns the access size and signedness.
func (p *parser) ptrType() (size uint8, signed bool, col int, err error) {
	col = p.col()
	if err = p.expect("("); err != nil {
		return
	}
	t := p.peek()
	if t == nil || t.kind != tWord || len(t.text) < 2 || (t.text[0] != 'u' && t.text[0] != 's') {
		return 0, false, col, p.errf(p.col(), "expected access type u8, u16, u32 or u64, found %s", p.describe())
	}
	switch t.text[1:] {
	case "8":
		size = 1
	case "16":
		size = 2
	case "32":
		size = 4
	case "64":
		size = 8
	default:
		return 0, false, col, p.errf(t.col, "expected access type u8, u16, u32 or u64, found %q", t.text)
	}
	signed = t.text[0] == 's'
	p.pos++
	if err = p.expect("*"); err != nil {
		return
	}
	err = p.expect(")")
	return
}

// addr parses "rN + off", "rN - off" or "rN".
func (p *parser) addr() (reg uint8, off int16, err error) {
	if reg, _, err = p.reg(false); err != nil {
		return
	}
	if t := p.peek(); t != nil && t.kind == tOp && (t.text == "+" || t.text == "-") {
		p.pos++
		off, err = p.memOff(t)
	}
	return
}

// memRef parses "*(u32 *)(r1 + 4)".
func (p *parser) memRef() (size uint8, signed bool, reg uint8, off int16, err error) {
	if err = p.expect("*"); err != nil {
		return
	}
	if size, signed, _, err = p.ptrType(); err != nil {
		return
	}
	if err = p.expect("("); err != nil {
		return
	}
	if reg, off, err = p.addr(); err != nil {
		return
	}
	err = p.expect(")")
	return
}

// llvmIf assembles "if rA OP rB|imm goto target".
func (p *parser) llvmIf() error {
	in := Insn{}
	dst, w, err := p.reg(true)
	if err != nil {
		return err
	}
	in.Dst, in.ALU32 = dst, w
	op, col, ok := p.llvmOp()
	if in.Op = llvmJumpOps[op]; !ok || in.Op == OpInvalid {
		return p.errf(col, "expected comparison (==, !=, >, >=, <, <=, s>, s>=, s<, s<=, &), found %q", op)
	}
	if p.isReg() {
		rcol := p.col()
		src, sw, err := p.reg(true)
		if err != nil {
			return err
		}
		if sw != w {
			return p.errf(rcol, "comparison mixes 32-bit (w) and 64-bit (r) registers")
		}
		in.Src, in.RegSrc = src, true
	} else if in.Imm, err = p.imm32(); err != nil {
		return err
	}
	if !p.isWord("goto") {
		return p.errf(p.col(), "expected \"goto\", found %s", p.describe())
	}
	p.pos++
	if err := p.jumpTarget(&in); err != nil {
		return err
	}
	return p.emit(in)
}

// llvmStore assembles "*(u32 *)(r1 + 4) = r2" and "*(u32 *)(r1 + 4) = 5".
func (p *parser) llvmStore() error {
	size, signed, dst, off, err := p.memRef()
	if err != nil {
		return err
	}
	if signed {
		return p.errf(p.toks[2].col, "stores take an unsigned access type")
	}
	if err := p.expect("="); err != nil {
		return err
	}
	in := Insn{Op: OpSt, Size: size, Dst: dst, Off: off}
	if p.isReg() {
		in.Op = OpStx
		if in.Src, _, err = p.reg(true); err != nil {
			return err
		}
	} else if in.Imm, err = p.imm32(); err != nil {
		return err
	}
	return p.emit(in)
}

// llvmLock assembles "lock *(u64 *)(r1 + 0) += r2".
func (p *parser) llvmLock() error {
	size, signed, dst, off, err := p.memRef()
	if err != nil {
		return err
	}
	if signed {
		return p.errf(p.toks[2].col, "atomic operations take an unsigned access type")
	}
	op, col, _ := p.llvmOp()
	a, ok := llvmAtomicOps[op]
	if !ok {
		return p.errf(col, "expected atomic operator +=, |=, &= or ^=, found %q", op)
	}
	in := Insn{Op: OpAtomic, Atomic: a, Size: size, ALU32: size == 4, Dst: dst, Off: off}
	if in.Src, _, err = p.reg(true); err != nil {
		return err
	}
	return p.emit(in)
}

// llvmAssign assembles every "dst OP= ..." and "dst = ..." form.
func (p *parser) llvmAssign() error {
	dcol := p.col()
	dst, w, err := p.reg(true)
	if err != nil {
		return err
	}
	op, col, ok := p.llvmOp()
	if !ok {
		return p.errf(col, "expected assignment operator after register, found %s", p.describe())
	}
	if op == "=" {
		return p.llvmRHS(dst, w, dcol)
	}
	aluOp, ok := llvmALUOps[op]
	if !ok {
		return p.errf(col, "unknown operator %q", op)
	}
	in := Insn{Op: aluOp, ALU32: w, Dst: dst}
	if err := p.llvmSrc(&in); err != nil {
		return err
	}
	return p.emit(in)
}

// llvmSrc parses the register or immediate source of an ALU operation.
func (p *parser) llvmSrc(in *Insn) error {
	if p.isReg() {
		col := p.col()
		src, w, err := p.reg(true)
		if err != nil {
			return err
		}
		if w != in.ALU32 {
			return p.errf(col, "operation mixes 32-bit (w) and 64-bit (r) registers")
		}
		in.Src, in.RegSrc = src, true
		return nil
	}
	v, err := p.imm32()
	in.Imm = v
	return err
}

// sameReg parses a register that must be dst (neg, byte swaps, fetch results).
func (p *parser) sameReg(dst uint8, what string) error {
	col := p.col()
	r, _, err := p.reg(true)
	if err != nil {
		return err
	}
	if r != dst {
		return p.errf(col, "%s must use the destination register r%d, found r%d", what, dst, r)
	}
	return nil
}

// llvmRHS assembles "dst = ...".
func (p *parser) llvmRHS(dst uint8, w bool, dcol int) error {
	t := p.peek()
	if t == nil {
		return p.errf(p.eol, "missing value after '='")
	}
	in := Insn{Dst: dst, ALU32: w}
	next := p.peekAt(1)
	switch {
	case t.kind == tOp && t.text == "-" && next != nil && next.kind == tWord:
		// r1 = -r1
		p.pos++
		in.Op = OpNeg
		col := p.col()
		_, sw, _ := regName(next.text)
		if err := p.sameReg(dst, "neg"); err != nil {
			return err
		}
		if sw != w {
			return p.errf(col, "neg mixes 32-bit (w) and 64-bit (r) registers")
		}
	case t.kind == tOp && t.text == "(":
		// r1 = (s8)r2
		p.pos++
		ty := p.next()
		size := map[string]uint8{"s8": 1, "s16": 2, "s32": 4}[tokText(ty)]
		if size == 0 {
			return p.errf(t.col, "expected sign-extending move (s8), (s16) or (s32)")
		}
		if err := p.expect(")"); err != nil {
			return err
		}
		in.Op, in.Size, in.RegSrc = OpMovSX, size, true
		if err := p.llvmSrc(&in); err != nil {
			return err
		}
		if !in.RegSrc {
			return p.errf(t.col, "sign-extending move needs a register source")
		}
	case t.kind == tOp && t.text == "*":
		p.pos++
		size, signed, _, err := p.ptrType()
		if err != nil {
			return err
		}
		if p.isWord("skb") {
			return p.llvmSkb(dst, w, dcol, size)
		}
		in = Insn{Op: OpLdx, Size: size, Dst: dst}
		if signed {
			in.Op = OpLdxs
		}
		if err := p.expect("("); err != nil {
			return err
		}
		if in.Src, in.Off, err = p.addr(); err != nil {
			return err
		}
		if err := p.expect(")"); err != nil {
			return err
		}
	case t.kind == tWord && llvmEndian[t.text].op != OpInvalid:
		p.pos++
		m := llvmEndian[t.text]
		in = Insn{Op: m.op, ALU32: m.alu32, Size: m.size, Dst: dst}
		if err := p.sameReg(dst, t.text); err != nil {
			return err
		}
	case t.kind == tWord && llvmFetchOps[t.text] != AtomicNone:
		// r0 = atomic_fetch_add((u64 *)(r1 + 0), r0)
		p.pos++
		in = Insn{Op: OpAtomic, Atomic: llvmFetchOps[t.text], Fetch: true, Src: dst}
		if err := p.expect("("); err != nil {
			return err
		}
		size, signed, col, err := p.ptrType()
		if err != nil {
			return err
		}
		if signed || size < 4 {
			return p.errf(col, "atomic operations take (u32 *) or (u64 *)")
		}
		in.Size, in.ALU32 = size, size == 4
		if err := p.expect("("); err != nil {
			return err
		}
		if in.Dst, in.Off, err = p.addr(); err != nil {
			return err
		}
		if err := p.expect(")"); err != nil {
			return err
		}
		if err := p.expect(","); err != nil {
			return err
		}
		if err := p.sameReg(dst, t.text+" operand"); err != nil {
			return err
		}
		if err := p.expect(")"); err != nil {
			return err
		}
	case t.kind == tWord && (t.text == "xchg_64" || t.text == "xchg32_32" || t.text == "cmpxchg_64" || t.text == "cmpxchg32_32"):
		// r0 = xchg_64(r1 + 0, r0); r0 = cmpxchg_64(r1 + 0, r0, r2)
		p.pos++
		in = Insn{Op: OpAtomic, Atomic: AtomicXchg, Fetch: true, Size: 8}
		if strings.HasSuffix(t.text, "_32") {
			in.Size, in.ALU32 = 4, true
		}
		cmp := strings.HasPrefix(t.text, "cmpxchg")
		if cmp {
			in.Atomic = AtomicCmpXchg
			if dst != 0 {
				return p.errf(dcol, "%s writes r0, not r%d", t.text, dst)
			}
		}
		var err error
		if err = p.expect("("); err != nil {
			return err
		}
		if in.Dst, in.Off, err = p.addr(); err != nil {
			return err
		}
		if err := p.expect(","); err != nil {
			return err
		}
		if cmp {
			if err := p.sameReg(0, t.text+" comparand"); err != nil {
				return err
			}
			if err := p.expect(","); err != nil {
				return err
			}
			if in.Src, _, err = p.reg(true); err != nil {
				return err
			}
		} else {
			if err := p.sameReg(dst, t.text+" operand"); err != nil {
				return err
			}
			in.Src = dst
		}
		if err := p.expect(")"); err != nil {
			return err
		}
	case t.kind == tWord && pseudoByName[t.text] != 0:
		in = Insn{Op: OpLddw, Size: 8, Dst: dst}
		if err := p.pseudoLddw(&in); err != nil {
			return err
		}
		if err := p.ll(w, dcol); err != nil {
			return err
		}
	case p.isReg():
		in.Op, in.RegSrc = OpMov, true
		col := p.col()
		src, sw, err := p.reg(true)
		if err != nil {
			return err
		}
		// "r0 = w1" is how LLVM spells a zero-extending 32-bit move.
		if sw != w && !(sw && !w) {
			return p.errf(col, "move mixes 32-bit (w) and 64-bit (r) registers")
		}
		in.Src, in.ALU32 = src, w || sw
	default:
		if !p.isNumber() {
			return p.errf(t.col, "unexpected %q after '='", t.text)
		}
		// Look ahead for "ll": a 64-bit immediate.
		end := p.pos + 1
		if p.isOp("-") || p.isOp("+") {
			end++
		}
		if end < len(p.toks) && p.toks[end].kind == tWord && p.toks[end].text == "ll" {
			in = Insn{Op: OpLddw, Size: 8, Dst: dst}
			var err error
			if in.Imm, err = p.imm64(); err != nil {
				return err
			}
			if err := p.ll(w, dcol); err != nil {
				return err
			}
			// llvm-objdump does not print the pseudo source; its raw bytes do.
			if p.a.rawSrc > 0 {
				in.Src = uint8(p.a.rawSrc)
			}
			break
		}
		in.Op = OpMov
		v, err := p.imm32()
		if err != nil {
			return err
		}
		in.Imm = v
	}
	return p.emit(in)
}

func tokText(t *token) string {
	if t == nil {
		return ""
	}
	return t.text
}

// ll consumes the "ll" suffix of a 64-bit immediate load.
func (p *parser) ll(w bool, dcol int) error {
	if !p.isWord("ll") {
		return p.errf(p.col(), "expected \"ll\" after 64-bit immediate, found %s", p.describe())
	}
	p.pos++
	if w {
		return p.errf(dcol, "64-bit immediate load needs an r register")
	}
	return nil
}

// llvmSkb assembles the legacy packet loads "r0 = *(u32 *)skb[4]" and
// "r0 = *(u32 *)skb[r1 + 4]" (llvm-objdump omits the "+ 4" when it is 0).
func (p *parser) llvmSkb(dst uint8, w bool, dcol int, size uint8) error {
	if dst != 0 || w {
		return p.errf(dcol, "legacy packet loads write r0")
	}
	p.pos++ // skb
	if err := p.expect("["); err != nil {
		return err
	}
	in := Insn{Op: OpLdAbs, Size: size}
	if p.isReg() {
		in.Op = OpLdInd
		var err error
		if in.Src, _, err = p.reg(false); err != nil {
			return err
		}
		if t := p.peek(); t != nil && t.kind == tOp && (t.text == "+" || t.text == "-") {
			if n := p.peekAt(1); n == nil || n.kind != tNum {
				return p.errf(t.col, "expected number after %q", t.text)
			}
			v, err := p.imm32()
			if err != nil {
				return err
			}
			in.Imm = v
		}
	} else {
		v, err := p.imm32()
		if err != nil {
			return err
		}
		in.Imm = v
	}
	if err := p.expect("]"); err != nil {
		return err
	}
	return p.emit(in)
}
