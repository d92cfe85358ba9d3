package sim

import (
	"testing"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/sim/timing"
)

// run assembles src and runs it the conformance way on mem.
func run(t *testing.T, src string, mem []byte, cfg Config) Result {
	t.Helper()
	p, err := isa.Assemble([]byte(src), t.Name())
	if err != nil {
		t.Fatalf("assemble: %v", err)
	}
	m, err := New([]*isa.Program{p}, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m.RunMem(0, mem)
}

// TestCornerCases covers the semantics JIT and core bugs are made of. Each
// expected value is derived from RFC 9669 (and the kernel where it is silent).
func TestCornerCases(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want uint64
	}{
		// Shifts: the amount is masked to the width.
		{"lsh64 by 0", "mov %r0, 0x7\nlsh %r0, 0\nexit", 7},
		{"lsh64 by 63", "mov %r0, 1\nlsh %r0, 63\nexit", 1 << 63},
		{"lsh64 by 64 wraps to 0", "mov %r0, 3\nmov %r1, 64\nlsh %r0, %r1\nexit", 3},
		{"lsh64 by 65 reg", "mov %r0, 1\nmov %r1, 65\nlsh %r0, %r1\nexit", 2},
		{"lsh32 by 31", "mov32 %r0, 1\nlsh32 %r0, 31\nexit", 1 << 31},
		{"lsh32 by 32 wraps", "mov32 %r0, 5\nmov %r1, 32\nlsh32 %r0, %r1\nexit", 5},
		{"rsh32 by 33 reg", "mov32 %r0, 8\nmov %r1, 33\nrsh32 %r0, %r1\nexit", 4},
		{"rsh64 logical", "mov %r0, -1\nrsh %r0, 63\nexit", 1},
		{"arsh64 by 63", "mov %r0, -2\narsh %r0, 63\nexit", ^uint64(0)},
		{"arsh32 sign from bit 31, zero-extends", "lddw %r0, 0xffffffff80000000\narsh32 %r0, 4\nexit", 0xf8000000},
		{"shift amount upper bits ignored", "mov %r0, 1\nlddw %r1, 0x100000003\nlsh %r0, %r1\nexit", 8},
		// ALU32 zero-extends its result.
		{"add32 zero-extends", "mov %r0, -1\nadd32 %r0, 1\nexit", 0},
		{"mov32 zero-extends", "mov %r0, -1\nmov32 %r0, %r0\nexit", 0xffffffff},
		{"mov32 imm -1", "mov32 %r0, -1\nexit", 0xffffffff},
		{"neg32", "mov %r0, 1\nneg32 %r0\nexit", 0xffffffff},
		{"mul32 overflow", "mov32 %r0, 0x10000\nmul32 %r0, 0x10000\nexit", 0},
		// Immediates sign-extend in 64-bit operations.
		{"mov64 imm -1", "mov %r0, -1\nexit", ^uint64(0)},
		{"and64 imm sign-extends", "lddw %r0, 0x1234567887654321\nand %r0, -16\nexit", 0x1234567887654320},
		{"add64 imm negative", "mov %r0, 5\nadd %r0, -6\nexit", ^uint64(0)},
		// Division and modulo.
		{"div64 by zero reg", "mov %r0, 9\nmov %r1, 0\ndiv %r0, %r1\nexit", 0},
		{"mod64 by zero keeps dst", "mov %r0, -9\nmov %r1, 0\nmod %r0, %r1\nexit", uint64(0xfffffffffffffff7)},
		{"mod32 by zero zero-extends", "mov %r0, -9\nmov32 %r1, 0\nmod32 %r0, %r1\nexit", 0xfffffff7},
		{"div32 by zero", "mov %r0, -1\nmov %r1, 0\ndiv32 %r0, %r1\nexit", 0},
		{"div32 uses low half of divisor", "mov32 %r0, 10\nlddw %r1, 0x100000002\ndiv32 %r0, %r1\nexit", 5},
		{"div64 unsigned", "mov %r0, -2\ndiv %r0, 2\nexit", 0x7fffffffffffffff},
		{"sdiv64 INT_MIN by -1", "lddw %r0, 0x8000000000000000\nsdiv %r0, -1\nexit", 1 << 63},
		{"smod64 INT_MIN by -1", "lddw %r0, 0x8000000000000000\nsmod %r0, -1\nexit", 0},
		{"sdiv32 INT_MIN by -1", "mov32 %r0, 0x80000000\nsdiv32 %r0, -1\nexit", 0x80000000},
		{"smod32 INT_MIN by -1", "mov32 %r0, 0x80000000\nsmod32 %r0, -1\nexit", 0},
		{"sdiv64 truncates toward zero", "mov %r0, -7\nsdiv %r0, 2\nexit", uint64(0xfffffffffffffffd)},
		{"smod64 sign follows dividend", "mov %r0, -7\nsmod %r0, 2\nexit", ^uint64(0)},
		{"sdiv64 by zero", "mov %r0, -7\nmov %r1, 0\nsdiv %r0, %r1\nexit", 0},
		{"smod64 by zero keeps dst", "mov %r0, -7\nmov %r1, 0\nsmod %r0, %r1\nexit", uint64(0xfffffffffffffff9)},
		// JMP32 compares only the low halves.
		{"jeq32 ignores upper half", "lddw %r1, 0xffffffff00000005\nmov %r0, 0\njeq32 %r1, 5, +1\nexit\nmov %r0, 1\nexit", 1},
		{"jeq64 sees upper half", "lddw %r1, 0xffffffff00000005\nmov %r0, 0\njeq %r1, 5, +1\nexit\nmov %r0, 1\nexit", 0},
		{"jsgt32 signed on low half", "lddw %r1, 0x00000000ffffffff\nmov %r0, 0\njsgt32 %r1, 0, +1\nmov %r0, 1\nexit", 1},
		{"jgt32 unsigned on low half", "lddw %r1, 0x00000000ffffffff\nmov %r0, 0\njgt32 %r1, 0, +1\nexit\nmov %r0, 1\nexit", 1},
		{"jset64", "mov %r1, 6\nmov %r0, 0\njset %r1, 2, +1\nexit\nmov %r0, 1\nexit", 1},
		{"jslt64 imm negative", "mov %r1, -5\nmov %r0, 0\njslt %r1, -4, +1\nexit\nmov %r0, 1\nexit", 1},
		// Byte swaps truncate to their width.
		{"le16", "lddw %r0, 0x1122334455667788\nle16 %r0\nexit", 0x7788},
		{"le32", "lddw %r0, 0x1122334455667788\nle32 %r0\nexit", 0x55667788},
		{"le64", "lddw %r0, 0x1122334455667788\nle64 %r0\nexit", 0x1122334455667788},
		{"be16", "lddw %r0, 0x1122334455667788\nbe16 %r0\nexit", 0x8877},
		{"be32", "lddw %r0, 0x1122334455667788\nbe32 %r0\nexit", 0x88776655},
		{"be64", "lddw %r0, 0x1122334455667788\nbe64 %r0\nexit", 0x8877665544332211},
		{"bswap16", "lddw %r0, 0x1122334455667788\nbswap16 %r0\nexit", 0x8877},
		{"bswap32", "lddw %r0, 0x1122334455667788\nbswap32 %r0\nexit", 0x88776655},
		{"bswap64", "lddw %r0, 0x1122334455667788\nbswap64 %r0\nexit", 0x8877665544332211},
		// movsx.
		{"movsx8 64", "mov %r1, 0x80\nmovsx864 %r0, %r1\nexit", 0xffffffffffffff80},
		{"movsx16 32 zero-extends", "mov %r1, 0x8000\nmovsx1632 %r0, %r1\nexit", 0xffff8000},
		{"movsx32 64", "mov32 %r1, 0x80000000\nmovsx3264 %r0, %r1\nexit", 0xffffffff80000000},
		// Atomics return the old value.
		{"fetch add 64", "stdw [%r10-8], 40\nmov %r1, 2\nlock fetch add [%r10-8], %r1\nldxdw %r0, [%r10-8]\nadd %r0, %r1\nexit", 42 + 40},
		{"fetch add 32 zero-extends", "stw [%r10-8], -1\nmov %r1, -1\nlock fetch add32 [%r10-8], %r1\nmov %r0, %r1\nexit", 0xffffffff},
		{"fetch or", "stdw [%r10-8], 0x10\nmov %r1, 1\nlock fetch or [%r10-8], %r1\nldxdw %r0, [%r10-8]\nlsh %r0, 8\nor %r0, %r1\nexit", 0x1110},
		{"fetch xor 32", "stw [%r10-4], 0xff\nmov %r1, 0x0f\nlock fetch xor32 [%r10-4], %r1\nldxw %r0, [%r10-4]\nlsh %r0, 8\nor %r0, %r1\nexit", 0xf0ff},
		{"fetch and", "stdw [%r10-8], 0x0c\nmov %r1, 0x0a\nlock fetch and [%r10-8], %r1\nldxdw %r0, [%r10-8]\nlsh %r0, 8\nor %r0, %r1\nexit", 0x080c},
		{"xchg 64", "stdw [%r10-8], 7\nmov %r1, 9\nlock xchg [%r10-8], %r1\nldxdw %r0, [%r10-8]\nlsh %r0, 8\nor %r0, %r1\nexit", 0x0907},
		{"cmpxchg32 succeeds, r0 zero-extended", "stw [%r10-4], -1\nmov %r0, -1\nmov %r1, 3\nlock cmpxchg32 [%r10-4], %r1\nldxw %r2, [%r10-4]\nlsh %r2, 32\nor %r0, %r2\nexit", 0x3ffffffff},
		{"cmpxchg64 fails, memory unchanged", "stdw [%r10-8], 5\nmov %r0, 6\nmov %r1, 3\nlock cmpxchg [%r10-8], %r1\nldxdw %r2, [%r10-8]\nlsh %r2, 8\nor %r0, %r2\nexit", 0x0505},
		// Sign-extending loads.
		{"ldxsb", "stb [%r10-1], 0x80\nldxsb %r0, [%r10-1]\nexit", 0xffffffffffffff80},
		{"ldxsh", "sth [%r10-2], 0x8001\nldxsh %r0, [%r10-2]\nexit", 0xffffffffffff8001},
		{"ldxsw", "stw [%r10-4], -2\nldxsw %r0, [%r10-4]\nexit", ^uint64(1)},
		{"ldxw zero-extends", "stw [%r10-4], -2\nldxw %r0, [%r10-4]\nexit", 0xfffffffe},
		// gotol.
		{"gotol", "mov %r0, 1\ngotol +1\nmov %r0, 2\nexit", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.src, nil, Config{})
			if r.Fault != nil {
				t.Fatalf("trap: %v", r.Fault)
			}
			if r.R0 != tt.want {
				t.Errorf("r0 = %#x, want %#x", r.R0, tt.want)
			}
		})
	}
}

