package packets

import (
	"io"
	"path/filepath"
	"testing"
	"time"
)

// writeGenerated streams n packets of set into a new capture in dir.
func writeGenerated(tb testing.TB, dir, set string, n int) string {
	tb.Helper()
	path := filepath.Join(dir, set+".pcap")
	g, err := NewGenerator(set, 1)
	if err != nil {
		tb.Fatal(err)
	}
	w, err := Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	for range n {
		p, err := g.Next()
		if err != nil {
			tb.Fatal(err)
		}
		if err := w.WritePacket(p); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkRead1M reads a 1,000,000-packet capture into memory (Read) and
// streams it (Scan), reporting packets per second.
func BenchmarkRead1M(b *testing.B) {
	const n = 1_000_000
	dir := b.TempDir()
	for _, set := range []string{"imix", "min"} {
		start := time.Now()
		path := writeGenerated(b, dir, set, n)
		b.Logf("generated and wrote %d %s packets in %v", n, set, time.Since(start))

		b.Run(set+"/Read", func(b *testing.B) {
			iters := 0
			for b.Loop() {
				tr, err := Read(path)
				if err != nil {
					b.Fatal(err)
				}
				if tr.Len() != n {
					b.Fatalf("read %d packets", tr.Len())
				}
				iters++
			}
			b.ReportMetric(float64(n*iters)/b.Elapsed().Seconds(), "pkts/s")
		})
		b.Run(set+"/Scan", func(b *testing.B) {
			iters := 0
			for b.Loop() {
				var bytes int
				err := Scan(path, func(p Packet) error {
					bytes += len(p.Data)
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				iters++
			}
			b.ReportMetric(float64(n*iters)/b.Elapsed().Seconds(), "pkts/s")
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, set := range Sets() {
		b.Run(set, func(b *testing.B) {
			g, err := NewGenerator(set, 1)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := g.Next(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWrite(b *testing.B) {
	ps := mustGenerate(b, "imix", 10000, 1)
	b.ResetTimer()
	for b.Loop() {
		if err := WriteTo(io.Discard, FormatPcap, ps); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(ps)*b.N)/b.Elapsed().Seconds(), "pkts/s")
}
