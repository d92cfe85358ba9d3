package sim_test

import (
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/sim"
)

// Regression tests for divergences from the Linux kernel found by the
// differential tests of package randprog. Each expected value is what Linux
// 6.18 returns for the same program and packet under BPF_PROG_TEST_RUN.

func runXDP(t *testing.T, src string, packet []byte) sim.XDPResult {
	t.Helper()
	p, err := isa.Assemble([]byte(src), t.Name())
	if err != nil {
		t.Fatalf("assembling:\n%s\n%v", src, err)
	}
	m, err := sim.New([]*isa.Program{p}, nil, sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	r := m.RunXDP(0, packet)
	if r.Fault != nil {
		t.Fatalf("trap: %v", r.Fault)
	}
	return r
}

// TestAdjustMetaKernelBounds: the kernel accepts up to 252 bytes of metadata
// (a 4-byte multiple that fits skb_shared_info's u8 meta_len), limited by the
// headroom left above struct xdp_frame; it used to be capped at 32 here.
func TestAdjustMetaKernelBounds(t *testing.T) {
	const (
		eINVAL = -22
		eACCES = -13
	)
	for _, tc := range []struct {
		delta   int
		ret     int64
		metaLen int
	}{
		{-4, 0, 4},
		{-32, 0, 32},
		{-36, 0, 36},
		{-40, 0, 40},
		{-216, 0, 216}, // all the headroom above the 40-byte xdp_frame
		{-220, eINVAL, 0},
		{-252, eINVAL, 0},
		{-256, eINVAL, 0},
		{-3, eACCES, 0},
		{4, eINVAL, 0},
		{0, 0, 0},
	} {
		t.Run(fmt.Sprint(tc.delta), func(t *testing.T) {
			src := fmt.Sprintf("mov %%r2, %d\ncall 54\nexit\n", tc.delta)
			r := runXDP(t, src, make([]byte, 100))
			if int64(r.R0) != tc.ret || len(r.Meta) != tc.metaLen || len(r.Data) != 100 {
				t.Errorf("bpf_xdp_adjust_meta(%d) = %d with %d bytes of metadata and %d of data, want %d, %d and 100",
					tc.delta, int64(r.R0), len(r.Meta), len(r.Data), tc.ret, tc.metaLen)
			}
		})
	}
}

// TestAdjustMetaThenWrite: the metadata area a program grows is writable and
// returned in front of the data.
func TestAdjustMetaThenWrite(t *testing.T) {
	src := `mov %r6, %r1
mov %r2, -40
call 54
ldxw %r2, [%r6+8]
ldxw %r3, [%r6+0]
mov %r1, %r2
add %r1, 40
jgt %r1, %r3, out
stdw [%r2+32], 0x11223344
out:
mov %r0, 2
exit
`
	r := runXDP(t, src, make([]byte, 60))
	want := "0000000000000000000000000000000000000000000000000000000000000000" + "4433221100000000"
	if got := hex.EncodeToString(r.Meta); got != want {
		t.Errorf("metadata %s, want %s", got, want)
	}
}
