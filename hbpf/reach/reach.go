// Package reach finds which instructions of a program can run, given the
// object's read-only data.
//
// It is the dead-code elimination the Linux verifier does for branches on
// frozen read-only data: a "const volatile" global lives in .rodata, which
// the loader may set before loading and then freezes, so the verifier knows
// its value and follows only the arm of a branch on it that can be taken.
// The instructions it never reaches are removed. A feature used only behind
// such a branch (say a bpf_trace_printk guarded by a debug flag that is off)
// is therefore no obstacle to running the program.
//
// [Analyze] is a forward abstract interpretation over the control-flow graph,
// iterated to a fixpoint. Each register holds an unknown value, a known 64-bit
// constant, or a pointer into a map's value at a known offset (lddw with a
// direct value address). Loads through such a pointer into a read-only map
// that has contents give constants; so do immediates and simple ALU
// operations on constants; a conditional jump whose operands are both known
// follows only the arm it takes. Everything else is unknown. The analysis is
// sound: an instruction is reported dead only if no execution can reach it,
// and in doubt it is live. Stack contents are not tracked, so a constant
// spilled to the stack and read back is unknown.
package reach

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"github.com/hbpf/hbpf/hbpf/isa"
)

// Result says, for each instruction of a program (by index in Insns), whether
// it may execute and, if not, why.
type Result struct {
	live []bool
	why  []string
}

// Live reports whether instruction index i of the program may execute. It is
// false for an index outside the program.
func (r *Result) Live(i int) bool { return i >= 0 && i < len(r.live) && r.live[i] }

// Why explains why instruction index i cannot execute, for example "dead: the
// branch at slot 78 always jumps (.rodata+4 = 0)". It is "" for a live
// instruction and for an index outside the program.
func (r *Result) Why(i int) string {
	if i < 0 || i >= len(r.why) {
		return ""
	}
	return r.why[i]
}

// Dead returns the indices of the instructions that cannot execute, in
// ascending order.
func (r *Result) Dead() []int {
	var d []int
	for i, l := range r.live {
		if !l {
			d = append(d, i)
		}
	}
	return d
}

// kind is the abstract kind of a register's value.
type kind uint8

const (
	unknown  kind = iota
	constant      // v is the value
	mapValue      // a pointer into map m's value at offset int64(v)
)

// value is what the analysis knows about one register.
type value struct {
	kind kind
	v    uint64
	m    int
	// from names the read-only data a constant was loaded from (".rodata+4"),
	// and derived says it was computed from that load rather than loaded.
	from    string
	derived bool
}

func known(v uint64) value { return value{kind: constant, v: v} }

// join is the least upper bound of two values: the value itself where both
// agree, otherwise unknown.
func join(a, b value) value {
	switch {
	case a == b:
		return a
	case a.kind == constant && b.kind == constant && a.v == b.v:
		j := known(a.v)
		if a.from == b.from {
			j.from = a.from
		}
		j.derived = j.from != "" && (a.derived || b.derived)
		return j
	}
	return value{}
}

// derive marks a computed constant as derived from the origin of its operands.
func derive(v uint64, ops ...value) value {
	r := known(v)
	for _, o := range ops {
		if o.kind == constant && o.from != "" {
			r.from, r.derived = o.from, true
			break
		}
	}
	return r
}

// state is the register file at the start of an instruction.
type state [isa.NumRegs]value

// edge is a successor of an instruction and the state it receives.
type edge struct {
	to int // instruction index
	st state
}

// analyzer holds one analysis.
type analyzer struct {
	p     *isa.Program
	specs []*isa.MapSpec
	in    []*state // state at the start of each instruction; nil: not reached
	// decided holds, for a conditional jump whose outcome the analysis knows,
	// a description of it and which of its successors is not followed.
	decided map[int]decision
}

type decision struct {
	text    string
	skipped int // instruction index of the arm not followed
}

