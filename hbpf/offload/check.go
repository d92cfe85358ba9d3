package offload

import (
	"fmt"
	"math/bits"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/rtl"
	"github.com/hbpf/hbpf/hbpf/sim"
	"github.com/hbpf/hbpf/hbpf/sim/timing"
)

// Blocker is one reason a program cannot run on the core.
type Blocker struct {
	Slot   int    `json:"slot"`             // instruction slot, or -1 for the program as a whole
	Insn   string `json:"insn,omitempty"`   // the instruction, disassembled
	Source string `json:"source,omitempty"` // C source line (BTF), if known
	Reason string `json:"reason"`
}

func (b Blocker) String() string {
	s := b.Reason
	if b.Slot >= 0 {
		s = fmt.Sprintf("insn %d `%s`: %s", b.Slot, b.Insn, b.Reason)
	}
	if b.Source != "" {
		s += " (" + b.Source + ")"
	}
	return s
}

// Features is the inventory of what a program uses.
type Features struct {
	Slots        int            `json:"slots"`         // program size in 8-byte slots
	Insns        int            `json:"insns"`         // instructions (lddw counts once)
	Classes      map[string]int `json:"classes"`       // static instruction count per timing class
	Helpers      []HelperUse    `json:"helpers"`       // helpers called, by id
	Maps         []MapUse       `json:"maps"`          // maps referenced by the object
	StackBytes   int            `json:"stack_bytes"`   // deepest stack offset below r10 seen (estimate)
	LocalCalls   int            `json:"local_calls"`   // bpf-to-bpf call sites
	CallDepth    int            `json:"call_depth"`    // deepest bpf-to-bpf call chain (frames)
	TailCalls    int            `json:"tail_calls"`    // bpf_tail_call sites
	GlobalData   []string       `json:"global_data"`   // .rodata/.data/.bss maps
	MapMemBytes  int            `json:"map_mem_bytes"` // total value and key storage of all maps
	UsesAtomics  bool           `json:"uses_atomics"`
	UsesDivision bool           `json:"uses_division"`
}

// HelperUse is one helper a program calls.
type HelperUse struct {
	ID    int32  `json:"id"`
	Name  string `json:"name"`
	Sites int    `json:"sites"`
}

// MapUse is one map of the object.
type MapUse struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	KeySize    uint32 `json:"key_size"`
	ValueSize  uint32 `json:"value_size"`
	MaxEntries uint32 `json:"max_entries"`
	Bytes      int    `json:"bytes"`
}

// Core describes the target core. The hardware's own limits (helpers and map
// types in hardware, memory sizes) come from the RTL generator's check for
// the core specialised to the program, sized from its map specs.
type Core struct {
	Name         string
	StackFrame   int // bytes per frame
	MaxCallDepth int
	// RTL is the generator configuration the program is checked against;
	// Prog and Maps are filled in from the program being evaluated.
	RTL rtl.Config
}

// DefaultCore is the hbpf core with 512-byte frames and 8 frames, specialised
// to the program (its code in ROM, memories sized from its maps).
var DefaultCore = Core{Name: "hbpf", StackFrame: sim.StackFrame, MaxCallDepth: sim.MaxCallDepth}

// Inventory lists the features program p of obj uses.
func Inventory(obj *isa.Object, p *isa.Program) Features {
	f := Features{Slots: p.NumSlots(), Insns: len(p.Insns), Classes: map[string]int{}}
	helpers := map[int32]int{}
	for i := range p.Insns {
		in := &p.Insns[i]
		f.Classes[timing.ClassOf(in).String()]++
		switch in.Op {
		case isa.OpCall:
			helpers[int32(in.Imm)]++
			if asm.BuiltinFunc(in.Imm) == asm.FnTailCall {
				f.TailCalls++
			}
		case isa.OpCallLocal:
			f.LocalCalls++
		case isa.OpAtomic:
			f.UsesAtomics = true
		case isa.OpDiv, isa.OpSDiv, isa.OpMod, isa.OpSMod:
			f.UsesDivision = true
		}
	}
	ids := make([]int32, 0, len(helpers))
	for id := range helpers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(a, b int) bool { return ids[a] < ids[b] })
	for _, id := range ids {
		f.Helpers = append(f.Helpers, HelperUse{ID: id, Name: sim.HelperName(id), Sites: helpers[id]})
	}
	for _, m := range obj.Maps {
		b := int(m.MaxEntries) * int(m.KeySize+m.ValueSize)
		if m.Type == ebpf.RingBuf {
			b = int(m.MaxEntries)
		}
		f.Maps = append(f.Maps, MapUse{Name: m.Name, Type: m.Type.String(), KeySize: m.KeySize, ValueSize: m.ValueSize, MaxEntries: m.MaxEntries, Bytes: b})
		f.MapMemBytes += b
		if m.ReadOnly || isGlobalData(m.Name) {
			f.GlobalData = append(f.GlobalData, m.Name)
		}
	}
	f.StackBytes = stackDepth(p)
	f.CallDepth = callDepth(p)
	return f
}

