package isa

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hexBytes decodes space-separated hex, failing the test on error.
func hexBytes(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func mustAssemble(t testing.TB, src string) *Program {
	t.Helper()
	p, err := Assemble([]byte(src), "test.s")
	if err != nil {
		t.Fatalf("Assemble(%q): %v", src, err)
	}
	return p
}

// Each case is one instruction (plus an exit when it is a jump, so that the
// target exists) and the expected encoding of that instruction.
var asmCases = []struct {
	conf, llvm string
	want       string // hex of the first instruction
}{
	{"mov %r0, 1", "r0 = 1", "b7 00 00 00 01 00 00 00"},
	{"mov32 %r0, -1", "w0 = -1", "b4 00 00 00 ff ff ff ff"},
	{"mov %r1, 0xffffffff", "r1 = 0xffffffff", "b7 01 00 00 ff ff ff ff"},
	{"mov %r1, -0x80000000", "r1 = -2147483648", "b7 01 00 00 00 00 00 80"},
	{"mov %r1, %r2", "r1 = r2", "bf 21 00 00 00 00 00 00"},
	{"mov32 %r1, %r2", "w1 = w2", "bc 21 00 00 00 00 00 00"},
	{"add32 %r1, %r2", "w1 += w2", "0c 21 00 00 00 00 00 00"},
	{"add %r1, 5", "r1 += 5", "07 01 00 00 05 00 00 00"},
	{"sub %r1, %r2", "r1 -= r2", "1f 21 00 00 00 00 00 00"},
	{"mul32 %r1, 3", "w1 *= 3", "24 01 00 00 03 00 00 00"},
	{"div %r1, %r2", "r1 /= r2", "3f 21 00 00 00 00 00 00"},
	{"sdiv %r1, %r2", "r1 s/= r2", "3f 21 01 00 00 00 00 00"},
	{"sdiv32 %r1, -3", "w1 s/= -3", "34 01 01 00 fd ff ff ff"},
	{"mod %r1, 7", "r1 %= 7", "97 01 00 00 07 00 00 00"},
	{"smod %r1, %r2", "r1 s%= r2", "9f 21 01 00 00 00 00 00"},
	{"or %r1, 0x10", "r1 |= 16", "47 01 00 00 10 00 00 00"},
	{"and32 %r1, %r3", "w1 &= w3", "5c 31 00 00 00 00 00 00"},
	{"xor %r1, %r1", "r1 ^= r1", "af 11 00 00 00 00 00 00"},
	{"lsh %r1, 3", "r1 <<= 3", "67 01 00 00 03 00 00 00"},
	{"rsh32 %r1, %r2", "w1 >>= w2", "7c 21 00 00 00 00 00 00"},
	{"arsh %r1, 2", "r1 s>>= 2", "c7 01 00 00 02 00 00 00"},
	{"neg %r1", "r1 = -r1", "87 01 00 00 00 00 00 00"},
	{"neg32 %r1", "w1 = -w1", "84 01 00 00 00 00 00 00"},
	{"movsx864 %r0, %r1", "r0 = (s8)r1", "bf 10 08 00 00 00 00 00"},
	{"movsx1632 %r0, %r1", "w0 = (s16)w1", "bc 10 10 00 00 00 00 00"},
	{"movsx3264 %r0, %r1", "r0 = (s32)r1", "bf 10 20 00 00 00 00 00"},
	{"be16 %r1", "r1 = be16 r1", "dc 01 00 00 10 00 00 00"},
	{"le32 %r1", "r1 = le32 r1", "d4 01 00 00 20 00 00 00"},
	{"bswap64 %r1", "r1 = bswap64 r1", "d7 01 00 00 40 00 00 00"},
	{"swap16 %r1", "r1 = bswap16 r1", "d7 01 00 00 10 00 00 00"},
	{"ldxw %r0, [%r1+4]", "r0 = *(u32 *)(r1 + 4)", "61 10 04 00 00 00 00 00"},
	{"ldxdw %r0, [%r10-8]", "r0 = *(u64 *)(r10 - 8)", "79 a0 f8 ff 00 00 00 00"},
	{"ldxb %r0, [%r1]", "r0 = *(u8 *)(r1 + 0)", "71 10 00 00 00 00 00 00"},
	{"ldxh %r0, [%r1+0x10]", "w0 = *(u16 *)(r1 + 0x10)", "69 10 10 00 00 00 00 00"},
	{"ldxsb %r0, [%r1+4]", "r0 = *(s8 *)(r1 + 4)", "91 10 04 00 00 00 00 00"},
	{"ldxsh %r0, [%r1+4]", "r0 = *(s16 *)(r1 + 4)", "89 10 04 00 00 00 00 00"},
	{"ldxsw %r0, [%r1-4]", "r0 = *(s32 *)(r1 - 4)", "81 10 fc ff 00 00 00 00"},
	{"stxdw [%r10-8], %r0", "*(u64 *)(r10 - 8) = r0", "7b 0a f8 ff 00 00 00 00"},
	{"stxw [%r10-4], %r1", "*(u32 *)(r10 - 4) = w1", "63 1a fc ff 00 00 00 00"},
	{"stw [%r1+2], 5", "*(u32 *)(r1 + 2) = 5", "62 01 02 00 05 00 00 00"},
	{"stb [%r1+0], -1", "*(u8 *)(r1 + 0) = -1", "72 01 00 00 ff ff ff ff"},
	{"stdw [%r1-32768], 1", "*(u64 *)(r1 - 32768) = 1", "7a 01 00 80 01 00 00 00"},
	{"sth [%r1+32767], 1", "*(u16 *)(r1 + 32767) = 1", "6a 01 ff 7f 01 00 00 00"},
	{"lddw %r0, 0x1122334455667788", "r0 = 0x1122334455667788 ll", "18 00 00 00 88 77 66 55 00 00 00 00 44 33 22 11"},
	{"lddw %r1, -1", "r1 = -1 ll", "18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff"},
	{"lddw %r1, map_fd(5)", "r1 = map_fd(5) ll", "18 11 00 00 05 00 00 00 00 00 00 00 00 00 00 00"},
	{"lddw %r1, map_value(5, 16)", "r1 = map_value(5, 16) ll", "18 21 00 00 05 00 00 00 00 00 00 00 10 00 00 00"},
	{"lddw %r1, func(+1)", "r1 = func(+1) ll", "18 41 00 00 01 00 00 00 00 00 00 00 00 00 00 00"},
	{"jeq %r1, 0, +1", "if r1 == 0 goto +1", "15 01 01 00 00 00 00 00"},
	{"jne %r1, %r2, +1", "if r1 != r2 goto +1", "5d 21 01 00 00 00 00 00"},
	{"jgt %r1, 5, +1", "if r1 > 5 goto +1", "25 01 01 00 05 00 00 00"},
	{"jge %r1, %r2, +1", "if r1 >= r2 goto +1", "3d 21 01 00 00 00 00 00"},
	{"jlt %r1, 5, +1", "if r1 < 5 goto +1", "a5 01 01 00 05 00 00 00"},
	{"jle %r1, 5, +1", "if r1 <= 5 goto +1", "b5 01 01 00 05 00 00 00"},
	{"jsgt %r1, -1, +1", "if r1 s> -1 goto +1", "65 01 01 00 ff ff ff ff"},
	{"jsge %r1, %r2, +1", "if r1 s>= r2 goto +1", "7d 21 01 00 00 00 00 00"},
	{"jslt32 %r1, 5, +1", "if w1 s< 5 goto +1", "c6 01 01 00 05 00 00 00"},
	{"jsle32 %r1, %r2, +1", "if w1 s<= w2 goto +1", "de 21 01 00 00 00 00 00"},
	{"jset %r1, 0x80, +1", "if r1 & 0x80 goto +1", "45 01 01 00 80 00 00 00"},
	{"jeq32 %r1, 0xffffffff, +1", "if w1 == -1 goto +1", "16 01 01 00 ff ff ff ff"},
	{"ja +1", "goto +1", "05 00 01 00 00 00 00 00"},
	{"ja32 +1", "gotol +1", "06 00 00 00 01 00 00 00"},
	{"call 5", "call 5", "85 00 00 00 05 00 00 00"},
	{"call helper 5", "call 5", "85 00 00 00 05 00 00 00"},
	{"call helper -1", "call helper -1", "85 00 00 00 ff ff ff ff"},
	{"call %r2", "callx r2", "8d 02 00 00 00 00 00 00"},
	{"call local +1", "call pc+1", "85 10 00 00 01 00 00 00"},
	{"exit", "exit", "95 00 00 00 00 00 00 00"},
	{"lock add [%r10-8], %r1", "lock *(u64 *)(r10 - 8) += r1", "db 1a f8 ff 00 00 00 00"},
	{"lock xadd [%r10-8], %r1", "lock *(u64 *)(r10 - 8) += r1", "db 1a f8 ff 00 00 00 00"},
	{"stxxadddw [%r10-8], %r1", "lock *(u64 *)(r10 - 8) += r1", "db 1a f8 ff 00 00 00 00"},
	{"lock add32 [%r10-4], %r1", "lock *(u32 *)(r10 - 4) += w1", "c3 1a fc ff 00 00 00 00"},
	{"lock or [%r1+0], %r2", "lock *(u64 *)(r1 + 0) |= r2", "db 21 00 00 40 00 00 00"},
	{"lock and32 [%r1+0], %r2", "lock *(u32 *)(r1 + 0) &= w2", "c3 21 00 00 50 00 00 00"},
	{"lock xor [%r1+0], %r2", "lock *(u64 *)(r1 + 0) ^= r2", "db 21 00 00 a0 00 00 00"},
	{"lock fetch add [%r1+0], %r2", "r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)", "db 21 00 00 01 00 00 00"},
	{"lock fetch xor32 [%r1+8], %r3", "w3 = atomic_fetch_xor((u32 *)(r1 + 8), w3)", "c3 31 08 00 a1 00 00 00"},
	{"lock xchg [%r1+0], %r2", "r2 = xchg_64(r1 + 0, r2)", "db 21 00 00 e1 00 00 00"},
	{"lock xchg32 [%r1+0], %r2", "w2 = xchg32_32(r1 + 0, w2)", "c3 21 00 00 e1 00 00 00"},
	{"lock cmpxchg [%r1+0], %r2", "r0 = cmpxchg_64(r1 + 0, r0, r2)", "db 21 00 00 f1 00 00 00"},
	{"lock cmpxchg32 [%r1+0], %r2", "w0 = cmpxchg32_32(r1 + 0, w0, w2)", "c3 21 00 00 f1 00 00 00"},
	{"ldabsw 4", "r0 = *(u32 *)skb[4]", "20 00 00 00 04 00 00 00"},
	{"ldindh %r1, 0", "r0 = *(u16 *)skb[r1]", "48 10 00 00 00 00 00 00"},
	{"ldindb %r1, -2", "r0 = *(u8 *)skb[r1 - 2]", "50 10 00 00 fe ff ff ff"},
}

func TestAssembleInstructions(t *testing.T) {
	for _, tc := range asmCases {
		want := hexBytes(t, tc.want)
		for _, src := range []string{tc.conf, tc.llvm} {
			t.Run(src, func(t *testing.T) {
				p := mustAssemble(t, src+"\nexit\nexit\n")
				if got := p.Insns[0].Encode(); !bytes.Equal(got, want) {
					t.Errorf("got  % x\nwant % x", got, want)
				}
			})
		}
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range asmCases {
		p := mustAssemble(t, tc.conf+"\nexit\nexit\n")
		in := &p.Insns[0]
		for _, syn := range []Syntax{SyntaxConformance, SyntaxLLVM} {
			text := Format(in, syn)
			q, err := Assemble([]byte(text+"\nexit\nexit\n"), "format.s")
			if err != nil {
				t.Errorf("%s: Format(%v) = %q does not assemble: %v", tc.conf, syn, text, err)
				continue
			}
			if !bytes.Equal(q.Encode(), p.Encode()) {
				t.Errorf("%s: Format(%v) = %q assembles to different bytes", tc.conf, syn, text)
			}
		}
	}
	// Spot checks of the exact spelling.
	for _, tc := range []struct{ src, conf, llvm string }{
		{"mov %r0, 1", "mov %r0, 1", "r0 = 1"},
		{"ldxw %r0, [%r1-4]", "ldxw %r0, [%r1-4]", "r0 = *(u32 *)(r1 - 4)"},
		{"lock fetch add32 [%r10-8], %r1", "lock fetch add32 [%r10-8], %r1", "w1 = atomic_fetch_add((u32 *)(r10 - 8), w1)"},
		{"and %r1, 0xff00", "and %r1, 0xff00", "r1 &= 0xff00"},
		{"lddw %r1, 0x10", "lddw %r1, 0x10", "r1 = 0x10 ll"},
		{"jsge32 %r1, -5, +0", "jsge32 %r1, -5, +0", "if w1 s>= -5 goto +0"},
		{"call local +0", "call local +0", "call pc+0"},
		{"call %r3", "call %r3", "callx r3"},
	} {
		in := &mustAssemble(t, tc.src+"\nexit").Insns[0]
		if got := Format(in, SyntaxConformance); got != tc.conf {
			t.Errorf("Format(%q, conformance) = %q, want %q", tc.src, got, tc.conf)
		}
		if got := Format(in, SyntaxLLVM); got != tc.llvm {
			t.Errorf("Format(%q, llvm) = %q, want %q", tc.src, got, tc.llvm)
		}
		if got := in.String(); got != tc.conf {
			t.Errorf("String() = %q, want %q", got, tc.conf)
		}
	}
}

func TestAssembleLabels(t *testing.T) {
	src := `
# comments and blank lines are ignored
start:
	mov %r0, 0            # trailing comment
	jeq %r1, 0, done
	lddw %r2, 1           # two slots
	ja exit               # "exit" names the first exit
back:	add %r0, 1        ; label and instruction on one line
	if r0 < 3 goto back   ; mixed syntax
	call local fn
done:
	exit
fn:
	gotol done
`
	p := mustAssemble(t, src)
	want := map[int]int{1: 8, 4: 8, 6: 5, 7: 9, 9: 8} // slot → target slot
	for _, in := range p.Insns {
		if tgt, ok := want[in.Slot]; ok && in.Target != tgt {
			t.Errorf("slot %d (%v): target %d, want %d", in.Slot, &in, in.Target, tgt)
		}
	}
	if got := p.Insns[1].Source; got == nil || got.Line != 5 || got.File != "test.s" || got.Text != "jeq %r1, 0, done" {
		t.Errorf("Source of second instruction = %+v", got)
	}
}

func TestAssembleExitLabelDefined(t *testing.T) {
	// A user label "exit" takes precedence over the implicit one.
	p := mustAssemble(t, "ja exit\nexit\nexit:\nexit\n")
	if p.Insns[0].Target != 2 {
		t.Errorf("target %d, want 2", p.Insns[0].Target)
	}
}

// objdumpOutput is llvm-objdump -d -r -S style output, pasted as it is.
const objdumpOutput = `
prog.o:	file format elf64-bpf

Disassembly of section xdp:

0000000000000000 <xdp_prog>:
; int xdp_prog(struct xdp_md *ctx) {
       0:	b7 00 00 00 02 00 00 00	r0 = 0x2
       1:	61 12 04 00 00 00 00 00	r2 = *(u32 *)(r1 + 0x4)
       2:	61 11 00 00 00 00 00 00	r1 = *(u32 *)(r1 + 0x0)
       3:	bf 13 00 00 00 00 00 00	r3 = r1
       4:	07 03 00 00 0e 00 00 00	r3 += 0xe
       5:	2d 23 06 00 00 00 00 00	if r3 > r2 goto +0x6 <LBB0_3>
       6:	18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00	r1 = 0x0 ll
		0000000000000030:  R_BPF_64_64	counters
       8:	b7 02 00 00 01 00 00 00	r2 = 0x1
       9:	db 21 00 00 00 00 00 00	lock *(u64 *)(r1 + 0x0) += r2
      10:	85 10 00 00 01 00 00 00	call 0x1
      11:	05 00 00 00 00 00 00 00	goto +0x0 <LBB0_3>

<LBB0_3>:
      12:	95 00 00 00 00 00 00 00	exit
      13:	b4 00 00 00 00 00 00 00	w0 = 0x0
      14:	95 00 00 00 00 00 00 00	exit
`

func TestAssembleObjdump(t *testing.T) {
	p := mustAssemble(t, objdumpOutput)
	if got := p.NumSlots(); got != 15 {
		t.Fatalf("%d slots, want 15", got)
	}
	want := hexBytes(t, `b7 00 00 00 02 00 00 00 61 12 04 00 00 00 00 00 61 11 00 00 00 00 00 00
		bf 13 00 00 00 00 00 00 07 03 00 00 0e 00 00 00 2d 23 06 00 00 00 00 00
		18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 b7 02 00 00 01 00 00 00
		db 21 00 00 00 00 00 00 85 10 00 00 01 00 00 00 05 00 00 00 00 00 00 00
		95 00 00 00 00 00 00 00 b4 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00`)
	if got := p.Encode(); !bytes.Equal(got, want) {
		t.Errorf("got  % x\nwant % x", got, want)
	}
	if in := p.At(6); in.Ref != "counters" {
		t.Errorf("lddw Ref = %q, want counters", in.Ref)
	}
	// The raw bytes show src=1: "call 0x1" is a local call.
	if in := p.At(10); in.Op != OpCallLocal || in.Target != 12 {
		t.Errorf("slot 10 = %v (target %d), want a local call to 12", in, in.Target)
	}
}

func TestAssembleErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		pos       string // "line:col" or "line" expected in the message
		msg       string // substring of the message
	}{
		{"mnemonic", "ldxq %r0, %r1", "1:1", `unknown mnemonic "ldxq"`},
		{"operand count", "lddw %r0", "1:9", "lddw expects 2 operands, found 1"},
		{"too many", "exit %r0", "1:6", "exit expects 0 operands, found 1"},
		{"register 50", "or %r0, %r50", "1:9", `invalid register "%r50"`},
		{"register 11", "mov %r11, 1", "1:5", `invalid register "%r11"`},
		{"imm dec range", "mov32 %r0, 2147483648", "1:12", "out of 32-bit range"},
		{"imm hex range", "mov32 %r0, 0x100000000", "1:12", "out of 32-bit range"},
		{"imm neg range", "mov %r0, -2147483649", "1:10", "out of 32-bit range"},
		{"imm 64-bit", "lddw %r0, 0x10000000000000000", "1:11", "does not fit in 64 bits"},
		{"offset range", "ldxb %r0, [%r1+0x10000]", "1:15", "out of 16-bit range"},
		{"offset range neg", "ldxb %r0, [%r1-32769]", "1:15", "out of 16-bit range"},
		{"not memory", "ldxb %r0, %r1", "1:11", "expected memory operand"},
		{"undefined label", "ja NOT_A_LABEL\nexit", "1:4", `undefined label "NOT_A_LABEL"`},
		{"duplicate label", "a:\nexit\na:\nexit", "3:1", `label "a" already defined at line 1`},
		{"label at end", "ja end\nexit\nend:", "1:4", "past the last instruction"},
		{"lock no operands", "lock\nexit", "1:5", "invalid operands for lock"},
		{"lock one operand", "lock or [%r10-8]\nexit", "1:1", "invalid operands for lock"},
		{"lock bad op", "lock sub [%r10-8], %r1", "1:6", `unknown atomic operation "sub"`},
		{"jump out of program", "ja +5\nexit", "1", "outside the program"},
		{"write r10", "mov %r10, 1\nexit", "1", "writes r10"},
		{"bad char", "mov %r0, 1 @", "1:12", `unexpected character "@"`},
		{"empty", "# nothing\n\n", "3", "no instructions"},
		{"llvm width mix", "w1 += r2", "1:7", "mixes 32-bit"},
		{"llvm bad op", "r1 @= 1", "1:4", "unexpected character"},
		{"llvm missing goto", "if r1 > 2 +1", "1:11", `expected "goto"`},
		{"llvm neg other reg", "r1 = -r2", "1:7", "must use the destination register"},
		{"llvm fetch reg", "r1 = atomic_fetch_add((u64 *)(r2 + 0), r3)", "1:40", "must use the destination register"},
		{"llvm cmpxchg dst", "r1 = cmpxchg_64(r2 + 0, r0, r3)", "1:1", "writes r0"},
		{"llvm ll on w", "w1 = 1 ll", "1:1", "needs an r register"},
		{"llvm 64-bit without ll", "r1 = 0x100000000", "1:6", "out of 32-bit range"},
		{"llvm signed store", "*(s32 *)(r1 + 0) = r2", "1:3", "unsigned access type"},
		{"llvm skb dst", "r1 = *(u8 *)skb[4]", "1:1", "write r0"},
		{"call nothing", "call", "1:5", "call expects"},
		{"pseudo unknown", "lddw %r1, map_xx(1)", "1:11", "unknown lddw pseudo source"},
		{"double comma", "mov %r0,, 1", "1:9", "missing operand"},
		{"kfunc", "call runtime 5\nexit", "1", "kfunc"},
		{"label is register", "r1:\nexit", "1:1", "looks like a register"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Assemble([]byte(tc.src), "bad.s")
			if err == nil {
				t.Fatalf("Assemble(%q) succeeded", tc.src)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T) is not a *SyntaxError", err, err)
			}
			if !errors.Is(err, ErrSyntax) || !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not match ErrSyntax and ErrInvalid", err)
			}
			if !strings.HasPrefix(err.Error(), "bad.s:"+tc.pos+":") {
				t.Errorf("error %q, want position bad.s:%s", err, tc.pos)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q, want it to contain %q", err, tc.msg)
			}
		})
	}
}

