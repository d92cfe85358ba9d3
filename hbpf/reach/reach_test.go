package reach

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/randprog"
	"github.com/hbpf/hbpf/hbpf/sim"
)

// global returns a one-entry ARRAY holding value, as the ELF loader gives
// global data: .rodata when readOnly, .data otherwise.
func global(value []byte, readOnly bool) *isa.MapSpec {
	s := &isa.MapSpec{Name: ".data", Type: ebpf.Array, KeySize: 4, ValueSize: uint32(len(value)), MaxEntries: 1,
		Contents: []isa.MapKV{{Key: make([]byte, 4), Value: value}}}
	if readOnly {
		s.Name, s.Flags, s.ReadOnly = ".rodata", 0x80, true
	}
	return s
}

func rodata(value ...byte) *isa.MapSpec { return global(value, true) }

func assemble(t *testing.T, src string) *isa.Program {
	t.Helper()
	p, err := isa.Assemble([]byte(src), "test.s")
	if err != nil {
		t.Fatalf("assemble: %v", err)
	}
	return p
}

// deadSlots returns the slots of the dead instructions.
func deadSlots(p *isa.Program, r *Result) []int {
	var s []int
	for _, i := range r.Dead() {
		s = append(s, p.Insns[i].Slot)
	}
	return s
}

// The guarded call of the firewall: helper 6 runs only if the .rodata byte at
// offset 4 is non-zero. Slots: 0 lddw, 2 ldxb, 3 jeq32, 4 call, 5 mov, 6 exit.
const debugGuard = `
	lddw %r1, map_value(0, 4)
	ldxb %r1, [%r1+0]
	jeq32 %r1, 0, skip
	call 6
skip:
	mov %r0, 2
	exit
`

