// Package timing is the one table of instruction and helper costs of the hbpf
// core. The simulator counts cycles from it, the RTL generator builds hardware
// that realises it, `hbpfc timing` prints it for the docs, and co-simulation
// proves that the hardware and this table agree.
package timing

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/cilium/ebpf/asm"

	"github.com/hbpf/hbpf/hbpf/isa"
)

// Class is a timing class: instructions of one class cost the same.
type Class uint8

// Timing classes.
const (
	ALU            Class = iota // add, sub, and, or, xor, mov, movsx, neg (32 and 64 bit)
	Shift                       // lsh, rsh, arsh
	Swap                        // le, be, bswap
	Mul                         // mul (32 and 64 bit)
	Div32                       // div, sdiv, mod, smod on 32 bits
	Div64                       // div, sdiv, mod, smod on 64 bits
	Lddw                        // 64-bit immediate load (two slots)
	Load                        // ldx, ldxs
	Store                       // st, stx
	Atomic                      // atomic read-modify-write, incl. xchg and cmpxchg
	Ja                          // unconditional jump, gotol
	BranchNotTaken              // conditional jump, condition false
	BranchTaken                 // conditional jump, condition true
	Call                        // helper call, before the helper's own latency
	CallLocal                   // bpf-to-bpf call
	Exit                        // exit from the program
	Return                      // exit from a bpf-to-bpf call
	LegacyLoad                  // ld_abs, ld_ind
	NumClasses
)

var classNames = [NumClasses]string{"alu", "shift", "swap", "mul", "div32", "div64", "lddw", "load", "store",
	"atomic", "ja", "branch-not-taken", "branch-taken", "call", "call-local", "exit", "return", "legacy-load"}

var classDocs = [NumClasses]string{
	"add sub and or xor mov movsx neg (ALU, ALU64)",
	"lsh rsh arsh",
	"le be bswap (16/32/64)",
	"mul, mul32",
	"div sdiv mod smod, 32-bit",
	"div sdiv mod smod, 64-bit",
	"lddw (and its pseudo forms)",
	"ldx, ldxs (any region, any size)",
	"st, stx",
	"atomic add/or/and/xor (fetch), xchg, cmpxchg",
	"ja, gotol",
	"conditional jump, not taken",
	"conditional jump, taken",
	"helper call (plus the helper's latency)",
	"bpf-to-bpf call",
	"exit from the program",
	"exit from a bpf-to-bpf call",
	"ld_abs, ld_ind (legacy)",
}

// String returns the class's name.
func (c Class) String() string {
	if c < NumClasses {
		return classNames[c]
	}
	return "class?"
}

// HelperCost is the latency of a helper in cycles: Fixed plus PerWord for every
// 8 bytes (rounded up) of the helper's variable operand — the key for map helpers,
// the buffers for csum_diff, the record for ring-buffer output, the metadata
// that xdp_adjust_head moves and the bytes that xdp_adjust_tail grows (and clears).
// The map helpers on hash maps add PerProbeWord for every 8 bytes of key compared
// while the hash unit walks the key's bucket chain (maps.Prober counts the keys),
// and on LPM tries PerPrefixLength for every prefix length a lookup tries after
// the first (maps.Walker counts them).
type HelperCost struct {
	Fixed           int
	PerWord         int
	PerProbeWord    int
	PerPrefixLength int
}

// Cycles returns the latency for an operand of n bytes.
func (h HelperCost) Cycles(n int) int { return h.Fixed + h.PerWord*((n+7)/8) }

// ProbeCycles returns the latency added by a hash-chain walk that compared
// probes keys of n bytes.
func (h HelperCost) ProbeCycles(n, probes int) int { return h.PerProbeWord * probes * ((n + 7) / 8) }

// Profile is one core configuration's timing.
type Profile struct {
	Name        string
	Description string
	Entry       int             // cycles charged once per program run before the first instruction
	Cost        [NumClasses]int // cycles per instruction of each class
	StoreByte   int             // extra cycles per byte stored by st/stx (hbpf-classic)
	Helpers     map[asm.BuiltinFunc]HelperCost
	Helper      HelperCost // latency of helpers not in Helpers
	Unsupported []Class    // classes the original core did not implement (costs are extrapolated)
}

// HelperCycles returns the latency of helper fn with an operand of n bytes.
func (p *Profile) HelperCycles(fn asm.BuiltinFunc, n int) int { return p.HelperCost(fn).Cycles(n) }

// HelperCost returns the latency terms of helper fn.
func (p *Profile) HelperCost(fn asm.BuiltinFunc) HelperCost {
	if h, ok := p.Helpers[fn]; ok {
		return h
	}
	return p.Helper
}