// conformanceDir locates the bpf_conformance suite (../shared/conformance from
// the repository root) or skips the test.
func conformanceDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("HBPF_CONFORMANCE")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "conformance")
	}
	if _, err := os.Stat(filepath.Join(dir, "tests")); err != nil {
		t.Skipf("bpf_conformance suite not found at %s (set HBPF_CONFORMANCE): %v", dir, err)
	}
	return dir
}

func conformanceFiles(t testing.TB, sub string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(conformanceDir(t), sub, "*.data"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .data files in %s: %v", sub, err)
	}
	return files
}

// disasmVariants are the option sets every round trip goes through.
func disasmVariants() []*DisasmOptions {
	var v []*DisasmOptions
	for _, syn := range []Syntax{SyntaxConformance, SyntaxLLVM} {
		v = append(v,
			&DisasmOptions{Syntax: syn},
			&DisasmOptions{Syntax: syn, Labels: true, Source: true},
			&DisasmOptions{Syntax: syn, Labels: true, Slots: true, Raw: true, Source: true},
		)
	}
	return v
}

// roundTrip disassembles p with every option set and checks that the text
// assembles to the same bytes.
func roundTrip(t testing.TB, name string, p *Program) {
	t.Helper()
	want := p.Encode()
	for _, opts := range disasmVariants() {
		text := DisassembleString(p, opts)
		q, err := Assemble([]byte(text), name)
		if err != nil {
			t.Fatalf("%s: %+v: disassembly does not assemble: %v\n%s", name, *opts, err, text)
		}
		if got := q.Encode(); !bytes.Equal(got, want) {
			t.Fatalf("%s: %+v: round trip changed the bytes\nwant % x\ngot  % x\n%s", name, *opts, want, got, text)
		}
	}
}

