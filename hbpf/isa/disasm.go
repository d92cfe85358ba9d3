package isa

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Format returns one instruction as assembly text in the given syntax. Jump and
// call targets are relative slot offsets ("+3", "-2"), which [Assemble] reads back
// to the same encoding.
func Format(in *Insn, syntax Syntax) string { return formatInsn(in, syntax, "") }

// String returns the instruction in conformance syntax.
func (in *Insn) String() string { return Format(in, SyntaxConformance) }

// DisasmOptions controls [Disassemble].
type DisasmOptions struct {
	Syntax Syntax // dialect to write
	Labels bool   // name jump and call targets "L<slot>" and write label lines
	Slots  bool   // prefix instructions with their slot number, as llvm-objdump does
	Raw    bool   // show each instruction's bytes (16 for lddw) after the slot number
	Source bool   // write Insn.Source as a comment line whenever it changes
}

// Disassemble writes p as assembly text, one instruction per line. A nil opts
// means conformance syntax with labels. Whatever the options, [Assemble] turns
// the output back into the same bytecode.
func Disassemble(w io.Writer, p *Program, opts *DisasmOptions) error {
	if opts == nil {
		opts = &DisasmOptions{Labels: true}
	}
	bw := bufio.NewWriter(w)
	comment := "#"
	if opts.Syntax == SyntaxLLVM {
		comment = ";"
	}
	labels := map[int]string{}
	if opts.Labels {
		for i := range p.Insns {
			if t := p.Insns[i].Target; t >= 0 {
				labels[t] = "L" + strconv.Itoa(t)
			}
		}
	}
	indent := ""
	if len(labels) > 0 && !opts.Slots && !opts.Raw {
		indent = "    "
	}
	var lastSrc *Line
	for i := range p.Insns {
		in := &p.Insns[i]
		if l, ok := labels[in.Slot]; ok {
			fmt.Fprintf(bw, "%s:\n", l)
		}
		if opts.Source && in.Source != nil && (lastSrc == nil || *lastSrc != *in.Source) {
			lastSrc = in.Source
			text := strings.TrimSpace(in.Source.Text)
			if text == "" {
				text = fmt.Sprintf("%s:%d", in.Source.File, in.Source.Line)
			}
			fmt.Fprintf(bw, "%s%s %s\n", indent, comment, text)
		}
		bw.WriteString(indent)
		if opts.Slots {
			fmt.Fprintf(bw, "%8d:\t", in.Slot)
		}
		if opts.Raw {
			for j, b := range in.Encode() {
				if j > 0 {
					bw.WriteByte(' ')
				}
				fmt.Fprintf(bw, "%02x", b)
			}
			bw.WriteByte('\t')
		}
		target := ""
		if in.Target >= 0 {
			target = labels[in.Target]
		}
		bw.WriteString(formatInsn(in, opts.Syntax, target))
		if in.Ref != "" {
			fmt.Fprintf(bw, "\t%s %s", comment, in.Ref)
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// DisassembleString returns p as assembly text; see [Disassemble].
func DisassembleString(p *Program, opts *DisasmOptions) string {
	var sb strings.Builder
	_ = Disassemble(&sb, p, opts) // a strings.Builder does not fail
	return sb.String()
}

// rel formats a relative target, or the label when there is one.
func rel(v int64, label string) string {
	if label != "" {
		return label
	}
	return fmt.Sprintf("%+d", v)
}

// immText formats an immediate: decimal for small values, a hex bit pattern for
// large ones and for bitwise operations on values beyond a byte.
func immText(v int64, bitwise bool) string {
	if bitwise && (v < -255 || v > 255) || v <= -0x10000 || v >= 0x10000 {
		return fmt.Sprintf("%#x", uint32(v))
	}
	return strconv.FormatInt(v, 10)
}

func isBitwise(op Op) bool { return op == OpAnd || op == OpOr || op == OpXor || op == OpJset }

// lddwValue formats lddw's operand: a hex constant or a pseudo source.
func lddwValue(in *Insn, label string) string {
	if in.Src == PseudoNone || int(in.Src) >= len(pseudoNames) {
		return fmt.Sprintf("%#x", uint64(in.Imm))
	}
	lo, hi := int64(int32(in.Imm)), int64(int32(uint64(in.Imm)>>32))
	arg := strconv.FormatInt(lo, 10)
	if in.Src == PseudoFunc {
		arg = rel(lo, label)
	}
	if hi != 0 || in.Src == PseudoMapValue || in.Src == PseudoMapIdxValu {
		arg += ", " + strconv.FormatInt(hi, 10)
	}
	return pseudoNames[in.Src] + "(" + arg + ")"
}

func formatInsn(in *Insn, syntax Syntax, label string) string {
	if syntax == SyntaxLLVM {
		return formatLLVM(in, label)
	}
	return formatConformance(in, label)
}

func memConf(reg uint8, off int16) string {
	return fmt.Sprintf("[%%r%d%+d]", reg, off)
}

func formatConformance(in *Insn, label string) string {
	w := ""
	if in.ALU32 {
		w = "32"
	}
	switch op := in.Op; {
	case op == OpNeg:
		return fmt.Sprintf("neg%s %%r%d", w, in.Dst)
	case op == OpMovSX:
		width := "64"
		if in.ALU32 {
			width = "32"
		}
		return fmt.Sprintf("movsx%d%s %%r%d, %%r%d", int(in.Size)*8, width, in.Dst, in.Src)
	case op == OpLE || op == OpBE || op == OpBswap:
		return fmt.Sprintf("%s%d %%r%d", op, int(in.Size)*8, in.Dst)
	case op.IsALU():
		if in.RegSrc {
			return fmt.Sprintf("%s%s %%r%d, %%r%d", confALUNames[op], w, in.Dst, in.Src)
		}
		return fmt.Sprintf("%s%s %%r%d, %s", confALUNames[op], w, in.Dst, immText(in.Imm, isBitwise(op)))
	case op == OpJa:
		if in.ALU32 {
			return "ja32 " + rel(in.Imm, label)
		}
		return "ja " + rel(int64(in.Off), label)
	case op.IsCondJump():
		src := immText(in.Imm, isBitwise(op))
		if in.RegSrc {
			src = fmt.Sprintf("%%r%d", in.Src)
		}
		return fmt.Sprintf("%s%s %%r%d, %s, %s", confJumpNames[op], w, in.Dst, src, rel(int64(in.Off), label))
	case op == OpCall:
		return formatCall(in)
	case op == OpCallLocal:
		return "call local " + rel(in.Imm, label)
	case op == OpCallx:
		return fmt.Sprintf("call %%r%d", in.Dst)
	case op == OpExit:
		return "exit"
	case op == OpLddw:
		return fmt.Sprintf("lddw %%r%d, %s", in.Dst, lddwValue(in, label))
	case op == OpLdx:
		return fmt.Sprintf("ldx%s %%r%d, %s", sizeSuffix[in.Size], in.Dst, memConf(in.Src, in.Off))
	case op == OpLdxs:
		return fmt.Sprintf("ldxs%s %%r%d, %s", sizeSuffix[in.Size], in.Dst, memConf(in.Src, in.Off))
	case op == OpSt:
		return fmt.Sprintf("st%s %s, %s", sizeSuffix[in.Size], memConf(in.Dst, in.Off), immText(in.Imm, false))
	case op == OpStx:
		return fmt.Sprintf("stx%s %s, %%r%d", sizeSuffix[in.Size], memConf(in.Dst, in.Off), in.Src)
	case op == OpAtomic:
		fetch := ""
		if in.Fetch && in.Atomic != AtomicXchg && in.Atomic != AtomicCmpXchg {
			fetch = "fetch "
		}
		return fmt.Sprintf("lock %s%s%s %s, %%r%d", fetch, in.Atomic, w, memConf(in.Dst, in.Off), in.Src)
	case op == OpLdAbs:
		return fmt.Sprintf("ldabs%s %d", sizeSuffix[in.Size], in.Imm)
	case op == OpLdInd:
		return fmt.Sprintf("ldind%s %%r%d, %d", sizeSuffix[in.Size], in.Src, in.Imm)
	}
	return fmt.Sprintf("<invalid %s>", in.Op)
}

var llvmALUNames = func() map[Op]string {
	m := map[Op]string{}
	for s, op := range llvmALUOps {
		m[op] = s
	}
	return m
}()

var llvmJumpNames = func() map[Op]string {
	m := map[Op]string{}
	for s, op := range llvmJumpOps {
		m[op] = s
	}
	return m
}()

var llvmAtomicNames = map[AtomicOp]string{AtomicAdd: "+=", AtomicOr: "|=", AtomicAnd: "&=", AtomicXor: "^="}

func memLLVM(reg uint8, off int16) string {
	if off < 0 {
		return fmt.Sprintf("r%d - %d", reg, -int(off))
	}
	return fmt.Sprintf("r%d + %d", reg, off)
}

func formatLLVM(in *Insn, label string) string {
	r := "r"
	if in.ALU32 {
		r = "w"
	}
	ty := fmt.Sprintf("u%d", int(in.Size)*8)
	switch op := in.Op; {
	case op == OpNeg:
		return fmt.Sprintf("%s%d = -%s%d", r, in.Dst, r, in.Dst)
	case op == OpMovSX:
		return fmt.Sprintf("%s%d = (s%d)%s%d", r, in.Dst, int(in.Size)*8, r, in.Src)
	case op == OpLE || op == OpBE || op == OpBswap:
		return fmt.Sprintf("r%d = %s%d r%d", in.Dst, op, int(in.Size)*8, in.Dst)
	case op.IsALU():
		sym := llvmALUNames[op]
		if op == OpMov {
			sym = "="
		}
		if in.RegSrc {
			return fmt.Sprintf("%s%d %s %s%d", r, in.Dst, sym, r, in.Src)
		}
		return fmt.Sprintf("%s%d %s %s", r, in.Dst, sym, immText(in.Imm, isBitwise(op)))
	case op == OpJa:
		if in.ALU32 {
			return "gotol " + rel(in.Imm, label)
		}
		return "goto " + rel(int64(in.Off), label)
	case op.IsCondJump():
		src := immText(in.Imm, isBitwise(op))
		if in.RegSrc {
			src = fmt.Sprintf("%s%d", r, in.Src)
		}
		return fmt.Sprintf("if %s%d %s %s goto %s", r, in.Dst, llvmJumpNames[op], src, rel(int64(in.Off), label))
	case op == OpCall:
		return formatCall(in)
	case op == OpCallLocal:
		if label != "" {
			return "call " + label
		}
		return fmt.Sprintf("call pc%+d", in.Imm)
	case op == OpCallx:
		return fmt.Sprintf("callx r%d", in.Dst)
	case op == OpExit:
		return "exit"
	case op == OpLddw:
		return fmt.Sprintf("r%d = %s ll", in.Dst, lddwValue(in, label))
	case op == OpLdx:
		return fmt.Sprintf("r%d = *(%s *)(%s)", in.Dst, ty, memLLVM(in.Src, in.Off))
	case op == OpLdxs:
		return fmt.Sprintf("r%d = *(s%d *)(%s)", in.Dst, int(in.Size)*8, memLLVM(in.Src, in.Off))
	case op == OpSt:
		return fmt.Sprintf("*(%s *)(%s) = %s", ty, memLLVM(in.Dst, in.Off), immText(in.Imm, false))
	case op == OpStx:
		return fmt.Sprintf("*(%s *)(%s) = r%d", ty, memLLVM(in.Dst, in.Off), in.Src)
	case op == OpAtomic:
		addr := memLLVM(in.Dst, in.Off)
		switch {
		case in.Atomic == AtomicXchg:
			if in.ALU32 {
				return fmt.Sprintf("w%d = xchg32_32(%s, w%d)", in.Src, addr, in.Src)
			}
			return fmt.Sprintf("r%d = xchg_64(%s, r%d)", in.Src, addr, in.Src)
		case in.Atomic == AtomicCmpXchg:
			if in.ALU32 {
				return fmt.Sprintf("w0 = cmpxchg32_32(%s, w0, w%d)", addr, in.Src)
			}
			return fmt.Sprintf("r0 = cmpxchg_64(%s, r0, r%d)", addr, in.Src)
		case in.Fetch:
			return fmt.Sprintf("%s%d = atomic_fetch_%s((%s *)(%s), %s%d)", r, in.Src, in.Atomic, ty, addr, r, in.Src)
		}
		return fmt.Sprintf("lock *(%s *)(%s) %s %s%d", ty, addr, llvmAtomicNames[in.Atomic], r, in.Src)
	case op == OpLdAbs:
		return fmt.Sprintf("r0 = *(%s *)skb[%d]", ty, in.Imm)
	case op == OpLdInd:
		if in.Imm < 0 {
			return fmt.Sprintf("r0 = *(%s *)skb[r%d - %d]", ty, in.Src, -in.Imm)
		}
		return fmt.Sprintf("r0 = *(%s *)skb[r%d + %d]", ty, in.Src, in.Imm)
	}
	return fmt.Sprintf("<invalid %s>", in.Op)
}

// formatCall formats a helper call; "helper" marks negative ids, which would
// otherwise read as relative local calls.
func formatCall(in *Insn) string {
	switch {
	case in.Src != 0:
		return fmt.Sprintf("call runtime %d", in.Imm)
	case in.Imm < 0:
		return fmt.Sprintf("call helper %d", in.Imm)
	}
	return fmt.Sprintf("call %d", in.Imm)
}
