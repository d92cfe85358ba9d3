package sim

import (
	"fmt"
	"strings"
)

// Cause is why the core trapped. The numbering is the hardware's trap cause
// register, shared with the RTL.
type Cause uint8

// Trap causes.
const (
	CauseNone          Cause = iota
	CauseLoadBounds          // load outside its region
	CauseStoreBounds         // store outside its region
	CauseReadOnly            // store to read-only memory (ctx, .rodata, program)
	CauseInvalidInsn         // invalid instruction reached at run time
	CauseStackOverflow       // call depth exceeded
	CauseCycleBudget         // cycle budget exceeded
	CauseUnknownHelper       // helper not implemented
	CauseHelperArg           // helper argument invalid (bad map handle, pointer out of bounds)
	CauseTailCall            // tail call the core cannot perform
	NumCauses
)

var causeNames = [NumCauses]string{"none", "load out of bounds", "store out of bounds", "write to read-only memory",
	"invalid instruction", "stack overflow", "cycle budget exceeded", "unknown helper", "invalid helper argument",
	"unsupported tail call"}

// String returns a description of the cause.
func (c Cause) String() string {
	if c < NumCauses {
		return causeNames[c]
	}
	return fmt.Sprintf("cause %d", uint8(c))
}

// Record is the co-simulation retirement record: one per retired instruction.
// The simulator produces it and the RTL's retirement port carries the same
// fields; the testbench compares them one by one.
type Record struct {
	Cycle   uint64    `json:"cycle"`              // cycles elapsed when the instruction retires
	Prog    int       `json:"prog,omitempty"`     // program index (changes on tail calls)
	PC      int       `json:"pc"`                 // slot of the instruction
	Insn    uint64    `json:"insn"`               // the instruction's first raw slot, as a little-endian word
	Dst     int8      `json:"dst"`                // register written, or -1
	Value   uint64    `json:"value"`              // value written to Dst
	MemAddr uint64    `json:"mem_addr,omitempty"` // address of a memory write
	MemSize uint8     `json:"mem_size,omitempty"` // bytes written (0: no write)
	MemData uint64    `json:"mem_data,omitempty"` // data written, zero-extended
	Helper  int32     `json:"helper"`             // helper id, or -1
	Args    [5]uint64 `json:"args,omitempty"`     // helper arguments r1–r5
	Ret     uint64    `json:"ret,omitempty"`      // helper return value
	Trap    Cause     `json:"trap,omitempty"`     // trap cause, if the instruction trapped
	Exit    bool      `json:"exit,omitempty"`     // the program exited
	Disasm  string    `json:"disasm,omitempty"`   // filled by tools for people; not compared
	Source  string    `json:"source,omitempty"`   // C source line, if known; not compared
}

// Equal reports whether two records agree on every compared field.
func (r *Record) Equal(o *Record) bool {
	return r.Cycle == o.Cycle && r.Prog == o.Prog && r.PC == o.PC && r.Insn == o.Insn && r.Dst == o.Dst &&
		(r.Dst < 0 || r.Value == o.Value) && r.MemSize == o.MemSize &&
		(r.MemSize == 0 || (r.MemAddr == o.MemAddr && r.MemData == o.MemData)) &&
		r.Helper == o.Helper && (r.Helper < 0 || (r.Args == o.Args && r.Ret == o.Ret)) &&
		r.Trap == o.Trap && r.Exit == o.Exit
}

// String formats the record as one trace line.
func (r *Record) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%8d  %4d  %016x", r.Cycle, r.PC, r.Insn)
	if r.Disasm != "" {
		fmt.Fprintf(&b, "  %-28s", r.Disasm)
	}
	if r.Dst >= 0 {
		fmt.Fprintf(&b, "  r%d=0x%x", r.Dst, r.Value)
	}
	if r.MemSize > 0 {
		fmt.Fprintf(&b, "  [0x%x]:%d=0x%x", r.MemAddr, r.MemSize, r.MemData)
	}
	if r.Helper >= 0 {
		fmt.Fprintf(&b, "  helper %d(0x%x, 0x%x, 0x%x, 0x%x, 0x%x)=0x%x", r.Helper, r.Args[0], r.Args[1], r.Args[2], r.Args[3], r.Args[4], r.Ret)
	}
	if r.Trap != CauseNone {
		fmt.Fprintf(&b, "  TRAP %s", r.Trap)
	}
	if r.Exit {
		b.WriteString("  exit")
	}
	if r.Source != "" {
		fmt.Fprintf(&b, "  ; %s", r.Source)
	}
	return b.String()
}

// Fault is a trap: the cause, where it happened, and what was accessed.
type Fault struct {
	Cause  Cause
	Prog   string // program name
	PC     int    // slot of the faulting instruction
	Addr   uint64 // address accessed, for memory faults
	Size   int    // access size
	Detail string // human-readable detail
	Source string // C source line, if known (file:line: text)
}

func (f *Fault) Error() string {
	s := fmt.Sprintf("trap at pc %d", f.PC)
	if f.Prog != "" {
		s = fmt.Sprintf("trap in %s at pc %d", f.Prog, f.PC)
	}
	s += ": " + f.Cause.String()
	if f.Detail != "" {
		s += ": " + f.Detail
	}
	if f.Source != "" {
		s += " (" + f.Source + ")"
	}
	return s
}
