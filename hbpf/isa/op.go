package isa

// Op is the semantic operation of an instruction. Width (32/64 bit), operand
// source (register or immediate) and access size are carried by [Insn]; Op says
// what is computed.
type Op uint8

// Operations. The ALU group is ordered as the RFC 9669 ALU opcodes.
const (
	OpInvalid Op = iota

	// ALU and ALU64 (Insn.ALU32 selects the 32-bit form, Insn.RegSrc the source).
	OpAdd
	OpSub
	OpMul
	OpDiv
	OpSDiv
	OpOr
	OpAnd
	OpLsh
	OpRsh
	OpNeg
	OpMod
	OpSMod
	OpXor
	OpMov
	OpMovSX // sign-extending move; Insn.Size is the source width in bytes
	OpArsh
	OpLE    // to little endian; Insn.Size is the width in bytes
	OpBE    // to big endian; Insn.Size is the width in bytes
	OpBswap // unconditional byte swap (ALU64 END); Insn.Size in bytes

	// JMP and JMP32 (Insn.ALU32 selects the 32-bit comparison).
	OpJa // goto; Insn.Target is the target slot (gotol when Insn.ALU32)
	OpJeq
	OpJgt
	OpJge
	OpJset
	OpJne
	OpJsgt
	OpJsge
	OpJlt
	OpJle
	OpJslt
	OpJsle
	OpCall      // helper call; Insn.Imm is the helper id
	OpCallLocal // bpf-to-bpf call; Insn.Target is the callee's first slot
	OpCallx     // helper call through a register (Insn.Dst holds the helper id)
	OpExit

	// Loads and stores.
	OpLddw   // 64-bit immediate (or pseudo: see Insn.Pseudo)
	OpLdx    // load Insn.Size bytes, zero-extended
	OpLdxs   // load Insn.Size bytes, sign-extended
	OpSt     // store immediate
	OpStx    // store register
	OpAtomic // atomic read-modify-write; see Insn.Atomic and Insn.Fetch
	OpLdAbs  // legacy packet load (absolute)
	OpLdInd  // legacy packet load (indirect)

	NumOps // number of operations
)

var opNames = [NumOps]string{
	OpInvalid: "invalid", OpAdd: "add", OpSub: "sub", OpMul: "mul", OpDiv: "div", OpSDiv: "sdiv",
	OpOr: "or", OpAnd: "and", OpLsh: "lsh", OpRsh: "rsh", OpNeg: "neg", OpMod: "mod", OpSMod: "smod",
	OpXor: "xor", OpMov: "mov", OpMovSX: "movsx", OpArsh: "arsh", OpLE: "le", OpBE: "be", OpBswap: "bswap",
	OpJa: "ja", OpJeq: "jeq", OpJgt: "jgt", OpJge: "jge", OpJset: "jset", OpJne: "jne", OpJsgt: "jsgt",
	OpJsge: "jsge", OpJlt: "jlt", OpJle: "jle", OpJslt: "jslt", OpJsle: "jsle", OpCall: "call",
	OpCallLocal: "call local", OpCallx: "callx", OpExit: "exit", OpLddw: "lddw", OpLdx: "ldx",
	OpLdxs: "ldxs", OpSt: "st", OpStx: "stx", OpAtomic: "atomic", OpLdAbs: "ldabs", OpLdInd: "ldind",
}

// String returns the mnemonic stem of the operation.
func (op Op) String() string {
	if op < NumOps {
		return opNames[op]
	}
	return "op?"
}

// IsALU reports whether op is an ALU/ALU64 operation.
func (op Op) IsALU() bool { return op >= OpAdd && op <= OpBswap }

// IsCondJump reports whether op is a conditional jump.
func (op Op) IsCondJump() bool { return op >= OpJeq && op <= OpJsle }

// IsJump reports whether op transfers control within the program (ja or conditional).
func (op Op) IsJump() bool { return op >= OpJa && op <= OpJsle }

// IsMemory reports whether op accesses memory through a register (ldx, st, stx, atomics).
func (op Op) IsMemory() bool { return op >= OpLdx && op <= OpAtomic }

// AtomicOp is the read-modify-write operation of an atomic instruction.
type AtomicOp uint8

// Atomic operations.
const (
	AtomicNone AtomicOp = iota
	AtomicAdd
	AtomicOr
	AtomicAnd
	AtomicXor
	AtomicXchg
	AtomicCmpXchg
)

var atomicNames = [...]string{"", "add", "or", "and", "xor", "xchg", "cmpxchg"}

// String returns the operation's name.
func (a AtomicOp) String() string {
	if int(a) < len(atomicNames) {
		return atomicNames[a]
	}
	return "atomic?"
}

// Pseudo source values of lddw (the src register field), as in the Linux UAPI.
const (
	PseudoNone       = 0 // plain 64-bit immediate
	PseudoMapFD      = 1 // BPF_PSEUDO_MAP_FD: imm is a map fd
	PseudoMapValue   = 2 // BPF_PSEUDO_MAP_VALUE: imm is a map fd, next imm an offset into its value
	PseudoBTFID      = 3 // BPF_PSEUDO_BTF_ID
	PseudoFunc       = 4 // BPF_PSEUDO_FUNC: imm is a relative slot offset of a function
	PseudoMapIdx     = 5 // BPF_PSEUDO_MAP_IDX
	PseudoMapIdxValu = 6 // BPF_PSEUDO_MAP_IDX_VALUE
)
