package isa

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cilium/ebpf/asm"
)

// Syntax selects an assembly dialect.
type Syntax uint8

// Assembly dialects. The assembler accepts both, even mixed line by line; the
// disassembler writes the one it is asked for.
const (
	// SyntaxConformance is the bpf_conformance / uBPF syntax:
	// "mov %r0, 1", "ldxw %r0, [%r1+4]", "jeq %r1, 0, +3", "lock fetch add [%r10-8], %r1".
	SyntaxConformance Syntax = iota
	// SyntaxLLVM is the syntax llvm-objdump prints:
	// "r0 = 1", "r0 = *(u32 *)(r1 + 4)", "if r1 == 0 goto +3", "lock *(u64 *)(r10 - 8) += r1".
	SyntaxLLVM
)

// String returns the syntax's name as accepted by [ParseSyntax].
func (s Syntax) String() string {
	switch s {
	case SyntaxConformance:
		return "conformance"
	case SyntaxLLVM:
		return "llvm"
	}
	return fmt.Sprintf("Syntax(%d)", uint8(s))
}

// ParseSyntax returns the syntax called name: "conformance" (or "ubpf") or "llvm".
func ParseSyntax(name string) (Syntax, error) {
	switch strings.ToLower(name) {
	case "conformance", "ubpf", "bpf_conformance":
		return SyntaxConformance, nil
	case "llvm", "objdump", "llvm-objdump":
		return SyntaxLLVM, nil
	}
	return 0, fmt.Errorf("unknown assembly syntax %q (want conformance or llvm)", name)
}

// ErrSyntax is wrapped by every error of the assembler and of the .data parser.
// Such errors also match [ErrInvalid].
var ErrSyntax = errors.New("syntax error")

// SyntaxError is malformed assembly or test-file text, located by line and column.
type SyntaxError struct {
	File string // file name as given by the caller
	Line int    // 1-based line number
	Col  int    // 1-based byte column, 0 when the whole line is meant
	Msg  string // what is wrong
}

// Error formats the error as "file:line:col: msg".
func (e *SyntaxError) Error() string {
	file := e.File
	if file == "" {
		file = "<input>"
	}
	if e.Col > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", file, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", file, e.Line, e.Msg)
}

// Unwrap makes SyntaxError match both [ErrSyntax] and [ErrInvalid].
func (e *SyntaxError) Unwrap() []error { return []error{ErrSyntax, ErrInvalid} }

// Assemble translates assembly text into a program. Each line holds at most one
// instruction in either syntax (see [SyntaxConformance] and [SyntaxLLVM]), possibly
// preceded by labels ("name:") and followed by a comment ("#" or ";"). Output of
// llvm-objdump -d pastes in as it is: slot numbers, raw instruction bytes,
// "<name>:" symbol lines, section headers and relocation lines are understood.
// Where a line shows raw bytes they must agree with its text; they resolve
// what the text leaves open (a local "call N", the pseudo source of "ll"
// loads) and stand in for "<unknown>".
//
// Jump targets are labels or signed slot offsets ("+3", "-2"); the label "exit",
// unless defined, names the first exit instruction, as in bpf_conformance.
// Immediates are decimal or hexadecimal: a 32-bit immediate is a signed decimal
// in [-2^31, 2^31) or a hexadecimal bit pattern up to 0xffffffff; offsets fit int16.
// Pseudo lddw sources are written map_fd(N), map_value(N, OFF), btf_id(N),
// func(LABEL), map_idx(N) and map_idx_value(N, OFF).
//
// Each instruction's Source records the assembly line it came from. Errors are
// *[SyntaxError] values naming filename, line and column.
func Assemble(src []byte, filename string) (*Program, error) {
	return assembleAt(src, filename, 1)
}

// assembleAt assembles src whose first line is line firstLine of filename.
func assembleAt(src []byte, filename string, firstLine int) (*Program, error) {
	a := &assembler{file: filename, labels: map[string]labelDef{}, firstExit: -1, lastLine: firstLine}
	lines := strings.Split(string(src), "\n")
	for i, l := range lines {
		a.lastLine = firstLine + i
		if err := a.line(firstLine+i, strings.TrimSuffix(l, "\r")); err != nil {
			return nil, err
		}
	}
	return a.finish()
}

type labelDef struct {
	slot int
	line int
}

type fixKind uint8

const (
	fixOff  fixKind = iota // 16-bit jump offset in Off
	fixImm                 // 32-bit slot offset in Imm (gotol, local call)
	fixFunc                // lddw pseudo func: low 32 bits of Imm, relative to the next slot
)

type fixup struct {
	idx       int // index into assembler.insns
	label     string
	line, col int
	kind      fixKind
}

// assembler accumulates instructions line by line.
type assembler struct {
	file      string
	insns     []Insn
	lines     []int    // source line of each instruction
	texts     []string // source text of each instruction
	raws      [][]byte // objdump raw bytes of each instruction, nil if none
	slot      int      // next free slot
	labels    map[string]labelDef
	fixups    []fixup
	firstExit int // slot of the first exit, -1 if none yet
	lastLine  int

	// per line
	raw    []byte // objdump raw-bytes column, nil if absent
	rawSrc int    // src nibble of raw, -1 if absent
}

