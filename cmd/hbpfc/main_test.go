package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hbpf/hbpf/hbpf/cosim"
)

var hbpfc string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hbpfc-test")
	if err != nil {
		panic(err)
	}
	hbpfc = filepath.Join(dir, "hbpfc")
	if out, err := exec.Command("go", "build", "-o", hbpfc, ".").CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// hbpfcRun runs hbpfc and returns stdout, stderr and the exit code.
func hbpfcRun(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(hbpfc, args...)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(errb.String(), "panic:") || strings.Contains(errb.String(), "goroutine ") {
		t.Fatalf("hbpfc %v panicked:\n%s", args, errb.String())
	}
	return out.String(), errb.String(), code
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestExitCodes checks the documented exit codes and that messages name the
// file and the position.
func TestExitCodes(t *testing.T) {
	badAsm := writeTemp(t, "bad.s", []byte("mov %r0, 1\nfrobnicate %r1\nexit\n"))
	badELF := writeTemp(t, "bad.o", append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 40)...))
	badRaw := writeTemp(t, "bad.bin", []byte{0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0})
	loop := writeTemp(t, "loop.s", []byte("mov %r0, 0\nja -1\nexit\n"))
	oob := writeTemp(t, "oob.s", []byte("ldxdw %r0, [%r1+100]\nexit\n"))
	badPcap := writeTemp(t, "bad.pcap", []byte("not a pcap at all, clearly"))
	good := writeTemp(t, "good.s", []byte("mov %r0, 2\nexit\n"))
	badJSON := writeTemp(t, "bad.json", []byte(`{"fw_rules":[{"key":"zz"}]}`))
	tests := []struct {
		name string
		args []string
		code int
		msg  []string // substrings of stderr
	}{
		{"no command args", []string{"run"}, 2, []string{"PROG"}},
		{"unknown flag", []string{"run", "--frobnicate", good}, 2, nil},
		{"bad timing", []string{"run", good, "--mem", "00", "--timing", "fast"}, 2, []string{"hbpf-classic"}},
		{"missing file", []string{"disasm", "/nonexistent/x.o"}, 11, []string{"/nonexistent/x.o"}},
		{"bad asm", []string{"asm", badAsm, "-o", "-"}, 10, []string{"bad.s:2", "frobnicate"}},
		{"bad ELF", []string{"disasm", badELF}, 10, []string{"bad.o"}},
		{"bad raw", []string{"disasm", badRaw}, 10, []string{"bad.bin", "byte offset 8"}},
		{"bad hex", []string{"run", good, "--mem", "0g"}, 10, []string{"--mem", "'g'"}},
		{"bad packet hex", []string{"run", good, "--packet", "abc"}, 10, []string{"--packet"}},
		{"bad pcap", []string{"run", good, "--pcap", badPcap}, 10, []string{"bad.pcap"}},
		{"endless loop", []string{"run", loop, "--mem", "00", "--max-cycles", "1000"}, 4, []string{"cycle budget", "pc 1"}},
		{"out of bounds", []string{"run", oob, "--mem", "0011"}, 4, []string{"load out of bounds", "pc 0"}},
		{"bad maps-in", []string{"run", "testdata/xdp/xdp_firewall.o", "--packet", "00112233445566778899001108004500", "--maps-in", badJSON}, 10, []string{"bad.json", "fw_rules", "entry 0"}},
		{"offload bad pcap", []string{"offload", "testdata/xdp/xdp_count.o", "--pcap", badPcap, "--no-kernel", "--no-synth"}, 10, []string{"bad.pcap", "offset 0"}},
		{"offload bad clock", []string{"offload", "testdata/xdp/xdp_count.o", "--pcap", badPcap, "--clock", "fast"}, 2, []string{"--clock"}},
		{"ok", []string{"run", good, "--mem", "00"}, 0, nil},
		{"xdp without packets", []string{"run", "testdata/xdp/xdp_count.o"}, 2, []string{"--pcap"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := hbpfcRun(t, "", tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			for _, m := range tt.msg {
				if !strings.Contains(stderr, m) {
					t.Errorf("stderr lacks %q:\n%s", m, stderr)
				}
			}
		})
	}
}