// Analyze returns, per instruction index of p.Insns, whether it can run, using
// as constants the contents of the read-only maps: specs[i] with ReadOnly set
// and Contents holding the value of key 0 (global data such as .rodata, as
// isa.LoadELF gives it). specs is indexed as the map references of p are
// (isa.Object.Maps). Writable maps are never taken as constant.
//
// Instruction 0 and the callees of live bpf-to-bpf calls and of live lddw
// function references (bpf_loop callbacks) are entries; an entry starts with
// every register unknown, except that a callee gets the caller's r1–r5.
func Analyze(p *isa.Program, specs []*isa.MapSpec) *Result {
	if p == nil || len(p.Insns) == 0 {
		return &Result{}
	}
	a := &analyzer{p: p, specs: specs, in: make([]*state, len(p.Insns)), decided: map[int]decision{}}
	a.run()
	return a.result()
}

// run iterates the transfer functions to a fixpoint.
func (a *analyzer) run() {
	n := len(a.p.Insns)
	queued := make([]bool, n)
	var work []int
	push := func(e edge) {
		if e.to < 0 || e.to >= n {
			return
		}
		cur := a.in[e.to]
		if cur == nil {
			st := e.st
			a.in[e.to] = &st
		} else {
			changed := false
			for r := range cur {
				if j := join(cur[r], e.st[r]); j != cur[r] {
					cur[r], changed = j, true
				}
			}
			if !changed {
				return
			}
		}
		if !queued[e.to] {
			queued[e.to] = true
			work = append(work, e.to)
		}
	}
	push(edge{to: 0})
	for len(work) > 0 {
		i := work[len(work)-1]
		work = work[:len(work)-1]
		queued[i] = false
		for _, e := range a.step(i, *a.in[i]) {
			push(e)
		}
	}
	// The final states decide the branches. They are the largest the
	// iteration saw, so any decision made on an earlier state is the same.
	for i := range a.p.Insns {
		in := &a.p.Insns[i]
		if a.in[i] == nil || !in.Op.IsCondJump() {
			continue
		}
		if taken, ok, why := a.branch(in, a.in[i], true); ok {
			d := decision{skipped: a.p.IndexOf(in.Target)}
			verb := "never jumps"
			if taken {
				d.skipped, verb = i+1, "always jumps"
			}
			d.text = fmt.Sprintf("the branch at slot %d %s (%s)", in.Slot, verb, why)
			a.decided[i] = d
		}
	}
}

// step applies instruction i to st and returns its successors.
func (a *analyzer) step(i int, st state) []edge {
	in := &a.p.Insns[i]
	next := i + 1
	switch {
	case in.Op == isa.OpExit:
		return nil
	case in.Op == isa.OpJa:
		return []edge{{to: a.p.IndexOf(in.Target), st: st}}
	case in.Op.IsCondJump():
		target := a.p.IndexOf(in.Target)
		if taken, ok, _ := a.branch(in, &st, false); ok {
			if taken {
				return []edge{{to: target, st: st}}
			}
			return []edge{{to: next, st: st}}
		}
		// On the arm where a 64-bit jeq or jne found the register equal to a
		// constant, the register is that constant.
		eq := st
		if !in.ALU32 && st[in.Dst].kind == unknown && (in.Op == isa.OpJeq || in.Op == isa.OpJne) {
			if y := operand(in, &st); y.kind == constant {
				eq[in.Dst] = y
			}
		}
		if in.Op == isa.OpJne {
			return []edge{{to: target, st: st}, {to: next, st: eq}}
		}
		return []edge{{to: target, st: eq}, {to: next, st: st}}
	case in.Op == isa.OpCallLocal:
		var callee state
		copy(callee[1:6], st[1:6])
		clobber(&st)
		return []edge{{to: a.p.IndexOf(in.Target), st: callee}, {to: next, st: st}}
	case in.Op == isa.OpCall, in.Op == isa.OpCallx, in.Op == isa.OpLdAbs, in.Op == isa.OpLdInd:
		// Helper calls, and the legacy packet loads, which are calls too.
		clobber(&st)
		return []edge{{to: next, st: st}}
	case in.Op == isa.OpLddw && in.Src == isa.PseudoFunc:
		// A callback (bpf_loop and the like) starts with nothing known.
		st[in.Dst] = value{}
		return []edge{{to: a.p.IndexOf(in.Target)}, {to: next, st: st}}
	case in.Op == isa.OpLddw:
		st[in.Dst] = a.lddw(in)
	case in.Op == isa.OpLdx, in.Op == isa.OpLdxs:
		st[in.Dst] = a.load(in, st[in.Src])
	case in.Op.IsALU():
		st[in.Dst] = alu(in, st[in.Dst], st[in.Src])
	default:
		if w := in.WrittenReg(); w >= 0 {
			st[w] = value{}
		}
	}
	return []edge{{to: next, st: st}}
}