func (a *assembler) errAt(line, col int, format string, args ...any) error {
	return &SyntaxError{File: a.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// emit appends one instruction assembled from line.
func (a *assembler) emit(in Insn, line int, text string) {
	if in.Op == OpExit && a.firstExit < 0 {
		a.firstExit = a.slot
	}
	in.Slot = a.slot
	a.insns = append(a.insns, in)
	a.lines = append(a.lines, line)
	a.texts = append(a.texts, text)
	a.raws = append(a.raws, a.raw)
	a.slot += in.Slots()
}

// fix records that the next emitted instruction refers to label.
func (a *assembler) fix(kind fixKind, label string, line, col int) {
	a.fixups = append(a.fixups, fixup{idx: len(a.insns), label: label, line: line, col: col, kind: kind})
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '.'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHexDigit(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\v' || c == '\f' }

// identLen returns the length of the identifier at the start of s, 0 if none.
func identLen(s string) int {
	if s == "" || !isIdentStart(s[0]) {
		return 0
	}
	n := 1
	for n < len(s) && isIdentChar(s[n]) {
		n++
	}
	return n
}

// cursor walks one source line keeping track of columns.
type cursor struct {
	s   string
	pos int
}

func (c *cursor) skipSpace() {
	for c.pos < len(c.s) && isSpace(c.s[c.pos]) {
		c.pos++
	}
}

func (c *cursor) rest() string { return c.s[c.pos:] }

func (c *cursor) col() int { return c.pos + 1 }

// line assembles one source line.
func (a *assembler) line(num int, text string) error {
	a.raw, a.rawSrc = nil, -1
	s := text
	if i := strings.IndexAny(s, "#;"); i >= 0 {
		s = s[:i]
	}
	c := &cursor{s: s}
	c.skipSpace()
	rest := c.rest()
	if strings.TrimSpace(rest) == "" {
		return nil
	}
	// llvm-objdump headers.
	if strings.HasPrefix(rest, "Disassembly of section ") || strings.Contains(rest, "file format ") {
		return nil
	}
	if ok, err := a.objdumpPrefix(num, c); ok || err != nil {
		return err
	}
	// Labels: "name:" or "<name>:", possibly followed by an instruction.
	for {
		c.skipSpace()
		r := c.rest()
		name, n := "", 0
		if l := identLen(r); l > 0 && l < len(r) && r[l] == ':' {
			name, n = r[:l], l+1
		} else if strings.HasPrefix(r, "<") {
			if j := strings.Index(r, ">:"); j > 1 {
				name, n = r[1:j], j+2
			}
		}
		if n == 0 {
			break
		}
		if err := a.defineLabel(name, num, c.col()); err != nil {
			return err
		}
		c.pos += n
	}
	c.skipSpace()
	if c.rest() == "" || strings.TrimSpace(c.rest()) == "..." {
		return nil
	}
	if a.raw != nil && strings.TrimSpace(c.rest()) == "<unknown>" {
		// llvm-objdump could not name it: take the raw bytes.
		in, err := decodeOne(a.raw)
		if err != nil {
			return a.errAt(num, c.col(), "raw bytes % x: %v", a.raw, err)
		}
		a.emit(in, num, strings.TrimSpace(s))
		return nil
	}
	start := c.pos
	toks, err := lexAsm(c.rest(), c.pos)
	if err != nil {
		return a.errAt(num, err.col, "%s", err.msg)
	}
	p := &parser{a: a, line: num, toks: toks, eol: len(s) + 1, text: strings.TrimSpace(s[start:])}
	if isLLVMLine(toks) {
		return p.llvm()
	}
	return p.conformance()
}

// objdumpPrefix strips llvm-objdump columns: "  12:\t<raw bytes>\t" before the
// instruction, and handles symbol ("0000000000000000 <name>:") and relocation
// ("0000000000000010:  R_BPF_64_64 name") lines. It reports true when the
// line is fully handled.
func (a *assembler) objdumpPrefix(num int, c *cursor) (bool, error) {
	r := c.rest()
	n := 0
	for n < len(r) && isHexDigit(r[n]) {
		n++
	}
	if n > 0 && n < len(r) {
		after := strings.TrimLeft(r[n:], " \t")
		switch {
		case isSpace(r[n]) && strings.HasPrefix(after, "<") && strings.HasSuffix(strings.TrimSpace(after), ">:"):
			// Symbol line: the address is in bytes; the name becomes a label.
			sym := strings.TrimSpace(after)
			name := sym[1 : len(sym)-2]
			return true, a.defineLabel(name, num, c.col()+len(r)-len(after)+1)
		case r[n] == ':' && strings.HasPrefix(strings.TrimLeft(r[n+1:], " \t"), "R_"):
			// Relocation line: attach the symbol to the last instruction.
			f := strings.Fields(r[n+1:])
			if len(a.insns) > 0 && len(f) >= 2 {
				a.insns[len(a.insns)-1].Ref = f[len(f)-1]
			}
			return true, nil
		}
	}
	// Slot number: decimal digits and a colon (labels never start with a
	// digit), or a hex address when raw bytes follow.
	save := c.pos
	n = 0
	for n < len(r) && isDigit(r[n]) {
		n++
	}
	hexAddr := false
	if n == 0 || n < len(r) && r[n] != ':' {
		for n < len(r) && isHexDigit(r[n]) {
			n++
		}
		hexAddr = true
	}
	if n > 0 && n < len(r) && r[n] == ':' {
		c.pos += n + 1
	} else {
		hexAddr = false
	}
	// Raw bytes: 8 or 16 two-digit hex groups.
	var raw []byte
	afterAddr := c.pos
	for len(raw) < 16 {
		c.skipSpace()
		r := c.rest()
		if len(r) < 2 || !isHexDigit(r[0]) || !isHexDigit(r[1]) || len(r) > 2 && !isSpace(r[2]) {
			break
		}
		v, _ := strconv.ParseUint(r[:2], 16, 8)
		raw = append(raw, byte(v))
		c.pos += 2
	}
	switch {
	case len(raw) == 8 || len(raw) == 16:
		a.raw, a.rawSrc = raw, int(raw[1]>>4)
	case hexAddr:
		c.pos = save // "beef:" is a label, not an address
	default:
		c.pos = afterAddr
	}
	return false, nil
}

func (a *assembler) defineLabel(name string, line, col int) error {
	if name == "" || identLen(name) != len(name) {
		return a.errAt(line, col, "invalid label name %q", name)
	}
	if _, _, ok := regName(name); ok {
		return a.errAt(line, col, "label %q looks like a register", name)
	}
	if d, ok := a.labels[name]; ok {
		return a.errAt(line, col, "label %q already defined at line %d", name, d.line)
	}
	a.labels[name] = labelDef{slot: a.slot, line: line}
	return nil
}

// finish resolves labels and validates the program.
func (a *assembler) finish() (*Program, error) {
	if len(a.insns) == 0 {
		return nil, a.errAt(a.lastLine, 0, "no instructions")
	}
	for _, f := range a.fixups {
		d, ok := a.labels[f.label]
		if !ok && f.label == "exit" && a.firstExit >= 0 {
			d, ok = labelDef{slot: a.firstExit}, true
		}
		if !ok {
			return nil, a.errAt(f.line, f.col, "undefined label %q", f.label)
		}
		if d.slot >= a.slot {
			return nil, a.errAt(f.line, f.col, "label %q (line %d) is past the last instruction", f.label, d.line)
		}
		in := &a.insns[f.idx]
		rel := int64(d.slot) - int64(in.Slot) - 1
		switch f.kind {
		case fixOff:
			if rel < -32768 || rel > 32767 {
				return nil, a.errAt(f.line, f.col, "label %q is %+d slots away, beyond the 16-bit jump offset (use gotol/ja32)", f.label, rel)
			}
			in.Off = int16(rel)
		case fixImm:
			in.Imm = rel
		case fixFunc:
			in.Imm = int64(uint64(in.Imm)&^0xffffffff | uint64(uint32(int32(rel))))
		}
	}
	for i, raw := range a.raws {
		if raw != nil && !bytes.Equal(a.insns[i].Encode(), raw) {
			return nil, a.errAt(a.lines[i], 0, "instruction text encodes as % x but the line's raw bytes are % x; remove the bytes to assemble the text", a.insns[i].Encode(), raw)
		}
	}
	p, err := FromInsns(a.insns)
	if err != nil {
		var de *DecodeError
		if errors.As(err, &de) {
			i := a.insnAtSlot(de.Slot)
			return nil, a.errAt(a.lines[i], 0, "%s", de.Reason)
		}
		return nil, a.errAt(a.lastLine, 0, "%v", err)
	}
	if len(p.Insns) != len(a.insns) {
		return nil, a.errAt(a.lastLine, 0, "internal error: %d instructions assembled, %d decoded", len(a.insns), len(p.Insns))
	}
	for i := range p.Insns {
		p.Insns[i].Ref = a.insns[i].Ref
		p.Insns[i].Source = &Line{File: a.file, Line: a.lines[i], Text: a.texts[i]}
	}
	return p, nil
}

// decodeOne decodes one raw instruction (8 bytes, or 16 for lddw) without
// resolving its target.
func decodeOne(raw []byte) (Insn, error) {
	var ri asm.Instruction
	if err := ri.Unmarshal(bytes.NewReader(raw), binary.LittleEndian, "linux"); err != nil {
		return Insn{}, err
	}
	in, err := classify(&ri, raw[:SlotSize])
	if err != nil {
		return Insn{}, err
	}
	if in.Slots()*SlotSize != len(raw) {
		return Insn{}, fmt.Errorf("%d bytes for a %d-slot instruction", len(raw), in.Slots())
	}
	return in, nil
}

// insnAtSlot returns the index of the instruction covering slot.
func (a *assembler) insnAtSlot(slot int) int {
	idx := 0
	for i := range a.insns {
		if a.insns[i].Slot > slot {
			break
		}
		idx = i
	}
	return idx
}

// Lexer.

type tokKind uint8

const (
	tWord tokKind = iota + 1 // identifier, mnemonic or register (%r1, r1, w1)
	tNum                     // unsigned number literal; signs are separate tokens
	tOp                      // operator or punctuation
)

type token struct {
	kind tokKind
	text string
	col  int // 1-based column in the source line
}

type lexError struct {
	col int
	msg string
}

// asmOps lists operators, longest first.
var asmOps = []string{
	"<<=", ">>=",
	"==", "!=", ">=", "<=", "+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=",
	"=", "<", ">", "+", "-", "*", "/", "%", "|", "&", "^", ",", "[", "]", "(", ")", ":",
}

// lexAsm splits s, which starts at byte offset base of its line, into tokens.
func lexAsm(s string, base int) ([]token, *lexError) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		col := base + i + 1
		switch {
		case isSpace(c):
			i++
		case isIdentStart(c) || c == '%' && i+1 < len(s) && isIdentStart(s[i+1]):
			j := i + 1
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			toks = append(toks, token{tWord, s[i:j], col})
			i = j
		case isDigit(c):
			j := i + 1
			for j < len(s) && isIdentChar(s[j]) && s[j] != '.' {
				j++
			}
			toks = append(toks, token{tNum, s[i:j], col})
			i = j
		default:
			op := ""
			for _, o := range asmOps {
				if strings.HasPrefix(s[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return nil, &lexError{col, fmt.Sprintf("unexpected character %q", firstRune(s[i:]))}
			}
			toks = append(toks, token{tOp, op, col})
			i += len(op)
		}
	}
	return toks, nil
}

func firstRune(s string) string {
	for _, r := range s {
		return string(r)
	}
	return ""
}

// isLLVMLine reports whether the tokens are in LLVM syntax: assignments,
// conditional jumps, goto and stores.
func isLLVMLine(toks []token) bool {
	if len(toks) == 0 {
		return false
	}
	if toks[0].kind == tWord {
		switch toks[0].text {
		case "if", "goto", "gotol":
			return true
		}
	}
	if toks[0].kind == tOp && toks[0].text == "*" {
		return true
	}
	for _, t := range toks {
		if t.kind == tOp && strings.HasSuffix(t.text, "=") {
			return true
		}
	}
	return false
}

// regName parses a register name: "%rN", "rN" or "wN". ok reports whether the
// text has the shape of a register, even when its number is out of range.
func regName(text string) (n int, w32 bool, ok bool) {
	s := strings.TrimPrefix(text, "%")
	if len(s) < 2 || (s[0] != 'r' && s[0] != 'w') {
		return 0, false, false
	}
	if text[0] == '%' && s[0] == 'w' {
		return 0, false, false
	}
	for i := 1; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false, false
		}
	}
	v, err := strconv.Atoi(s[1:])
	if err != nil || len(s) > 4 {
		v = 1 << 20
	}
	return v, s[0] == 'w', true
}

// parser holds the tokens of one instruction.
type parser struct {
	a    *assembler
	line int
	toks []token
	pos  int
	eol  int    // column just past the end of the line's code
	text string // the instruction's source text
}

func (p *parser) errf(col int, format string, args ...any) error {
	return p.a.errAt(p.line, col, format, args...)
}

func (p *parser) peek() *token {
	if p.pos < len(p.toks) {
		return &p.toks[p.pos]
	}
	return nil
}

func (p *parser) peekAt(k int) *token {
	if p.pos+k < len(p.toks) {
		return &p.toks[p.pos+k]
	}
	return nil
}

func (p *parser) next() *token {
	t := p.peek()
	if t != nil {
		p.pos++
	}
	return t
}

// col returns the column of the next token, or the end of the line.
func (p *parser) col() int {
	if t := p.peek(); t != nil {
		return t.col
	}
	return p.eol
}

// isOp reports whether the next token is operator op.
func (p *parser) isOp(op string) bool {
	t := p.peek()
	return t != nil && t.kind == tOp && t.text == op
}

func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t != nil && t.kind == tWord && t.text == w
}

func (p *parser) accept(op string) bool {
	if p.isOp(op) {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expect(op string) error {
	if p.accept(op) {
		return nil
	}
	return p.errf(p.col(), "expected %q, found %s", op, p.describe())
}

// describe names the next token for error messages.
func (p *parser) describe() string {
	t := p.peek()
	if t == nil {
		return "end of line"
	}
	return strconv.Quote(t.text)
}

// end checks that all tokens were consumed.
func (p *parser) end() error {
	if t := p.peek(); t != nil {
		return p.errf(t.col, "unexpected %q after instruction", t.text)
	}
	return nil
}

// emit appends an instruction from the current line.
func (p *parser) emit(in Insn) error {
	if err := p.end(); err != nil {
		return err
	}
	p.a.emit(in, p.line, p.text)
	return nil
}

// reg parses a register. allow32 permits w registers; is32 reports one.
func (p *parser) reg(allow32 bool) (r uint8, is32 bool, err error) {
	t := p.peek()
	if t == nil || t.kind != tWord {
		return 0, false, p.errf(p.col(), "expected register, found %s", p.describe())
	}
	n, w, ok := regName(t.text)
	if !ok || w && !allow32 {
		return 0, false, p.errf(t.col, "expected register, found %q", t.text)
	}
	if n >= NumRegs {
		return 0, false, p.errf(t.col, "invalid register %q (registers are r0-r10)", t.text)
	}
	p.pos++
	return uint8(n), w, nil
}

// isReg reports whether the next token looks like a register.
func (p *parser) isReg() bool {
	t := p.peek()
	if t == nil || t.kind != tWord {
		return false
	}
	_, _, ok := regName(t.text)
	return ok
}

// number is a literal with an optional sign.
type number struct {
	neg  bool
	mag  uint64
	hex  bool
	text string
	col  int
}

// isNumber reports whether a (signed) number follows.
func (p *parser) isNumber() bool {
	t := p.peek()
	if t != nil && t.kind == tOp && (t.text == "-" || t.text == "+") {
		t = p.peekAt(1)
	}
	return t != nil && t.kind == tNum
}

// number parses an optionally signed decimal or 0x-prefixed hexadecimal literal.
func (p *parser) number() (number, error) {
	n := number{col: p.col()}
	sign := ""
	if p.isOp("-") || p.isOp("+") {
		sign = p.next().text
		n.neg = sign == "-"
	}
	t := p.peek()
	if t == nil || t.kind != tNum {
		return n, p.errf(p.col(), "expected number, found %s", p.describe())
	}
	p.pos++
	n.text = sign + t.text
	s := t.text
	var err error
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		n.hex = true
		n.mag, err = strconv.ParseUint(s[2:], 16, 64)
	} else {
		n.mag, err = strconv.ParseUint(s, 10, 64)
	}
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return n, p.errf(t.col, "number %s does not fit in 64 bits", t.text)
		}
		return n, p.errf(t.col, "invalid number %q", t.text)
	}
	return n, nil
}