// TestHelpEveryCommand checks that every command's flags are well formed
// (urfave/cli panics on a redefined flag only when the command runs).
func TestHelpEveryCommand(t *testing.T) {
	for _, c := range newApp().Commands {
		if _, stderr, code := hbpfcRun(t, "", c.Name, "--help"); code != 0 {
			t.Errorf("%s --help: exit %d\n%s", c.Name, code, stderr)
		}
	}
}

func TestAsmDisasmRoundTrip(t *testing.T) {
	src := writeTemp(t, "p.s", []byte("mov %r0, 1\nldxw %r1, [%r1+4]\njeq %r1, 0, +1\nr0 = 3\nlddw %r2, 0x1122334455667788\nexit\n"))
	out, stderr, code := hbpfcRun(t, "", "asm", src, "-o", "-", "--hex")
	if code != 0 {
		t.Fatalf("asm: %d %s", code, stderr)
	}
	if n := strings.Count(out, "\n"); n != 7 {
		t.Errorf("asm --hex printed %d slots, want 7:\n%s", n, out)
	}
	bin := filepath.Join(t.TempDir(), "p.bin")
	if _, stderr, code := hbpfcRun(t, "", "asm", src, "-o", bin); code != 0 {
		t.Fatalf("asm: %s", stderr)
	}
	for _, syn := range []string{"conformance", "llvm"} {
		dis, stderr, code := hbpfcRun(t, "", "disasm", bin, "--syntax", syn, "--no-slots")
		if code != 0 {
			t.Fatalf("disasm: %s", stderr)
		}
		again := writeTemp(t, "again.s", []byte(dis))
		out2, stderr, code := hbpfcRun(t, "", "asm", again, "-o", "-", "--hex")
		if code != 0 || out2 != out {
			t.Errorf("%s: disasm → asm changed the bytes (exit %d, %s):\n%s\nvs\n%s", syn, code, stderr, out2, out)
		}
	}
}

func TestPlugin(t *testing.T) {
	// mov r0, r2 (the memory length); exit
	out, stderr, code := hbpfcRun(t, "bf 20 00 00 00 00 00 00 95 00 00 00 00 00 00 00", "plugin", "00010203")
	if code != 0 || strings.TrimSpace(out) != "4" {
		t.Errorf("plugin: exit %d, out %q, err %s", code, out, stderr)
	}
}

func TestRunJSONL(t *testing.T) {
	pkt := "ffffffffffff00112233445508004500001c0001000040110000c0a80001c0a8000204d2162e00080000"
	out, stderr, code := hbpfcRun(t, "", "run", "testdata/xdp/xdp_reflect.o", "--packet", pkt, "--packet", pkt, "--json", "--maps")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"index":0`) || !strings.Contains(lines[1], `"index":1`) ||
		!strings.HasPrefix(lines[2], `{"maps":`) || !strings.Contains(lines[0], `"cycles":`) {
		t.Errorf("want two packet records and a maps line:\n%s", out)
	}
}

// TestOffloadDeadCode checks that `hbpfc offload` on the firewall, whose
// bpf_trace_printk sits behind cfg_debug = 0 in .rodata, says offloadable and
// lists the call as dead code, in the summary and in the JSON.
func TestOffloadDeadCode(t *testing.T) {
	pcap := filepath.Join(t.TempDir(), "mixed.pcap")
	if _, stderr, code := hbpfcRun(t, "", "gen-pcap", "--set", "mixed", "-n", "100", "-o", pcap); code != 0 {
		t.Fatalf("gen-pcap: exit %d\n%s", code, stderr)
	}
	args := []string{"offload", "testdata/xdp/xdp_firewall.o", "--pcap", pcap, "--no-kernel", "--no-synth"}
	out, stderr, code := hbpfcRun(t, "", args...)
	if code != 0 {
		t.Fatalf("offload: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"verdict: offloadable\nnot a blocker", "insn 87 `call 6`: helper 6 bpf_trace_printk", "cause 7, unknown helper"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	out, stderr, code = hbpfcRun(t, "", append(args, "--json")...)
	if code != 0 {
		t.Fatalf("offload --json: exit %d\n%s", code, stderr)
	}
	var doc struct {
		Offloadable bool `json:"offloadable"`
		DeadCode    []struct {
			Slot    int    `json:"slot"`
			Feature string `json:"feature"`
		} `json:"dead_code"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("offload --json: %v\n%s", err, out)
	}
	if !doc.Offloadable || len(doc.DeadCode) != 1 || doc.DeadCode[0].Slot != 87 || doc.DeadCode[0].Feature != "helper 6 bpf_trace_printk" {
		t.Errorf("offload --json: offloadable %v, dead_code %+v; want offloadable with bpf_trace_printk at slot 87", doc.Offloadable, doc.DeadCode)
	}
}