func TestAnalyze(t *testing.T) {
	upper := rodata(0, 0, 0, 0, 1, 0, 0, 0) // the u64 0x1_0000_0000
	for _, tc := range []struct {
		name  string
		src   string
		specs []*isa.MapSpec
		dead  []int  // slots
		why   string // expected Why of the first dead instruction
	}{
		{name: "rodata byte 0: the call is dead", src: debugGuard, specs: []*isa.MapSpec{rodata(0, 0, 0, 0, 0)},
			dead: []int{4}, why: "dead: the branch at slot 3 always jumps (.rodata+4 = 0)"},
		{name: "rodata byte 1: live", src: debugGuard, specs: []*isa.MapSpec{rodata(0, 0, 0, 0, 1)}},
		{name: "writable .data: live", src: debugGuard, specs: []*isa.MapSpec{global(make([]byte, 5), false)}},
		{name: "read-only without contents: live", src: debugGuard, specs: []*isa.MapSpec{{Name: ".rodata", ValueSize: 5, MaxEntries: 1, ReadOnly: true}}},
		{name: "no maps: live", src: debugGuard},
		{name: "out of bounds: live", src: debugGuard, specs: []*isa.MapSpec{rodata(0, 0, 0, 0)}},
		{name: "jmp32 sees the low half", specs: []*isa.MapSpec{upper}, dead: []int{4},
			why: "dead: the branch at slot 3 always jumps (.rodata+0 = 0x100000000)", src: `
	lddw %r1, map_value(0, 0)
	ldxdw %r1, [%r1+0]
	jeq32 %r1, 0, +1
	call 6
	exit`},
		{name: "jmp sees all 64 bits", specs: []*isa.MapSpec{upper}, dead: []int{5, 6},
			why: "dead: the branch at slot 3 never jumps (.rodata+0 = 0x100000000)", src: `
	lddw %r1, map_value(0, 0)
	ldxdw %r1, [%r1+0]
	jeq %r1, 0, +1
	exit
	call 6
	exit`},
		{name: "ldxw reads the low half", specs: []*isa.MapSpec{upper}, dead: []int{4}, src: `
	lddw %r1, map_value(0, 0)
	ldxw %r1, [%r1+0]
	jeq %r1, 0, +1
	exit
	call 6
	exit`},
		{name: "ldxh at offset 4 through pointer arithmetic", specs: []*isa.MapSpec{upper}, dead: []int{6}, src: `
	lddw %r1, map_value(0, 0)
	add %r1, 8
	sub %r1, 6
	ldxh %r1, [%r1+2]
	jeq %r1, 1, +1
	call 6
	exit`},
		{name: "32-bit ALU zero-extends", dead: []int{4}, src: `
	lddw %r1, 0x1ffffffff
	add32 %r1, 1
	jeq %r1, 0, +1
	call 6
	exit`},
		{name: "mov32 reg zero-extends", dead: []int{5}, src: `
	lddw %r2, -1
	mov32 %r1, %r2
	rsh %r1, 32
	jeq %r1, 0, +1
	call 6
	exit`},
		{name: "sign-extending load and signed compare", specs: []*isa.MapSpec{rodata(0xff)}, dead: []int{4}, src: `
	lddw %r1, map_value(0, 0)
	ldxsb %r1, [%r1+0]
	jslt %r1, 0, +1
	call 6
	exit`},
		{name: "zero-extending load: 255 is positive", specs: []*isa.MapSpec{rodata(0xff)}, dead: []int{4}, src: `
	lddw %r1, map_value(0, 0)
	ldxb %r1, [%r1+0]
	jsgt %r1, 0, +1
	call 6
	exit`},
		{name: "jset", specs: []*isa.MapSpec{rodata(0x10)}, dead: []int{5, 6},
			why: "dead: the branch at slot 3 never jumps (.rodata+0 = 16)", src: `
	lddw %r1, map_value(0, 0)
	ldxb %r1, [%r1+0]
	jset %r1, 0x0f, +1
	exit
	call 6
	exit`},
		{name: "shifts and bitwise ops", specs: []*isa.MapSpec{rodata(0x80)}, dead: []int{10},
			why: "dead: the branch at slot 9 always jumps (r1 = 0xfffffffe, computed from .rodata+0)", src: `
	lddw %r1, map_value(0, 0)
	ldxb %r1, [%r1+0]
	lsh %r1, 56
	arsh %r1, 63
	or %r1, 2
	xor %r1, 1
	and %r1, -2
	rsh32 %r1, 0
	jeq32 %r1, -2, +1
	call 6
	exit`},
		{name: "register operands", specs: []*isa.MapSpec{rodata(3, 5)}, dead: []int{7}, src: `
	lddw %r3, map_value(0, 0)
	ldxb %r1, [%r3+0]
	ldxb %r2, [%r3+1]
	sub %r2, %r1
	mov %r4, 2
	jeq %r2, %r4, +1
	call 6
	exit`},
		{name: "jmp32 signed with the upper half set", dead: []int{4, 5}, src: `
	lddw %r1, 0x7fffffff80000000
	jsgt32 %r1, 0, +1
	exit
	call 6
	exit`},
		{name: "unknown operand: live", src: `
	ldxb %r1, [%r1+0]
	jeq %r1, 0, +1
	call 6
	exit`},
		{name: "a helper call clobbers r1-r5, not r6", dead: []int{5}, src: `
	mov %r1, 0
	mov %r6, 0
	call 7
	jeq %r1, 0, +2
	jeq %r6, 0, +1
	call 6
	exit`},
		{name: "a map value pointer is never null", specs: []*isa.MapSpec{global(make([]byte, 4), false)}, dead: []int{3},
			why: "dead: the branch at slot 2 always jumps (r1 points into .data, never null)", src: `
	lddw %r1, map_value(0, 0)
	jne %r1, 0, +1
	call 6
	exit`},
		{name: "an equality arm knows the register", dead: []int{4}, src: `
	ldxw %r1, [%r1+0]
	jne %r1, 7, +3
	mov %r2, %r1
	jeq %r2, 7, +1
	call 6
	exit`},
		{name: "the other arm of an equality knows nothing", src: `
	ldxw %r1, [%r1+0]
	jne %r1, 7, +1
	exit
	jeq %r1, 7, +1
	call 6
	exit`},
		{name: "a callee does not see its caller's r6", src: `
	mov %r6, 0
	call local sub
	exit
sub:
	jeq %r6, 0, +1
	call 6
	exit`},
		{name: "code after exit", dead: []int{2, 3},
			why: "dead: no path from the program's entry leads here", src: `
	mov %r0, 0
	exit
	call 6
	exit`},
		{name: "loop reaches a fixpoint", dead: []int{7, 8, 9}, src: `
	mov %r1, 0
	mov %r2, 0
loop:
	add %r1, 1
	jlt %r1, 10, loop
	jne %r2, 0, log
	mov %r0, 2
	exit
log:
	call 6
	mov %r0, 1
	exit`},
		{name: "loop on a rodata bound", specs: []*isa.MapSpec{rodata(4)}, src: `
	lddw %r3, map_value(0, 0)
	ldxb %r3, [%r3+0]
	mov %r1, 0
loop:
	add %r1, 1
	jlt %r1, %r3, loop
	jeq %r1, 0, +1
	call 6
	exit`},
		{name: "bpf-to-bpf call", specs: []*isa.MapSpec{rodata(0)}, dead: []int{9, 10, 12},
			why: "dead: the branch at slot 5 never jumps (.rodata+0 = 0)", src: `
	lddw %r1, map_value(0, 0)
	ldxb %r1, [%r1+0]
	mov %r6, %r1
	call local sub
	jne %r6, 0, log
	jeq %r0, 0, +0
	mov %r0, 2
	exit
log:
	call 6
	exit
sub:
	jeq %r1, 0, +1
	call 6
	mov %r0, 0
	exit`},
		{name: "callee from two call sites", specs: []*isa.MapSpec{rodata(0)}, src: `
	mov %r1, 0
	call local sub
	mov %r1, 1
	call local sub
	exit
sub:
	jeq %r1, 0, +1
	call 6
	exit`},
		{name: "a callee called only from dead code is dead", specs: []*isa.MapSpec{rodata(0)}, dead: []int{4, 7, 8},
			why: "dead: the branch at slot 3 always jumps (.rodata+0 = 0)", src: `
	lddw %r1, map_value(0, 0)
	ldxb %r1, [%r1+0]
	jeq %r1, 0, +1
	call local sub
	mov %r0, 2
	exit
sub:
	call 6
	exit`},
		{name: "a callback is an entry", specs: []*isa.MapSpec{rodata(0)}, src: `
	mov %r1, 4
	lddw %r2, func(cb)
	mov %r3, 0
	mov %r4, 0
	call 181
	exit
cb:
	jeq %r1, 0, +1
	call 6
	mov %r0, 0
	exit`},
		{name: "a callback referenced from dead code is dead", specs: []*isa.MapSpec{rodata(0)}, dead: []int{4, 6, 7, 8, 10, 11},
			why: "dead: the branch at slot 3 always jumps (.rodata+0 = 0)", src: `
	lddw %r1, map_value(0, 0)
	ldxb %r1, [%r1+0]
	jeq %r1, 0, +5
	lddw %r2, func(cb)
	mov %r3, 0
	mov %r4, 0
	call 181
	exit
cb:
	mov %r0, 0
	exit`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := assemble(t, tc.src)
			r := Analyze(p, tc.specs)
			if got := deadSlots(p, r); !slices.Equal(got, tc.dead) {
				t.Errorf("dead slots %v, want %v", got, tc.dead)
			}
			for i := range p.Insns {
				if r.Live(i) != (r.Why(i) == "") {
					t.Errorf("instruction %d: Live %v but Why %q", i, r.Live(i), r.Why(i))
				}
			}
			if d := r.Dead(); tc.why != "" && len(d) > 0 && r.Why(d[0]) != tc.why {
				t.Errorf("Why(%d) = %q, want %q", d[0], r.Why(d[0]), tc.why)
			}
		})
	}
}

