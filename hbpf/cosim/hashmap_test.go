package cosim

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/packets"
	"github.com/hbpf/hbpf/hbpf/rtl"
	"github.com/hbpf/hbpf/hbpf/sim"
	"github.com/hbpf/hbpf/hbpf/sim/maps"
)

// fwKey returns xdp_firewall's struct fw_key of an IPv4 TCP/UDP packet.
func fwKey(pk []byte) ([]byte, bool) {
	if len(pk) < 34 || pk[12] != 0x08 || pk[13] != 0x00 {
		return nil, false
	}
	ihl := int(pk[14]&0xf) * 4
	proto := pk[23]
	if ihl < 20 || (proto != 6 && proto != 17) || len(pk) < 14+ihl+4 {
		return nil, false
	}
	k := make([]byte, 16)
	copy(k[0:8], pk[26:34])            // saddr, daddr
	copy(k[8:12], pk[14+ihl:14+ihl+4]) // sport, dport
	k[12] = proto
	return k, true
}

// TestFirewallChains runs xdp_firewall in lock-step with its 1024-entry
// fw_rules map nearly full: rules for a third of the trace's flows exact, a
// third with wildcard ports, filler rules (some deleted again, so that the
// free list is not empty), so that lookups hit and miss on chains of several
// keys and the hash unit's walk decides the cycle count.
func TestFirewallChains(t *testing.T) {
	m := defaultModel(t)
	s := session(t, m)
	_, file, _, _ := runtime.Caller(0)
	f, err := isa.Open(filepath.Join(filepath.Dir(file), "..", "..", "testdata", "xdp", "xdp_firewall.o"))
	if err != nil {
		t.Fatal(err)
	}
	progs, specs := f.Object.Programs, f.Object.Maps
	n := 400
	if testing.Short() {
		n = 100
	}
	ps, err := packets.Generate("flows", n, 3)
	if err != nil {
		t.Fatal(err)
	}
	mach, err := sim.New(progs, specs, sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var rules maps.Map
	for i, sp := range specs {
		if sp.Name == "fw_rules" {
			rules = mach.Maps[i]
		}
	}
	if rules == nil {
		t.Fatal("no fw_rules map")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rule := func(drop bool) []byte {
		v := make([]byte, 16)
		if drop {
			v[0] = 1
		}
		return v
	}
	flows := 0
	for _, pk := range ps {
		k, ok := fwKey(pk.Data)
		if !ok {
			continue
		}
		switch flows++; flows % 3 {
		case 0:
			_ = rules.Update(k, rule(rng.IntN(2) == 0), maps.UpdateAny)
		case 1:
			clear(k[8:12])
			_ = rules.Update(k, rule(rng.IntN(2) == 0), maps.UpdateAny)
		}
	}
	var filler [][]byte
	for rules.(maps.Chained).Chains().Count < 1000 {
		k := make([]byte, 16)
		binary.LittleEndian.PutUint64(k, rng.Uint64())
		binary.LittleEndian.PutUint32(k[8:], rng.Uint32())
		k[12] = 17
		if rules.Update(k, rule(false), maps.UpdateNoExist) == nil {
			filler = append(filler, k)
		}
	}
	for _, k := range filler[:40] {
		if err := rules.Delete(k); err != nil {
			t.Fatal(err)
		}
	}
	img := rules.(maps.Chained).Chains()
	longest := 0
	for _, h := range img.Heads {
		l := 0
		for s := h; s >= 0; s = img.Next[s] {
			l++
		}
		longest = max(longest, l)
	}
	if img.Free < 0 || longest < 3 {
		t.Fatalf("test setup: free list head %d, longest chain %d", img.Free, longest)
	}

	hw, err := Load(s, rtl.Config{}, progs, 0, specs, mach.Maps, sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := &Checker{M: mach, HW: hw, Progs: progs, Prog: 0}
	var hits, cycles [2]int
	for _, pk := range ps {
		if len(pk.Data) > MaxPacket {
			continue
		}
		r := mustRun(t, c, pk.Data, fmt.Sprintf("packet %d", pk.Index))
		i := 0
		if r.R0 == sim.XDPDrop {
			i = 1
		}
		hits[i]++
		cycles[i] += int(r.Cycles)
	}
	if hits[0] == 0 || hits[1] == 0 {
		t.Errorf("verdicts: %d pass, %d drop: the rules decide nothing", hits[0], hits[1])
	}
	t.Logf("%d packets (%d pass, %d drop), %d records, longest chain %d, free list from slot %d", c.Runs, hits[0], hits[1], c.Records, longest, img.Free)
}

// TestFlowtableEvictions runs xdp_flowtable on its specialised core with its
// 4096-entry LRU map full before the first packet, so that every new flow
// evicts the least recently used one (and packets of known flows move theirs
// to the front): the hash unit's eviction path in lock-step.
func TestFlowtableEvictions(t *testing.T) {
	if err := Available(); err != nil {
		t.Skipf("co-simulation needs Verilator: %v", err)
	}
	_, file, _, _ := runtime.Caller(0)
	f, err := isa.Open(filepath.Join(filepath.Dir(file), "..", "..", "testdata", "xdp", "xdp_flowtable.o"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, progs, which := rtl.Specialise(f.Object.Programs, 0, f.Object.Maps)
	m, err := Build(context.Background(), BuildConfig{RTL: cfg})
	if err != nil {
		t.Fatal(err)
	}
	s := session(t, m)
	mach, err := sim.New(progs, f.Object.Maps, sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var flows maps.Map
	for i, sp := range f.Object.Maps {
		if sp.Name == "flows" {
			flows = mach.Maps[i]
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var old [][]byte
	for flows.(maps.Chained).Chains().Count < int(flows.Spec().MaxEntries) {
		k := make([]byte, 16)
		binary.LittleEndian.PutUint64(k, rng.Uint64())
		binary.LittleEndian.PutUint32(k[8:], rng.Uint32())
		k[12] = 6
		if flows.Update(k, make([]byte, 32), maps.UpdateNoExist) == nil {
			old = append(old, k)
		}
	}
	hw, err := Load(s, cfg, progs, which, f.Object.Maps, mach.Maps, sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := &Checker{M: mach, HW: hw, Progs: progs, Prog: which}
	n := 400
	if testing.Short() {
		n = 100
	}
	ps, err := packets.Generate("flows", n, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, pk := range ps {
		if len(pk.Data) > MaxPacket {
			continue
		}
		mustRun(t, c, pk.Data, fmt.Sprintf("packet %d", pk.Index))
	}
	evicted := 0
	for _, k := range old {
		if flows.Peek(k) < 0 {
			evicted++
		}
	}
	if evicted == 0 || flows.(maps.Chained).Chains().Count != int(flows.Spec().MaxEntries) {
		t.Fatalf("%d of the preloaded flows evicted, %d entries: the LRU path was not taken", evicted, flows.(maps.Chained).Chains().Count)
	}
	t.Logf("%d packets, %d records, %d preloaded flows evicted", c.Runs, c.Records, evicted)
}

// TestLRUFailedUpdateIsNoUse: an update with BPF_NOEXIST that finds its key
// fails (-EEXIST) without making the key recently used, so that the next
// insert evicts it (the simulator's LRU; found as a divergence by cosim
// --random, seed 7289).
func TestLRUFailedUpdateIsNoUse(t *testing.T) {
	const src = `
stw [%r10-4], 1
stdw [%r10-16], 0
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, 1
call 2
stw [%r10-4], 3
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, 0
call 2
stw [%r10-4], 1
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
mov %r6, %r0
mov %r0, 2
jeq %r6, 0, +1
mov %r0, 1
exit
`
	p, err := isa.Assemble([]byte(src), "lru.s")
	if err != nil {
		t.Fatal(err)
	}
	// Keys 1 and 2, 2 the most recently used.
	specs := []*isa.MapSpec{{Name: "lru", Type: ebpf.LRUHash, KeySize: 4, ValueSize: 8, MaxEntries: 2,
		Contents: []isa.MapKV{{Key: []byte{1, 0, 0, 0}, Value: make([]byte, 8)}, {Key: []byte{2, 0, 0, 0}, Value: make([]byte, 8)}}}}
	c, err := NewChecker(session(t, defaultModel(t)), rtl.Config{}, []*isa.Program{p}, 0, specs, sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.RunXDP(make([]byte, 64))
	if err != nil {
		t.Fatal(err)
	}
	if r.R0 != sim.XDPPass {
		t.Fatalf("r0 = %d: key 1 survived the insert of key 3 (the failed update made it recently used)", r.R0)
	}
}

// TestLPMInHardware runs an LPM trie in lock-step: lookups that try one, two
// and four prefix lengths, one with no length in use at or below its own,
// an insert of a new length, a delete, and an update past the data's bits
// (-EINVAL); the value read back says which prefix matched.
func TestLPMInHardware(t *testing.T) {
	// lookup(r7 = prefix length, r8 = address) → r0 = value or 0
	const src = `
mov %r6, 0
mov %r7, 32
lddw %r8, 0x03020a
call lookup
add %r6, %r0
mov %r7, 32
lddw %r8, 0x09090a
call lookup
lsh %r6, 8
and %r0, 255
add %r6, %r0
mov %r7, 4
mov %r8, 10
call lookup
lsh %r6, 8
and %r0, 255
add %r6, %r0
stw [%r10-8], 20
stw [%r10-4], 0x00010a
stw [%r10-16], 77
mov %r1, 0
stxw [%r10-12], %r1
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -8
mov %r3, %r10
add %r3, -16
mov %r4, 0
call 2
lsh %r6, 8
and %r0, 255
add %r6, %r0
stw [%r10-8], 16
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -8
call 3
lsh %r6, 8
and %r0, 255
add %r6, %r0
stw [%r10-8], 40
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -8
mov %r3, %r10
add %r3, -16
mov %r4, 0
call 2
lsh %r6, 8
and %r0, 255
add %r6, %r0
mov %r7, 32
lddw %r8, 0x09010a
call lookup
lsh %r6, 8
and %r0, 255
add %r6, %r0
mov %r0, %r6
exit
lookup:
stxw [%r10-8], %r7
stxw [%r10-4], %r8
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -8
call 1
jeq %r0, 0, miss
ldxw %r0, [%r0+0]
exit
miss:
mov %r0, 0
exit
`
	p, err := isa.Assemble([]byte(src), "lpm.s")
	if err != nil {
		t.Fatal(err)
	}
	key := func(n uint32, a, b, c byte) []byte { return []byte{byte(n), 0, 0, 0, a, b, c, 0} }
	val := func(v byte) []byte { return []byte{v, 0, 0, 0} }
	specs := []*isa.MapSpec{{Name: "lpm", Type: ebpf.LPMTrie, KeySize: 8, ValueSize: 4, MaxEntries: 8, Flags: 1,
		Contents: []isa.MapKV{
			{Key: key(8, 10, 0, 0), Value: val(8)}, {Key: key(16, 10, 1, 0), Value: val(16)},
			{Key: key(24, 10, 2, 3), Value: val(24)}, {Key: key(28, 192, 168, 0), Value: val(28)},
		}}}
	c, err := NewChecker(session(t, defaultModel(t)), rtl.Config{}, []*isa.Program{p}, 0, specs, sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	r := mustRun(t, c, make([]byte, 64), "lpm")
	// 10.2.3.x/32 → the /24 (24); 10.9.9.x → the /8 (8); /4 → nothing (0);
	// insert /20 (0); delete /16 (0); update /40 (-EINVAL, low byte 0xea);
	// 10.1.9.x → the /20 just inserted (77).
	if want := uint64(24)<<48 | 8<<40 | 0<<32 | 0<<24 | 0<<16 | 0xea<<8 | 77; r.R0 != want {
		t.Errorf("r0 = %#x, want %#x", r.R0, want)
	}
}

// TestDevMapHashRedirect: bpf_redirect_map on a DEVMAP_HASH walks the hash
// unit with the key from r2 and redirects to the target of the key's slot, or
// falls back; in lock-step, with the target checked.
func TestDevMapHashRedirect(t *testing.T) {
	const src = `
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 4
jgt %r4, %r3, out
ldxw %r2, [%r2+0]
lddw %r1, map_fd(0)
mov %r3, 2
call 51
exit
out:
mov %r0, 1
exit
`
	p, err := isa.Assemble([]byte(src), "devhash.s")
	if err != nil {
		t.Fatal(err)
	}
	le := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	var kvs []isa.MapKV
	for i, k := range []uint32{7, 1000, 15, 23, 31, 4242} {
		kvs = append(kvs, isa.MapKV{Key: le(k), Value: le(uint32(10 + i))})
	}
	specs := []*isa.MapSpec{{Name: "tx", Type: ebpf.DevMapHash, KeySize: 4, ValueSize: 4, MaxEntries: 8, Contents: kvs}}
	c, err := NewChecker(session(t, defaultModel(t)), rtl.Config{}, []*isa.Program{p}, 0, specs, sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		key    uint32
		action uint64
		target uint32
	}{{7, sim.XDPRedirect, 10}, {1000, sim.XDPRedirect, 11}, {3, sim.XDPPass, 0}, {4242, sim.XDPRedirect, 15}, {31, sim.XDPRedirect, 14}} {
		pk := make([]byte, 64)
		binary.LittleEndian.PutUint32(pk, tt.key)
		r := mustRun(t, c, pk, fmt.Sprintf("key %d", tt.key))
		if r.R0 != tt.action || (tt.action == sim.XDPRedirect && r.Redirect.Target != tt.target) {
			t.Errorf("key %d: action %d target %d, want %d %d", tt.key, r.R0, r.Redirect.Target, tt.action, tt.target)
		}
	}
}

// mustRun runs one packet in lock-step and fails the test on a divergence
// (with both records and the last retirements) or an error.
func mustRun(t *testing.T, c *Checker, pk []byte, what string) sim.XDPResult {
	t.Helper()
	r, err := c.RunXDP(pk)
	if err != nil {
		var mm *Mismatch
		if errors.As(err, &mm) {
			t.Fatalf("%s:\n%s", what, mm.Report())
		}
		t.Fatalf("%s: %v", what, err)
	}
	return r
}