// TestMapsIn: --maps-in reaches every command that runs a program: the
// firewall's .rodata set to drop by default drops in offload and runs in
// lock-step in cosim; with cfg_debug set, its bpf_trace_printk becomes live
// and blocks the offload; a bad file is bad input (exit 10) everywhere.
func TestMapsIn(t *testing.T) {
	dir := t.TempDir()
	pcap := filepath.Join(dir, "flows.pcap")
	if _, stderr, code := hbpfcRun(t, "", "gen-pcap", "--set", "flows", "-n", "100", "-o", pcap); code != 0 {
		t.Fatalf("gen-pcap: exit %d\n%s", code, stderr)
	}
	drop := writeTemp(t, "drop.json", []byte(`{".rodata":[{"key":"00000000","value":"0100000000"}]}`))
	debug := writeTemp(t, "debug.json", []byte(`{".rodata":[{"key":"00000000","value":"0000000001"}]}`))
	bad := writeTemp(t, "bad.json", []byte(`{".rodata":[{"key":"00000000","value":"01"}]}`))
	fw := "testdata/xdp/xdp_firewall.o"

	out, stderr, code := hbpfcRun(t, "", "offload", fw, "--pcap", pcap, "--maps-in", drop, "--no-kernel", "--no-synth", "--json")
	if code != 0 {
		t.Fatalf("offload --maps-in: exit %d\n%s", code, stderr)
	}
	var doc struct {
		Offloadable bool           `json:"offloadable"`
		Actions     map[string]int `json:"actions"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("offload --json: %v", err)
	}
	if !doc.Offloadable || doc.Actions["XDP_DROP"] == 0 {
		t.Errorf("offload with cfg_default_action = drop: offloadable %v, actions %v; want XDP_DROP", doc.Offloadable, doc.Actions)
	}

	out, stderr, code = hbpfcRun(t, "", "offload", fw, "--pcap", pcap, "--maps-in", debug, "--no-kernel", "--no-synth")
	if code != 0 || !strings.Contains(out, "verdict: not offloadable") || !strings.Contains(out, "helper 6 bpf_trace_printk") {
		t.Errorf("offload with cfg_debug = 1: exit %d, want a bpf_trace_printk blocker:\n%s%s", code, out, stderr)
	}

	if err := cosim.Available(); err == nil {
		out, stderr, code = hbpfcRun(t, "", "cosim", fw, "--pcap", pcap, "--maps-in", drop)
		if code != 0 || !strings.Contains(out, "rtl = sim") {
			t.Errorf("cosim --maps-in: exit %d\n%s%s", code, out, stderr)
		}
	}

	for _, cmd := range [][]string{
		{"offload", fw, "--pcap", pcap, "--maps-in", bad, "--no-kernel", "--no-synth"},
		{"cosim", fw, "--pcap", pcap, "--maps-in", bad},
	} {
		_, stderr, code := hbpfcRun(t, "", cmd...)
		if code != 10 || !strings.Contains(stderr, "bad.json") || !strings.Contains(stderr, ".rodata") {
			t.Errorf("%s with a bad --maps-in: exit %d, want 10 naming the file and map:\n%s", cmd[0], code, stderr)
		}
	}
}