// MapHelperCycles returns the latency of map helper fn on a key of n bytes
// whose hash-chain walks (walks of them, for LPM tries) compared probes keys
// (0 and 0 for maps without chains).
func (p *Profile) MapHelperCycles(fn asm.BuiltinFunc, n, probes, walks int) int {
	h := p.HelperCost(fn)
	return h.Cycles(n) + h.ProbeCycles(n, probes) + h.PerPrefixLength*max(0, walks-1)
}

// ClassOf returns the timing class of an instruction. Conditional jumps are
// BranchNotTaken; use [Profile.InsnCost] for both outcomes.
func ClassOf(in *isa.Insn) Class {
	switch in.Op {
	case isa.OpLsh, isa.OpRsh, isa.OpArsh:
		return Shift
	case isa.OpLE, isa.OpBE, isa.OpBswap:
		return Swap
	case isa.OpMul:
		return Mul
	case isa.OpDiv, isa.OpSDiv, isa.OpMod, isa.OpSMod:
		if in.ALU32 {
			return Div32
		}
		return Div64
	case isa.OpLddw:
		return Lddw
	case isa.OpLdx, isa.OpLdxs:
		return Load
	case isa.OpSt, isa.OpStx:
		return Store
	case isa.OpAtomic:
		return Atomic
	case isa.OpJa:
		return Ja
	case isa.OpCall, isa.OpCallx:
		return Call
	case isa.OpCallLocal:
		return CallLocal
	case isa.OpExit:
		return Exit
	case isa.OpLdAbs, isa.OpLdInd:
		return LegacyLoad
	}
	if in.Op.IsCondJump() {
		return BranchNotTaken
	}
	return ALU
}

// InsnCost returns an instruction's cycles when it falls through and when it
// jumps (equal for all but conditional jumps). Exit is charged as Exit; the
// simulator charges Return instead when the exit ends a bpf-to-bpf call.
func (p *Profile) InsnCost(in *isa.Insn) (fall, taken int) {
	c := ClassOf(in)
	fall = p.Cost[c]
	if in.Op == isa.OpSt || in.Op == isa.OpStx {
		fall += p.StoreByte * int(in.Size)
	}
	if c == BranchNotTaken {
		return fall, p.Cost[BranchTaken]
	}
	return fall, fall
}

// Hbpf is this project's core, the one the RTL is generated for.
var Hbpf = &Profile{
	Name:        "hbpf",
	Description: "the hbpf core: in-order, 64-bit datapath, single-cycle ALU and barrel shifter, 2-cycle loads from block RAM, radix-4 divider",
	Entry:       0,
	Cost: [NumClasses]int{
		ALU: 1, Shift: 1, Swap: 1, Mul: 3, Div32: 18, Div64: 34, Lddw: 2, Load: 2, Store: 1,
		Atomic: 3, Ja: 2, BranchNotTaken: 1, BranchTaken: 2, Call: 2, CallLocal: 2, Exit: 1, Return: 2,
		LegacyLoad: 3,
	},
	Helpers: map[asm.BuiltinFunc]HelperCost{
		asm.FnMapLookupElem:     {Fixed: 4, PerWord: 1, PerProbeWord: 1, PerPrefixLength: 2},
		asm.FnMapUpdateElem:     {Fixed: 8, PerWord: 2, PerProbeWord: 1},
		asm.FnMapDeleteElem:     {Fixed: 5, PerWord: 1, PerProbeWord: 1},
		asm.FnGetPrandomU32:     {Fixed: 1},
		asm.FnKtimeGetNs:        {Fixed: 1},
		asm.FnGetSmpProcessorId: {Fixed: 1},
		asm.FnCsumDiff:          {Fixed: 2, PerWord: 2},
		asm.FnXdpAdjustHead:     {Fixed: 2, PerWord: 1},
		asm.FnXdpAdjustMeta:     {Fixed: 2},
		asm.FnXdpAdjustTail:     {Fixed: 2, PerWord: 1},
		asm.FnRedirect:          {Fixed: 1},
		asm.FnRedirectMap:       {Fixed: 3, PerProbeWord: 1},
		asm.FnTailCall:          {Fixed: 3},
		asm.FnRingbufOutput:     {Fixed: 4, PerWord: 1},
		asm.FnRingbufReserve:    {Fixed: 3},
		asm.FnRingbufSubmit:     {Fixed: 2},
		asm.FnRingbufDiscard:    {Fixed: 2},
		asm.FnTracePrintk:       {Fixed: 1},
		asm.FnKtimeGetBootNs:    {Fixed: 1},
		asm.FnXdpGetBuffLen:     {Fixed: 1},
		asm.FnXdpLoadBytes:      {Fixed: 2, PerWord: 1},
		asm.FnXdpStoreBytes:     {Fixed: 2, PerWord: 1},
	},
	Helper: HelperCost{Fixed: 2},
}