// imm32 parses a 32-bit immediate: signed decimal in [-2^31, 2^31), or a
// hexadecimal bit pattern up to 0xffffffff (or down to -0x80000000).
func (p *parser) imm32() (int64, error) {
	n, err := p.number()
	if err != nil {
		return 0, err
	}
	switch {
	case n.neg && n.mag <= 1<<31:
		return -int64(n.mag), nil
	case !n.neg && n.hex && n.mag <= 0xffffffff:
		return int64(int32(uint32(n.mag))), nil
	case !n.neg && n.mag < 1<<31:
		return int64(n.mag), nil
	}
	return 0, p.errf(n.col, "immediate %s out of 32-bit range (-2147483648..2147483647, or hex up to 0xffffffff)", n.text)
}

// imm64 parses a 64-bit immediate (lddw).
func (p *parser) imm64() (int64, error) {
	n, err := p.number()
	if err != nil {
		return 0, err
	}
	if n.neg {
		if n.mag > 1<<63 {
			return 0, p.errf(n.col, "immediate %s out of 64-bit range", n.text)
		}
		return -int64(n.mag), nil
	}
	return int64(n.mag), nil
}

// memOff parses the unsigned literal after the "+" or "-" of a memory operand
// as a signed 16-bit offset.
func (p *parser) memOff(sign *token) (int16, error) {
	t := p.peek()
	if t == nil || t.kind != tNum {
		return 0, p.errf(p.col(), "expected offset after %q, found %s", sign.text, p.describe())
	}
	n, err := p.number()
	if err != nil {
		return 0, err
	}
	switch {
	case sign.text == "-" && n.mag <= 32768:
		return int16(-int64(n.mag)), nil
	case sign.text == "+" && n.mag <= 32767:
		return int16(n.mag), nil
	}
	return 0, p.errf(sign.col, "offset %s%s out of 16-bit range (-32768..32767)", sign.text, n.text)
}

