package randprog

import (
	"fmt"

	"github.com/hbpf/hbpf/hbpf/isa"
)

// Form names the encoding form of an instruction for coverage accounting:
// the operation with its width, operand source, access size, atomic
// operation or helper id, e.g. "alu32 sdiv x", "jmp32 jsle k", "ldxs h",
// "atomic64 fetch xor", "call 28", "lddw map_value".
func Form(in *isa.Insn) string {
	w := func(alu, alu32 string) string {
		if in.ALU32 {
			return alu32
		}
		return alu
	}
	src := "k"
	if in.RegSrc {
		src = "x"
	}
	sz := map[uint8]string{1: "b", 2: "h", 4: "w", 8: "dw"}[in.Size]
	switch {
	case in.Op == isa.OpNeg:
		return w("alu64", "alu32") + " neg"
	case in.Op == isa.OpMovSX:
		return fmt.Sprintf("%s movsx%d", w("alu64", "alu32"), 8*int(in.Size))
	case in.Op == isa.OpLE, in.Op == isa.OpBE, in.Op == isa.OpBswap:
		return fmt.Sprintf("%s%d", in.Op, 8*int(in.Size))
	case in.Op.IsALU():
		return fmt.Sprintf("%s %s %s", w("alu64", "alu32"), in.Op, src)
	case in.Op == isa.OpJa:
		return w("ja", "gotol")
	case in.Op.IsCondJump():
		return fmt.Sprintf("%s %s %s", w("jmp", "jmp32"), in.Op, src)
	case in.Op == isa.OpCall:
		return fmt.Sprintf("call %d", in.Imm)
	case in.Op == isa.OpCallLocal:
		return "call local"
	case in.Op == isa.OpLddw:
		switch in.Src {
		case isa.PseudoMapFD:
			return "lddw map_fd"
		case isa.PseudoMapValue:
			return "lddw map_value"
		}
		return "lddw"
	case in.Op == isa.OpLdx, in.Op == isa.OpLdxs, in.Op == isa.OpSt, in.Op == isa.OpStx:
		return fmt.Sprintf("%s %s", in.Op, sz)
	case in.Op == isa.OpAtomic:
		f := ""
		if in.Fetch && in.Atomic != isa.AtomicXchg && in.Atomic != isa.AtomicCmpXchg {
			f = "fetch "
		}
		return fmt.Sprintf("%s %s%s", w("atomic64", "atomic32"), f, in.Atomic)
	}
	return in.Op.String()
}

// Forms lists every form Generate can produce with all features enabled.
func Forms() []string {
	var fs []string
	for _, w := range []string{"alu64", "alu32"} {
		for _, op := range []isa.Op{isa.OpAdd, isa.OpSub, isa.OpMul, isa.OpDiv, isa.OpSDiv, isa.OpMod, isa.OpSMod,
			isa.OpOr, isa.OpAnd, isa.OpXor, isa.OpLsh, isa.OpRsh, isa.OpArsh, isa.OpMov} {
			fs = append(fs, fmt.Sprintf("%s %s k", w, op), fmt.Sprintf("%s %s x", w, op))
		}
		fs = append(fs, w+" neg", w+" movsx8", w+" movsx16")
	}
	fs = append(fs, "alu64 movsx32")
	for _, e := range []string{"le", "be", "bswap"} {
		for _, n := range []int{16, 32, 64} {
			fs = append(fs, fmt.Sprintf("%s%d", e, n))
		}
	}
	for _, w := range []string{"jmp", "jmp32"} {
		for _, op := range condOps {
			fs = append(fs, fmt.Sprintf("%s %s k", w, op), fmt.Sprintf("%s %s x", w, op))
		}
	}
	fs = append(fs, "ja", "gotol", "lddw", "lddw map_fd", "lddw map_value", "call local", "exit")
	for _, id := range []int{helperMapLookup, helperMapUpdate, helperMapDelete, helperCsumDiff, helperAdjustHead,
		helperAdjustMeta, helperAdjustTail, helperGetBuffLen, helperLoadBytes, helperStoreBytes,
		helperRingOutput, helperRingReserve, helperRingSubmit, helperRingDiscard, helperRedirect, helperRedirectMap} {
		fs = append(fs, fmt.Sprintf("call %d", id))
	}
	for _, sz := range []string{"b", "h", "w", "dw"} {
		fs = append(fs, "ldx "+sz, "st "+sz, "stx "+sz)
		if sz != "dw" {
			fs = append(fs, "ldxs "+sz)
		}
	}
	for _, w := range []string{"atomic64", "atomic32"} {
		for _, op := range []string{"add", "or", "and", "xor"} {
			fs = append(fs, fmt.Sprintf("%s %s", w, op), fmt.Sprintf("%s fetch %s", w, op))
		}
		fs = append(fs, w+" xchg", w+" cmpxchg")
	}
	return fs
}
