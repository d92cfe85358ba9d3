package xdp_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/packets"
	"github.com/hbpf/hbpf/hbpf/sim"
	"github.com/hbpf/hbpf/hbpf/sim/maps"
	"github.com/hbpf/hbpf/hbpf/xdp"
)

// testdataMasks lists, by object, the map value bytes whose contents differ
// between the simulator and the kernel by design.
var testdataMasks = map[string][]xdp.Mask{
	"xdp_flowtable.o": {{Map: "flows", Offset: 16, Len: 16,
		Reason: "first_seen and last_seen are bpf_ktime_get_ns timestamps: the kernel's clock, the core's cycle count"}},
	"xdp_sample.o": {{Map: "samples", Offset: 0, Len: 8,
		Reason: "a sample record starts with its bpf_ktime_get_ns timestamp"}},
}

// testdataUnsupported lists the programs that cannot run on both sides here,
// and why. The test checks that they indeed fail to load, so that the list
// shrinks when support arrives.
var testdataUnsupported = map[string]string{}

// packetSets are the generated traces every testdata program is run on.
var packetSets = []string{"mixed", "edge", "flows"}

const packetsPerSet = 300

func requireKernel(t *testing.T) {
	t.Helper()
	if err := xdp.KernelAvailable(); err != nil {
		t.Skipf("skipping the differential test against the kernel: %v", err)
	}
}

// TestTestdataDifferential runs every XDP program of testdata/xdp on
// generated traces in the simulator and the kernel and requires the same
// action, packet bytes, metadata and (masked) map contents after every packet.
// Per-CPU maps are compared with the values of the CPU the kernel runs were
// pinned to (Kernel.CPU, 0), which received every update.
func TestTestdataDifferential(t *testing.T) {
	requireKernel(t)
	files, err := filepath.Glob("../../testdata/xdp/*.o")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata objects: %v", err)
	}
	traces := map[string][]packets.Packet{}
	for _, set := range packetSets {
		ps, err := packets.Generate(set, packetsPerSet, 1)
		if err != nil {
			t.Fatalf("generating %s: %v", set, err)
		}
		traces[set] = ps
	}
	compared, skipped := 0, 0
	for _, file := range files {
		base := filepath.Base(file)
		obj, err := isa.LoadELF(file)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, p := range obj.Programs {
			if p.Type != ebpf.XDP {
				continue
			}
			name := base + "/" + p.Name
			t.Run(name, func(t *testing.T) {
				for _, m := range xdp.NotCompared(obj.Maps) {
					t.Logf("map not compared: %s", m)
				}
				if why, ok := testdataUnsupported[name]; ok {
					d, err := xdp.NewDiffer(obj, p.Name, sim.Config{})
					if err == nil {
						d.Close()
						t.Fatalf("listed as unsupported (%s), but it loads on both sides now: remove it from the list", why)
					}
					t.Skipf("not comparable here: %s (%v)", why, err)
				}
				for _, set := range packetSets {
					t.Run(set, func(t *testing.T) {
						d, err := xdp.NewDiffer(obj, p.Name, sim.Config{})
						if err != nil {
							t.Fatal(err)
						}
						defer d.Close()
						d.Masks = testdataMasks[base]
						for i := range traces[set] {
							v, err := d.Packet(&traces[set][i])
							if errors.Is(err, xdp.ErrNotComparable) {
								continue // counted in d.Skipped, logged below
							}
							if err != nil {
								t.Fatal(err)
							}
							if v != nil {
								t.Fatalf("%s\nreproduce: hbpfc gen-pcap --set %s -n %d --seed 1 -o trace.pcap && hbpfc diff %s --prog %s --pcap trace.pcap",
									v.Report(), set, packetsPerSet, file, p.Name)
							}
						}
						if d.Compared < len(traces[set])*9/10 {
							t.Errorf("only %d of %d packets compared", d.Compared, len(traces[set]))
						}
						compared += d.Compared
						skipped += d.Skipped
						t.Logf("%d packets compared, %d skipped, actions %v", d.Compared, d.Skipped, d.Actions)
					})
				}
			})
		}
	}
	t.Logf("%d packets compared, %d skipped (longer than %d bytes)", compared, skipped, xdp.KernelLinearMax)
}

