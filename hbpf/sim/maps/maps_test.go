package maps_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/sim/maps"
)

func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// lpmKey builds an LPM trie key: prefix length, then data.
func lpmKey(prefix uint32, data ...byte) []byte { return append(u32(prefix), data...) }

func mustNew(t testing.TB, spec *isa.MapSpec) maps.Map {
	t.Helper()
	m, err := maps.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// step is one operation and its expected outcome.
type step struct {
	op    string // "update", "delete", "lookup", "peek"
	key   []byte
	value []byte // update: the value; lookup/peek: the expected value, nil if absent
	flags uint64
	err   error // expected sentinel for update/delete
}

func upd(key, value []byte, flags uint64, err error) step {
	return step{op: "update", key: key, value: value, flags: flags, err: err}
}
func del(key []byte, err error) step { return step{op: "delete", key: key, err: err} }
func get(key, want []byte) step      { return step{op: "lookup", key: key, value: want} }
func peek(key, want []byte) step     { return step{op: "peek", key: key, value: want} }
func errnoOf(err error) int64        { return maps.Errno(err) }
func stepName(i int, s step) string  { return fmt.Sprintf("step %d: %s %x", i, s.op, s.key) }
func valueAt(m maps.Map, slot int) []byte {
	vs := int(m.Spec().ValueSize)
	return m.Values()[slot*vs : (slot+1)*vs]
}

func runSteps(t *testing.T, m maps.Map, steps []step) {
	t.Helper()
	for i, s := range steps {
		switch s.op {
		case "update", "delete":
			var err error
			if s.op == "update" {
				err = m.Update(s.key, s.value, s.flags)
			} else {
				err = m.Delete(s.key)
			}
			if !errors.Is(err, s.err) || (err == nil) != (s.err == nil) {
				t.Fatalf("%s: got error %v, want %v", stepName(i, s), err, s.err)
			}
			if s.err != nil && errnoOf(err) != errnoOf(s.err) {
				t.Fatalf("%s: errno %d, want %d", stepName(i, s), errnoOf(err), errnoOf(s.err))
			}
		case "lookup", "peek":
			var slot int
			if s.op == "lookup" {
				slot = m.Lookup(s.key)
			} else {
				slot = m.Peek(s.key)
			}
			switch {
			case s.value == nil && slot >= 0:
				t.Fatalf("%s: found slot %d (%x), want none", stepName(i, s), slot, valueAt(m, slot))
			case s.value != nil && slot < 0:
				t.Fatalf("%s: not found, want %x", stepName(i, s), s.value)
			case s.value != nil && !bytes.Equal(valueAt(m, slot), s.value):
				t.Fatalf("%s: value %x, want %x", stepName(i, s), valueAt(m, slot), s.value)
			}
		default:
			t.Fatalf("bad op %q", s.op)
		}
	}
}

func wantEntries(t *testing.T, m maps.Map, want ...[2][]byte) {
	t.Helper()
	got := m.Entries()
	var b strings.Builder
	for _, kv := range got {
		fmt.Fprintf(&b, "%x=%x ", kv.Key, kv.Value)
	}
	if len(got) != len(want) {
		t.Fatalf("entries %s, want %d entries", b.String(), len(want))
	}
	for i, kv := range got {
		if !bytes.Equal(kv.Key, want[i][0]) || !bytes.Equal(kv.Value, want[i][1]) {
			t.Fatalf("entries %s: entry %d: want %x=%x", b.String(), i, want[i][0], want[i][1])
		}
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec isa.MapSpec
		want string // substring of the error, "" for success
	}{
		{"array", isa.MapSpec{Name: "a", Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 4}, ""},
		{"unsupported", isa.MapSpec{Name: "events", Type: ebpf.PerfEventArray, KeySize: 4, ValueSize: 4, MaxEntries: 4}, "map events (PerfEventArray): map type PerfEventArray: operation not supported"},
		{"array key size", isa.MapSpec{Name: "a", Type: ebpf.Array, KeySize: 8, ValueSize: 8, MaxEntries: 4}, "key size 8, want 4"},
		{"array value size", isa.MapSpec{Name: "a", Type: ebpf.Array, KeySize: 4, ValueSize: 0, MaxEntries: 4}, "value size 0, want at least 1"},
		{"no entries", isa.MapSpec{Name: "h", Type: ebpf.Hash, KeySize: 4, ValueSize: 4}, "max entries is 0"},
		{"hash key 0", isa.MapSpec{Name: "h", Type: ebpf.Hash, KeySize: 0, ValueSize: 4, MaxEntries: 1}, "key size 0"},
		{"lpm key", isa.MapSpec{Name: "l", Type: ebpf.LPMTrie, KeySize: 4, ValueSize: 4, MaxEntries: 1, Flags: maps.FlagNoPrealloc}, "key size 4, want 5 to 260"},
		{"lpm prealloc ok", isa.MapSpec{Name: "l", Type: ebpf.LPMTrie, KeySize: 8, ValueSize: 4, MaxEntries: 1}, ""},
		{"prog array value", isa.MapSpec{Name: "p", Type: ebpf.ProgramArray, KeySize: 4, ValueSize: 8, MaxEntries: 1}, "value size 8, want 4"},
		{"devmap value", isa.MapSpec{Name: "d", Type: ebpf.DevMap, KeySize: 4, ValueSize: 6, MaxEntries: 1}, "value size 6, want 4 or 8"},
		{"devmap 8", isa.MapSpec{Name: "d", Type: ebpf.DevMap, KeySize: 4, ValueSize: 8, MaxEntries: 1}, ""},
		{"ringbuf size", isa.MapSpec{Name: "rb", Type: ebpf.RingBuf, MaxEntries: 4096 * 3}, "not a power of two"},
		{"ringbuf small", isa.MapSpec{Name: "rb", Type: ebpf.RingBuf, MaxEntries: 2048}, "multiple of 4096"},
		{"ringbuf key", isa.MapSpec{Name: "rb", Type: ebpf.RingBuf, KeySize: 4, MaxEntries: 4096}, "key size 4, want 0"},
		{"queue", isa.MapSpec{Name: "q", Type: ebpf.Queue, ValueSize: 4, MaxEntries: 4}, ""},
		{"too big", isa.MapSpec{Name: "h", Type: ebpf.Hash, KeySize: 4, ValueSize: 1 << 20, MaxEntries: 1 << 20}, "exceed the simulator's limit"},
		{"contents key size", isa.MapSpec{Name: "h", Type: ebpf.Hash, KeySize: 4, ValueSize: 4, MaxEntries: 4,
			Contents: []isa.MapKV{{Key: u32(1), Value: u32(1)}, {Key: u64(2), Value: u32(2)}}}, "map h: entry 1: key is 8 bytes, want 4"},
		{"contents value size", isa.MapSpec{Name: ".rodata", Type: ebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 1, ReadOnly: true,
			Contents: []isa.MapKV{{Key: u32(0), Value: []byte{1}}}}, "map .rodata: entry 0: value is 1 bytes, want 4"},
		{"contents overflow", isa.MapSpec{Name: "h", Type: ebpf.Hash, KeySize: 4, ValueSize: 4, MaxEntries: 1,
			Contents: []isa.MapKV{{Key: u32(1), Value: u32(1)}, {Key: u32(2), Value: u32(2)}}}, "map h: entry 1: map h: update: map is full"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := maps.New(&tc.spec)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if m.Spec().Name != tc.spec.Name || m.Spec().Type != tc.spec.Type {
					t.Fatalf("spec %+v", m.Spec())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
			if !errors.Is(err, maps.ErrInvalid) && !errors.Is(err, maps.ErrNotSupported) && !errors.Is(err, maps.ErrFull) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
		})
	}
	if _, err := maps.New(nil); err == nil {
		t.Fatal("New(nil) succeeded")
	}
}

func TestErrno(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int64
	}{
		{nil, 0},
		{maps.ErrKeyNotExist, -2},
		{maps.ErrIndexOutOfRange, -7},
		{maps.ErrFull, -7},
		{maps.ErrAgain, -11},
		{maps.ErrNoMemory, -12},
		{maps.ErrBusy, -16},
		{maps.ErrKeyExist, -17},
		{maps.ErrNoDevice, -19},
		{maps.ErrInvalid, -22},
		{maps.ErrNoSpace, -28},
		{maps.ErrOverflow, -75},
		{maps.ErrNotSupported, -95},
		{fmt.Errorf("context: %w", maps.ErrKeyExist), -17},
		{errors.New("other"), -22},
	} {
		if got := maps.Errno(tc.err); got != tc.want {
			t.Errorf("Errno(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestArray(t *testing.T) {
	for _, typ := range []ebpf.MapType{ebpf.Array, ebpf.PerCPUArray} {
		t.Run(typ.String(), func(t *testing.T) {
			m := mustNew(t, &isa.MapSpec{Name: "arr", Type: typ, KeySize: 4, ValueSize: 8, MaxEntries: 3})
			// BPF_F_LOCK: programs reach array_map_update_elem for both
			// types, which checks the index first (only the bpf(2)
			// syscall's PERCPU_ARRAY update rejects the flag outright).
			lockOutOfRange := maps.ErrIndexOutOfRange
			runSteps(t, m, []step{
				get(u32(0), u64(0)),
				get(u32(2), u64(0)),
				get(u32(3), nil),
				get(u32(0xffffffff), nil),
				get([]byte{0, 0}, nil),
				upd(u32(1), u64(11), maps.UpdateAny, nil),
				get(u32(1), u64(11)),
				upd(u32(1), u64(12), maps.UpdateExist, nil),
				get(u32(1), u64(12)),
				upd(u32(2), u64(21), maps.UpdateExist, nil), // every index exists
				upd(u32(1), u64(13), maps.UpdateNoExist, maps.ErrKeyExist),
				upd(u32(3), u64(1), maps.UpdateAny, maps.ErrIndexOutOfRange),
				upd(u32(3), u64(1), maps.UpdateNoExist, maps.ErrIndexOutOfRange),
				upd(u32(1), u64(1), 3, maps.ErrInvalid),
				upd(u32(1), u64(1), maps.UpdateLock, maps.ErrInvalid),
				upd(u32(7), u64(1), maps.UpdateLock, lockOutOfRange),
				upd(u32(1), u64(1), 8, maps.ErrInvalid),
				del(u32(1), maps.ErrInvalid),
				del(u32(5), maps.ErrInvalid),
				get(u32(1), u64(12)),
			})
			wantEntries(t, m, [2][]byte{u32(0), u64(0)}, [2][]byte{u32(1), u64(12)}, [2][]byte{u32(2), u64(21)})
			if len(m.Values()) != 3*8 {
				t.Fatalf("values length %d", len(m.Values()))
			}
			// The store is the map: a program's write through a looked-up slot is seen by the next lookup.
			copy(valueAt(m, m.Lookup(u32(0))), u64(99))
			runSteps(t, m, []step{get(u32(0), u64(99))})
		})
	}
}

func TestGlobalData(t *testing.T) {
	data := []byte("hello, world\x00\x00\x00\x00")
	spec := &isa.MapSpec{Name: ".rodata", Type: ebpf.Array, KeySize: 4, ValueSize: uint32(len(data)), MaxEntries: 1,
		ReadOnly: true, Contents: []isa.MapKV{{Key: u32(0), Value: data}}}
	m := mustNew(t, spec)
	if !m.Spec().ReadOnly {
		t.Fatal("ReadOnly lost")
	}
	if !bytes.Equal(m.Values(), data) {
		t.Fatalf("values %q", m.Values())
	}
	if m.Spec() == spec {
		t.Fatal("Spec returns the caller's spec, not a copy")
	}
	runSteps(t, m, []step{get(u32(0), data), get(u32(1), nil)})
}

func TestHash(t *testing.T) {
	for _, tc := range []struct {
		typ   ebpf.MapType
		flags uint32
	}{
		{ebpf.Hash, 0},
		{ebpf.Hash, maps.FlagNoPrealloc},
		{ebpf.PerCPUHash, 0},
		{ebpf.PerCPUHash, maps.FlagNoPrealloc},
	} {
		t.Run(fmt.Sprintf("%s/flags=%d", tc.typ, tc.flags), func(t *testing.T) {
			m := mustNew(t, &isa.MapSpec{Name: "h", Type: tc.typ, KeySize: 8, ValueSize: 4, MaxEntries: 3, Flags: tc.flags})
			runSteps(t, m, []step{
				get(u64(1), nil),
				upd(u64(1), u32(10), maps.UpdateExist, maps.ErrKeyNotExist),
				upd(u64(1), u32(10), maps.UpdateNoExist, nil),
				upd(u64(1), u32(11), maps.UpdateNoExist, maps.ErrKeyExist),
				get(u64(1), u32(10)),
				upd(u64(1), u32(12), maps.UpdateExist, nil),
				upd(u64(2), u32(20), maps.UpdateAny, nil),
				upd(u64(3), u32(30), maps.UpdateAny, nil),
				upd(u64(4), u32(40), maps.UpdateAny, maps.ErrFull),
				upd(u64(4), u32(40), maps.UpdateNoExist, maps.ErrFull),
				upd(u64(4), u32(40), maps.UpdateExist, maps.ErrKeyNotExist),
				upd(u64(3), u32(31), maps.UpdateAny, nil), // replacing works when full
				upd(u64(3), u32(32), maps.UpdateLock, maps.ErrInvalid),
				upd(u64(3), u32(32), 3, maps.ErrInvalid),
				get(u64(3), u32(31)),
				del(u64(4), maps.ErrKeyNotExist),
				del(u64(2), nil),
				get(u64(2), nil),
				del(u64(2), maps.ErrKeyNotExist),
				upd(u64(4), u32(40), maps.UpdateAny, nil), // the freed slot is reused
				get(u64(4), u32(40)),
				get(u64(1), u32(12)),
				peek(u64(1), u32(12)),
				get([]byte{1}, nil),
			})
			wantEntries(t, m, [2][]byte{u64(1), u32(12)}, [2][]byte{u64(3), u32(31)}, [2][]byte{u64(4), u32(40)})
		})
	}
}

func TestHashSlots(t *testing.T) {
	m := mustNew(t, &isa.MapSpec{Name: "h", Type: ebpf.Hash, KeySize: 4, ValueSize: 4, MaxEntries: 4})
	for i := range uint32(4) {
		if err := m.Update(u32(100+i), u32(i), 0); err != nil {
			t.Fatal(err)
		}
		if s := m.Lookup(u32(100 + i)); s != int(i) {
			t.Fatalf("key %d in slot %d, want %d", 100+i, s, i)
		}
	}
	// A replaced value stays in its slot; a deleted key's slot is reused first.
	if err := m.Update(u32(101), u32(7), 0); err != nil || m.Lookup(u32(101)) != 1 {
		t.Fatalf("replace moved the value: %v, slot %d", err, m.Lookup(u32(101)))
	}
	for _, k := range []uint32{102, 100} {
		if err := m.Delete(u32(k)); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []struct{ key, slot uint32 }{{200, 0}, {201, 2}} {
		if err := m.Update(u32(want.key), u32(0), 0); err != nil {
			t.Fatal(err)
		}
		if s := m.Lookup(u32(want.key)); s != int(want.slot) {
			t.Fatalf("key %d in slot %d, want %d", want.key, s, want.slot)
		}
	}
	if len(m.Values()) != 16 {
		t.Fatalf("values length %d", len(m.Values()))
	}
}

// TestHashModel checks the hash table against Go's map over many operations,
// which exercises probing, growth and backward-shift deletion.
func TestHashModel(t *testing.T) {
	const max = 500
	m := mustNew(t, &isa.MapSpec{Name: "h", Type: ebpf.Hash, KeySize: 3, ValueSize: 2, MaxEntries: max})
	model := map[string][]byte{}
	rng := uint64(1)
	next := func(n int) int {
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		return int(rng % uint64(n))
	}
	for i := range 200000 {
		k := []byte{byte(next(4)), byte(next(256)), byte(next(4))}
		v := []byte{byte(i), byte(i >> 8)}
		switch next(3) {
		case 0, 1:
			err := m.Update(k, v, maps.UpdateAny)
			_, ok := model[string(k)]
			switch {
			case !ok && len(model) == max:
				if !errors.Is(err, maps.ErrFull) {
					t.Fatalf("op %d: update in full map: %v", i, err)
				}
			case err != nil:
				t.Fatalf("op %d: update: %v", i, err)
			default:
				model[string(k)] = v
			}
		case 2:
			err := m.Delete(k)
			if _, ok := model[string(k)]; ok != (err == nil) {
				t.Fatalf("op %d: delete %x: %v, in model %v", i, k, err, ok)
			}
			delete(model, string(k))
		}
		if i%1000 == 0 {
			for k, v := range model {
				if s := m.Lookup([]byte(k)); s < 0 || !bytes.Equal(valueAt(m, s), v) {
					t.Fatalf("op %d: key %x lost", i, k)
				}
			}
			if n := len(m.Entries()); n != len(model) {
				t.Fatalf("op %d: %d entries, model has %d", i, n, len(model))
			}
		}
	}
}

func TestLRU(t *testing.T) {
	for _, typ := range []ebpf.MapType{ebpf.LRUHash, ebpf.LRUCPUHash} {
		t.Run(typ.String(), func(t *testing.T) {
			m := mustNew(t, &isa.MapSpec{Name: "lru", Type: typ, KeySize: 4, ValueSize: 4, MaxEntries: 3})
			lru, ok := m.(maps.LRU)
			if !ok {
				t.Fatal("LRU map does not implement maps.LRU")
			}
			order := func(want ...uint32) {
				t.Helper()
				got := lru.LRUOrder()
				if len(got) != len(want) {
					t.Fatalf("LRU order %x, want %v", got, want)
				}
				for i, k := range got {
					if !bytes.Equal(k, u32(want[i])) {
						t.Fatalf("LRU order %x, want %v", got, want)
					}
				}
			}
			runSteps(t, m, []step{
				upd(u32(1), u32(10), maps.UpdateAny, nil),
				upd(u32(2), u32(20), maps.UpdateAny, nil),
				upd(u32(3), u32(30), maps.UpdateAny, nil),
			})
			order(3, 2, 1)
			runSteps(t, m, []step{
				get(u32(1), u32(10)),  // 1 becomes most recent
				peek(u32(2), u32(20)), // peeking does not count as use
			})
			order(1, 3, 2)
			runSteps(t, m, []step{
				upd(u32(4), u32(40), maps.UpdateAny, nil), // evicts 2
				get(u32(2), nil),
			})
			order(4, 1, 3)
			runSteps(t, m, []step{
				upd(u32(3), u32(31), maps.UpdateExist, nil), // replacing counts as use, evicts nothing
				upd(u32(1), u32(11), maps.UpdateNoExist, maps.ErrKeyExist),
				upd(u32(9), u32(90), maps.UpdateExist, maps.ErrKeyNotExist),
				upd(u32(9), u32(90), maps.UpdateLock, maps.ErrInvalid),
			})
			order(3, 4, 1)
			runSteps(t, m, []step{
				upd(u32(5), u32(50), maps.UpdateNoExist, nil), // evicts 1
				get(u32(1), nil),
				del(u32(4), nil),
				del(u32(4), maps.ErrKeyNotExist),
				upd(u32(6), u32(60), maps.UpdateAny, nil), // free slot: no eviction
			})
			order(6, 5, 3)
			wantEntries(t, m, [2][]byte{u32(3), u32(31)}, [2][]byte{u32(5), u32(50)}, [2][]byte{u32(6), u32(60)})
		})
	}
	if _, ok := mustNew(t, &isa.MapSpec{Name: "h", Type: ebpf.Hash, KeySize: 4, ValueSize: 4, MaxEntries: 3}).(maps.LRU); ok {
		t.Fatal("HASH implements maps.LRU")
	}
}

func TestLPMIPv4(t *testing.T) {
	m := mustNew(t, &isa.MapSpec{Name: "lpm", Type: ebpf.LPMTrie, KeySize: 8, ValueSize: 4, MaxEntries: 8, Flags: maps.FlagNoPrealloc})
	ip := func(prefix uint32, a, b, c, d byte) []byte { return lpmKey(prefix, a, b, c, d) }
	runSteps(t, m, []step{
		get(ip(32, 10, 1, 2, 3), nil),
		upd(ip(8, 10, 0, 0, 0), u32(8), maps.UpdateAny, nil),
		upd(ip(16, 10, 1, 0, 0), u32(16), maps.UpdateAny, nil),
		upd(ip(24, 10, 1, 2, 0), u32(24), maps.UpdateAny, nil),
		upd(ip(32, 10, 1, 2, 3), u32(32), maps.UpdateAny, nil),
		get(ip(32, 10, 1, 2, 3), u32(32)),
		get(ip(32, 10, 1, 2, 4), u32(24)),
		get(ip(32, 10, 1, 3, 4), u32(16)),
		get(ip(32, 10, 2, 3, 4), u32(8)),
		get(ip(32, 11, 1, 2, 3), nil),
		// The lookup key's prefix length caps the match.
		get(ip(31, 10, 1, 2, 3), u32(24)),
		get(ip(20, 10, 1, 2, 3), u32(16)),
		get(ip(7, 10, 1, 2, 3), nil),
		get(ip(33, 10, 1, 2, 3), nil),
		// /0 matches everything.
		upd(ip(0, 0, 0, 0, 0), u32(0), maps.UpdateNoExist, nil),
		get(ip(32, 11, 1, 2, 3), u32(0)),
		get(ip(0, 10, 1, 2, 3), u32(0)),
		get(ip(7, 10, 1, 2, 3), u32(0)),
		// Bits past the prefix length do not matter to update or delete.
		upd(ip(16, 10, 1, 0xff, 0xff), u32(160), maps.UpdateExist, nil),
		get(ip(32, 10, 1, 9, 9), u32(160)),
		upd(ip(16, 10, 1, 7, 7), u32(0), maps.UpdateNoExist, maps.ErrKeyExist),
		upd(ip(12, 10, 0, 0, 0), u32(12), maps.UpdateExist, maps.ErrKeyNotExist),
		upd(ip(33, 10, 1, 2, 3), u32(0), maps.UpdateAny, maps.ErrInvalid),
		upd(ip(8, 10, 0, 0, 0), u32(0), 3, maps.ErrInvalid),
		upd(ip(8, 10, 0, 0, 0), u32(0), maps.UpdateLock, maps.ErrInvalid),
		// Non-byte-aligned prefixes: 10.128.0.0/9.
		upd(ip(9, 10, 128, 0, 0), u32(9), maps.UpdateAny, nil),
		get(ip(32, 10, 200, 1, 1), u32(9)),
		get(ip(32, 10, 127, 1, 1), u32(8)),
		// Delete addresses an exact prefix.
		del(ip(24, 10, 1, 0, 0), maps.ErrKeyNotExist),
		del(ip(33, 10, 1, 2, 0), maps.ErrInvalid),
		del(ip(24, 10, 1, 2, 99), nil),
		get(ip(32, 10, 1, 2, 4), u32(160)),
		del(ip(0, 1, 2, 3, 4), nil),
		get(ip(32, 11, 1, 2, 3), nil),
	})
	wantEntries(t, m,
		[2][]byte{ip(8, 10, 0, 0, 0), u32(8)},
		[2][]byte{ip(9, 10, 128, 0, 0), u32(9)},
		[2][]byte{ip(16, 10, 1, 0xff, 0xff), u32(160)}, // key bytes as last updated
		[2][]byte{ip(32, 10, 1, 2, 3), u32(32)},
	)
}

func TestLPMFull(t *testing.T) {
	m := mustNew(t, &isa.MapSpec{Name: "lpm", Type: ebpf.LPMTrie, KeySize: 5, ValueSize: 1, MaxEntries: 2, Flags: maps.FlagNoPrealloc})
	runSteps(t, m, []step{
		upd(lpmKey(8, 1), []byte{1}, maps.UpdateAny, nil),
		upd(lpmKey(4, 0x10), []byte{2}, maps.UpdateAny, nil),
		upd(lpmKey(8, 2), []byte{3}, maps.UpdateAny, maps.ErrNoSpace),
		upd(lpmKey(8, 2), []byte{3}, maps.UpdateExist, maps.ErrKeyNotExist),
		upd(lpmKey(8, 1), []byte{4}, maps.UpdateAny, nil), // replacing works when full
		get(lpmKey(8, 1), []byte{4}),
		get(lpmKey(8, 0x1f), []byte{2}),
		get(lpmKey(8, 0x20), nil),
	})
}

func TestLPMIPv6(t *testing.T) {
	m := mustNew(t, &isa.MapSpec{Name: "lpm6", Type: ebpf.LPMTrie, KeySize: 20, ValueSize: 4, MaxEntries: 16, Flags: maps.FlagNoPrealloc})
	addr := func(prefix uint32, words ...uint16) []byte {
		k := u32(prefix)
		for i := range 8 {
			var w uint16
			if i < len(words) {
				w = words[i]
			}
			k = binary.BigEndian.AppendUint16(k, w)
		}
		return k
	}
	host := addr(128, 0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)
	runSteps(t, m, []step{
		upd(addr(32, 0x2001, 0xdb8), u32(32), maps.UpdateAny, nil),
		upd(addr(64, 0x2001, 0xdb8), u32(64), maps.UpdateAny, nil),
		upd(host, u32(128), maps.UpdateAny, nil),
		upd(addr(127, 0x2001, 0xdb8, 0, 0, 0, 0, 0, 2), u32(127), maps.UpdateAny, nil),
		get(host, u32(128)),
		get(addr(128, 0x2001, 0xdb8, 0, 0, 0, 0, 0, 3), u32(127)),
		get(addr(128, 0x2001, 0xdb8, 0, 0, 0, 0, 0, 4), u32(64)),
		get(addr(128, 0x2001, 0xdb8, 0, 1), u32(32)),
		get(addr(128, 0x2001, 0xdb9), nil),
		upd(addr(129), u32(0), maps.UpdateAny, maps.ErrInvalid),
		get(addr(129, 0x2001, 0xdb8), nil),
		del(host, nil),
		get(host, u32(64)),
	})
}

func TestProgArray(t *testing.T) {
	m := mustNew(t, &isa.MapSpec{Name: "jmp", Type: ebpf.ProgramArray, KeySize: 4, ValueSize: 4, MaxEntries: 4})
	p := m.(*maps.ProgArray)
	if _, ok := p.ProgAt(0); ok {
		t.Fatal("empty prog array has a program")
	}
	runSteps(t, m, []step{
		upd(u32(1), u32(7), maps.UpdateNoExist, maps.ErrInvalid),
		upd(u32(1), u32(7), maps.UpdateExist, maps.ErrInvalid),
		upd(u32(4), u32(7), maps.UpdateAny, maps.ErrIndexOutOfRange),
		upd(u32(1), u32(7), maps.UpdateAny, nil),
		upd(u32(3), u32(2), maps.UpdateAny, nil),
		get(u32(1), u32(7)),
		get(u32(0), nil),
		del(u32(0), maps.ErrKeyNotExist),
		del(u32(4), maps.ErrIndexOutOfRange),
		del(u32(3), nil),
		del(u32(3), maps.ErrKeyNotExist),
	})
	for _, tc := range []struct {
		index uint32
		prog  int
		ok    bool
	}{{0, 0, false}, {1, 7, true}, {3, 0, false}, {4, 0, false}, {1 << 31, 0, false}} {
		if prog, ok := p.ProgAt(tc.index); prog != tc.prog || ok != tc.ok {
			t.Errorf("ProgAt(%d) = %d, %v, want %d, %v", tc.index, prog, ok, tc.prog, tc.ok)
		}
	}
	wantEntries(t, m, [2][]byte{u32(1), u32(7)})
}

func target(t *testing.T, m maps.Map, key uint32, want uint32, wantOK bool) {
	t.Helper()
	r, ok := m.(maps.Redirector)
	if !ok {
		t.Fatalf("%s is not a Redirector", m.Spec().Type)
	}
	if got, ok := r.Target(key); got != want || ok != wantOK {
		t.Fatalf("Target(%d) = %d, %v, want %d, %v", key, got, ok, want, wantOK)
	}
}

func TestDevMap(t *testing.T) {
	m := mustNew(t, &isa.MapSpec{Name: "tx", Type: ebpf.DevMap, KeySize: 4, ValueSize: 8, MaxEntries: 4})
	val := func(ifindex uint32, prog int32) []byte { return append(u32(ifindex), u32(uint32(prog))...) }
	runSteps(t, m, []step{
		upd(u32(0), val(5, -1), maps.UpdateNoExist, maps.ErrKeyExist),
		upd(u32(4), val(5, -1), maps.UpdateAny, maps.ErrIndexOutOfRange),
		upd(u32(0), val(5, -1), 4, maps.ErrInvalid),
		upd(u32(0), val(5, -1), maps.UpdateExist, nil), // BPF_EXIST on an empty entry works
		get(u32(0), val(5, 0)),                         // a program fd <= 0 is stored as id 0
		upd(u32(1), val(6, 3), maps.UpdateAny, nil),
		get(u32(1), val(6, 3)),
		get(u32(2), nil),
		upd(u32(1), val(0, 3), maps.UpdateAny, maps.ErrInvalid),
		upd(u32(1), val(0, 0), maps.UpdateAny, nil), // ifindex 0 clears the entry
		get(u32(1), nil),
		del(u32(4), maps.ErrInvalid),
		del(u32(2), nil), // deleting an empty entry succeeds
	})
	target(t, m, 0, 5, true)
	target(t, m, 1, 0, false)
	target(t, m, 9, 0, false)
	wantEntries(t, m, [2][]byte{u32(0), val(5, 0)})
}

func TestDevMapHash(t *testing.T) {
	m := mustNew(t, &isa.MapSpec{Name: "txh", Type: ebpf.DevMapHash, KeySize: 4, ValueSize: 4, MaxEntries: 2})
	runSteps(t, m, []step{
		upd(u32(100), u32(0), maps.UpdateAny, maps.ErrInvalid), // ifindex 0
		upd(u32(100), u32(5), 3, maps.ErrInvalid),
		upd(u32(100), u32(5), maps.UpdateExist, nil), // the kernel inserts with BPF_EXIST too
		upd(u32(100), u32(6), maps.UpdateNoExist, maps.ErrKeyExist),
		upd(u32(200), u32(7), maps.UpdateNoExist, nil),
		upd(u32(300), u32(8), maps.UpdateAny, maps.ErrFull),
		upd(u32(200), u32(9), maps.UpdateAny, nil),
		get(u32(200), u32(9)),
		del(u32(300), maps.ErrKeyNotExist),
		del(u32(100), nil),
		get(u32(100), nil),
	})
	target(t, m, 200, 9, true)
	target(t, m, 100, 0, false)
}

func TestCPUMap(t *testing.T) {
	m := mustNew(t, &isa.MapSpec{Name: "cpus", Type: ebpf.CPUMap, KeySize: 4, ValueSize: 4, MaxEntries: 4})
	runSteps(t, m, []step{
		upd(u32(1), u32(192), maps.UpdateNoExist, maps.ErrKeyExist),
		upd(u32(4), u32(192), maps.UpdateAny, maps.ErrIndexOutOfRange),
		upd(u32(1), u32(16385), maps.UpdateAny, maps.ErrOverflow),
		upd(u32(1), u32(16384), maps.UpdateAny, nil),
		upd(u32(2), u32(192), maps.UpdateExist, nil),
		get(u32(2), u32(192)),
		upd(u32(2), u32(0), maps.UpdateAny, nil), // queue size 0 clears the entry
		get(u32(2), nil),
		del(u32(4), maps.ErrInvalid),
		del(u32(1), nil),
		get(u32(1), nil),
		del(u32(1), nil),
	})
	target(t, m, 1, 0, false)
	if err := m.Update(u32(3), u32(64), 0); err != nil {
		t.Fatal(err)
	}
	target(t, m, 3, 64, true)
}

func TestXSKMap(t *testing.T) {
	m := mustNew(t, &isa.MapSpec{Name: "xsks", Type: ebpf.XSKMap, KeySize: 4, ValueSize: 4, MaxEntries: 4})
	runSteps(t, m, []step{
		upd(u32(0), u32(10), maps.UpdateExist, maps.ErrKeyNotExist),
		upd(u32(4), u32(10), maps.UpdateAny, maps.ErrIndexOutOfRange),
		upd(u32(0), u32(10), 3, maps.ErrInvalid),
		upd(u32(0), u32(10), maps.UpdateNoExist, nil),
		upd(u32(0), u32(10), maps.UpdateNoExist, nil), // the same socket again: no error
		upd(u32(0), u32(11), maps.UpdateNoExist, maps.ErrKeyExist),
		upd(u32(0), u32(11), maps.UpdateExist, nil),
		get(u32(0), u32(11)),
		del(u32(4), maps.ErrInvalid),
		del(u32(1), nil),
	})
	target(t, m, 0, 11, true)
	target(t, m, 1, 0, false)
}

func TestQueueStack(t *testing.T) {
	for _, typ := range []ebpf.MapType{ebpf.Queue, ebpf.Stack} {
		t.Run(typ.String(), func(t *testing.T) {
			m := mustNew(t, &isa.MapSpec{Name: "q", Type: typ, ValueSize: 4, MaxEntries: 3})
			q := m.(*maps.Queue)
			buf := make([]byte, 4)
			if err := q.Pop(buf); !errors.Is(err, maps.ErrKeyNotExist) {
				t.Fatalf("pop from empty: %v", err)
			}
			if err := q.PeekValue(buf); !errors.Is(err, maps.ErrKeyNotExist) {
				t.Fatalf("peek at empty: %v", err)
			}
			for i, tc := range []struct {
				v     uint32
				flags uint64
				err   error
			}{
				{1, maps.UpdateAny, nil},
				{2, maps.UpdateAny, nil},
				{3, maps.UpdateAny, nil},
				{4, maps.UpdateAny, maps.ErrFull},
				{4, maps.UpdateNoExist, maps.ErrInvalid},
				{4, 3, maps.ErrInvalid},
				{4, maps.UpdateExist, nil}, // drops the oldest, 1
			} {
				if err := q.Push(u32(tc.v), tc.flags); !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
					t.Fatalf("push %d: %v, want %v", i, err, tc.err)
				}
			}
			if err := m.Update(u32(0), u32(5), 0); !errors.Is(err, maps.ErrInvalid) {
				t.Fatalf("update with a key: %v", err)
			}
			if err := m.Delete(nil); !errors.Is(err, maps.ErrInvalid) {
				t.Fatalf("delete: %v", err)
			}
			want := []uint32{2, 3, 4}
			if typ == ebpf.Stack {
				want = []uint32{4, 3, 2}
			}
			var wantKVs [][2][]byte
			for _, v := range want {
				wantKVs = append(wantKVs, [2][]byte{{}, u32(v)})
			}
			wantEntries(t, m, wantKVs...)
			if err := q.PeekValue(buf); err != nil || le(buf) != want[0] {
				t.Fatalf("peek: %v %x", err, buf)
			}
			for _, v := range want {
				if err := q.Pop(buf); err != nil || le(buf) != v {
					t.Fatalf("pop: %v %d, want %d", err, le(buf), v)
				}
			}
			if q.Len() != 0 {
				t.Fatalf("len %d", q.Len())
			}
			if err := m.Update(nil, u32(8), 0); err != nil {
				t.Fatal(err)
			}
			if err := q.Pop(buf); err != nil || le(buf) != 8 {
				t.Fatalf("pop after syscall push: %v %x", err, buf)
			}
		})
	}
}

func le(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

func TestRingBuf(t *testing.T) {
	m := mustNew(t, &isa.MapSpec{Name: "events", Type: ebpf.RingBuf, MaxEntries: 4096})
	rb := m.(*maps.RingBuf)
	if len(m.Values()) != 2*4096 {
		t.Fatalf("data area %d bytes", len(m.Values()))
	}
	if _, ok := rb.Reserve(8, 1); ok {
		t.Fatal("reserve with flags succeeded")
	}
	if _, ok := rb.Reserve(4096, 0); ok {
		t.Fatal("reserve larger than the ring succeeded")
	}
	if _, ok := rb.Reserve(4096-8, 0); ok {
		t.Fatal("reserve of the whole ring succeeded") // the span must stay below the size
	}
	a, ok := rb.Reserve(5, 0)
	if !ok || a != 8 {
		t.Fatalf("reserve: %d, %v", a, ok)
	}
	copy(m.Values()[a:], "hello")
	b, ok := rb.Reserve(3, 0)
	if !ok || b != 8+16 {
		t.Fatalf("second reserve at %d, want 24", b)
	}
	copy(m.Values()[b:], "bye")
	c, _ := rb.Reserve(1, 0)
	// Submitting out of order: the reader stops at the first busy record.
	if err := rb.Submit(b); err != nil {
		t.Fatal(err)
	}
	if recs := rb.Records(); len(recs) != 0 {
		t.Fatalf("records behind a busy one: %q", recs)
	}
	if err := rb.Submit(a); err != nil {
		t.Fatal(err)
	}
	if err := rb.Submit(a); err == nil {
		t.Fatal("second submit succeeded")
	}
	if err := rb.Discard(c); err != nil {
		t.Fatal(err)
	}
	if err := rb.Submit(13); err == nil || !errors.Is(err, maps.ErrInvalid) {
		t.Fatalf("submit of a bogus offset: %v", err)
	}
	if err := rb.Output([]byte("out"), 0); err != nil {
		t.Fatal(err)
	}
	if err := rb.Output([]byte("x"), 4); !errors.Is(err, maps.ErrInvalid) {
		t.Fatalf("output with bad flags: %v", err)
	}
	want := []string{"hello", "bye", "out"}
	check := func(recs [][]byte) {
		t.Helper()
		if len(recs) != len(want) {
			t.Fatalf("records %q, want %q", recs, want)
		}
		for i := range recs {
			if string(recs[i]) != want[i] {
				t.Fatalf("records %q, want %q", recs, want)
			}
		}
	}
	check(rb.Records())
	wantEntries(t, m, [2][]byte{{}, []byte("hello")}, [2][]byte{{}, []byte("bye")}, [2][]byte{{}, []byte("out")})
	// Space: 16 (hello) + 16 (bye) + 16 (discarded 1 byte) + 16 (out) = 64 bytes used.
	if got := rb.Query(0); got != 64 {
		t.Fatalf("available data %d, want 64", got)
	}
	if rb.Query(1) != 4096 || rb.Query(3) != 64 || rb.Query(2) != 0 || rb.Query(9) != 0 {
		t.Fatal("query")
	}
	// Fill the ring: 4096-64 bytes remain but a record may only bring the span to 4095.
	if _, ok := rb.Reserve(4096-64-8, 0); ok {
		t.Fatal("reserve filling the ring exactly succeeded")
	}
	big, ok := rb.Reserve(4096-64-16, 0)
	if !ok {
		t.Fatal("reserve of the free space less 8 failed")
	}
	if err := rb.Output(nil, 0); !errors.Is(err, maps.ErrAgain) || maps.Errno(err) != -11 {
		t.Fatalf("output to a full ring: %v", err)
	}
	check(rb.Consume())
	if recs := rb.Records(); len(recs) != 0 {
		t.Fatalf("records after consume: %q", recs)
	}
	// The big record is still reserved: it pins its space though the consumer moved on.
	if _, ok := rb.Reserve(64, 0); ok {
		t.Fatal("reserve overlapping a busy record succeeded")
	}
	if err := rb.Submit(big); err != nil {
		t.Fatal(err)
	}
	// A record that wraps around the end of the ring stays contiguous in Values().
	w, ok := rb.Reserve(40, 0)
	if !ok {
		t.Fatal("wrapping reserve failed")
	}
	if w+40 <= 4096 || w+40 > len(m.Values()) {
		t.Fatalf("wrapping record at %d", w)
	}
	copy(m.Values()[w:], strings.Repeat("w", 40))
	if err := rb.Submit(w); err != nil {
		t.Fatal(err)
	}
	recs := rb.Consume()
	if len(recs) != 2 || len(recs[0]) != 4096-64-16 || string(recs[1]) != strings.Repeat("w", 40) {
		t.Fatalf("after wrap: %d records", len(recs))
	}
	if err := m.Update(nil, nil, 0); !errors.Is(err, maps.ErrNotSupported) {
		t.Fatalf("update: %v", err)
	}
	if m.Lookup(nil) != -1 {
		t.Fatal("lookup")
	}
}

func TestRingBufContents(t *testing.T) {
	m := mustNew(t, &isa.MapSpec{Name: "rb", Type: ebpf.RingBuf, MaxEntries: 4096,
		Contents: []isa.MapKV{{Key: nil, Value: []byte("a")}, {Key: []byte{}, Value: []byte("bc")}}})
	wantEntries(t, m, [2][]byte{{}, []byte("a")}, [2][]byte{{}, []byte("bc")})
}

// TestNoAlloc checks that the per-packet operations do not allocate,
// failures included.
func TestNoAlloc(t *testing.T) {
	h := mustNew(t, &isa.MapSpec{Name: "h", Type: ebpf.Hash, KeySize: 16, ValueSize: 8, MaxEntries: 1024})
	lru := mustNew(t, &isa.MapSpec{Name: "l", Type: ebpf.LRUHash, KeySize: 16, ValueSize: 8, MaxEntries: 4})
	lpm := mustNew(t, &isa.MapSpec{Name: "p", Type: ebpf.LPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 16, Flags: maps.FlagNoPrealloc})
	arr := mustNew(t, &isa.MapSpec{Name: "a", Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 16})
	rb := mustNew(t, &isa.MapSpec{Name: "r", Type: ebpf.RingBuf, MaxEntries: 4096}).(*maps.RingBuf)
	key := make([]byte, 16)
	for i := range 8 {
		key[0] = byte(i)
		_ = h.Update(key, u64(1), 0)
		_ = lru.Update(key, u64(1), 0)
		_ = lpm.Update(lpmKey(uint32(8+i), 10, byte(i), 0, 0), u64(1), 0)
	}
	v := u64(2)
	lk := lpmKey(32, 10, 3, 1, 1)
	missing := lpmKey(32, 11, 0, 0, 0)
	for name, fn := range map[string]func(){
		"hash lookup":          func() { h.Lookup(key) },
		"hash update":          func() { _ = h.Update(key, v, 0) },
		"hash update EEXIST":   func() { _ = h.Update(key, v, maps.UpdateNoExist) },
		"hash delete ENOENT":   func() { _ = h.Delete(make16()) },
		"hash insert+delete":   func() { k := key16(200); _ = h.Update(k, v, 0); _ = h.Delete(k) },
		"lru lookup":           func() { lru.Lookup(key) },
		"lru evicting insert":  func() { key[1]++; _ = lru.Update(key, v, 0) },
		"lpm lookup":           func() { lpm.Lookup(lk) },
		"lpm lookup miss":      func() { lpm.Lookup(missing) },
		"array lookup":         func() { arr.Lookup(u32const) },
		"array update E2BIG":   func() { _ = arr.Update(u32big, v, 0) },
		"ringbuf output+drain": func() { _ = rb.Output(v, 0); _, _ = rb.Reserve(8, 0) },
	} {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
}

var (
	u32const = u32(3)
	u32big   = u32(99)
	zero16   = make([]byte, 16)
	k16      = make([]byte, 16)
)

func make16() []byte { zero16[15] = 0xee; return zero16 }
func key16(b byte) []byte {
	k16[0] = b
	return k16
}

func BenchmarkLookup(b *testing.B) {
	h := mustNew(b, &isa.MapSpec{Name: "h", Type: ebpf.Hash, KeySize: 16, ValueSize: 8, MaxEntries: 65536})
	lpm := mustNew(b, &isa.MapSpec{Name: "p", Type: ebpf.LPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 1024, Flags: maps.FlagNoPrealloc})
	arr := mustNew(b, &isa.MapSpec{Name: "a", Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 16})
	key := make([]byte, 16)
	for i := range 65536 {
		binary.LittleEndian.PutUint32(key, uint32(i)*2654435761)
		_ = h.Update(key, u64(1), 0)
	}
	for _, p := range []uint32{8, 16, 20, 24, 32} {
		_ = lpm.Update(lpmKey(p, 10, 1, 2, 3), u64(1), 0)
	}
	b.Run("hash", func(b *testing.B) {
		for i := range b.N {
			binary.LittleEndian.PutUint32(key, uint32(i&65535)*2654435761)
			h.Lookup(key)
		}
	})
	lk := lpmKey(32, 10, 1, 2, 4)
	b.Run("lpm", func(b *testing.B) {
		for range b.N {
			lpm.Lookup(lk)
		}
	})
	ak := u32(3)
	b.Run("array", func(b *testing.B) {
		for range b.N {
			arr.Lookup(ak)
		}
	})
}

func TestMapOfMaps(t *testing.T) {
	for _, typ := range []ebpf.MapType{ebpf.ArrayOfMaps, ebpf.HashOfMaps} {
		spec := &isa.MapSpec{Name: "outer", Type: typ, KeySize: 4, ValueSize: 4, MaxEntries: 4,
			Contents: []isa.MapKV{{Key: []byte{1, 0, 0, 0}, Value: []byte{7, 0, 0, 0}}}}
		m, err := maps.New(spec)
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		slot := m.Lookup([]byte{1, 0, 0, 0})
		if slot < 0 || m.Values()[slot*4] != 7 {
			t.Errorf("%s: lookup of key 1 gave slot %d, want the inner map index 7", typ, slot)
		}
		if m.Lookup([]byte{2, 0, 0, 0}) >= 0 && typ == ebpf.HashOfMaps {
			t.Errorf("%s: key 2 should be absent", typ)
		}
	}
}
