package randprog

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/sim"
	"github.com/hbpf/hbpf/hbpf/xdp"
)

// requireKernel skips the test unless the kernel can load and run XDP
// programs here (root, BPF enabled).
func requireKernel(t *testing.T) {
	t.Helper()
	if err := xdp.KernelAvailable(); err != nil {
		t.Skipf("skipping the differential test against the kernel: %v", err)
	}
}

// maxRejectionRate is the fraction of generated programs the verifier may
// refuse before the generator counts as broken.
const maxRejectionRate = 0.005

// TestDifferential runs random programs in the simulator and the kernel and
// demands identical actions, packets and maps.
func TestDifferential(t *testing.T) {
	requireKernel(t)
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"default", Config{Seed: 1, N: 3000, Packets: 4}},
		{"large", Config{Seed: 1_000_000, N: 150, Packets: 4, Options: Options{Size: 192}}},
		{"window128", Config{Seed: 2_000_000, N: 100, Packets: 4, Options: Options{Window: 128}}},
		{"array", Config{Seed: 3_000_000, N: 100, Packets: 6, Options: Options{MapType: ebpf.Array}}},
		{"hash", Config{Seed: 4_000_000, N: 100, Packets: 6, Options: Options{MapType: ebpf.Hash}}},
		{"percpu_array", Config{Seed: 5_000_000, N: 100, Packets: 6, Options: Options{MapType: ebpf.PerCPUArray}}},
		{"percpu_hash", Config{Seed: 6_000_000, N: 100, Packets: 6, Options: Options{MapType: ebpf.PerCPUHash}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Keep = 3
			sum, err := Campaign(context.Background(), tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d programs, %d packets in %v: %d passed, %d diverged, %d rejected (%.2f%%)",
				sum.Programs, sum.Packets, sum.Elapsed.Round(time.Millisecond), sum.Passed, sum.Failed, sum.Rejected, 100*sum.RejectionRate())
			if sum.Programs != tc.cfg.N {
				t.Fatalf("%d programs checked, want %d", sum.Programs, tc.cfg.N)
			}
			for _, o := range sum.Failures {
				t.Error(o.Report())
			}
			if sum.RejectionRate() > maxRejectionRate {
				t.Errorf("the verifier rejected %.2f%% of the programs, more than %.2f%%", 100*sum.RejectionRate(), 100*maxRejectionRate)
			}
			if sum.Packets < sum.Passed*tc.cfg.Packets {
				t.Errorf("%d packets compared, want at least %d", sum.Packets, sum.Passed*tc.cfg.Packets)
			}
		})
	}
}

// TestCheckDetectsDivergence makes the simulator differ from the kernel (a
// cycle budget too small for the program) and checks that Check reports it
// with everything needed to reproduce it, and that Minimize shrinks it.
func TestCheckDetectsDivergence(t *testing.T) {
	requireKernel(t)
	const seed = 5
	pkts := Packets(seed, 2)
	pkts[0].Data = append(make([]byte, 0, 100), make([]byte, 100)...) // long enough for the full path
	cfg := sim.Config{MaxCycles: 40}
	o, err := Check(seed, Options{}, pkts, cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	if o.OK() || o.Divergence == nil || o.Divergence.What != "trap" {
		t.Fatalf("outcome %+v, want a trap divergence", o)
	}
	rep := o.Report()
	for _, want := range []string{"seed 5", "DIVERGENCE", "cycle", "packet 0 (100 bytes)", "simulator:", "kernel:", "exit"} {
		if !strings.Contains(rep, want) {
			t.Errorf("report lacks %q:\n%s", want, rep)
		}
	}
	q, v, err := Minimize(seed, Options{}, pkts, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if v == nil || v.What != "trap" {
		t.Fatalf("minimized divergence %v, want a trap", v)
	}
	live := func(p *isa.Program) (n int) {
		for i := range p.Insns {
			if !isNop(&p.Insns[i]) {
				n++
			}
		}
		return n
	}
	if live(q) >= live(o.Program) {
		t.Errorf("minimized program has %d instructions, the original %d", live(q), live(o.Program))
	}
	t.Logf("minimized from %d to %d instructions", live(o.Program), live(q))

	// A program that agrees is returned as it is, with no divergence.
	if _, v, err := Minimize(seed, Options{}, pkts, sim.Config{}); err != nil || v != nil {
		t.Errorf("Minimize of an agreeing program = %v, %v; want no divergence", v, err)
	}
}