// target parses a jump or call target: a label, a signed slot offset or, as
// bpftool prints it, pc+N. It returns the offset, or the label to fix up.
func (p *parser) target() (rel int64, label string, col int, err error) {
	col = p.col()
	t := p.peek()
	switch {
	case t == nil:
		return 0, "", col, p.errf(col, "expected jump target, found end of line")
	case t.kind == tWord && t.text == "pc" && p.peekAt(1) != nil && p.peekAt(1).kind == tOp && (p.peekAt(1).text == "+" || p.peekAt(1).text == "-"):
		p.pos++
		n, err := p.number()
		if err != nil {
			return 0, "", col, err
		}
		rel, err = signedRel(n)
		if err != nil {
			return 0, "", col, p.errf(n.col, "%v", err)
		}
	case t.kind == tWord:
		p.pos++
		label = t.text
	case t.kind == tOp && t.text == "<":
		// <label>
		p.pos++
		w := p.next()
		if w == nil || w.kind != tWord {
			return 0, "", col, p.errf(p.col(), "expected label name after '<'")
		}
		if err := p.expect(">"); err != nil {
			return 0, "", col, err
		}
		label = w.text
	default:
		n, err := p.number()
		if err != nil {
			return 0, "", col, p.errf(col, "expected label or offset, found %s", describeTok(t))
		}
		rel, err = signedRel(n)
		if err != nil {
			return 0, "", col, p.errf(n.col, "%v", err)
		}
	}
	// llvm-objdump annotates offsets with the target symbol: "+3 <LBB0_2>".
	if p.isOp("<") {
		save := p.pos
		p.pos++
		if w := p.next(); w == nil || w.kind != tWord || !p.accept(">") {
			p.pos = save
		}
	}
	return rel, label, col, nil
}

