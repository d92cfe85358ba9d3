package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hbpf/hbpf/hbpf/xdp"
)

func TestDiffUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"diff"}, "give --random N, or one PROG"},
		{[]string{"diff", "--random", "5", "testdata/xdp/xdp_count.o"}, "not both"},
		{[]string{"diff", "--random", "0"}, "must be positive"},
		{[]string{"diff", "--random", "5", "--map", "lpm"}, "want array, hash"},
		{[]string{"diff", "--random", "5", "--window", "8"}, "window 8"},
		{[]string{"diff", "testdata/xdp/xdp_count.o"}, "--pcap IN or --set SET"},
		{[]string{"diff", "testdata/xdp/xdp_count.o", "--set", "mixed", "--mask", "flows:8"}, "MAP:OFF:LEN"},
		{[]string{"diff", "testdata/xdp/xdp_count.o", "--set", "nope"}, "nope"},
	} {
		_, stderr, code := hbpfcRun(t, "", tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("hbpfc %v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
}

func requireKernel(t *testing.T) {
	t.Helper()
	if err := xdp.KernelAvailable(); err != nil {
		t.Skipf("skipping: %v", err)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestDiffRandom(t *testing.T) {
	requireKernel(t)
	stdout, stderr, code := hbpfcRun(t, "", "diff", "--random", "100", "--seed", "7")
	if code != 0 || lastLine(stdout) != "100 passed, 0 failed" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "100 programs, 400 packets") || !strings.Contains(stderr, "seeds 7..106") {
		t.Errorf("stderr lacks the figures: %q", stderr)
	}

	// A cycle budget too small for any program makes the simulator trap:
	// a divergence, exit 3, reported in full.
	stdout, _, code = hbpfcRun(t, "", "diff", "--random", "2", "--max-cycles", "30", "--minimize")
	if code != exitMismatch || lastLine(stdout) != "0 passed, 2 failed" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	for _, want := range []string{"seed 1 ", "seed 2 ", "DIVERGENCE", "trap", "minimized (seed 1)", "exit"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q", want)
		}
	}

	stdout, _, code = hbpfcRun(t, "", "diff", "--random", "3", "--json")
	var doc struct {
		Programs, Passed, Failed, Rejected, Packets int
		Failures                                    []any
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != 0 {
		t.Fatalf("--json: exit %d, %v: %q", code, err, stdout)
	}
	if doc.Programs != 3 || doc.Passed != 3 || doc.Packets != 12 || doc.Failures == nil {
		t.Errorf("--json document %+v", doc)
	}
}

func TestDiffProgram(t *testing.T) {
	requireKernel(t)
	// The flow table stores bpf_ktime_get_ns timestamps: they differ unless
	// masked.
	stdout, _, code := hbpfcRun(t, "", "diff", "testdata/xdp/xdp_flowtable.o", "--set", "mixed", "--count", "40")
	if code != exitMismatch || lastLine(stdout) != "0 passed, 1 failed" || !strings.Contains(stdout, "map flows") {
		t.Errorf("unmasked: exit %d, stdout %q", code, stdout)
	}
	stdout, stderr, code := hbpfcRun(t, "", "diff", "testdata/xdp/xdp_flowtable.o", "--set", "mixed", "--count", "40", "--mask", "flows:16:16")
	if code != 0 || lastLine(stdout) != "40 passed, 0 failed" {
		t.Errorf("masked: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	pcap := writeTemp(t, "t.pcap", nil)
	if _, stderr, code := hbpfcRun(t, "", "gen-pcap", "--set", "edge", "-n", "120", "-o", pcap); code != 0 {
		t.Fatal(stderr)
	}
	stdout, stderr, code = hbpfcRun(t, "", "diff", "testdata/xdp/xdp_count.o", "--pcap", pcap, "--json")
	var doc struct {
		Program                 string
		Passed, Failed, Skipped int
		Actions                 map[string]int
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != 0 {
		t.Fatalf("exit %d, %v, stdout %q, stderr %q", code, err, stdout, stderr)
	}
	if doc.Program != "xdp_count" || doc.Failed != 0 || doc.Passed+doc.Skipped != 120 || doc.Actions["XDP_PASS"] == 0 {
		t.Errorf("document %+v", doc)
	}
}
