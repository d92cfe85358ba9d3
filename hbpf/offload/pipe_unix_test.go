//go:build unix

package offload

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestTraceFromPipe checks that a trace read from a pipe (--pcap <(...)),
// which can be read only once, is evaluated in every profile and that the
// report names the path given.
func TestTraceFromPipe(t *testing.T) {
	data, err := os.ReadFile(trace(t, "mixed", 300))
	if err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(t.TempDir(), "trace.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.Write(data)
		f.Close()
	}()
	r, err := Evaluate(testdata(t, "xdp_count.o"), fifo, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Trace != fifo || r.Packets+r.Skipped != 300 || len(r.Profiles) != 2 || r.Profiles[1].Insns.N != r.Packets {
		t.Errorf("trace %q: %d packets + %d skipped, profiles %d; want all 300 in both profiles", r.Trace, r.Packets, r.Skipped, len(r.Profiles))
	}
}