func describeTok(t *token) string {
	if t == nil {
		return "end of line"
	}
	return strconv.Quote(t.text)
}

func signedRel(n number) (int64, error) {
	if n.mag > 1<<31 || !n.neg && n.mag == 1<<31 {
		return 0, fmt.Errorf("offset %s out of 32-bit range", n.text)
	}
	if n.neg {
		return -int64(n.mag), nil
	}
	return int64(n.mag), nil
}

// jumpTarget parses a target for a 16-bit jump offset and fills in.Off or a fixup.
func (p *parser) jumpTarget(in *Insn) error {
	rel, label, col, err := p.target()
	if err != nil {
		return err
	}
	if label != "" {
		p.a.fix(fixOff, label, p.line, col)
		return nil
	}
	if rel < -32768 || rel > 32767 {
		return p.errf(col, "jump offset %+d out of 16-bit range (use gotol/ja32)", rel)
	}
	in.Off = int16(rel)
	return nil
}

// longTarget parses a target for a 32-bit offset in Imm (gotol, local call).
func (p *parser) longTarget(in *Insn) error {
	rel, label, col, err := p.target()
	if err != nil {
		return err
	}
	if label != "" {
		p.a.fix(fixImm, label, p.line, col)
		return nil
	}
	in.Imm = rel
	return nil
}

// pseudoLddw parses map_fd(N), map_value(N, OFF), btf_id(N), func(TARGET),
// map_idx(N), map_idx_value(N, OFF); with one argument the high 32 bits are 0,
// with two the second is the high half (the value offset for *_value).
func (p *parser) pseudoLddw(in *Insn) error {
	t := p.next()
	src, ok := pseudoByName[t.text]
	if !ok {
		return p.errf(t.col, "unknown lddw pseudo source %q", t.text)
	}
	in.Src = src
	if err := p.expect("("); err != nil {
		return err
	}
	var lo, hi int64
	if src == PseudoFunc {
		rel, label, col, err := p.target()
		if err != nil {
			return err
		}
		if label != "" {
			p.a.fix(fixFunc, label, p.line, col)
		}
		lo = rel
	} else {
		v, err := p.imm32()
		if err != nil {
			return err
		}
		lo = v
	}
	if p.accept(",") {
		v, err := p.imm32()
		if err != nil {
			return err
		}
		hi = v
	}
	if err := p.expect(")"); err != nil {
		return err
	}
	in.Imm = int64(uint64(hi)<<32 | uint64(uint32(lo)))
	return nil
}

var pseudoNames = [...]string{
	PseudoMapFD: "map_fd", PseudoMapValue: "map_value", PseudoBTFID: "btf_id",
	PseudoFunc: "func", PseudoMapIdx: "map_idx", PseudoMapIdxValu: "map_idx_value",
}

