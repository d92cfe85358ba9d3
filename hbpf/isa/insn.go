package isa

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
)

// SlotSize is the size of one raw instruction slot in bytes.
const SlotSize = asm.InstructionSize

// NumRegs is the number of architectural registers (r0–r10).
const NumRegs = 11

// Insn is one decoded, validated instruction.
type Insn struct {
	Slot   int      // index of the instruction's first 8-byte slot
	Op     Op       // what the instruction computes
	ALU32  bool     // 32-bit ALU, JMP32 comparison, or 32-bit atomic
	RegSrc bool     // the source operand is register Src rather than Imm
	Dst    uint8    // destination register (r0–r10)
	Src    uint8    // source register (r0–r10); for lddw the pseudo kind
	Off    int16    // memory offset or jump offset as encoded (0 for sdiv/smod/movsx)
	Imm    int64    // immediate: sign-extended imm32, or lddw's 64-bit value
	Size   uint8    // bytes accessed (loads, stores, atomics); width of le/be/bswap/movsx source
	Atomic AtomicOp // atomic operation (OpAtomic)
	Fetch  bool     // atomic returns the old value (fetch variants, xchg, cmpxchg)
	Target int      // target slot of jumps and local calls; -1 otherwise

	// Filled by the ELF loader when the object carries them.
	Ref    string // symbol referenced through a relocation (map or global data name)
	Source *Line  // BTF line info of the C source
}

// Line is a source line from BTF line info.
type Line struct {
	File string
	Line int
	Text string
}

// Slots returns how many 8-byte slots the instruction occupies (2 for lddw).
func (in *Insn) Slots() int {
	if in.Op == OpLddw {
		return 2
	}
	return 1
}

// Pseudo returns lddw's pseudo-source kind (the src field), see PseudoMapFD etc.
func (in *Insn) Pseudo() uint8 { return in.Src }

// WrittenReg returns the register the instruction writes, or -1. ALU ops, lddw
// and loads write Dst; fetching atomics write Src (cmpxchg writes r0); calls write
// r0 (and clobber r1–r5, which is not reported here).
func (in *Insn) WrittenReg() int {
	switch {
	case in.Op.IsALU(), in.Op == OpLddw, in.Op == OpLdx, in.Op == OpLdxs:
		return int(in.Dst)
	case in.Op == OpAtomic && in.Atomic == AtomicCmpXchg:
		return 0
	case in.Op == OpAtomic && in.Fetch:
		return int(in.Src)
	case in.Op == OpCall, in.Op == OpCallx, in.Op == OpLdAbs, in.Op == OpLdInd:
		return 0
	}
	return -1
}

// Program is a sequence of decoded instructions with explicit slot indexing.
type Program struct {
	Name    string // program (function) name, if known
	Section string // ELF section, e.g. "xdp"; empty for raw bytecode
	// Type is the program type the ELF section implies (ebpf.XDP is what hbpf
	// simulates); ebpf.UnspecifiedProgram for raw bytecode.
	Type  ebpf.ProgramType
	Insns []Insn

	slotIndex []int32 // slot → index into Insns; -1 for the second slot of lddw
}

// NumSlots returns the length of the program in 8-byte slots.
func (p *Program) NumSlots() int { return len(p.slotIndex) }

// IndexOf returns the index in p.Insns of the instruction starting at slot, or -1
// if slot is out of range or the second half of an lddw.
func (p *Program) IndexOf(slot int) int {
	if slot < 0 || slot >= len(p.slotIndex) {
		return -1
	}
	return int(p.slotIndex[slot])
}

// At returns the instruction starting at slot, or nil.
func (p *Program) At(slot int) *Insn {
	if i := p.IndexOf(slot); i >= 0 {
		return &p.Insns[i]
	}
	return nil
}

// DecodeError is a rejected encoding: the slot it starts at and why.
type DecodeError struct {
	Slot   int    // instruction slot index
	Reason string // what is wrong
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("instruction %d (byte offset %d): %s", e.Slot, e.Slot*SlotSize, e.Reason)
}

// ErrInvalid is wrapped by every decode and validation error.
var ErrInvalid = errors.New("invalid program")

// Unwrap makes DecodeError match ErrInvalid.
func (e *DecodeError) Unwrap() error { return ErrInvalid }

func errAt(slot int, format string, args ...any) error {
	return &DecodeError{Slot: slot, Reason: fmt.Sprintf(format, args...)}
}

