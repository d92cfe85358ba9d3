package rtl

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/cilium/ebpf/asm"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/reach"
	"github.com/hbpf/hbpf/hbpf/sim/timing"
)

// Unsupported lists what the default core cannot run of prog with its maps,
// one line each ("not offloadable: helper 12 bpf_tail_call (slot 40)"); it is
// empty when the hardware runs the program exactly as the simulator does.
// Instructions that cannot run with the maps' read-only data (package reach:
// the verifier's dead-code pruning on frozen .rodata) are no obstacle; the
// hardware traps should one run all the same (cause 7, unknown helper).
func Unsupported(prog *isa.Program, maps []*isa.MapSpec) []string {
	return Config{}.Unsupported(prog, maps)
}

// Unsupported is [Unsupported] for the core configured by c.
func (c Config) Unsupported(prog *isa.Program, maps []*isa.MapSpec) []string {
	return c.UnsupportedObject([]*isa.Program{prog}, 0, maps)
}

// UnsupportedObject is [Config.Unsupported] for program prog of an object's
// programs, which tail calls may reach.
func (c Config) UnsupportedObject(progs []*isa.Program, which int, maps []*isa.MapSpec) []string {
	out, _ := c.check(progs, which, maps)
	return out
}

// DeadCode lists what the core could not run of program which of progs but
// need not, as it sits in code that cannot run with the maps' read-only data
// ("helper 6 bpf_trace_printk (slot 87): dead: the branch at slot 78 always
// jumps (.rodata+4 = 0)").
func (c Config) DeadCode(progs []*isa.Program, which int, maps []*isa.MapSpec) []string {
	_, dead := c.check(progs, which, maps)
	return dead
}