// clobber forgets r0–r5, which calls overwrite.
func clobber(st *state) {
	for r := 0; r <= 5; r++ {
		st[r] = value{}
	}
}

// lddw returns the value a 64-bit immediate load gives.
func (a *analyzer) lddw(in *isa.Insn) value {
	switch in.Src {
	case isa.PseudoNone:
		return known(uint64(in.Imm))
	case isa.PseudoMapValue, isa.PseudoMapIdxValu:
		// Imm is offset<<32 | map index, see isa.Object.
		idx, off := int(uint32(in.Imm)), int64(uint32(uint64(in.Imm)>>32))
		if idx < len(a.specs) && a.specs[idx] != nil {
			return value{kind: mapValue, m: idx, v: uint64(off)}
		}
	}
	return value{}
}

// load returns the value ldx or ldxs reads through base: a constant when base
// points into a read-only map's known contents, otherwise unknown.
func (a *analyzer) load(in *isa.Insn, base value) value {
	if base.kind != mapValue {
		return value{}
	}
	data := a.constData(base.m)
	off := int64(base.v) + int64(in.Off)
	size := int64(in.Size)
	if data == nil || off < 0 || off > int64(len(data))-size {
		return value{}
	}
	var b [8]byte
	copy(b[:], data[off:off+size])
	v := binary.LittleEndian.Uint64(b[:])
	if in.Op == isa.OpLdxs {
		v = sext(v, in.Size)
	}
	r := known(v)
	r.from = mapName(a.specs[base.m], base.m) + "+" + strconv.FormatInt(off, 10)
	return r
}

// constData returns the value of map m if it is read-only with known contents:
// the value of key 0 (all key bytes zero), which is how global data is given.
func (a *analyzer) constData(m int) []byte {
	if m < 0 || m >= len(a.specs) {
		return nil
	}
	s := a.specs[m]
	if s == nil || !s.ReadOnly {
		return nil
	}
	// Contents apply in order: a later entry for the key (a loader's
	// override, hbpfc --maps-in) replaces an earlier one.
	var v []byte
	for _, kv := range s.Contents {
		if len(kv.Key) > 0 && len(bytes.Trim(kv.Key, "\x00")) == 0 {
			v = kv.Value
		}
	}
	return v
}

func mapName(s *isa.MapSpec, m int) string {
	if s.Name != "" {
		return s.Name
	}
	return "map " + strconv.Itoa(m)
}

// alu returns the value an ALU instruction writes to its destination, given
// the destination's and the source register's values.
func alu(in *isa.Insn, dst, src value) value {
	if !in.RegSrc {
		src = known(uint64(in.Imm))
	}
	// Pointer arithmetic: only 64-bit moves, and adding or subtracting a
	// constant, keep a map value pointer.
	if !in.ALU32 {
		switch {
		case in.Op == isa.OpMov && in.RegSrc:
			return src
		case in.Op == isa.OpAdd && dst.kind == mapValue && src.kind == constant:
			return value{kind: mapValue, m: dst.m, v: dst.v + src.v}
		case in.Op == isa.OpAdd && dst.kind == constant && src.kind == mapValue:
			return value{kind: mapValue, m: src.m, v: dst.v + src.v}
		case in.Op == isa.OpSub && dst.kind == mapValue && src.kind == constant:
			return value{kind: mapValue, m: dst.m, v: dst.v - src.v}
		}
	}
	switch in.Op {
	case isa.OpMov:
		if src.kind != constant {
			return value{}
		}
		if in.ALU32 {
			return derive(uint64(uint32(src.v)), src)
		}
		return src
	case isa.OpMovSX:
		if src.kind != constant {
			return value{}
		}
		v := sext(src.v, in.Size)
		if in.ALU32 {
			v = uint64(uint32(v))
		}
		return derive(v, src)
	case isa.OpNeg, isa.OpLE, isa.OpBE, isa.OpBswap:
		if dst.kind != constant {
			return value{}
		}
		return derive(unary(in, dst.v), dst)
	}
	if dst.kind != constant || src.kind != constant {
		return value{}
	}
	v, ok := binary64(in.Op, dst.v, src.v)
	if in.ALU32 {
		v, ok = binary32(in.Op, uint32(dst.v), uint32(src.v))
	}
	if !ok {
		return value{}
	}
	return derive(v, dst, src)
}