var pseudoByName = func() map[string]uint8 {
	m := map[string]uint8{}
	for i, n := range pseudoNames {
		if n != "" {
			m[n] = uint8(i)
		}
	}
	return m
}()

// call parses the operands of "call" in either syntax.
func (p *parser) call() error {
	in := Insn{Op: OpCall}
	t := p.peek()
	switch {
	case t == nil:
		return p.errf(p.col(), "call expects a helper number, a register or a target")
	case p.isReg():
		r, _, err := p.reg(false)
		if err != nil {
			return err
		}
		in.Op, in.Dst = OpCallx, r
	case t.kind == tWord && (t.text == "local" || t.text == "helper" || t.text == "runtime"):
		p.pos++
		if p.peek() == nil {
			return p.errf(p.col(), "call %s expects a target", t.text)
		}
		switch t.text {
		case "local":
			in.Op, in.Src = OpCallLocal, 1
			if err := p.longTarget(&in); err != nil {
				return err
			}
		case "helper", "runtime":
			v, err := p.imm32()
			if err != nil {
				return err
			}
			in.Imm = v
			if t.text == "runtime" {
				in.Src = 2
			}
		}
	case p.isNumber() && (p.a.rawSrc == 0 || p.a.rawSrc < 0 && t.kind == tNum):
		v, err := p.imm32()
		if err != nil {
			return err
		}
		in.Imm = v
		if p.isOp("<") { // objdump annotation
			p.pos = len(p.toks)
		}
	default:
		// A label, pc+N, a signed offset (as llvm-objdump prints local calls), or
		// any number when objdump's raw bytes say src=1: a local call.
		in.Op, in.Src = OpCallLocal, 1
		if err := p.longTarget(&in); err != nil {
			return err
		}
	}
	return p.emit(in)
}

// Conformance (uBPF) syntax.

// operand is one operand of a conformance-syntax instruction.
type operand struct {
	toks []token
	end  int // column just past the operand
}

// operands splits the remaining tokens into operands: registers, signed numbers,
// words, "[reg+off]" groups, "name(...)" groups and "pc+N". Commas between
// operands are optional, as in the bpf_conformance assembler.
func (p *parser) operands() ([]operand, error) {
	var ops []operand
	needOperand := false
	for p.pos < len(p.toks) {
		t := p.toks[p.pos]
		start := p.pos
		switch {
		case t.kind == tOp && t.text == ",":
			if len(ops) == 0 || needOperand {
				return nil, p.errf(t.col, "missing operand before ','")
			}
			needOperand = true
			p.pos++
			continue
		case t.kind == tOp && t.text == "[":
			for p.pos < len(p.toks) && !p.isOp("]") {
				p.pos++
			}
			if p.pos == len(p.toks) {
				return nil, p.errf(t.col, "missing ']'")
			}
			p.pos++
		case t.kind == tOp && t.text == "<":
			p.pos++
			if w := p.peek(); w != nil && w.kind == tWord {
				p.pos++
			}
			if err := p.expect(">"); err != nil {
				return nil, err
			}
		case t.kind == tOp && (t.text == "+" || t.text == "-"):
			p.pos++
			if n := p.peek(); n == nil || n.kind != tNum {
				return nil, p.errf(p.col(), "expected number after %q, found %s", t.text, p.describe())
			}
			p.pos++
		case t.kind == tNum:
			p.pos++
		case t.kind == tWord:
			p.pos++
			switch {
			case p.isOp("("):
				depth := 0
				for p.pos < len(p.toks) {
					if p.isOp("(") {
						depth++
					} else if p.isOp(")") {
						depth--
					}
					p.pos++
					if depth == 0 {
						break
					}
				}
				if depth != 0 {
					return nil, p.errf(t.col, "missing ')'")
				}
			case t.text == "pc" && (p.isOp("+") || p.isOp("-")):
				p.pos++
				if n := p.peek(); n != nil && n.kind == tNum {
					p.pos++
				}
			}
		default:
			return nil, p.errf(t.col, "unexpected %q", t.text)
		}
		needOperand = false
		ops = append(ops, operand{toks: p.toks[start:p.pos], end: p.col()})
	}
	if needOperand {
		return nil, p.errf(p.eol, "missing operand after ','")
	}
	return ops, nil
}

// sub returns a parser over one operand.
func (p *parser) sub(o operand) *parser {
	return &parser{a: p.a, line: p.line, toks: o.toks, eol: o.end, text: p.text}
}

// done checks that a sub-parser consumed its operand.
func (p *parser) done(what string) error {
	if t := p.peek(); t != nil {
		return p.errf(t.col, "unexpected %q in %s operand", t.text, what)
	}
	return nil
}

func (p *parser) opReg(o operand) (uint8, error) {
	s := p.sub(o)
	r, _, err := s.reg(false)
	if err != nil {
		return 0, err
	}
	return r, s.done("register")
}

func (p *parser) opImm32(o operand) (int64, error) {
	s := p.sub(o)
	v, err := s.imm32()
	if err != nil {
		return 0, err
	}
	return v, s.done("immediate")
}

// opRegOrImm parses a register or a 32-bit immediate into in.
func (p *parser) opRegOrImm(o operand, in *Insn) error {
	if p.sub(o).isReg() {
		r, err := p.opReg(o)
		in.Src, in.RegSrc = r, true
		return err
	}
	v, err := p.opImm32(o)
	in.Imm = v
	return err
}