// TestTraps checks that every kind of violation traps with its cause and pc.
func TestTraps(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		mem   []byte
		cause Cause
		pc    int
	}{
		{"load past mem", "ldxw %r0, [%r1+2]\nexit", make([]byte, 4), CauseLoadBounds, 0},
		{"load before mem", "mov %r0, 0\nldxb %r0, [%r1-1]\nexit", make([]byte, 4), CauseLoadBounds, 1},
		{"null load", "mov %r1, 0\nldxdw %r0, [%r1]\nexit", nil, CauseLoadBounds, 1},
		{"store past stack top", "stdw [%r10], 1\nexit", nil, CauseStoreBounds, 0},
		{"store below stack", "mov %r1, %r10\nsub %r1, 4097\nstb [%r1], 1\nexit", nil, CauseStoreBounds, 2},
		{"pointer into no region", "lddw %r1, 0x4200000000\nldxb %r0, [%r1]\nexit", nil, CauseLoadBounds, 2},
		{"atomic past mem", "mov %r2, 1\nlock add [%r1+4], %r2\nexit", make([]byte, 4), CauseLoadBounds, 1},
		{"endless loop", "mov %r0, 0\nja -1\nexit", nil, CauseCycleBudget, 1},
		{"recursion overflows the stack", "call local f\nexit\nf:\ncall local f\nexit", nil, CauseStackOverflow, 2},
		{"unknown helper", "call 99\nexit", nil, CauseUnknownHelper, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.src, tt.mem, Config{MaxCycles: 10000})
			if r.Fault == nil {
				t.Fatalf("no trap; r0 = %#x", r.R0)
			}
			if r.Fault.Cause != tt.cause || r.Fault.PC != tt.pc {
				t.Errorf("trap %v at pc %d, want %v at pc %d (%v)", r.Fault.Cause, r.Fault.PC, tt.cause, tt.pc, r.Fault)
			}
		})
	}
}