// unary folds neg and the byte swaps.
func unary(in *isa.Insn, v uint64) uint64 {
	switch in.Op {
	case isa.OpNeg:
		if in.ALU32 {
			return uint64(-uint32(v))
		}
		return -v
	case isa.OpLE: // the host is little-endian: truncate
		if in.Size == 8 {
			return v
		}
		return v & (1<<(8*uint(in.Size)) - 1)
	}
	switch in.Size { // be and bswap
	case 2:
		return uint64(bits.ReverseBytes16(uint16(v)))
	case 4:
		return uint64(bits.ReverseBytes32(uint32(v)))
	}
	return bits.ReverseBytes64(v)
}

// binary64 folds a 64-bit ALU operation as RFC 9669 defines it (division by
// zero gives 0, modulo by zero leaves the dividend; shift counts are masked).
func binary64(op isa.Op, a, b uint64) (uint64, bool) {
	switch op {
	case isa.OpAdd:
		return a + b, true
	case isa.OpSub:
		return a - b, true
	case isa.OpMul:
		return a * b, true
	case isa.OpDiv:
		if b == 0 {
			return 0, true
		}
		return a / b, true
	case isa.OpMod:
		if b == 0 {
			return a, true
		}
		return a % b, true
	case isa.OpSDiv:
		if b == 0 {
			return 0, true
		}
		return uint64(int64(a) / int64(b)), true // Go wraps MinInt64 / -1 as BPF does
	case isa.OpSMod:
		if b == 0 {
			return a, true
		}
		return uint64(int64(a) % int64(b)), true
	case isa.OpOr:
		return a | b, true
	case isa.OpAnd:
		return a & b, true
	case isa.OpXor:
		return a ^ b, true
	case isa.OpLsh:
		return a << (b & 63), true
	case isa.OpRsh:
		return a >> (b & 63), true
	case isa.OpArsh:
		return uint64(int64(a) >> (b & 63)), true
	}
	return 0, false
}