func TestResultOutOfRange(t *testing.T) {
	p := assemble(t, "mov %r0, 0\nexit")
	r := Analyze(p, nil)
	for _, i := range []int{-1, 2, 100} {
		if r.Live(i) || r.Why(i) != "" {
			t.Errorf("index %d: Live %v, Why %q", i, r.Live(i), r.Why(i))
		}
	}
	if r := Analyze(nil, nil); r.Live(0) || len(r.Dead()) != 0 {
		t.Errorf("Analyze(nil): %+v", r)
	}
}

func loadObject(t *testing.T, path string) *isa.Object {
	t.Helper()
	obj, err := isa.LoadELF(path)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// TestFirewall checks the use case: xdp_firewall calls bpf_trace_printk only
// if cfg_debug (.rodata+4) is set, and it is not.
func TestFirewall(t *testing.T) {
	obj := loadObject(t, "../../testdata/xdp/xdp_firewall.o")
	p, err := obj.Program("xdp_firewall")
	if err != nil {
		t.Fatal(err)
	}
	printk := slices.IndexFunc(p.Insns, func(in isa.Insn) bool { return in.Op == isa.OpCall && in.Imm == 6 })
	if printk < 0 {
		t.Fatal("no call 6 in xdp_firewall")
	}
	guard := printk
	for p.Insns[guard].Op != isa.OpJeq {
		guard--
	}

	r := Analyze(p, obj.Maps)
	if r.Live(printk) {
		t.Fatalf("call 6 at slot %d is live", p.Insns[printk].Slot)
	}
	want := fmt.Sprintf("dead: the branch at slot %d always jumps (.rodata+4 = 0)", p.Insns[guard].Slot)
	if got := r.Why(printk); got != want {
		t.Errorf("Why(call 6) = %q, want %q", got, want)
	}
	// The kernel drops the logging block, and the code only it falls into
	// (the second verdict), and runs everything else.
	for i := range p.Insns {
		in := &p.Insns[i]
		wantLive := in.Slot <= p.Insns[guard].Slot || in.Slot >= 91
		if r.Live(i) != wantLive {
			t.Errorf("slot %d %v: live %v, want %v (%s)", in.Slot, in, r.Live(i), wantLive, r.Why(i))
		}
		if in.Op == isa.OpCall && in.Imm != 6 && !r.Live(i) {
			t.Errorf("helper call at slot %d is dead", in.Slot)
		}
	}

	// With cfg_debug = 1 the call runs.
	maps := slices.Clone(obj.Maps)
	ro := *maps[0]
	if ro.Name != ".rodata" {
		t.Fatalf("map 0 is %s", ro.Name)
	}
	value := bytes.Clone(ro.Contents[0].Value)
	value[4] = 1
	ro.Contents = []isa.MapKV{{Key: ro.Contents[0].Key, Value: value}}
	maps[0] = &ro
	r = Analyze(p, maps)
	if d := r.Dead(); len(d) != 0 {
		t.Errorf("cfg_debug = 1: dead instructions %v", deadSlots(p, r))
	}
	// The same as a loader's override after the object's own value (what
	// maps.WithContents and hbpfc --maps-in make): the later entry counts.
	ro.Contents = []isa.MapKV{obj.Maps[0].Contents[0], {Key: ro.Contents[0].Key, Value: value}}
	r = Analyze(p, maps)
	if d := r.Dead(); len(d) != 0 {
		t.Errorf("cfg_debug = 1 as an override: dead instructions %v", deadSlots(p, r))
	}
	if obj.Maps[0].Contents[0].Value[4] != 0 {
		t.Fatal("the test changed the object's .rodata")
	}
}

// TestTestdata analyzes every program of every committed object.
func TestTestdata(t *testing.T) {
	files, err := filepath.Glob("../../testdata/xdp/*.o")
	if err != nil || len(files) == 0 {
		t.Fatalf("no objects: %v", err)
	}
	for _, f := range files {
		obj := loadObject(t, f)
		for _, p := range obj.Programs {
			r := Analyze(p, obj.Maps)
			if !r.Live(0) {
				t.Errorf("%s/%s: entry is dead: %s", filepath.Base(f), p.Name, r.Why(0))
			}
			if d := r.Dead(); len(d) > 0 {
				t.Logf("%s/%s: %d of %d instructions dead (%s)", filepath.Base(f), p.Name, len(d), len(p.Insns), r.Why(d[0]))
			}
		}
	}
}

// TestFoldMatchesSimulator checks constant folding and branch decisions
// against the simulator on random operands.
func TestFoldMatchesSimulator(t *testing.T) {
	ops := []string{"add", "sub", "mul", "div", "sdiv", "mod", "smod", "or", "and", "xor", "lsh", "rsh", "arsh"}
	conds := []string{"jeq", "jne", "jgt", "jge", "jlt", "jle", "jsgt", "jsge", "jslt", "jsle", "jset"}
	unary := []string{"neg", "neg32", "le16", "le32", "le64", "be16", "be32", "be64", "bswap16", "bswap32", "bswap64",
		"movsx864 %r0, %r0", "movsx1664 %r0, %r0", "movsx3264 %r0, %r0", "movsx832 %r0, %r0", "movsx1632 %r0, %r0", "mov32 %r0, %r0"}
	interesting := []uint64{0, 1, 2, 31, 32, 63, 64, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff,
		0x100000000, 1 << 63, 1<<63 - 1, ^uint64(0), ^uint64(1)}
	rng := rand.New(rand.NewPCG(1, 2))
	operand := func() uint64 {
		if rng.IntN(2) == 0 {
			return interesting[rng.IntN(len(interesting))]
		}
		return rng.Uint64() >> rng.IntN(64)
	}
	var srcs []string
	for range 300 {
		a, b := operand(), operand()
		load := fmt.Sprintf("lddw %%r0, %#x\nlddw %%r1, %#x\n", a, b)
		imm := int32(b)
		for _, op := range ops {
			for _, w := range []string{"", "32"} {
				srcs = append(srcs, load+fmt.Sprintf("%s%s %%r0, %%r1\nexit", op, w))
				if (op != "div" && op != "sdiv" && op != "mod" && op != "smod") || imm != 0 {
					srcs = append(srcs, load+fmt.Sprintf("%s%s %%r0, %d\nexit", op, w, imm))
				}
			}
		}
		for _, u := range unary {
			if !strings.Contains(u, "%") {
				u += " %r0"
			}
			srcs = append(srcs, load+u+"\nexit")
		}
		for _, c := range conds {
			for _, w := range []string{"", "32"} {
				srcs = append(srcs, load+fmt.Sprintf("%s%s %%r0, %%r1, +2\nmov %%r0, 0\nexit\nmov %%r0, 1\nexit", c, w))
				srcs = append(srcs, load+fmt.Sprintf("%s%s %%r0, %d, +2\nmov %%r0, 0\nexit\nmov %%r0, 1\nexit", c, w, imm))
			}
		}
	}
	for _, src := range srcs {
		p := assemble(t, src)
		m, err := sim.New([]*isa.Program{p}, nil, sim.Config{})
		if err != nil {
			t.Fatal(err)
		}
		res := m.RunMem(0, nil)
		if res.Fault != nil {
			t.Fatalf("%s: %v", src, res.Fault)
		}
		a := &analyzer{p: p, in: make([]*state, len(p.Insns)), decided: map[int]decision{}}
		a.run()
		if p.Insns[2].Op.IsCondJump() {
			// Exactly one of the two exits runs, and it must be live.
			r := a.result()
			ran := 5 // mov %r0, 1
			if res.R0 == 0 {
				ran = 3
			}
			if !r.Live(ran) || r.Live(8-ran) {
				t.Errorf("%s: r0 = %d, live %v", src, res.R0, r.live)
			}
			continue
		}
		exit := a.in[len(p.Insns)-1]
		if exit == nil || exit[0] != known(res.R0) {
			t.Errorf("%s: simulator r0 = %#x, analysis %+v", src, res.R0, exit)
		}
	}
}

// TestRandomProgramsSound runs random programs in the simulator and checks
// that no instruction that ran is reported dead. Where a program leaves its
// global data map unchanged, the map is also analyzed as read-only data.
func TestRandomProgramsSound(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 40
	}
	withRO, deadTotal := 0, 0
	for seed := int64(0); seed < int64(seeds); seed++ {
		p, specs, err := randprog.Generate(seed, randprog.Options{})
		if err != nil {
			t.Fatal(err)
		}
		m, err := sim.New([]*isa.Program{p}, specs, sim.Config{})
		if err != nil {
			t.Fatal(err)
		}
		ran := make([]bool, p.NumSlots())
		globalWritten := false
		const globalMap = 1 // randprog's one-entry global data array
		m.SetTrace(func(r *sim.Record) {
			if r.Prog == 0 {
				ran[r.PC] = true
			}
			if r.MemSize > 0 && r.MemAddr>>32 == sim.RegionMap0+globalMap {
				globalWritten = true
			}
		})
		before := bytes.Clone(m.Maps[globalMap].Values())
		for _, pkt := range randprog.Packets(seed, 8) {
			m.RunXDP(0, pkt.Data)
		}
		if !bytes.Equal(before, m.Maps[globalMap].Values()) {
			globalWritten = true
		}

		check := func(what string, specs []*isa.MapSpec) {
			r := Analyze(p, specs)
			for i := range p.Insns {
				if s := p.Insns[i].Slot; ran[s] && !r.Live(i) {
					t.Errorf("seed %d (%s): slot %d %v ran but is reported %s", seed, what, s, &p.Insns[i], r.Why(i))
				}
			}
			deadTotal += len(r.Dead())
		}
		check("maps as generated", specs)
		if !globalWritten && len(specs[globalMap].Contents) > 0 {
			withRO++
			ro := *specs[globalMap]
			ro.ReadOnly = true
			ro.Flags |= 0x80
			roSpecs := slices.Clone(specs)
			roSpecs[globalMap] = &ro
			check("global data read-only", roSpecs)
		}
	}
	t.Logf("%d programs, %d analyzed with read-only global data; %d dead instructions in all", seeds, withRO, deadTotal)
}
