package randprog

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/sim"
)

func TestGenerateDeterministic(t *testing.T) {
	for _, seed := range []int64{0, 1, 42, -7, 1 << 40} {
		p1, m1, err := Generate(seed, Options{})
		if err != nil {
			t.Fatal(err)
		}
		p2, m2, err := Generate(seed, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p1.Encode(), p2.Encode()) {
			t.Errorf("seed %d: two generations differ", seed)
		}
		if !reflect.DeepEqual(m1, m2) {
			t.Errorf("seed %d: map specs differ", seed)
		}
		q, _, err := Generate(seed+1, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(p1.Encode(), q.Encode()) {
			t.Errorf("seeds %d and %d give the same program", seed, seed+1)
		}
	}
}

func TestGenerateOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"small window", Options{Window: 32}, "window 32"},
		{"huge window", Options{Window: 4096}, "window 4096"},
		{"unknown feature", Options{Disable: 1 << 30}, "unknown features"},
		{"map type", Options{MapType: ebpf.RingBuf}, "map type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Generate(1, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Generate(%+v) = %v, want an error mentioning %q", tc.opts, err, tc.want)
			}
		})
	}
}

// TestGenerateShape checks the program and map invariants the differential
// tests rely on.
func TestGenerateShape(t *testing.T) {
	for seed := int64(0); seed < 200; seed++ {
		p, specs, err := Generate(seed, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Type != ebpf.XDP || p.Insns[len(p.Insns)-1].Op != isa.OpExit {
			t.Fatalf("seed %d: type %v, last instruction %v", seed, p.Type, &p.Insns[len(p.Insns)-1])
		}
		if len(specs) != 4 || specs[mapDev].Type != ebpf.DevMap || specs[mapGlobal].MaxEntries != 1 || specs[mapGlobal].Type != ebpf.Array || specs[mapRing].Type != ebpf.RingBuf {
			t.Fatalf("seed %d: maps %+v", seed, specs)
		}
		for i := range p.Insns {
			in := &p.Insns[i]
			if in.Op.IsJump() && in.Target <= in.Slot && !(in.Op.IsCondJump() && in.Op != isa.OpJa) {
				t.Errorf("seed %d: backward unconditional jump at slot %d", seed, in.Slot)
			}
			if in.Op == isa.OpCallLocal && in.Target <= in.Slot {
				t.Errorf("seed %d: call at slot %d goes backwards (recursion)", seed, in.Slot)
			}
		}
	}
}

func TestMapTypeOption(t *testing.T) {
	for _, typ := range []ebpf.MapType{ebpf.Array, ebpf.Hash, ebpf.PerCPUArray, ebpf.PerCPUHash} {
		for seed := int64(0); seed < 20; seed++ {
			_, specs, err := Generate(seed, Options{MapType: typ})
			if err != nil {
				t.Fatal(err)
			}
			if specs[mapMain].Type != typ {
				t.Fatalf("seed %d: map type %v, want %v", seed, specs[mapMain].Type, typ)
			}
		}
	}
}

// coverage returns the forms present in the programs of seeds [0, n) and
// those the simulator executed on their packets.
func coverage(t *testing.T, n int, opts Options) (static, executed map[string]bool) {
	t.Helper()
	static, executed = map[string]bool{}, map[string]bool{}
	for seed := int64(0); seed < int64(n); seed++ {
		p, specs, err := Generate(seed, opts)
		if err != nil {
			t.Fatal(err)
		}
		m, err := sim.New([]*isa.Program{p}, specs, sim.Config{Hot: true})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		for _, pkt := range Packets(seed, 4) {
			if r := m.RunXDP(0, pkt.Data); r.Fault != nil {
				t.Fatalf("seed %d: the simulator trapped on a program the generator promises is safe: %v\n%s",
					seed, r.Fault, isa.DisassembleString(p, nil))
			}
		}
		for i := range p.Insns {
			in := &p.Insns[i]
			static[Form(in)] = true
			if m.Hot[0][in.Slot] > 0 {
				executed[Form(in)] = true
			}
		}
	}
	return static, executed
}

// TestCoverage: every instruction form the generator documents appears in a
// few hundred programs and is executed on their packets, and no other form
// appears.
func TestCoverage(t *testing.T) {
	static, executed := coverage(t, 300, Options{})
	all := map[string]bool{}
	for _, f := range Forms() {
		all[f] = true
		if !static[f] {
			t.Errorf("form %q never generated", f)
		} else if !executed[f] {
			t.Errorf("form %q generated but never executed", f)
		}
	}
	for f := range static {
		if !all[f] {
			t.Errorf("form %q generated but not listed by Forms", f)
		}
	}
	t.Logf("%d forms generated and executed", len(executed))
}

func TestDisable(t *testing.T) {
	for _, tc := range []struct {
		disable Feature
		absent  []string // forms that must not appear (entries other than calls match as prefixes)
	}{
		{FeatAtomic, []string{"atomic"}},
		{FeatCall, []string{"call local"}},
		{FeatGotol, []string{"gotol"}},
		{FeatGlobal, []string{"lddw map_value"}},
		{FeatAdjust, []string{"call 44", "call 54", "call 65"}},
		{FeatHelper, []string{"call 28", "call 189", "call 190"}},
		{FeatRingbuf, []string{"call 130", "call 131", "call 132", "call 133"}},
		{FeatRedirect, []string{"call 23", "call 51"}},
		{FeatMap | FeatAdjust | FeatHelper, []string{"call 1", "call 3"}},
		{AllFeatures, []string{"atomic", "call local", "gotol", "lddw map_value", "call 1", "call 28", "call 44"}},
	} {
		static, _ := coverage(t, 100, Options{Disable: tc.disable})
		for f := range static {
			for _, a := range tc.absent {
				if f == a || (strings.HasPrefix(f, a) && !strings.HasPrefix(a, "call")) {
					t.Errorf("disable 0x%x: form %q generated", tc.disable, f)
				}
			}
		}
	}
}

func TestPacketsDeterministic(t *testing.T) {
	a, b := Packets(7, 50), Packets(7, 50)
	short := 0
	for i := range a {
		if !bytes.Equal(a[i].Data, b[i].Data) || a[i].Index != i {
			t.Fatalf("packet %d differs between calls", i)
		}
		if len(a[i].Data) < 14 {
			t.Fatalf("packet %d is %d bytes, shorter than an Ethernet header", i, len(a[i].Data))
		}
		if len(a[i].Data) < minWindow {
			short++
		}
	}
	if short == 0 || short > 25 {
		t.Errorf("%d of 50 packets are shorter than the window, want a few", short)
	}
}

// TestWorkarounds: with the workarounds, every fetching atomic on r10
// is preceded by the byte rewrite of its slot and every 32-bit cmpxchg by
// w0 = w0; NoWorkarounds leaves both out.
func TestWorkarounds(t *testing.T) {
	for _, off := range []bool{false, true} {
		guarded, unguarded := 0, 0
		for seed := int64(0); seed < 200; seed++ {
			p, _, err := Generate(seed, Options{NoWorkarounds: off})
			if err != nil {
				t.Fatal(err)
			}
			for i := 2; i < len(p.Insns); i++ {
				in := &p.Insns[i]
				if in.Op != isa.OpAtomic || in.Dst != 10 || !in.Fetch { // r1 may point to a map value
					continue
				}
				a, b := &p.Insns[i-2], &p.Insns[i-1]
				rewrite := a.Op == isa.OpLdx && b.Op == isa.OpStx && a.Size == 1 && b.Size == 1 && a.Off == b.Off && a.Dst == b.Src
				if in.Atomic == isa.AtomicCmpXchg && in.ALU32 {
					z := b
					if rewrite {
						z = &p.Insns[i-3]
					}
					if z.Op == isa.OpMov && z.ALU32 && z.RegSrc && z.Dst == 0 && z.Src == 0 {
						rewrite = true
					}
				}
				if rewrite {
					guarded++
				} else {
					unguarded++
				}
			}
		}
		if off && guarded > unguarded/10 || !off && unguarded > 0 || guarded+unguarded == 0 {
			t.Errorf("NoWorkarounds %v: %d guarded and %d unguarded stack fetch atomics", off, guarded, unguarded)
		}
	}
}

// TestCornerCases: the programs, run on their packets, reach the ALU corners
// where implementations differ most: division and modulo by a zero register,
// INT_MIN / -1 and shifts by at least the width.
func TestCornerCases(t *testing.T) {
	counts := map[string]int{}
	for seed := int64(0); seed < 300; seed++ {
		p, specs, err := Generate(seed, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var m *sim.Machine
		var before [isa.NumRegs]uint64 // registers before the instruction traced
		trace := func(r *sim.Record) {
			in := p.At(r.PC)
			if in != nil && in.Op.IsALU() {
				src, dst := before[in.Src], before[in.Dst]
				if !in.RegSrc {
					src = uint64(in.Imm)
				}
				if in.ALU32 {
					src, dst = uint64(uint32(src)), uint64(uint32(dst))
				}
				switch {
				case in.RegSrc && src == 0 && (in.Op == isa.OpDiv || in.Op == isa.OpMod || in.Op == isa.OpSDiv || in.Op == isa.OpSMod):
					counts["division by a zero register"]++
				case (in.Op == isa.OpSDiv || in.Op == isa.OpSMod) && !in.ALU32 && dst == 1<<63 && src == ^uint64(0):
					counts["INT64_MIN / -1"]++
				case (in.Op == isa.OpSDiv || in.Op == isa.OpSMod) && in.ALU32 && dst == 1<<31 && src == 0xffffffff:
					counts["INT32_MIN / -1"]++
				case in.RegSrc && (in.Op == isa.OpLsh || in.Op == isa.OpRsh || in.Op == isa.OpArsh) && (src >= 64 || in.ALU32 && src >= 32):
					counts["shift by at least the width"]++
				}
			}
			before = m.Regs()
		}
		m, err = sim.New([]*isa.Program{p}, specs, sim.Config{Trace: trace})
		if err != nil {
			t.Fatal(err)
		}
		for _, pkt := range Packets(seed, 4) {
			before = [isa.NumRegs]uint64{}
			m.RunXDP(0, pkt.Data)
		}
	}
	for _, c := range []string{"division by a zero register", "INT64_MIN / -1", "INT32_MIN / -1", "shift by at least the width"} {
		if counts[c] == 0 {
			t.Errorf("no %s in 300 programs", c)
		}
	}
	t.Logf("%v", counts)
}