// Decode decodes and validates little-endian raw bytecode.
func Decode(code []byte) (*Program, error) {
	if len(code) == 0 {
		return nil, errAt(0, "empty program")
	}
	if rem := len(code) % SlotSize; rem != 0 {
		return nil, errAt(len(code)/SlotSize, "%d trailing bytes: bytecode length %d is not a multiple of %d", rem, len(code), SlotSize)
	}
	nslots := len(code) / SlotSize
	p := &Program{slotIndex: make([]int32, nslots)}
	r := bytes.NewReader(code)
	for slot := 0; slot < nslots; {
		var raw asm.Instruction
		if err := raw.Unmarshal(r, binary.LittleEndian, "linux"); err != nil {
			return nil, errAt(slot, "%v", err)
		}
		in, err := classify(&raw, code[slot*SlotSize:(slot+1)*SlotSize])
		if err != nil {
			return nil, errAt(slot, "%v", err)
		}
		in.Slot = slot
		if w := in.WrittenReg(); w == 10 {
			return nil, errAt(slot, "%s writes r10, which is read-only", in.Op)
		}
		p.slotIndex[slot] = int32(len(p.Insns))
		if in.Op == OpLddw {
			p.slotIndex[slot+1] = -1
		}
		p.Insns = append(p.Insns, in)
		slot += in.Slots()
	}
	if err := p.resolve(); err != nil {
		return nil, err
	}
	return p, nil
}

// resolve computes and checks jump and call targets.
func (p *Program) resolve() error {
	for i := range p.Insns {
		in := &p.Insns[i]
		var rel int64
		switch {
		case in.Op == OpJa && in.ALU32: // gotol
			rel = in.Imm
		case in.Op.IsJump():
			rel = int64(in.Off)
		case in.Op == OpCallLocal:
			rel = in.Imm
		case in.Op == OpLddw && in.Src == PseudoFunc:
			// The kernel resolves the callee as slot + imm + 1 (verifier
			// add_subprog), i.e. relative to the lddw's second slot.
			rel = int64(int32(in.Imm)) - 1
		default:
			in.Target = -1
			continue
		}
		t := int64(in.Slot) + int64(in.Slots()) + rel
		if t < 0 || t >= int64(len(p.slotIndex)) {
			return errAt(in.Slot, "%s target %+d leads to slot %d, outside the program (0–%d)", in.Op, rel, t, len(p.slotIndex)-1)
		}
		if p.slotIndex[t] < 0 {
			return errAt(in.Slot, "%s target %+d leads into the second half of the lddw at slot %d", in.Op, rel, t-1)
		}
		in.Target = int(t)
	}
	return nil
}

