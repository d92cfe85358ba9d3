package sim_test

import (
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/cilium/ebpf"

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

// TestCsumDiffKernel: bpf_csum_diff returns the 16-bit folded (not
// complemented) difference, accepts sizes that are not multiples of 4, and
// treats pure push and pull specially, as Linux does since 6.13. It used to
// return the 32-bit sum and -EINVAL for such sizes. The expected values were
// produced by the kernel for the same program and packet.
func TestCsumDiffKernel(t *testing.T) {
	pattern := make([]byte, 64)
	for i := range pattern {
		pattern[i] = byte(i*37 + 11)
	}
	for _, tc := range []struct {
		from, to int   // sizes; from is r10-64, to is r10-32
		seed     int64 // r5
		zero     bool  // the stack holds zeros instead of the pattern
		want     uint64
	}{
		{4, 0, 0, false, 0x559f},
		{0, 4, 0, false, 0xeba0},
		{8, 4, 0x12345678, false, 0xd663},
		{0, 0, 0xffffffff, false, 0xffff},
		{0, 0, 0x1ffff, false, 0x1},
		{3, 0, 0, false, 0xcf9f},
		{0, 6, 0, false, 0x4fe0},
		{32, 32, 7, false, 0x108},
		{64, 0, 0, false, 0x902f},
		{4, 0, 0, true, 0x0},
		{0, 4, 0, true, 0x0},
		{4, 4, 0, true, 0xffff},
		{0, 0, 0, true, 0x0},
		{13, 29, 0xdeadbeef, false, 0xdaa2},
	} {
		t.Run(fmt.Sprintf("%d_%d_%x_%v", tc.from, tc.to, tc.seed, tc.zero), func(t *testing.T) {
			src := "ldxw %r7, [%r1+0]\n"
			for i := 0; i < 64; i += 8 {
				src += fmt.Sprintf("ldxdw %%r2, [%%r7+%d]\nstxdw [%%r10-%d], %%r2\n", i, 64-i)
			}
			src += fmt.Sprintf("mov %%r1, %%r10\nadd %%r1, -64\nmov %%r2, %d\nmov %%r3, %%r10\nadd %%r3, -32\nmov %%r4, %d\nlddw %%r5, %d\ncall 28\nexit\n",
				tc.from, tc.to, tc.seed)
			pkt := pattern
			if tc.zero {
				pkt = make([]byte, 64)
			}
			if r := runXDP(t, src, pkt); r.R0 != tc.want {
				t.Errorf("bpf_csum_diff(%d bytes, %d bytes, seed 0x%x) = 0x%x, want 0x%x", tc.from, tc.to, tc.seed, r.R0, tc.want)
			}
		})
	}
}

// TestArrayUpdateFlagsKernel: programs reach array_map_update_elem for ARRAY
// and PERCPU_ARRAY alike, so BPF_F_LOCK is checked after the index and
// BPF_NOEXIST is a bit, not a value. PERCPU_ARRAY used to reject BPF_F_LOCK
// first (the bpf(2) syscall's order) and BPF_NOEXIST|BPF_F_LOCK gave
// -EINVAL. The expected values were produced by the kernel.
func TestArrayUpdateFlagsKernel(t *testing.T) {
	for _, typ := range []ebpf.MapType{ebpf.Array, ebpf.PerCPUArray} {
		for _, tc := range []struct {
			key, flags int
			want       int64
		}{
			{7, 4, -7}, {1, 5, -17}, {1, 4, -22}, {1, 6, -22}, {7, 5, -7}, {1, 3, -22},
			{7, 1, -7}, {1, 1, -17}, {1, 2, 0}, {9, 2, -7}, {9, 6, -7},
		} {
			t.Run(fmt.Sprintf("%v/key%d/flags%d", typ, tc.key, tc.flags), func(t *testing.T) {
				src := fmt.Sprintf("stw [%%r10-4], %d\nstdw [%%r10-16], 0x1234\nmov %%r2, %%r10\nadd %%r2, -4\nmov %%r3, %%r10\nadd %%r3, -16\nmov %%r4, %d\nlddw %%r1, map_fd(0)\ncall 2\nexit\n",
					tc.key, tc.flags)
				p, err := isa.Assemble([]byte(src), t.Name())
				if err != nil {
					t.Fatal(err)
				}
				spec := &isa.MapSpec{Name: "m", Type: typ, KeySize: 4, ValueSize: 8, MaxEntries: 4}
				m, err := sim.New([]*isa.Program{p}, []*isa.MapSpec{spec}, sim.Config{})
				if err != nil {
					t.Fatal(err)
				}
				if r := m.RunXDP(0, make([]byte, 64)); r.Fault != nil || int64(r.R0) != tc.want {
					t.Errorf("bpf_map_update_elem(key %d, flags %d) = %d (%v), want %d", tc.key, tc.flags, int64(r.R0), r.Fault, tc.want)
				}
			})
		}
	}
}

// TestRedirectMapFlagsKernel: bpf_redirect_map aborts on flags other than the
// fallback action, BPF_F_BROADCAST and BPF_F_EXCLUDE_INGRESS (for a DEVMAP),
// and redirects on a broadcast whatever the key; it used to fall back to the
// low bits of any flags. Expected values from the kernel, with ifindex 1 at
// key 1 of a 4-entry DEVMAP.
func TestRedirectMapFlagsKernel(t *testing.T) {
	for _, tc := range []struct {
		key, flags int
		want       uint64
	}{
		{1, 0, 4}, {0, 0, 0}, {0, 2, 2}, {0, 3, 3}, {1, 3, 4}, {0, 8, 4}, {0, 10, 4}, {0, 16, 0},
		{1, 16, 4}, {0, 24, 4}, {0, 4, 0}, {1, 4, 0}, {1, 32, 0}, {9, 8, 4}, {9, 1, 1},
	} {
		src := fmt.Sprintf("mov %%r2, %d\nmov %%r3, %d\nlddw %%r1, map_fd(0)\ncall 51\nexit\n", tc.key, tc.flags)
		p, err := isa.Assemble([]byte(src), t.Name())
		if err != nil {
			t.Fatal(err)
		}
		spec := &isa.MapSpec{Name: "d", Type: ebpf.DevMap, KeySize: 4, ValueSize: 4, MaxEntries: 4,
			Contents: []isa.MapKV{{Key: []byte{1, 0, 0, 0}, Value: []byte{1, 0, 0, 0}}}}
		m, err := sim.New([]*isa.Program{p}, []*isa.MapSpec{spec}, sim.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if r := m.RunXDP(0, make([]byte, 64)); r.Fault != nil || r.R0 != tc.want {
			t.Errorf("bpf_redirect_map(key %d, flags %d) = %d (%v), want %d", tc.key, tc.flags, r.R0, r.Fault, tc.want)
		}
	}
}