func isGlobalData(name string) bool {
	for _, pre := range []string{".rodata", ".data", ".bss"} {
		if len(name) >= len(pre) && name[:len(pre)] == pre {
			return true
		}
	}
	return false
}

// stackDepth estimates the deepest stack byte a function touches: accesses
// through r10 and through registers copied from r10 and offset by a constant.
func stackDepth(p *isa.Program) int {
	deepest := 0
	var fp [isa.NumRegs]int64 // offset from r10 of registers derived from it
	var isFP [isa.NumRegs]bool
	for i := range p.Insns {
		in := &p.Insns[i]
		if in.Op.IsJump() || in.Op == isa.OpCallLocal || in.Op == isa.OpExit {
			isFP = [isa.NumRegs]bool{}
		}
		base := -1
		switch in.Op {
		case isa.OpLdx, isa.OpLdxs, isa.OpAtomic:
			if in.Op == isa.OpAtomic {
				base = int(in.Dst)
			} else {
				base = int(in.Src)
			}
		case isa.OpSt, isa.OpStx:
			base = int(in.Dst)
		}
		if base >= 0 {
			off := int64(in.Off)
			if base == 10 {
				deepest = max(deepest, int(-off))
			} else if isFP[base] {
				deepest = max(deepest, int(-(fp[base] + off)))
			}
		}
		switch {
		case in.Op == isa.OpMov && in.RegSrc && !in.ALU32 && in.Src == 10:
			isFP[in.Dst], fp[in.Dst] = true, 0
		case in.Op == isa.OpMov && in.RegSrc && !in.ALU32 && isFP[in.Src]:
			isFP[in.Dst], fp[in.Dst] = true, fp[in.Src]
		case in.Op == isa.OpAdd && !in.RegSrc && !in.ALU32 && isFP[in.Dst]:
			fp[in.Dst] += in.Imm
			deepest = max(deepest, int(-fp[in.Dst]))
		case in.Op == isa.OpSub && !in.RegSrc && !in.ALU32 && isFP[in.Dst]:
			fp[in.Dst] -= in.Imm
			deepest = max(deepest, int(-fp[in.Dst]))
		default:
			if w := in.WrittenReg(); w >= 0 {
				isFP[w] = false
			}
			if in.Op == isa.OpCall {
				for r := 0; r <= 5; r++ {
					isFP[r] = false
				}
			}
		}
	}
	return deepest
}

// callDepth returns the deepest chain of bpf-to-bpf calls, in frames
// (1 = no calls), or MaxCallDepth+1 for recursion.
func callDepth(p *isa.Program) int {
	// Functions start at slot 0 and at every local-call target.
	starts := map[int]bool{0: true}
	for i := range p.Insns {
		if p.Insns[i].Op == isa.OpCallLocal {
			starts[p.Insns[i].Target] = true
		}
	}
	var sorted []int
	for s := range starts {
		sorted = append(sorted, s)
	}
	sort.Ints(sorted)
	fnOf := func(slot int) int {
		f := 0
		for _, s := range sorted {
			if s <= slot {
				f = s
			}
		}
		return f
	}
	callees := map[int][]int{}
	for i := range p.Insns {
		if in := &p.Insns[i]; in.Op == isa.OpCallLocal {
			callees[fnOf(in.Slot)] = append(callees[fnOf(in.Slot)], in.Target)
		}
	}
	var depth func(fn int, seen map[int]bool) int
	depth = func(fn int, seen map[int]bool) int {
		if seen[fn] {
			return sim.MaxCallDepth + 1
		}
		seen[fn] = true
		d := 1
		for _, c := range callees[fn] {
			d = max(d, 1+depth(c, seen))
		}
		delete(seen, fn)
		return min(d, sim.MaxCallDepth+1)
	}
	return depth(0, map[int]bool{})
}

// Check returns what stops program p of obj from running on core c.
func Check(obj *isa.Object, p *isa.Program, f Features, c Core) []Blocker {
	var bs []Blocker
	if f.StackBytes > c.StackFrame {
		bs = append(bs, Blocker{Slot: -1, Reason: fmt.Sprintf("stack use of %d bytes exceeds the %d-byte frame", f.StackBytes, c.StackFrame)})
	}
	if f.CallDepth > c.MaxCallDepth {
		bs = append(bs, Blocker{Slot: -1, Reason: fmt.Sprintf("bpf-to-bpf call depth %d exceeds %d frames (or recursion)", f.CallDepth, c.MaxCallDepth)})
	}
	cfg, progs, which := rtlConfig(obj, p, f, c)
	for _, u := range cfg.UnsupportedObject(progs, which, obj.Maps) {
		bs = append(bs, blockerFrom(p, strings.TrimPrefix(u, "not offloadable: ")))
	}
	for _, err := range obj.Unsupported {
		bs = append(bs, Blocker{Slot: -1, Reason: err.Error()})
	}
	return bs
}