func (c Config) check(progs []*isa.Program, which int, maps []*isa.MapSpec) (out, dead []string) {
	c = c.withDefaults()
	prog := progs[which]
	live := reach.Analyze(prog, maps)
	add := func(format string, args ...any) { out = append(out, "not offloadable: "+fmt.Sprintf(format, args...)) }
	deadHelpers := map[int32][]int{}
	total := 0
	for _, p := range progs {
		total += p.NumSlots()
	}
	if n := prog.NumSlots(); n > 1<<c.ProgAW {
		add("program %s has %d slots, the program memory holds %d", prog.Name, n, 1<<c.ProgAW)
	} else if total > 1<<c.ProgAW {
		add("the object's programs have %d slots, the program memory holds %d", total, 1<<c.ProgAW)
	}
	if which >= c.NumProgs {
		add("program %s is the object's program %d, the core's program table holds %d", prog.Name, which, c.NumProgs)
	}
	hw := map[int32]bool{}
	for _, h := range hwHelpers {
		hw[int32(h.Fn)] = true
	}
	layout := c.Layout(maps)
	helpers := map[int32][]int{}
	usedMaps := map[int]bool{}
	updates := false
	targets := jumpTargets(prog)
	for i := range prog.Insns {
		in := &prog.Insns[i]
		if !live.Live(i) {
			switch {
			case in.Op == isa.OpCall && !hw[int32(in.Imm)]:
				id := int32(in.Imm)
				if len(deadHelpers[id]) == 0 {
					dead = append(dead, fmt.Sprintf("helper %d %s (slot %d): %s", id, helperLabel(id), in.Slot, live.Why(i)))
				}
				deadHelpers[id] = append(deadHelpers[id], in.Slot)
			case in.Op == isa.OpCallx:
				dead = append(dead, fmt.Sprintf("callx (slot %d): %s", in.Slot, live.Why(i)))
			}
			continue
		}
		switch in.Op {
		case isa.OpCall:
			id := int32(in.Imm)
			if !hw[id] {
				helpers[id] = append(helpers[id], in.Slot)
			}
			fn := asm.BuiltinFunc(id)
			updates = updates || fn == asm.FnMapUpdateElem
			if fn == asm.FnTailCall && len(progs) > c.NumProgs {
				add("bpf_tail_call at slot %d: the object has %d programs, the core's program table holds %d", in.Slot, len(progs), c.NumProgs)
			}
			if fn == asm.FnMapLookupElem || fn == asm.FnMapUpdateElem || fn == asm.FnMapDeleteElem {
				if ms, ok := mapsIn(prog, i, 1, targets, maps); ok {
					for _, m := range ms {
						if m < len(layout) && layout[m].Problem == "" && !mapHelperType(layout[m].Type) {
							add("%s at slot %d on map %d %q: the hardware's map helpers take ARRAY and HASH maps, not %s", timing.HelperName(fn), in.Slot, m, layout[m].Name, layout[m].TypeName)
						}
					}
				} else {
					for m, l := range layout {
						if l.Problem == "" && !mapHelperType(l.Type) {
							add("%s at slot %d: its map is not known before the call, and map %d %q is a %s, which the hardware's map helpers do not take", timing.HelperName(fn), in.Slot, m, l.Name, l.TypeName)
							break
						}
					}
				}
			}
		case isa.OpCallx:
			add("callx at slot %d: the helper is chosen at run time, and only the hardware's helpers exist", in.Slot)
		case isa.OpLddw:
			switch in.Src {
			case isa.PseudoNone:
			case isa.PseudoMapFD, isa.PseudoMapIdx, isa.PseudoMapValue, isa.PseudoMapIdxValu:
				usedMaps[int(uint32(in.Imm))] = true
			case isa.PseudoFunc: // a code address (bpf_loop callbacks)
			default:
				add("lddw with pseudo source %d at slot %d (BTF ids are not in hardware)", in.Src, in.Slot)
			}
		}
	}
	ids := make([]int32, 0, len(helpers))
	for id := range helpers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		slots := helpers[id]
		where := fmt.Sprintf("slot %d", slots[0])
		if len(slots) > 1 {
			where = fmt.Sprintf("slots %d and %d more", slots[0], len(slots)-1)
		}
		add("helper %d %s (%s)", id, helperLabel(id), where)
	}
	// A map-in-map's inner maps are reached through it.
	for i := range usedMaps {
		if i < len(maps) {
			for _, in := range innerMaps(maps[i]) {
				usedMaps[in] = true
			}
		}
	}
	idx := make([]int, 0, len(usedMaps))
	for i := range usedMaps {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		if i >= len(layout) {
			continue // the simulator refuses the program
		}
		m := layout[i]
		if m.Problem != "" {
			out = append(out, "not offloadable: "+m.Problem)
			continue
		}
		if updates {
			if limit := c.UpdateValueLimit(m.KeySize, m.Type == MapHash); int(m.ValueSize) > limit {
				add("map %d %q: bpf_map_update_elem copies at most %d bytes within its latency, the values have %d", i, m.Name, limit, m.ValueSize)
			}
		}
	}
	return out, dead
}

// mapHelperType reports whether the hardware's map helpers take maps of type t.
func mapHelperType(t int) bool { return t == MapArray || t == MapPerCPUArray || t == MapHash }

// jumpTargets returns the slots that jumps and calls lead to.
func jumpTargets(p *isa.Program) map[int]bool {
	t := map[int]bool{}
	for i := range p.Insns {
		if in := &p.Insns[i]; in.Target >= 0 {
			t[in.Target] = true
		}
	}
	return t
}

// innerMaps returns the indices of the inner maps a map-in-map's contents
// name (none for other maps).
func innerMaps(s *isa.MapSpec) []int {
	if !isMapInMap(s.Type) {
		return nil
	}
	var out []int
	for _, kv := range s.Contents {
		if len(kv.Value) >= 4 {
			out = append(out, int(binary.LittleEndian.Uint32(kv.Value)))
		}
	}
	return out
}