// opMem parses "[%rN]", "[%rN+off]" or "[%rN-off]".
func (p *parser) opMem(o operand) (reg uint8, off int16, err error) {
	s := p.sub(o)
	if !s.accept("[") {
		return 0, 0, s.errf(o.toks[0].col, "expected memory operand [%%rN+offset], found %q", o.toks[0].text)
	}
	reg, _, err = s.reg(false)
	if err != nil {
		return 0, 0, err
	}
	if t := s.peek(); t != nil && t.kind == tOp && (t.text == "+" || t.text == "-") {
		s.pos++
		if off, err = s.memOff(t); err != nil {
			return 0, 0, err
		}
	}
	if err := s.expect("]"); err != nil {
		return 0, 0, err
	}
	return reg, off, s.done("memory")
}

type confKind uint8

const (
	ckALU    confKind = iota + 1 // dst, src|imm
	ckNeg                        // dst
	ckEndian                     // dst
	ckMovSX                      // dst, src
	ckLdx                        // dst, [src+off]
	ckSt                         // [dst+off], imm
	ckStx                        // [dst+off], src
	ckXadd                       // [dst+off], src (old uBPF stxxadd)
	ckJcond                      // dst, src|imm, target
	ckJa                         // target
	ckCall                       // helper | %reg | local target
	ckCallx                      // reg
	ckExit                       //
	ckLddw                       // dst, imm64 | pseudo(...)
	ckLdAbs                      // imm
	ckLdInd                      // src, imm
)

type confMnemonic struct {
	kind  confKind
	op    Op
	alu32 bool
	size  uint8
}

var confOperands = map[confKind]int{
	ckALU: 2, ckNeg: 1, ckEndian: 1, ckMovSX: 2, ckLdx: 2, ckSt: 2, ckStx: 2, ckXadd: 2,
	ckJcond: 3, ckJa: 1, ckCallx: 1, ckExit: 0, ckLddw: 2, ckLdAbs: 1, ckLdInd: 2,
}

var sizeSuffix = map[uint8]string{1: "b", 2: "h", 4: "w", 8: "dw"}

var confALUNames = map[Op]string{
	OpAdd: "add", OpSub: "sub", OpMul: "mul", OpDiv: "div", OpSDiv: "sdiv", OpOr: "or",
	OpAnd: "and", OpLsh: "lsh", OpRsh: "rsh", OpMod: "mod", OpSMod: "smod", OpXor: "xor",
	OpMov: "mov", OpArsh: "arsh",
}

var confJumpNames = map[Op]string{
	OpJeq: "jeq", OpJgt: "jgt", OpJge: "jge", OpJset: "jset", OpJne: "jne", OpJsgt: "jsgt",
	OpJsge: "jsge", OpJlt: "jlt", OpJle: "jle", OpJslt: "jslt", OpJsle: "jsle",
}

var confAtomicNames = map[string]AtomicOp{
	"add": AtomicAdd, "xadd": AtomicAdd, "or": AtomicOr, "and": AtomicAnd, "xor": AtomicXor,
	"xchg": AtomicXchg, "cmpxchg": AtomicCmpXchg,
}

// confMnemonics maps every conformance mnemonic except "lock".
var confMnemonics = func() map[string]confMnemonic {
	m := map[string]confMnemonic{}
	for op, name := range confALUNames {
		m[name] = confMnemonic{kind: ckALU, op: op}
		m[name+"64"] = confMnemonic{kind: ckALU, op: op}
		m[name+"32"] = confMnemonic{kind: ckALU, op: op, alu32: true}
	}
	m["neg"] = confMnemonic{kind: ckNeg, op: OpNeg}
	m["neg64"] = confMnemonic{kind: ckNeg, op: OpNeg}
	m["neg32"] = confMnemonic{kind: ckNeg, op: OpNeg, alu32: true}
	for _, bits := range []uint8{16, 32, 64} {
		b := strconv.Itoa(int(bits))
		m["le"+b] = confMnemonic{kind: ckEndian, op: OpLE, alu32: true, size: bits / 8}
		m["be"+b] = confMnemonic{kind: ckEndian, op: OpBE, alu32: true, size: bits / 8}
		m["bswap"+b] = confMnemonic{kind: ckEndian, op: OpBswap, size: bits / 8}
		m["swap"+b] = confMnemonic{kind: ckEndian, op: OpBswap, size: bits / 8}
	}
	for _, size := range []uint8{1, 2, 4} {
		b := strconv.Itoa(int(size) * 8)
		m["movsx"+b+"64"] = confMnemonic{kind: ckMovSX, op: OpMovSX, size: size}
		if size < 4 {
			m["movsx"+b+"32"] = confMnemonic{kind: ckMovSX, op: OpMovSX, alu32: true, size: size}
		}
		m["ldxs"+sizeSuffix[size]] = confMnemonic{kind: ckLdx, op: OpLdxs, size: size}
		m["ldabs"+sizeSuffix[size]] = confMnemonic{kind: ckLdAbs, op: OpLdAbs, size: size}
		m["ldind"+sizeSuffix[size]] = confMnemonic{kind: ckLdInd, op: OpLdInd, size: size}
	}
	for _, size := range []uint8{1, 2, 4, 8} {
		sfx := sizeSuffix[size]
		m["ldx"+sfx] = confMnemonic{kind: ckLdx, op: OpLdx, size: size}
		m["st"+sfx] = confMnemonic{kind: ckSt, op: OpSt, size: size}
		m["stx"+sfx] = confMnemonic{kind: ckStx, op: OpStx, size: size}
	}
	m["stxxaddw"] = confMnemonic{kind: ckXadd, op: OpAtomic, alu32: true, size: 4}
	m["stxxadddw"] = confMnemonic{kind: ckXadd, op: OpAtomic, size: 8}
	for op, name := range confJumpNames {
		m[name] = confMnemonic{kind: ckJcond, op: op}
		m[name+"32"] = confMnemonic{kind: ckJcond, op: op, alu32: true}
	}
	m["ja"] = confMnemonic{kind: ckJa, op: OpJa}
	m["ja32"] = confMnemonic{kind: ckJa, op: OpJa, alu32: true}
	m["gotol"] = confMnemonic{kind: ckJa, op: OpJa, alu32: true}
	m["call"] = confMnemonic{kind: ckCall, op: OpCall}
	m["callx"] = confMnemonic{kind: ckCallx, op: OpCallx}
	m["exit"] = confMnemonic{kind: ckExit, op: OpExit}
	m["lddw"] = confMnemonic{kind: ckLddw, op: OpLddw, size: 8}
	return m
}()