func TestCompareContents(t *testing.T) {
	kv := func(k, v string) isa.MapKV { return isa.MapKV{Key: []byte(k), Value: []byte(v)} }
	for _, tc := range []struct {
		name        string
		sim, kernel maps.Contents
		want        string // substring of the difference, "" if equal
	}{
		{"equal", maps.Contents{"m": {kv("a", "1"), kv("b", "2")}}, maps.Contents{"m": {kv("a", "1"), kv("b", "2")}}, ""},
		{"empty vs nil", maps.Contents{"m": {}}, maps.Contents{"m": nil}, ""},
		{"value", maps.Contents{"m": {kv("a", "1")}}, maps.Contents{"m": {kv("a", "2")}}, "map m: key 61: simulator value 31, kernel value 32"},
		{"key", maps.Contents{"m": {kv("a", "1")}}, maps.Contents{"m": {kv("b", "1")}}, "simulator key 61, kernel key 62"},
		{"extra kernel entry", maps.Contents{"m": {kv("a", "1")}}, maps.Contents{"m": {kv("a", "1"), kv("b", "1")}}, "the kernel has an extra entry"},
		{"extra sim entry", maps.Contents{"m": {kv("a", "1"), kv("b", "1")}}, maps.Contents{"m": {kv("a", "1")}}, "the simulator has an extra entry"},
		{"missing in kernel", maps.Contents{"m": nil, "n": nil}, maps.Contents{"m": nil}, "map n: the kernel could not dump it"},
		{"missing in sim", maps.Contents{}, maps.Contents{"m": nil}, "map m: only the kernel has it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := xdp.CompareContents(tc.sim, tc.kernel)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("CompareContents = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestApplyMasks(t *testing.T) {
	c := maps.Contents{
		"ts":    {{Key: []byte{1}, Value: []byte{1, 2, 3, 4, 5, 6}}},
		"other": {{Key: []byte{1}, Value: []byte{1, 2, 3}}},
	}
	got := xdp.ApplyMasks(c, []xdp.Mask{{Map: "ts", Offset: 2, Len: 2}, {Map: "ts", Offset: 5, Len: 10}})
	if want := []byte{1, 2, 0, 0, 5, 0}; string(got["ts"][0].Value) != string(want) {
		t.Errorf("masked value %v, want %v", got["ts"][0].Value, want)
	}
	if string(got["other"][0].Value) != "\x01\x02\x03" {
		t.Errorf("unmasked map changed: %v", got["other"][0].Value)
	}
	if string(c["ts"][0].Value) != "\x01\x02\x03\x04\x05\x06" {
		t.Errorf("ApplyMasks modified its input: %v", c["ts"][0].Value)
	}
}

// TestKernelMetaAndPerCPU checks two things the kernel oracle must get right
// for the comparison to be fair: metadata in front of the packet is reported
// apart from the data, and per-CPU map updates are read back from the CPU the
// runs were pinned to.
func TestKernelMetaAndPerCPU(t *testing.T) {
	requireKernel(t)
	src := `mov %r6, %r1
mov %r2, -8
call 54
ldxw %r2, [%r6+8]
ldxw %r3, [%r6+0]
mov %r1, %r2
add %r1, 8
jgt %r1, %r3, out
stdw [%r2+0], 0x1234567
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd(0)
call 1
jeq %r0, 0, out
ldxdw %r1, [%r0+0]
add %r1, 3
stxdw [%r0+0], %r1
out:
mov %r0, 2
exit
`
	p, err := isa.Assemble([]byte(src), "meta_percpu")
	if err != nil {
		t.Fatal(err)
	}
	p.Type = ebpf.XDP
	obj := &isa.Object{Path: "meta_percpu", Programs: []*isa.Program{p},
		Maps: []*isa.MapSpec{{Name: "counts", Type: ebpf.PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 2}}}
	for _, cpu := range []int{0, 1} {
		t.Run(fmt.Sprint("cpu", cpu), func(t *testing.T) {
			d, err := xdp.NewDiffer(obj, "", sim.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if n, _ := ebpf.PossibleCPU(); cpu >= n {
				t.Skipf("CPU %d is not possible here (%d CPUs)", cpu, n)
			}
			d.Kernel.CPU = cpu
			pkt := packets.Packet{Data: make([]byte, 60)}
			for range 5 {
				if v, err := d.Packet(&pkt); err != nil || v != nil {
					t.Fatalf("%v %v", err, v)
				}
			}
			kr := d.Kernel.Run(&pkt)
			if kr.Meta != "6745230100000000" || len(kr.Data) != 120 {
				t.Errorf("kernel meta %q and %d data bytes, want the 8 metadata bytes apart from 60 data bytes", kr.Meta, len(kr.Data)/2)
			}
			km, err := d.Kernel.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%x", km["counts"][0].Value); got != "1200000000000000" {
				t.Errorf("per-CPU counter on CPU %d = %s, want 18 (6 runs × 3)", cpu, got)
			}
		})
	}
}

// TestKernelRingbuf checks that the kernel oracle reports the ring-buffer
// records each packet commits, as the simulator does, so that the Differ
// compares them.
func TestKernelRingbuf(t *testing.T) {
	requireKernel(t)
	src := `ldxw %r2, [%r1+0]
ldxw %r4, [%r1+4]
mov %r5, %r2
add %r5, 14
mov %r0, 1
jgt %r5, %r4, out
ldxdw %r3, [%r2+6]
stxdw [%r10-8], %r3
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -8
mov %r3, 6
mov %r4, 0
call 130
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -8
mov %r3, 2
mov %r4, 4
call 130
mov %r0, 2
out:
exit
`
	p, err := isa.Assemble([]byte(src), "ring")
	if err != nil {
		t.Fatal(err)
	}
	p.Type = ebpf.XDP
	obj := &isa.Object{Path: "ring", Programs: []*isa.Program{p},
		Maps: []*isa.MapSpec{{Name: "events", Type: ebpf.RingBuf, MaxEntries: 4096}}}
	d, err := xdp.NewDiffer(obj, "", sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	pkt := packets.Packet{Data: []byte{0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0x08, 0x00}}
	for i := range 3 {
		if v, err := d.Packet(&pkt); err != nil || v != nil {
			t.Fatalf("packet %d: %v %v", i, err, v)
		}
	}
	kr := d.Kernel.Run(&pkt)
	// The second output has an invalid flag (4): only the first record.
	if got := fmt.Sprint(kr.Ringbuf); got != "map[events:[010203040506]]" {
		t.Errorf("kernel records %s, want the 6 source MAC bytes once", got)
	}
	if sr := d.Sim.Run(&pkt); fmt.Sprint(sr.Ringbuf) != fmt.Sprint(kr.Ringbuf) {
		t.Errorf("simulator records %v, kernel %v", sr.Ringbuf, kr.Ringbuf)
	}
}