// DeadFeature is a feature the hardware lacks that is no blocker, as it sits
// in code that cannot run with the object's read-only data: the verifier
// prunes a branch on frozen .rodata (a "const volatile" flag that is off), and
// so does the check. Should a loader set the .rodata so that the code runs, the
// core traps there (cause 7, unknown helper).
type DeadFeature struct {
	Slot    int    `json:"slot"`             // instruction slot of the first such site
	Insn    string `json:"insn,omitempty"`   // the instruction, disassembled
	Source  string `json:"source,omitempty"` // C source line (BTF), if known
	Feature string `json:"feature"`          // "helper 6 bpf_trace_printk", "callx"
	Why     string `json:"why"`              // why it cannot run: "the branch at slot 78 always jumps (.rodata+4 = 0)"
	// WhySource is the C source line of the instruction Why names (the
	// branch on the .rodata value), if known.
	WhySource string `json:"why_source,omitempty"`
}

func (d DeadFeature) String() string {
	s := d.Feature
	if d.Slot >= 0 {
		s = fmt.Sprintf("insn %d `%s`: %s", d.Slot, d.Insn, d.Feature)
	}
	if d.Source != "" {
		s += " (" + d.Source + ")"
	}
	s += ", which cannot run: " + d.Why
	if d.WhySource != "" {
		s += " (" + d.WhySource + ")"
	}
	return s
}

// DeadCode lists what the hardware lacks in code of program p that cannot run
// with the object's read-only data, for core c. These are not blockers.
func DeadCode(obj *isa.Object, p *isa.Program, f Features, c Core) []DeadFeature {
	cfg, progs, which := rtlConfig(obj, p, f, c)
	var ds []DeadFeature
	for _, line := range cfg.DeadCode(progs, which, obj.Maps) {
		ds = append(ds, deadFrom(p, line))
	}
	return ds
}

// rtlConfig is the RTL generator's configuration for program p of obj on core
// c, with the programs it is checked among and its index there: tail calls
// reach the object's other programs, which must then be in the program memory
// too; otherwise the program is alone.
func rtlConfig(obj *isa.Object, p *isa.Program, f Features, c Core) (cfg rtl.Config, progs []*isa.Program, which int) {
	progs = []*isa.Program{p}
	cfg = c.RTL
	cfg.Prog, cfg.Maps = p, obj.Maps
	if f.TailCalls > 0 && len(obj.Programs) > 1 {
		progs = obj.Programs
		for i, q := range obj.Programs {
			if q == p {
				which = i
			}
		}
		if cfg.ProgAW == 0 {
			cfg.ProgAW = max(2, bits.Len(uint(totalSlots(obj)-1)))
		}
		if cfg.NumProgs == 0 {
			cfg.NumProgs = len(obj.Programs)
		}
	}
	return cfg, progs, which
}

// deadRE splits the RTL's dead-code line "helper 6 bpf_trace_printk (slot 87):
// dead: the branch at slot 78 always jumps (.rodata+4 = 0)".
var deadRE = regexp.MustCompile(`^(.*?) \(slot \d+\): (?:dead: )?(.*)$`)

// deadFrom locates the RTL's dead-code line at its instruction.
func deadFrom(p *isa.Program, line string) DeadFeature {
	b := blockerFrom(p, line)
	d := DeadFeature{Slot: b.Slot, Insn: b.Insn, Source: b.Source, Feature: line, Why: "it cannot run with the object's read-only data"}
	if m := deadRE.FindStringSubmatch(line); m != nil {
		d.Feature, d.Why = m[1], m[2]
		d.WhySource = blockerFrom(p, d.Why).Source
	}
	return d
}

var slotRE = regexp.MustCompile(`\bslots? (\d+)`)

// blockerFrom locates the hardware's reason at its instruction, when it names
// a slot, so the report can show the instruction and its C line.
func blockerFrom(p *isa.Program, reason string) Blocker {
	b := Blocker{Slot: -1, Reason: reason}
	m := slotRE.FindStringSubmatch(reason)
	if m == nil {
		return b
	}
	slot, _ := strconv.Atoi(m[1])
	in := p.At(slot)
	if in == nil {
		return b
	}
	b.Slot, b.Insn, b.Source = slot, isa.Format(in, isa.SyntaxConformance), sourceAt(p, slot)
	return b
}

// sourceAt is the C source line of the instruction at slot: BTF line info is
// set on the first instruction of each line and applies until the next one
// that has it; line 0 is code the compiler made up.
func sourceAt(p *isa.Program, slot int) string {
	for i := p.IndexOf(slot); i >= 0; i-- {
		if l := p.Insns[i].Source; l != nil {
			if l.Line == 0 {
				return ""
			}
			return fmt.Sprintf("%s:%d: %s", l.File, l.Line, strings.TrimSpace(l.Text))
		}
	}
	return ""
}

func totalSlots(obj *isa.Object) int {
	n := 0
	for _, p := range obj.Programs {
		n += p.NumSlots()
	}
	return n
}
