package cosim

import (
	"fmt"
	"testing"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/rtl"
	"github.com/hbpf/hbpf/hbpf/sim"
)

// loopProgram builds main: r0 = bpf_loop(n, cb, ctx, flags) + r6 (r6 survives
// the callbacks); cb: stop (return 1) at iteration stop, and, if nest, call
// bpf_loop again from inside the callback (which eventually overflows the
// call frames).
func loopProgram(t *testing.T, n, flags int64, stop int64, nest bool) *isa.Program {
	t.Helper()
	mov := func(dst uint8, imm int64) isa.Insn { return isa.Insn{Op: isa.OpMov, Dst: dst, Imm: imm} }
	var main []isa.Insn
	main = append(main,
		mov(6, 7),
		mov(1, n),
		isa.Insn{Op: isa.OpLddw, Dst: 2, Src: isa.PseudoFunc}, // imm set below
		isa.Insn{Op: isa.OpMov, Dst: 3, Src: 10, RegSrc: true},
		mov(4, flags),
		isa.Insn{Op: isa.OpCall, Imm: 181},
		isa.Insn{Op: isa.OpAdd, Dst: 0, Src: 6, RegSrc: true},
		isa.Insn{Op: isa.OpExit},
	)
	cbSlot := 0
	for _, in := range main {
		cbSlot += in.Slots()
	}
	main[2].Imm = int64(cbSlot - 2 - 1) // target = slot + 1 + imm, lddw at slot 2
	cb := []isa.Insn{
		mov(6, 99), // clobbers r6: the frame restores it
		mov(0, 0),
		{Op: isa.OpJne, Dst: 1, Imm: stop, Off: 1},
		mov(0, 1),
	}
	if nest {
		cb = append(cb,
			mov(1, 2),
			isa.Insn{Op: isa.OpLddw, Dst: 2, Src: isa.PseudoFunc},
			mov(4, 0),
			isa.Insn{Op: isa.OpCall, Imm: 181},
		)
		slot := cbSlot
		for _, in := range cb[:5] {
			slot += in.Slots()
		}
		cb[5].Imm = int64(cbSlot - slot - 1) // the callback calls itself back
	}
	cb = append(cb, isa.Insn{Op: isa.OpExit})
	p, err := isa.FromInsns(append(main, cb...))
	if err != nil {
		t.Fatal(err)
	}
	p.Name = "loop"
	return p
}

func TestBpfLoop(t *testing.T) {
	m := defaultModel(t)
	s := session(t, m)
	tests := []struct {
		n, flags, stop int64
		nest           bool
	}{
		{n: 5, stop: 99}, {n: 5, stop: 2}, {n: 0, stop: 0}, {n: 1, stop: 0}, {n: 3, flags: 1, stop: 9},
		{n: 1 << 23, stop: 3}, {n: 1<<23 + 1, stop: 3}, {n: 2, stop: 99, nest: true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("n=%d,flags=%d,stop=%d,nest=%v", tt.n, tt.flags, tt.stop, tt.nest), func(t *testing.T) {
			p := loopProgram(t, tt.n, tt.flags, tt.stop, tt.nest)
			c, err := NewChecker(s, rtl.Config{}, []*isa.Program{p}, 0, nil, sim.Config{})
			if err != nil {
				t.Fatal(err)
			}
			r, err := c.RunXDP(make([]byte, 64))
			if err != nil {
				if mm, ok := IsMismatch(err); ok {
					t.Fatalf("%s", mm.Report())
				}
				t.Fatal(err)
			}
			t.Logf("r0=%d cycles=%d fault=%v records=%d", int64(r.R0), r.Cycles, r.Fault, c.Records)
		})
	}
}