func TestConformanceRoundTrip(t *testing.T) {
	files := conformanceFiles(t, "tests")
	programs, insns := 0, 0
	for _, f := range files {
		dt, err := ReadDataFile(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		p, err := dt.Program()
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		roundTrip(t, filepath.Base(f), p)
		programs++
		insns += len(p.Insns)
	}
	t.Logf("round-tripped %d conformance programs (%d instructions) in both syntaxes, %d option sets each",
		programs, insns, len(disasmVariants()))
}

func TestDisassembleOptions(t *testing.T) {
	p := mustAssemble(t, "mov %r0, 0\nja done\ndone:\nexit\n")
	p.Insns[0].Source = &Line{File: "x.c", Line: 3, Text: "return 0;"}
	p.Insns[1].Source = p.Insns[0].Source
	p.Insns[2].Source = &Line{File: "x.c", Line: 4}
	p.Insns[0].Ref = "sym"
	for _, tc := range []struct {
		opts *DisasmOptions
		want string
	}{
		{nil, "    mov %r0, 0\t# sym\n    ja L2\nL2:\n    exit\n"},
		{&DisasmOptions{}, "mov %r0, 0\t# sym\nja +0\nexit\n"},
		{&DisasmOptions{Syntax: SyntaxLLVM, Labels: true, Source: true},
			"    ; return 0;\n    r0 = 0\t; sym\n    goto L2\nL2:\n    ; x.c:4\n    exit\n"},
		{&DisasmOptions{Slots: true, Raw: true},
			"       0:\tb7 00 00 00 00 00 00 00\tmov %r0, 0\t# sym\n       1:\t05 00 00 00 00 00 00 00\tja +0\n       2:\t95 00 00 00 00 00 00 00\texit\n"},
	} {
		if got := DisassembleString(p, tc.opts); got != tc.want {
			t.Errorf("options %+v:\ngot\n%s\nwant\n%s", tc.opts, got, tc.want)
		}
	}
}

func TestParseSyntax(t *testing.T) {
	for _, s := range []Syntax{SyntaxConformance, SyntaxLLVM} {
		got, err := ParseSyntax(s.String())
		if err != nil || got != s {
			t.Errorf("ParseSyntax(%q) = %v, %v", s.String(), got, err)
		}
	}
	if _, err := ParseSyntax("intel"); err == nil {
		t.Error("ParseSyntax(intel) succeeded")
	}
}

func TestAssembleObjdumpCallHint(t *testing.T) {
	for _, tc := range []struct {
		line string
		op   Op
		imm  int64
	}{
		{"0:\t85 00 00 00 ff ff ff ff\tcall -0x1", OpCall, -1},
		{"0:\t85 10 00 00 ff ff ff ff\tcall -0x1", OpCallLocal, -1},
		{"0:\t85 10 00 00 01 00 00 00\tcall 0x1", OpCallLocal, 1},
		{"call -0x1", OpCallLocal, -1},
		{"call 0x1", OpCall, 1},
		{"a8:\t85 10 00 00 01 00 00 00\tcall 0x1", OpCallLocal, 1}, // GNU-style hex address
	} {
		p, err := Assemble([]byte("exit\n"+tc.line+"\nexit\nexit\n"), "hint.s")
		if err != nil {
			t.Errorf("%q: %v", tc.line, err)
			continue
		}
		if in := p.Insns[1]; in.Op != tc.op || in.Imm != tc.imm {
			t.Errorf("%q: got %v imm %d, want %v imm %d", tc.line, in.Op, in.Imm, tc.op, tc.imm)
		}
	}
}

func TestAssembleObjdumpLddwHint(t *testing.T) {
	p := mustAssemble(t, "0:\t18 11 00 00 05 00 00 00 00 00 00 00 00 00 00 00\tr1 = 0x5 ll\nbeef:\nexit\n")
	if in := p.Insns[0]; in.Src != PseudoMapFD || in.Imm != 5 {
		t.Errorf("got src %d imm %d, want map_fd(5)", in.Src, in.Imm)
	}
}
