package cosim

import (
	"testing"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/rtl"
	"github.com/hbpf/hbpf/hbpf/sim"
)

// TestStatefulHelpers covers the helpers whose results depend on state that
// outlives a run (the clock of bpf_ktime_get_ns, the bpf_get_prandom_u32
// generator) or that random programs do not call, over several packets.
func TestStatefulHelpers(t *testing.T) {
	m := defaultModel(t)
	s := session(t, m)
	const src = `
call 5
mov %r6, %r0
call 7
xor %r6, %r0
call 7
add %r6, %r0
call 125
add %r6, %r0
call 8
add %r6, %r0
mov %r1, %r6
and %r1, 3
mov %r2, %r1
call 23
ldxw %r7, [%r10-4]
mov %r1, 9
mov %r2, 0
call 23
mov %r9, %r0
ldxw %r2, [%r1+0]
exit
`
	p, err := isa.Assemble([]byte(src), "helpers.s")
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range []uint32{1, 0xdeadbeef} {
		c, err := NewChecker(s, rtl.Config{}, []*isa.Program{p}, 0, nil, sim.Config{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 4; i++ {
			if _, err := c.RunXDP(make([]byte, 60+i)); err != nil {
				if mm, ok := IsMismatch(err); ok {
					t.Fatalf("seed %#x packet %d:\n%s", seed, i, mm.Report())
				}
				t.Fatal(err)
			}
		}
	}
}

// TestLegacyLoads covers ld_abs and ld_ind (big-endian packet loads that end
// the program with r0 = 0 when out of bounds).
func TestLegacyLoads(t *testing.T) {
	m := defaultModel(t)
	s := session(t, m)
	for _, src := range []string{
		"ldabsb 3\nmov %r6, %r0\nldabsh 4\nadd %r6, %r0\nldabsw 6\nadd %r0, %r6\nexit\n",
		"mov %r1, 2\nldindw %r1, 3\nexit\n",
		"mov %r1, 60\nldindh %r1, 3\nmov %r0, 7\nexit\n",
		"ldabsw 100\nmov %r0, 7\nexit\n",
	} {
		p, err := isa.Assemble([]byte(src), "legacy.s")
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		c, err := NewChecker(s, rtl.Config{}, []*isa.Program{p}, 0, nil, sim.Config{})
		if err != nil {
			t.Fatal(err)
		}
		pkt := make([]byte, 64)
		for i := range pkt {
			pkt[i] = byte(i*7 + 1)
		}
		if _, err := c.RunXDP(pkt); err != nil {
			if mm, ok := IsMismatch(err); ok {
				t.Fatalf("%q:\n%s", src, mm.Report())
			}
			t.Fatal(err)
		}
	}
}
