package cosim

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/rtl"
	"github.com/hbpf/hbpf/hbpf/sim"
)

// TestPlantedFaults proves that co-simulation can fail: a core generated with
// a planted fault must be caught at the faulty instruction, with the field
// that differs.
func TestPlantedFaults(t *testing.T) {
	if err := Available(); err != nil {
		t.Skipf("co-simulation needs Verilator: %v", err)
	}
	const src = `
mov %r0, 5
mov %r1, 3
stxdw [%r10-8], %r1
ldxdw %r2, [%r10-8]
xor %r0, %r2
exit
`
	p, err := isa.Assemble([]byte(src), "fault.s")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		fault rtl.Fault
		pc    int    // the instruction at which the divergence shows
		field string // FieldDiff's name of the differing field
	}{
		{rtl.FaultALUXor, 4, "r0"},
		{rtl.FaultLoadCycle, 3, "cycle"},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault), func(t *testing.T) {
			m, err := Build(context.Background(), BuildConfig{RTL: rtl.Config{Fault: tt.fault}})
			if err != nil {
				t.Fatal(err)
			}
			s := session(t, m)
			c, err := NewChecker(s, rtl.Config{}, []*isa.Program{p}, 0, nil, sim.Config{Conformance: true})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.RunMem(nil)
			var mm *Mismatch
			if !errors.As(err, &mm) {
				t.Fatalf("no mismatch reported: %v", err)
			}
			t.Logf("%s", mm.Report())
			if mm.PC() != tt.pc {
				t.Errorf("divergence at pc %d, want %d", mm.PC(), tt.pc)
			}
			if mm.Sim == nil || mm.HW == nil {
				t.Fatalf("want both records, got sim %v rtl %v", mm.Sim, mm.HW)
			}
			diff := FieldDiff(mm.Sim, mm.HW)
			if len(diff) == 0 || len(diff[0]) < len(tt.field) || diff[0][:len(tt.field)] != tt.field {
				t.Errorf("differing fields %q, want %s first", diff, tt.field)
			}
		})
	}
}

// TestPlantedHashFault: a hash unit whose walk the helper charges one cycle
// too many is caught at the bpf_map_lookup_elem, on its cycle stamp.
func TestPlantedHashFault(t *testing.T) {
	if err := Available(); err != nil {
		t.Skipf("co-simulation needs Verilator: %v", err)
	}
	const src = `
stw [%r10-8], 7
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd(0)
call 1
mov %r0, 2
exit
`
	p, err := isa.Assemble([]byte(src), "hashfault.s")
	if err != nil {
		t.Fatal(err)
	}
	specs := []*isa.MapSpec{{Name: "h", Type: ebpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 4,
		Contents: []isa.MapKV{{Key: []byte{7, 0, 0, 0}, Value: make([]byte, 8)}}}}
	for _, fault := range []rtl.Fault{rtl.FaultNone, rtl.FaultHashWalk} {
		m, err := Build(context.Background(), BuildConfig{RTL: rtl.Config{Fault: fault}})
		if err != nil {
			t.Fatal(err)
		}
		c, err := NewChecker(session(t, m), rtl.Config{}, []*isa.Program{p}, 0, specs, sim.Config{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.RunXDP(make([]byte, 64))
		if fault == rtl.FaultNone {
			if err != nil {
				t.Fatalf("without a fault: %v", err)
			}
			continue
		}
		var mm *Mismatch
		if !errors.As(err, &mm) {
			t.Fatalf("%s: no mismatch reported: %v", fault, err)
		}
		t.Logf("%s", mm.Report())
		if mm.PC() != 5 || mm.Sim == nil || mm.HW == nil {
			t.Fatalf("%s: divergence at pc %d, want 5 (the call)", fault, mm.PC())
		}
		if diff := FieldDiff(mm.Sim, mm.HW); len(diff) == 0 || !strings.HasPrefix(diff[0], "cycle") {
			t.Errorf("%s: differing fields %q, want cycle first", fault, diff)
		}
	}
}