// classify turns cilium/ebpf's decoding into an Insn and rejects invalid encodings.
// raw8 is the instruction's first raw slot, used to check reserved fields that the
// asm package folds into the opcode.
func classify(ri *asm.Instruction, raw8 []byte) (Insn, error) {
	opc := raw8[0]
	dst, src := raw8[1]&0xf, raw8[1]>>4
	off := int16(binary.LittleEndian.Uint16(raw8[2:]))
	imm := int32(binary.LittleEndian.Uint32(raw8[4:]))
	in := Insn{Dst: dst, Src: src, Off: off, Imm: int64(imm), Target: -1}
	if dst >= NumRegs {
		return in, fmt.Errorf("invalid destination register r%d (opcode 0x%02x)", dst, opc)
	}
	if src >= NumRegs && !(asm.Class(opc&7) == asm.LdClass) {
		return in, fmt.Errorf("invalid source register r%d (opcode 0x%02x)", src, opc)
	}
	oc := ri.OpCode
	cls := oc.Class()
	switch cls {
	case asm.ALUClass, asm.ALU64Class:
		return in, classifyALU(&in, opc, cls == asm.ALUClass)
	case asm.JumpClass, asm.Jump32Class:
		return in, classifyJump(&in, opc, cls == asm.Jump32Class)
	case asm.LdClass:
		switch asm.Mode(opc & 0xe0) {
		case asm.ImmMode:
			if opc != 0x18 {
				return in, fmt.Errorf("unknown opcode 0x%02x (lddw must be 64-bit, opcode 0x18)", opc)
			}
			if off != 0 {
				return in, fmt.Errorf("lddw has non-zero offset %d", off)
			}
			if src > PseudoMapIdxValu {
				return in, fmt.Errorf("lddw has unknown pseudo source %d", src)
			}
			in.Op, in.Imm, in.Size = OpLddw, ri.Constant, 8
		case asm.AbsMode, asm.IndMode:
			if in.Size = sizeBytes(opc); in.Size == 8 {
				return in, fmt.Errorf("legacy packet load with size dw (opcode 0x%02x)", opc)
			}
			in.Op = OpLdAbs
			if asm.Mode(opc&0xe0) == asm.IndMode {
				in.Op = OpLdInd
				if src >= NumRegs {
					return in, fmt.Errorf("invalid source register r%d (opcode 0x%02x)", src, opc)
				}
			} else if src != 0 {
				return in, fmt.Errorf("ld_abs has non-zero source register r%d", src)
			}
			if dst != 0 || off != 0 {
				return in, fmt.Errorf("legacy packet load has non-zero reserved fields")
			}
		default:
			return in, fmt.Errorf("unknown opcode 0x%02x (load mode 0x%02x)", opc, opc&0xe0)
		}
	case asm.LdXClass:
		in.Size = sizeBytes(opc)
		switch asm.Mode(opc & 0xe0) {
		case asm.MemMode:
			in.Op = OpLdx
		case asm.MemSXMode:
			if in.Size == 8 {
				return in, fmt.Errorf("unknown opcode 0x%02x (no sign-extending dw load)", opc)
			}
			in.Op = OpLdxs
		default:
			return in, fmt.Errorf("unknown opcode 0x%02x (ldx mode 0x%02x)", opc, opc&0xe0)
		}
		if imm != 0 {
			return in, fmt.Errorf("load has non-zero immediate %d", imm)
		}
	case asm.StClass:
		if asm.Mode(opc&0xe0) != asm.MemMode {
			return in, fmt.Errorf("unknown opcode 0x%02x (st mode 0x%02x)", opc, opc&0xe0)
		}
		if src != 0 {
			return in, fmt.Errorf("store immediate has non-zero source register r%d", src)
		}
		in.Op, in.Size = OpSt, sizeBytes(opc)
	case asm.StXClass:
		in.Size = sizeBytes(opc)
		switch asm.Mode(opc & 0xe0) {
		case asm.MemMode:
			in.Op = OpStx
			if imm != 0 {
				return in, fmt.Errorf("store has non-zero immediate %d", imm)
			}
		case asm.AtomicMode:
			if in.Size != 4 && in.Size != 8 {
				return in, fmt.Errorf("atomic operation on %d bytes (only 4 and 8)", in.Size)
			}
			in.Op, in.ALU32 = OpAtomic, in.Size == 4
			fetch := imm&0x01 != 0
			switch imm &^ 0x01 {
			case 0x00:
				in.Atomic = AtomicAdd
			case 0x40:
				in.Atomic = AtomicOr
			case 0x50:
				in.Atomic = AtomicAnd
			case 0xa0:
				in.Atomic = AtomicXor
			case 0xe0:
				in.Atomic = AtomicXchg
			case 0xf0:
				in.Atomic = AtomicCmpXchg
			default:
				return in, fmt.Errorf("unknown atomic operation imm 0x%x", imm)
			}
			if (in.Atomic == AtomicXchg || in.Atomic == AtomicCmpXchg) && !fetch {
				return in, fmt.Errorf("atomic %s without fetch flag (imm 0x%x)", in.Atomic, imm)
			}
			in.Fetch = fetch
		default:
			return in, fmt.Errorf("unknown opcode 0x%02x (stx mode 0x%02x)", opc, opc&0xe0)
		}
	}
	return in, nil
}

func sizeBytes(opc byte) uint8 {
	switch asm.Size(opc & 0x18) {
	case asm.Byte:
		return 1
	case asm.Half:
		return 2
	case asm.Word:
		return 4
	}
	return 8
}

var aluOps = [16]Op{OpAdd, OpSub, OpMul, OpDiv, OpOr, OpAnd, OpLsh, OpRsh, OpNeg, OpMod, OpXor, OpMov, OpArsh, OpLE, OpInvalid, OpInvalid}