// mapsIn returns the maps whose handle register r may hold at instruction i:
// found in the straight-line code before i (conditional jumps fall through;
// no instruction on the way may be a jump target), from an lddw of a map, a
// 64-bit mov, or — for r0 — a lookup in a map-in-map (its inner maps).
func mapsIn(p *isa.Program, i int, r uint8, targets map[int]bool, specs []*isa.MapSpec) ([]int, bool) {
	for j := i - 1; j >= 0; j-- {
		if targets[p.Insns[j+1].Slot] {
			return nil, false // another path leads here
		}
		in := &p.Insns[j]
		switch {
		case in.Op == isa.OpCall:
			if r >= 6 {
				continue // preserved across helper calls
			}
			if r != 0 || asm.BuiltinFunc(in.Imm) != asm.FnMapLookupElem {
				return nil, false
			}
			outer, ok := mapsIn(p, j, 1, targets, specs)
			if !ok {
				return nil, false
			}
			var inner []int
			for _, m := range outer {
				if m >= len(specs) || !isMapInMap(specs[m].Type) {
					return nil, false // r0 points to a value, not a handle
				}
				inner = append(inner, innerMaps(specs[m])...)
			}
			return inner, true
		case in.Op.IsCondJump():
			continue
		case in.Op.IsJump() || in.Op == isa.OpCallx || in.Op == isa.OpCallLocal || in.Op == isa.OpExit:
			return nil, false
		}
		if in.WrittenReg() != int(r) {
			continue
		}
		if in.Op == isa.OpLddw && (in.Src == isa.PseudoMapFD || in.Src == isa.PseudoMapIdx) {
			return []int{int(uint32(in.Imm))}, true
		}
		if in.Op == isa.OpMov && in.RegSrc && !in.ALU32 {
			return mapsIn(p, j, in.Src, targets, specs)
		}
		return nil, false
	}
	return nil, false
}

func helperLabel(id int32) string {
	s := asm.BuiltinFunc(id).String()
	if len(s) > 2 && s[:2] == "Fn" {
		return timing.HelperName(asm.BuiltinFunc(id))
	}
	return "unknown"
}

// Configuration registers of hbpf_top (host port, sel 2).
const (
	CfgMode      = 0
	CfgMaxCycles = 1
	CfgR1        = 2
	CfgR2        = 3
	CfgMeta      = 4
	CfgData      = 5
	CfgEnd       = 6
	CfgHardEnd   = 7
	CfgIngress   = 8
	CfgRxQueue   = 9
	CfgProgIndex = 11
	CfgSeed      = 12
	CfgProg0     = 128    // program p: CfgProg0 + p = {length << 16 | first slot}
	CfgMap0      = 256    // map i's descriptor: CfgMap0 + 4*i + 0..3
	CfgRing0     = 0x2000 // ring unit: +0 {used << 31 | map << 16}, +1 size-1, +2 producer, +3 consumer
)

// Host port sel 3: the hash units (hbpf_hashchain.v), by space.
const (
	HostHash  = 3
	HashKeys  = 0 // slot*key words + word
	HashHeads = 1 // bucket: first slot
	HashNext  = 2 // slot: successor on its chain or the free list
	HashCtrl  = 3 // 0 {used[31], lru[30], map[21:16], bucket bits[12:8]}, 1 free-list head, 2 next unused slot, 3 live keys, 4 LRU head, 5 LRU tail
	HashCPrev = 4 // slot: predecessor on its chain (LRU units)
	HashSBkt  = 5 // slot: its bucket (LRU units)
	HashLPrev = 6 // slot: predecessor on the LRU list
	HashLNext = 7 // slot: successor on the LRU list
)

// HashAddr returns the host address of word index of space (HashKeys, …) of
// hash unit unit.
func HashAddr(unit, space, index int) uint32 {
	return uint32(unit)<<24 | uint32(space)<<21 | uint32(index)
}

// Words returns the four configuration words of the map's descriptor.
func (m MapSlot) Words() [4]uint64 {
	var ro, inner uint64
	if m.ReadOnly {
		ro = 1
	}
	if m.Inner {
		inner = 1
	}
	return [4]uint64{
		uint64(m.Type) | ro<<3 | inner<<4 | uint64(m.KeySize)<<16 | uint64(m.ValueSize)<<32,
		uint64(m.MaxEntries) | uint64(m.Bytes)<<32,
		uint64(m.Base),
		m.Recip,
	}
}