// conformance assembles one line in bpf_conformance / uBPF syntax.
func (p *parser) conformance() error {
	t := p.next()
	if t.kind != tWord {
		return p.errf(t.col, "expected mnemonic, found %q", t.text)
	}
	name := strings.ToLower(t.text)
	if name == "lock" {
		return p.lock(t)
	}
	m, ok := confMnemonics[name]
	if !ok {
		return p.errf(t.col, "unknown mnemonic %q", t.text)
	}
	if m.kind == ckCall {
		return p.call()
	}
	ops, err := p.operands()
	if err != nil {
		return err
	}
	if want := confOperands[m.kind]; len(ops) != want {
		col := p.eol
		if len(ops) > want {
			col = ops[want].toks[0].col
		}
		return p.errf(col, "%s expects %d operand%s, found %d", name, want, plural(want), len(ops))
	}
	in := Insn{Op: m.op, ALU32: m.alu32, Size: m.size}
	switch m.kind {
	case ckALU:
		if in.Dst, err = p.opReg(ops[0]); err == nil {
			err = p.opRegOrImm(ops[1], &in)
		}
	case ckNeg, ckEndian:
		in.Dst, err = p.opReg(ops[0])
	case ckMovSX:
		in.RegSrc = true
		if in.Dst, err = p.opReg(ops[0]); err == nil {
			in.Src, err = p.opReg(ops[1])
		}
	case ckLdx:
		if in.Dst, err = p.opReg(ops[0]); err == nil {
			in.Src, in.Off, err = p.opMem(ops[1])
		}
	case ckSt:
		if in.Dst, in.Off, err = p.opMem(ops[0]); err == nil {
			in.Imm, err = p.opImm32(ops[1])
		}
	case ckStx, ckXadd:
		if in.Dst, in.Off, err = p.opMem(ops[0]); err == nil {
			in.Src, err = p.opReg(ops[1])
		}
		if m.kind == ckXadd {
			in.Atomic = AtomicAdd
		}
	case ckJcond:
		if in.Dst, err = p.opReg(ops[0]); err == nil {
			if err = p.opRegOrImm(ops[1], &in); err == nil {
				s := p.sub(ops[2])
				if err = s.jumpTarget(&in); err == nil {
					err = s.done("target")
				}
			}
		}
	case ckJa:
		s := p.sub(ops[0])
		if in.ALU32 {
			err = s.longTarget(&in)
		} else {
			err = s.jumpTarget(&in)
		}
		if err == nil {
			err = s.done("target")
		}
	case ckCallx:
		in.Dst, err = p.opReg(ops[0])
	case ckExit:
	case ckLddw:
		if in.Dst, err = p.opReg(ops[0]); err == nil {
			s := p.sub(ops[1])
			if t := s.peek(); t.kind == tWord {
				err = s.pseudoLddw(&in)
			} else {
				in.Imm, err = s.imm64()
			}
			if err == nil {
				err = s.done("immediate")
			}
		}
	case ckLdAbs:
		in.Imm, err = p.opImm32(ops[0])
	case ckLdInd:
		if in.Src, err = p.opReg(ops[0]); err == nil {
			in.Imm, err = p.opImm32(ops[1])
		}
	}
	if err != nil {
		return err
	}
	return p.emit(in)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// lock assembles "lock [fetch] OP[32] [%rD+off], %rS".
func (p *parser) lock(t *token) error {
	ops, err := p.operands()
	if err != nil {
		return err
	}
	usage := func(col int) error {
		return p.errf(col, "invalid operands for lock: expected lock [fetch] OP [%%rN+off], %%rM with OP add, and, or, xor, xchg or cmpxchg (optionally with suffix 32)")
	}
	if len(ops) == 0 {
		return usage(p.eol)
	}
	in := Insn{Op: OpAtomic, Size: 8}
	i := 0
	if w := ops[0].toks[0]; len(ops[0].toks) == 1 && w.kind == tWord && w.text == "fetch" {
		in.Fetch = true
		i++
	}
	if i >= len(ops) || len(ops[i].toks) != 1 || ops[i].toks[0].kind != tWord {
		return usage(t.col)
	}
	opTok := ops[i].toks[0]
	name := strings.ToLower(opTok.text)
	if strings.HasSuffix(name, "32") {
		name, in.ALU32, in.Size = strings.TrimSuffix(name, "32"), true, 4
	} else {
		name = strings.TrimSuffix(name, "64")
	}
	a, ok := confAtomicNames[name]
	if !ok {
		return p.errf(opTok.col, "unknown atomic operation %q", opTok.text)
	}
	in.Atomic = a
	if a == AtomicXchg || a == AtomicCmpXchg {
		in.Fetch = true
	}
	i++
	if len(ops)-i != 2 {
		return usage(t.col)
	}
	if in.Dst, in.Off, err = p.opMem(ops[i]); err != nil {
		return err
	}
	if in.Src, err = p.opReg(ops[i+1]); err != nil {
		return err
	}
	p.a.emit(in, p.line, p.text)
	return nil
}