func classifyALU(in *Insn, opc byte, alu32 bool) error {
	in.ALU32 = alu32
	in.RegSrc = opc&0x08 != 0
	op := aluOps[opc>>4]
	if op == OpInvalid {
		return fmt.Errorf("unknown ALU opcode 0x%02x", opc)
	}
	in.Op = op
	if op == OpLE { // END
		in.RegSrc = false
		switch in.Imm {
		case 16, 32, 64:
			in.Size = uint8(in.Imm / 8)
		default:
			return fmt.Errorf("byte swap width %d (must be 16, 32 or 64)", in.Imm)
		}
		switch {
		case !alu32 && opc&0x08 != 0:
			return fmt.Errorf("unknown opcode 0x%02x (bswap has no register form)", opc)
		case !alu32:
			in.Op, in.ALU32 = OpBswap, false
		case opc&0x08 != 0:
			in.Op = OpBE
		}
		if in.Src != 0 || in.Off != 0 {
			return fmt.Errorf("byte swap has non-zero reserved fields (src r%d, offset %d)", in.Src, in.Off)
		}
		return nil
	}
	wantOff := int16(0)
	switch op {
	case OpDiv, OpMod:
		if in.Off == 1 {
			in.Op, wantOff = map[Op]Op{OpDiv: OpSDiv, OpMod: OpSMod}[op], 1
		}
	case OpMov:
		if in.RegSrc && (in.Off == 8 || in.Off == 16 || (in.Off == 32 && !alu32)) {
			in.Op, in.Size, wantOff = OpMovSX, uint8(in.Off/8), in.Off
		}
	case OpNeg:
		if in.RegSrc {
			return fmt.Errorf("unknown opcode 0x%02x (neg has no register form)", opc)
		}
		if in.Imm != 0 {
			return fmt.Errorf("neg has non-zero immediate %d", in.Imm)
		}
	}
	if in.Off != wantOff {
		return fmt.Errorf("%s has non-zero offset %d", op, in.Off)
	}
	in.Off = 0
	if in.RegSrc && in.Imm != 0 {
		return fmt.Errorf("%s with register source has non-zero immediate %d", in.Op, in.Imm)
	}
	if !in.RegSrc && in.Src != 0 {
		return fmt.Errorf("%s with immediate source has non-zero source register r%d", in.Op, in.Src)
	}
	return nil
}

var jmpOps = [16]Op{OpJa, OpJeq, OpJgt, OpJge, OpJset, OpJne, OpJsgt, OpJsge, OpCall, OpExit, OpJlt, OpJle, OpJslt, OpJsle, OpInvalid, OpInvalid}

func classifyJump(in *Insn, opc byte, jmp32 bool) error {
	in.ALU32 = jmp32
	in.RegSrc = opc&0x08 != 0
	op := jmpOps[opc>>4]
	if op == OpInvalid {
		return fmt.Errorf("unknown jump opcode 0x%02x", opc)
	}
	in.Op = op
	switch op {
	case OpJa:
		if in.RegSrc || in.Dst != 0 || in.Src != 0 {
			return fmt.Errorf("ja has non-zero reserved fields")
		}
		if jmp32 {
			if in.Off != 0 {
				return fmt.Errorf("gotol has non-zero offset %d", in.Off)
			}
		} else if in.Imm != 0 {
			return fmt.Errorf("ja has non-zero immediate %d", in.Imm)
		}
		return nil
	case OpCall:
		if jmp32 {
			return fmt.Errorf("unknown opcode 0x%02x (call in JMP32 class)", opc)
		}
		if in.Off != 0 {
			return fmt.Errorf("call has non-zero offset %d", in.Off)
		}
		if in.RegSrc {
			in.Op, in.RegSrc = OpCallx, false
			if in.Src != 0 || in.Imm != 0 {
				return fmt.Errorf("callx has non-zero reserved fields")
			}
			return nil
		}
		if in.Dst != 0 {
			return fmt.Errorf("call has non-zero destination register r%d", in.Dst)
		}
		switch in.Src {
		case 0:
		case 1:
			in.Op = OpCallLocal
		case 2:
			return fmt.Errorf("kfunc calls (call with src 2) are not supported")
		default:
			return fmt.Errorf("call has unknown source %d", in.Src)
		}
		return nil
	case OpExit:
		if jmp32 || in.RegSrc {
			return fmt.Errorf("unknown opcode 0x%02x (exit must be 0x95)", opc)
		}
		if in.Dst != 0 || in.Src != 0 || in.Off != 0 || in.Imm != 0 {
			return fmt.Errorf("exit has non-zero reserved fields")
		}
		return nil
	}
	if in.RegSrc && in.Imm != 0 {
		return fmt.Errorf("%s with register source has non-zero immediate %d", op, in.Imm)
	}
	if !in.RegSrc && in.Src != 0 {
		return fmt.Errorf("%s with immediate source has non-zero source register r%d", op, in.Src)
	}
	return nil
}

// Encode returns the little-endian raw bytecode of the program.
func (p *Program) Encode() []byte {
	var buf bytes.Buffer
	for i := range p.Insns {
		buf.Write(p.Insns[i].Encode())
	}
	return buf.Bytes()
}

