package rtl

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/hbpf/hbpf/hbpf/isa"
)

func TestUnsupported(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "xdp")
	tests := []struct {
		object string
		want   []string // substrings, one per line, in order; none: offloadable
	}{
		{"xdp_count.o", nil},
		{"xdp_reflect.o", nil},
		{"xdp_encap.o", nil},
		{"xdp_firewall.o", []string{"helper 6 bpf_trace_printk", `map 1 "fw_rules": 1024 entries`}},
		{"xdp_calls.o", nil},
		{"xdp_redirect.o", nil},
		{"xdp_flowtable.o", []string{`map 1 "flows": LRUHash maps`}},
		{"xdp_sample.o", []string{"ArrayOfMaps", `"samples": 524288 bytes`}},
	}
	for _, tt := range tests {
		t.Run(tt.object, func(t *testing.T) {
			f, err := isa.Open(filepath.Join(dir, tt.object))
			if err != nil {
				t.Skipf("testdata object: %v", err)
			}
			got := Unsupported(f.Object.Programs[0], f.Object.Maps)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d lines, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i], "not offloadable: ") || !strings.Contains(got[i], w) {
					t.Errorf("line %d: %q, want it to name %q", i, got[i], w)
				}
			}
		})
	}
}