// TestCyclesFromTable checks that the cycle count is the sum of the table's
// costs, for both outcomes of a branch and for local calls.
func TestCyclesFromTable(t *testing.T) {
	src := "mov %r0, 0\njeq %r0, 0, +1\nmov %r0, 1\njne %r0, 0, +1\nldxb %r1, [%r10-1]\ncall local f\nexit\nf:\nmul %r0, 3\ndiv %r0, 1\nexit"
	for _, prof := range timing.Profiles {
		r := run(t, src, nil, Config{Profile: prof})
		c := prof.Cost
		want := uint64(prof.Entry + c[timing.ALU] + c[timing.BranchTaken] + c[timing.BranchNotTaken] +
			c[timing.Load] + c[timing.CallLocal] + c[timing.Mul] + c[timing.Div64] + c[timing.Return] + c[timing.Exit])
		if r.Cycles != want || r.Insns != 9 {
			t.Errorf("%s: %d cycles, %d insns; want %d cycles, 9 insns", prof.Name, r.Cycles, r.Insns, want)
		}
	}
}

// TestTraceRecords checks the retirement records of a short program.
func TestTraceRecords(t *testing.T) {
	p, err := isa.Assemble([]byte("mov %r0, 5\nstxdw [%r10-8], %r0\nmov %r1, 7\ncall 5\nexit"), "trace")
	if err != nil {
		t.Fatal(err)
	}
	m, err := New([]*isa.Program{p}, nil, Config{Conformance: true})
	if err != nil {
		t.Fatal(err)
	}
	var recs []Record
	m.SetTrace(func(r *Record) { recs = append(recs, *r) })
	res := m.RunMem(0, nil)
	if res.Fault != nil || len(recs) != 5 {
		t.Fatalf("fault %v, %d records", res.Fault, len(recs))
	}
	if r := recs[0]; r.Dst != 0 || r.Value != 5 || r.Cycle != 1 || r.PC != 0 {
		t.Errorf("record 0: %+v", r)
	}
	if r := recs[1]; r.MemSize != 8 || r.MemData != 5 || r.MemAddr != Pointer(RegionStack, StackSize-8) || r.Dst != -1 {
		t.Errorf("record 1: %+v", r)
	}
	if r := recs[3]; r.Helper != 5 || r.Dst != 0 || r.Value != 7 || r.Args[0] != 7 || r.Ret != 7 {
		t.Errorf("record 3: %+v", r)
	}
	if r := recs[4]; !r.Exit || r.Cycle != res.Cycles {
		t.Errorf("record 4: %+v (run: %d cycles)", r, res.Cycles)
	}
}

// TestHotCycles checks that the per-instruction cycle counts add up to the
// run's cycles and that executions are counted per slot.
func TestHotCycles(t *testing.T) {
	p, err := isa.Assemble([]byte("mov %r0, 0\nmov %r1, 3\nloop:\nadd %r0, 1\nsub %r1, 1\njne %r1, 0, loop\ncall local f\nexit\nf:\nmul %r0, 2\nexit"), "hot")
	if err != nil {
		t.Fatal(err)
	}
	m, err := New([]*isa.Program{p}, nil, Config{Hot: true})
	if err != nil {
		t.Fatal(err)
	}
	r := m.RunMem(0, nil)
	var sum uint64
	for _, c := range m.HotCycles[0] {
		sum += c
	}
	if sum != r.Cycles || m.Hot[0][2] != 3 || m.Hot[0][0] != 1 {
		t.Errorf("hot cycles add to %d (run: %d); executions %v", sum, r.Cycles, m.Hot[0])
	}
}