// HbpfClassic reproduces the timing of the original hBPF core (Migen FSM,
// 2021-12 design): total = 1 + Σ per instruction.
var HbpfClassic = &Profile{
	Name:        "hbpf-classic",
	Description: "the original hBPF core (Migen FSM, 2021-12): total = 1 + Σ per-instruction cycles",
	Entry:       1,
	Cost: [NumClasses]int{
		ALU: 1, Shift: 4, Swap: 1, Mul: 1, Div32: 68, Div64: 68, Lddw: 2, Load: 14, Store: 15,
		Atomic: 14 + 15, Ja: 2, BranchNotTaken: 2, BranchTaken: 2, Call: 2, CallLocal: 2, Exit: 1, Return: 2,
		LegacyLoad: 14,
	},
	StoreByte: 1,
	Helpers:   nil,
	Helper:    HelperCost{Fixed: 0},
	// hBPF implemented neither atomics nor bpf-to-bpf calls; their costs here are
	// extrapolated (atomic = load + store, local call = call, return = jump).
	Unsupported: []Class{Atomic, CallLocal, Return, LegacyLoad},
}

func init() {
	// The classic core's helper "handler latency" is the same helper hardware.
	HbpfClassic.Helpers = Hbpf.Helpers
	HbpfClassic.Helper = Hbpf.Helper
}

// Profiles lists the known profiles, the default first.
var Profiles = []*Profile{Hbpf, HbpfClassic}

// Lookup returns the profile with the given name.
func Lookup(name string) (*Profile, error) {
	var names []string
	for _, p := range Profiles {
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return nil, fmt.Errorf("unknown timing profile %q (known: %s)", name, strings.Join(names, ", "))
}

// WriteMarkdown prints the per-instruction cycle table of all profiles, and the
// helper latencies, as Markdown.
func WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| class | instructions |")
	for _, p := range Profiles {
		fmt.Fprintf(&b, " `%s` |", p.Name)
	}
	b.WriteString("\n|---|---|")
	for range Profiles {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for c := Class(0); c < NumClasses; c++ {
		fmt.Fprintf(&b, "| %s | %s |", c, classDocs[c])
		for _, p := range Profiles {
			v := fmt.Sprint(p.Cost[c])
			if c == Store && p.StoreByte > 0 {
				v += fmt.Sprintf(" + %d/byte", p.StoreByte)
			}
			for _, u := range p.Unsupported {
				if u == c {
					v += "*"
				}
			}
			fmt.Fprintf(&b, " %s |", v)
		}
		b.WriteString("\n")
	}
	b.WriteString("\nEntry cost per run:")
	for _, p := range Profiles {
		fmt.Fprintf(&b, " `%s` %d;", p.Name, p.Entry)
	}
	b.WriteString(" `*` the original core lacks the instruction; its cost is extrapolated.\n\n")
	b.WriteString("Helper latency (cycles, added to the call; \"+n/word\" per 8 bytes of key, buffer or record; " +
		"\"+n/probe word\" per 8 bytes of key compared on a hash map's bucket chain; " +
		"\"+n/extra prefix length\" per prefix length an LPM lookup tries after the first):\n\n")
	b.WriteString("| helper | id | latency |\n|---|---:|---|\n")
	fns := make([]asm.BuiltinFunc, 0, len(Hbpf.Helpers))
	for fn := range Hbpf.Helpers {
		fns = append(fns, fn)
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i] < fns[j] })
	for _, fn := range fns {
		h := Hbpf.Helpers[fn]
		lat := fmt.Sprint(h.Fixed)
		if h.PerWord > 0 {
			lat += fmt.Sprintf(" + %d/word", h.PerWord)
		}
		if h.PerProbeWord > 0 {
			lat += fmt.Sprintf(" + %d/probe word", h.PerProbeWord)
		}
		if h.PerPrefixLength > 0 {
			lat += fmt.Sprintf(" + %d/extra prefix length", h.PerPrefixLength)
		}
		fmt.Fprintf(&b, "| %s | %d | %s |\n", helperName(fn), int32(fn), lat)
	}
	fmt.Fprintf(&b, "| any other | | %d |\n", Hbpf.Helper.Fixed)
	_, err := io.WriteString(w, b.String())
	return err
}

func helperName(fn asm.BuiltinFunc) string {
	s := fn.String()
	s = strings.TrimPrefix(s, "Fn")
	// FnMapLookupElem → map_lookup_elem
	var out []rune
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				out = append(out, '_')
			}
			r += 'a' - 'A'
		}
		out = append(out, r)
	}
	return "bpf_" + string(out)
}

// HelperName returns the kernel name of a helper, e.g. "bpf_map_lookup_elem".
func HelperName(fn asm.BuiltinFunc) string { return helperName(fn) }