// binary32 folds a 32-bit ALU operation; the result is zero-extended.
func binary32(op isa.Op, a, b uint32) (uint64, bool) {
	var r uint32
	switch op {
	case isa.OpAdd:
		r = a + b
	case isa.OpSub:
		r = a - b
	case isa.OpMul:
		r = a * b
	case isa.OpDiv:
		if b != 0 {
			r = a / b
		}
	case isa.OpMod:
		r = a
		if b != 0 {
			r = a % b
		}
	case isa.OpSDiv:
		if b != 0 {
			r = uint32(int32(a) / int32(b))
		}
	case isa.OpSMod:
		r = a
		if b != 0 {
			r = uint32(int32(a) % int32(b))
		}
	case isa.OpOr:
		r = a | b
	case isa.OpAnd:
		r = a & b
	case isa.OpXor:
		r = a ^ b
	case isa.OpLsh:
		r = a << (b & 31)
	case isa.OpRsh:
		r = a >> (b & 31)
	case isa.OpArsh:
		r = uint32(int32(a) >> (b & 31))
	default:
		return 0, false
	}
	return uint64(r), true
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

// operand returns the source operand of a jump or ALU instruction.
func operand(in *isa.Insn, st *state) value {
	if in.RegSrc {
		return st[in.Src]
	}
	return known(uint64(in.Imm))
}

// branch decides a conditional jump on st: whether it is taken and whether
// that is known; with explain, why names the operands that decide it.
func (a *analyzer) branch(in *isa.Insn, st *state, explain bool) (taken, ok bool, why string) {
	x, y := st[in.Dst], operand(in, st)
	switch {
	case x.kind == constant && y.kind == constant:
		taken, ok = cond(in.Op, in.ALU32, x.v, y.v), true
	case !in.ALU32 && (in.Op == isa.OpJeq || in.Op == isa.OpJne) &&
		(x.kind == mapValue && isZero(y) || y.kind == mapValue && isZero(x)):
		// A map value pointer is never null.
		taken, ok = in.Op == isa.OpJne, true
	}
	if ok && explain {
		why = a.describe(in.Dst, x)
		if in.RegSrc {
			why += ", " + a.describe(in.Src, y)
		}
	}
	return taken, ok, why
}

func isZero(v value) bool { return v.kind == constant && v.v == 0 }

// describe says what the analysis knows of register r holding v.
func (a *analyzer) describe(r uint8, v value) string {
	switch {
	case v.kind == mapValue:
		return fmt.Sprintf("r%d points into %s, never null", r, mapName(a.specs[v.m], v.m))
	case v.from != "" && !v.derived:
		return fmt.Sprintf("%s = %s", v.from, number(v.v))
	case v.from != "":
		return fmt.Sprintf("r%d = %s, computed from %s", r, number(v.v), v.from)
	}
	return fmt.Sprintf("r%d = %s", r, number(v.v))
}

func number(v uint64) string {
	if int64(v) > -0x10000 && int64(v) < 0x10000 {
		return strconv.FormatInt(int64(v), 10)
	}
	return fmt.Sprintf("%#x", v)
}

// cond evaluates a jump condition; JMP32 compares the low halves.
func cond(op isa.Op, jmp32 bool, a, b uint64) bool {
	if jmp32 {
		a, b = uint64(uint32(a)), uint64(uint32(b))
		switch op {
		case isa.OpJsgt:
			return int32(a) > int32(b)
		case isa.OpJsge:
			return int32(a) >= int32(b)
		case isa.OpJslt:
			return int32(a) < int32(b)
		case isa.OpJsle:
			return int32(a) <= int32(b)
		}
	}
	switch op {
	case isa.OpJeq:
		return a == b
	case isa.OpJne:
		return a != b
	case isa.OpJgt:
		return a > b
	case isa.OpJge:
		return a >= b
	case isa.OpJlt:
		return a < b
	case isa.OpJle:
		return a <= b
	case isa.OpJset:
		return a&b != 0
	case isa.OpJsgt:
		return int64(a) > int64(b)
	case isa.OpJsge:
		return int64(a) >= int64(b)
	case isa.OpJslt:
		return int64(a) < int64(b)
	case isa.OpJsle:
		return int64(a) <= int64(b)
	}
	panic("reach: cond on " + op.String())
}

// successors returns the instructions control may pass to from instruction
// i, whatever the registers hold.
func (a *analyzer) successors(i int) []int {
	in := &a.p.Insns[i]
	switch {
	case in.Op == isa.OpExit:
		return nil
	case in.Op == isa.OpJa:
		return []int{a.p.IndexOf(in.Target)}
	case in.Op.IsCondJump(), in.Op == isa.OpCallLocal, in.Op == isa.OpLddw && in.Src == isa.PseudoFunc:
		return []int{a.p.IndexOf(in.Target), i + 1}
	}
	return []int{i + 1}
}

// result builds the Result and explains every dead instruction by the
// decided branches whose skipped arms lead to it through dead code only.
func (a *analyzer) result() *Result {
	n := len(a.p.Insns)
	r := &Result{live: make([]bool, n), why: make([]string, n)}
	for i := range n {
		r.live[i] = a.in[i] != nil
	}
	reasons := make([][]string, n)
	for i := range n { // in slot order, so that reasons come in program order
		d, ok := a.decided[i]
		if !ok || d.skipped < 0 || d.skipped >= n || r.live[d.skipped] {
			continue
		}
		seen := make([]bool, n)
		stack := []int{d.skipped}
		seen[d.skipped] = true
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			reasons[j] = append(reasons[j], d.text)
			for _, s := range a.successors(j) {
				if s >= 0 && s < n && !r.live[s] && !seen[s] {
					seen[s] = true
					stack = append(stack, s)
				}
			}
		}
	}
	for i := range n {
		switch {
		case r.live[i]:
		case len(reasons[i]) > 0:
			r.why[i] = "dead: " + strings.Join(reasons[i], "; ")
		default:
			r.why[i] = "dead: no path from the program's entry leads here"
		}
	}
	return r
}
