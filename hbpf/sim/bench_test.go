package sim

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/packets"
	"github.com/hbpf/hbpf/hbpf/sim/timing"
)

const computeLoop = `
	mov %r0, 0
	mov %r1, 100000
loop:
	add %r0, %r1
	xor %r0, 0x55
	lsh %r0, 1
	rsh %r0, 1
	mov %r2, %r0
	and %r2, 0xff
	stxdw [%r10-8], %r2
	ldxdw %r3, [%r10-8]
	add %r0, %r3
	sub %r1, 1
	jne %r1, 0, loop
	exit
`

// BenchmarkCompute measures simulated instructions per second on an ALU,
// memory and branch loop, counting cycles, in each profile.
func BenchmarkCompute(b *testing.B) {
	p, err := isa.Assemble([]byte(computeLoop), "compute")
	if err != nil {
		b.Fatal(err)
	}
	for _, prof := range timing.Profiles {
		b.Run(prof.Name, func(b *testing.B) {
			m, err := New([]*isa.Program{p}, nil, Config{Profile: prof, MaxCycles: 1 << 40})
			if err != nil {
				b.Fatal(err)
			}
			var insns uint64
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r := m.RunMem(0, nil)
				insns += r.Insns
			}
			b.ReportMetric(float64(insns)/b.Elapsed().Seconds()/1e6, "Minsns/s")
		})
	}
}

// BenchmarkXDP measures per-packet simulation of the testdata XDP programs on
// the "mixed" packet set.
func BenchmarkXDP(b *testing.B) {
	_, file, _, _ := runtime.Caller(0)
	objs, _ := filepath.Glob(filepath.Join(filepath.Dir(file), "..", "..", "testdata", "xdp", "*.o"))
	pkts, err := packets.Generate("mixed", 1024, 1)
	if err != nil {
		b.Fatal(err)
	}
	for _, path := range objs {
		obj, err := isa.LoadELF(path)
		if err != nil {
			b.Fatal(err)
		}
		for _, prof := range timing.Profiles {
			name := filepath.Base(path) + "/" + prof.Name
			b.Run(name, func(b *testing.B) {
				m, err := New(obj.Programs, obj.Maps, Config{Profile: prof})
				if err != nil {
					b.Skipf("%v", err)
				}
				var insns uint64
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					r := m.RunXDP(0, pkts[i%len(pkts)].Data)
					insns += r.Insns
				}
				b.ReportMetric(float64(insns)/b.Elapsed().Seconds()/1e6, "Minsns/s")
			})
		}
	}
}