// Encode returns the raw bytes of one instruction (16 for lddw).
func (in *Insn) Encode() []byte {
	b := make([]byte, SlotSize*in.Slots())
	b[0] = in.Opcode()
	b[1] = in.Dst | in.Src<<4
	off := in.Off
	imm := uint32(in.Imm)
	switch in.Op {
	case OpSDiv, OpSMod:
		off = 1
	case OpMovSX:
		off = int16(in.Size) * 8
	case OpLE, OpBE, OpBswap:
		imm = uint32(in.Size) * 8
	case OpAtomic:
		imm = atomicImm[in.Atomic]
		if in.Fetch {
			imm |= 1
		}
	}
	binary.LittleEndian.PutUint16(b[2:], uint16(off))
	binary.LittleEndian.PutUint32(b[4:], imm)
	if in.Op == OpLddw {
		binary.LittleEndian.PutUint32(b[12:], uint32(uint64(in.Imm)>>32))
	}
	return b
}

var atomicImm = [...]uint32{AtomicAdd: 0x00, AtomicOr: 0x40, AtomicAnd: 0x50, AtomicXor: 0xa0, AtomicXchg: 0xe0, AtomicCmpXchg: 0xf0}

var aluCode = map[Op]byte{OpAdd: 0x00, OpSub: 0x10, OpMul: 0x20, OpDiv: 0x30, OpSDiv: 0x30, OpOr: 0x40,
	OpAnd: 0x50, OpLsh: 0x60, OpRsh: 0x70, OpNeg: 0x80, OpMod: 0x90, OpSMod: 0x90, OpXor: 0xa0,
	OpMov: 0xb0, OpMovSX: 0xb0, OpArsh: 0xc0, OpLE: 0xd0, OpBE: 0xd8, OpBswap: 0xd0}

var jmpCode = map[Op]byte{OpJa: 0x00, OpJeq: 0x10, OpJgt: 0x20, OpJge: 0x30, OpJset: 0x40, OpJne: 0x50,
	OpJsgt: 0x60, OpJsge: 0x70, OpCall: 0x80, OpCallLocal: 0x80, OpCallx: 0x88, OpExit: 0x90,
	OpJlt: 0xa0, OpJle: 0xb0, OpJslt: 0xc0, OpJsle: 0xd0}

var sizeCode = [9]byte{1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18}

// Opcode returns the instruction's opcode byte.
func (in *Insn) Opcode() byte {
	var src byte
	if in.RegSrc {
		src = 0x08
	}
	switch {
	case in.Op.IsALU():
		cls := byte(asm.ALU64Class)
		if in.ALU32 {
			cls = byte(asm.ALUClass)
		}
		return cls | aluCode[in.Op] | src
	case in.Op >= OpJa && in.Op <= OpExit:
		cls := byte(asm.JumpClass)
		if in.ALU32 {
			cls = byte(asm.Jump32Class)
		}
		return cls | jmpCode[in.Op] | src
	}
	switch in.Op {
	case OpLddw:
		return 0x18
	case OpLdx:
		return byte(asm.LdXClass) | byte(asm.MemMode) | sizeCode[in.Size]
	case OpLdxs:
		return byte(asm.LdXClass) | byte(asm.MemSXMode) | sizeCode[in.Size]
	case OpSt:
		return byte(asm.StClass) | byte(asm.MemMode) | sizeCode[in.Size]
	case OpStx:
		return byte(asm.StXClass) | byte(asm.MemMode) | sizeCode[in.Size]
	case OpAtomic:
		return byte(asm.StXClass) | byte(asm.AtomicMode) | sizeCode[in.Size]
	case OpLdAbs:
		return byte(asm.LdClass) | byte(asm.AbsMode) | sizeCode[in.Size]
	case OpLdInd:
		return byte(asm.LdClass) | byte(asm.IndMode) | sizeCode[in.Size]
	}
	return 0
}

// Asm converts the instruction into cilium/ebpf's representation, with the
// constant set directly (see the package notes on atomics).
func (in *Insn) Asm() (asm.Instruction, error) {
	var ri asm.Instruction
	b := in.Encode()
	if err := ri.Unmarshal(bytes.NewReader(b), binary.LittleEndian, "linux"); err != nil {
		return ri, err
	}
	return ri, nil
}

// FromInsns builds a Program from a sequence of instructions, assigning slots and
// resolving targets from the encoded offsets. It validates as Decode does.
func FromInsns(insns []Insn) (*Program, error) {
	var buf bytes.Buffer
	for i := range insns {
		buf.Write(insns[i].Encode())
	}
	return Decode(buf.Bytes())
}
