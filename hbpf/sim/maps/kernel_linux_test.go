package maps_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/sim/maps"
)

var (
	kernelOnce sync.Once
	kernelErr  error
)

// requireKernelMaps skips the test unless this process may create BPF maps
// (root or CAP_BPF, and a kernel with BPF syscall support).
func requireKernelMaps(t *testing.T) {
	t.Helper()
	kernelOnce.Do(func() {
		// DEVMAP needs CAP_NET_ADMIN besides what plain maps need.
		for _, typ := range []ebpf.MapType{ebpf.Array, ebpf.DevMap} {
			m, err := ebpf.NewMap(&ebpf.MapSpec{Type: typ, KeySize: 4, ValueSize: 4, MaxEntries: 1})
			if err != nil {
				kernelErr = fmt.Errorf("%s: %w", typ, err)
				return
			}
			m.Close()
		}
	})
	if kernelErr != nil {
		t.Skipf("skipping differential test against the kernel: cannot create BPF maps (needs root, or CAP_BPF and CAP_NET_ADMIN): %v", kernelErr)
	}
}

// kernelErrno turns a cilium/ebpf error into a helper-style return value.
func kernelErrno(err error) int64 {
	if err == nil {
		return 0
	}
	var errno unix.Errno
	if errors.As(err, &errno) {
		return -int64(errno)
	}
	return -1 << 40 // not an errno: never equal to ours
}

// diffCase describes a random workload for one map type.
type diffCase struct {
	name   string
	spec   isa.MapSpec
	ops    int
	key    func(r *rand.Rand) []byte
	value  func(r *rand.Rand) []byte
	lookup func(r *rand.Rand) []byte // lookup keys; key if nil
	flags  []uint64                  // update flags to draw from
	pinCPU bool                      // run on one CPU (kernel LRU lists are per CPU)
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// lpmRandKey draws an LPM key over a small universe so that prefixes nest
// and collide: each data byte is one of a few values, the prefix length any
// value up to max+1 (one past the limit).
func lpmRandKey(r *rand.Rand, dataSize int, biasFull bool) []byte {
	maxBits := uint32(8 * dataSize)
	var n uint32
	switch {
	case biasFull && r.IntN(4) != 0:
		n = maxBits
	case r.IntN(40) == 0:
		n = maxBits + 1 + r.Uint32N(3)
	default:
		n = r.Uint32N(maxBits + 1)
	}
	k := u32(n)
	for i := range dataSize {
		if i == 0 {
			k = append(k, pick(r, byte(10), 10, 192, 0x80, 0))
		} else {
			k = append(k, pick(r, byte(0), 0, 1, 2, 0x80, 0xff, byte(r.Uint32())))
		}
	}
	return k
}

func TestKernelDifferential(t *testing.T) {
	requireKernelMaps(t)
	cpus := runtime.NumCPU()
	std := []uint64{maps.UpdateAny, maps.UpdateAny, maps.UpdateNoExist, maps.UpdateExist, maps.UpdateLock, 3}
	cases := []diffCase{
		{
			name:  "array",
			spec:  isa.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 12, MaxEntries: 8},
			ops:   20000,
			key:   func(r *rand.Rand) []byte { return u32(r.Uint32N(11)) },
			value: func(r *rand.Rand) []byte { return randBytes(r, 12) },
			flags: append(std, maps.UpdateLock|maps.UpdateNoExist, 8),
		},
		{
			name:  "percpu_array",
			spec:  isa.MapSpec{Type: ebpf.PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 8},
			ops:   5000,
			key:   func(r *rand.Rand) []byte { return u32(r.Uint32N(11)) },
			value: func(r *rand.Rand) []byte { return randBytes(r, 8) },
			flags: std,
		},
		{
			name:  "hash",
			spec:  isa.MapSpec{Type: ebpf.Hash, KeySize: 6, ValueSize: 5, MaxEntries: 16},
			ops:   30000,
			key:   func(r *rand.Rand) []byte { return []byte{byte(r.IntN(5)), 0, 0, byte(r.IntN(8)), 0, 1} },
			value: func(r *rand.Rand) []byte { return randBytes(r, 5) },
			flags: std,
		},
		{
			name:  "hash_no_prealloc",
			spec:  isa.MapSpec{Type: ebpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 16, Flags: maps.FlagNoPrealloc},
			ops:   20000,
			key:   func(r *rand.Rand) []byte { return u32(r.Uint32N(40)) },
			value: func(r *rand.Rand) []byte { return randBytes(r, 8) },
			flags: std,
		},
		{
			name:  "percpu_hash",
			spec:  isa.MapSpec{Type: ebpf.PerCPUHash, KeySize: 4, ValueSize: 8, MaxEntries: 16},
			ops:   10000,
			key:   func(r *rand.Rand) []byte { return u32(r.Uint32N(40)) },
			value: func(r *rand.Rand) []byte { return randBytes(r, 8) },
			flags: std,
		},
		{
			// Far from full: the kernel's LRU may evict early or approximately.
			name:   "lru_hash",
			spec:   isa.MapSpec{Type: ebpf.LRUHash, KeySize: 8, ValueSize: 8, MaxEntries: 1024},
			ops:    20000,
			key:    func(r *rand.Rand) []byte { return u64(uint64(r.IntN(64)) << 20) },
			value:  func(r *rand.Rand) []byte { return randBytes(r, 8) },
			flags:  std,
			pinCPU: true,
		},
		{
			name:   "lpm_ipv4",
			spec:   isa.MapSpec{Type: ebpf.LPMTrie, KeySize: 8, ValueSize: 4, MaxEntries: 24, Flags: maps.FlagNoPrealloc},
			ops:    30000,
			key:    func(r *rand.Rand) []byte { return lpmRandKey(r, 4, false) },
			lookup: func(r *rand.Rand) []byte { return lpmRandKey(r, 4, true) },
			value:  func(r *rand.Rand) []byte { return randBytes(r, 4) },
			flags:  std,
		},
		{
			name:   "lpm_3byte",
			spec:   isa.MapSpec{Type: ebpf.LPMTrie, KeySize: 7, ValueSize: 2, MaxEntries: 64, Flags: maps.FlagNoPrealloc},
			ops:    20000,
			key:    func(r *rand.Rand) []byte { return lpmRandKey(r, 3, false) },
			lookup: func(r *rand.Rand) []byte { return lpmRandKey(r, 3, true) },
			value:  func(r *rand.Rand) []byte { return randBytes(r, 2) },
			flags:  std,
		},
		{
			name:   "lpm_ipv6",
			spec:   isa.MapSpec{Type: ebpf.LPMTrie, KeySize: 20, ValueSize: 8, MaxEntries: 32, Flags: maps.FlagNoPrealloc},
			ops:    20000,
			key:    func(r *rand.Rand) []byte { return lpmRandKey(r, 16, false) },
			lookup: func(r *rand.Rand) []byte { return lpmRandKey(r, 16, true) },
			value:  func(r *rand.Rand) []byte { return randBytes(r, 8) },
			flags:  std,
		},
		{
			// ifindex 1 is the loopback device; 0 clears an entry.
			name: "devmap",
			spec: isa.MapSpec{Type: ebpf.DevMap, KeySize: 4, ValueSize: 8, MaxEntries: 4},
			ops:  5000,
			key:  func(r *rand.Rand) []byte { return u32(r.Uint32N(6)) },
			value: func(r *rand.Rand) []byte {
				return append(u32(r.Uint32N(2)), u32(uint32(pick(r, int32(0), -1)))...)
			},
			flags: std,
		},
		{
			name:  "devmap_hash",
			spec:  isa.MapSpec{Type: ebpf.DevMapHash, KeySize: 4, ValueSize: 4, MaxEntries: 4},
			ops:   5000,
			key:   func(r *rand.Rand) []byte { return u32(r.Uint32N(9) * 1000) },
			value: func(r *rand.Rand) []byte { return u32(r.Uint32N(2)) },
			flags: std,
		},
		{
			name:  "cpumap",
			spec:  isa.MapSpec{Type: ebpf.CPUMap, KeySize: 4, ValueSize: 4, MaxEntries: uint32(cpus)},
			ops:   1000,
			key:   func(r *rand.Rand) []byte { return u32(r.Uint32N(uint32(cpus) + 2)) },
			value: func(r *rand.Rand) []byte { return u32(pick(r, uint32(0), 1, 64, 16384, 16385)) },
			flags: std,
		},
	}
	if v := kernelVersion(); v[0] < 6 || (v[0] == 6 && v[1] < 14) {
		// BPF_NOEXIST/BPF_EXIST and in-place replacement in a full trie came
		// with Linux 6.13 and 6.14; this package follows the newer kernel.
		cases = slices.DeleteFunc(cases, func(c diffCase) bool { return c.spec.Type == ebpf.LPMTrie })
		t.Logf("kernel %d.%d predates the LPM trie semantics modelled (6.14): skipping LPM cases", v[0], v[1])
	}
	if !hasIfindex(1) {
		cases = slices.DeleteFunc(cases, func(c diffCase) bool { return c.name == "devmap" || c.name == "devmap_hash" })
		t.Log("no interface with ifindex 1: skipping DEVMAP cases")
	}
	total := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := runDiff(t, tc)
			total += n
			t.Logf("%s: %d operations compared", tc.name, n)
		})
	}
	t.Run("queue", func(t *testing.T) { total += diffQueue(t, ebpf.Queue) })
	t.Run("stack", func(t *testing.T) { total += diffQueue(t, ebpf.Stack) })
	t.Logf("total: %d operations compared with the kernel", total)
}

// kernelVersion returns the running kernel's major and minor version.
func kernelVersion() [2]int {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return [2]int{}
	}
	var v [2]int
	fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &v[0], &v[1])
	return v
}

func hasIfindex(i int) bool {
	_, err := net.InterfaceByIndex(i)
	return err == nil
}

func runDiff(t *testing.T, tc diffCase) int {
	if tc.pinCPU {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var old, set unix.CPUSet
		if err := unix.SchedGetaffinity(0, &old); err != nil {
			t.Skipf("cannot read the CPU affinity: %v", err)
		}
		set.Set(0)
		if err := unix.SchedSetaffinity(0, &set); err != nil {
			t.Skipf("cannot pin to CPU 0: %v", err)
		}
		defer unix.SchedSetaffinity(0, &old)
	}
	spec := tc.spec
	spec.Name = tc.name
	ours := mustNew(t, &spec)
	km, err := ebpf.NewMap(&ebpf.MapSpec{Name: "hbpf_diff", Type: spec.Type, KeySize: spec.KeySize,
		ValueSize: spec.ValueSize, MaxEntries: spec.MaxEntries, Flags: spec.Flags})
	if err != nil {
		t.Fatalf("kernel map: %v", err)
	}
	defer km.Close()
	percpu := spec.Type == ebpf.PerCPUArray || spec.Type == ebpf.PerCPUHash
	ncpu, err := ebpf.PossibleCPU()
	if err != nil {
		t.Fatal(err)
	}

	r := rand.New(rand.NewPCG(1, uint64(len(tc.name))))
	var log []string
	fail := func(format string, args ...any) {
		t.Helper()
		start := max(0, len(log)-8)
		t.Fatalf("%s\nlast operations:\n  %s", fmt.Sprintf(format, args...), joinLines(log[start:]))
	}
	compared := 0
	for i := range tc.ops {
		switch x := r.IntN(10); {
		case x < 5: // update
			k, v, f := tc.key(r), tc.value(r), pick(r, tc.flags...)
			var kv any = v
			if percpu {
				vs := make([][]byte, ncpu)
				for c := range vs {
					vs[c] = v
				}
				kv = vs
			}
			want := kernelErrno(km.Update(k, kv, ebpf.MapUpdateFlags(f)))
			got := syscallUpdate(ours, k, v, f)
			log = append(log, fmt.Sprintf("%d: update %x=%x flags %d: kernel %d, ours %d", i, k, v, f, want, got))
			if got != want {
				fail("update differs")
			}
		case x < 7: // delete
			k := tc.key(r)
			want := kernelErrno(km.Delete(k))
			got := maps.Errno(ours.Delete(k))
			log = append(log, fmt.Sprintf("%d: delete %x: kernel %d, ours %d", i, k, want, got))
			if got != want {
				fail("delete differs")
			}
		default: // lookup
			k := tc.key(r)
			if tc.lookup != nil {
				k = tc.lookup(r)
			}
			want, err := kernelLookup(km, k, percpu)
			if err != nil {
				fail("kernel lookup %x: %v", k, err)
			}
			var got []byte
			if s := ours.Peek(k); s >= 0 {
				got = valueAt(ours, s)
			}
			log = append(log, fmt.Sprintf("%d: lookup %x: kernel %x, ours %x", i, k, want, got))
			if (want == nil) != (got == nil) || !bytes.Equal(want, got) {
				fail("lookup differs")
			}
		}
		compared++
		if i%500 == 499 || i == tc.ops-1 {
			compareContents(t, km, ours, percpu, fail)
		}
	}
	return compared
}

// syscallUpdate is Update behind the bpf(2) syscall, which rejects BPF_F_LOCK
// for maps without a spin lock before the map sees the flags (programs reach
// the map directly, which is what Update models).
func syscallUpdate(m maps.Map, k, v []byte, flags uint64) int64 {
	if flags&maps.UpdateLock != 0 {
		return -int64(unix.EINVAL)
	}
	return maps.Errno(m.Update(k, v, flags))
}

func kernelLookup(km *ebpf.Map, k []byte, percpu bool) ([]byte, error) {
	if percpu {
		var vs [][]byte
		err := km.Lookup(k, &vs)
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return vs[0], nil
	}
	v, err := km.LookupBytes(k)
	if errors.Is(err, ebpf.ErrKeyNotExist) {
		return nil, nil
	}
	return v, err
}

func compareContents(t *testing.T, km *ebpf.Map, ours maps.Map, percpu bool, fail func(string, ...any)) {
	t.Helper()
	var kernel []isa.MapKV
	it := km.Iterate()
	var k []byte
	if percpu {
		var vs [][]byte
		for it.Next(&k, &vs) {
			kernel = append(kernel, isa.MapKV{Key: clone(k), Value: clone(vs[0])})
		}
	} else {
		var v []byte
		for it.Next(&k, &v) {
			kernel = append(kernel, isa.MapKV{Key: clone(k), Value: clone(v)})
		}
	}
	if err := it.Err(); err != nil {
		fail("kernel iterate: %v", err)
	}
	mine := ours.Entries()
	sortKVs(kernel)
	sortKVs(mine)
	if a, b := dumpKVs(kernel), dumpKVs(mine); a != b {
		fail("contents differ:\nkernel %s\nours   %s", a, b)
	}
}

func diffQueue(t *testing.T, typ ebpf.MapType) int {
	spec := isa.MapSpec{Name: "q", Type: typ, ValueSize: 4, MaxEntries: 8}
	ours := mustNew(t, &spec).(*maps.Queue)
	km, err := ebpf.NewMap(&ebpf.MapSpec{Type: typ, ValueSize: 4, MaxEntries: 8})
	if err != nil {
		t.Fatalf("kernel map: %v", err)
	}
	defer km.Close()
	r := rand.New(rand.NewPCG(2, uint64(typ)))
	n := 0
	for i := range 10000 {
		switch x := r.IntN(10); {
		case x < 5:
			v := u32(uint32(i))
			f := pick(r, maps.UpdateAny, maps.UpdateAny, maps.UpdateExist, maps.UpdateNoExist, 3)
			want := kernelErrno(km.Update(nil, v, ebpf.MapUpdateFlags(f)))
			got := maps.Errno(ours.Push(v, f))
			if got != want {
				t.Fatalf("op %d: push %x flags %d: kernel %d, ours %d", i, v, f, want, got)
			}
		default:
			pop := x < 8
			kv := make([]byte, 4)
			ov := make([]byte, 4)
			var kerr, oerr error
			if pop {
				kerr = km.LookupAndDelete(nil, &kv)
				oerr = ours.Pop(ov)
			} else {
				kerr = km.Lookup(nil, &kv)
				oerr = ours.PeekValue(ov)
			}
			want, got := kernelErrno(kerr), maps.Errno(oerr)
			if got != want || (got == 0 && !bytes.Equal(kv, ov)) {
				t.Fatalf("op %d: pop=%v: kernel %d %x, ours %d %x", i, pop, want, kv, got, ov)
			}
		}
		n++
	}
	t.Logf("%s: %d operations compared", typ, n)
	return n
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

func sortKVs(kvs []isa.MapKV) {
	slices.SortFunc(kvs, func(a, b isa.MapKV) int { return bytes.Compare(a.Key, b.Key) })
}

func dumpKVs(kvs []isa.MapKV) string {
	var b bytes.Buffer
	for _, kv := range kvs {
		fmt.Fprintf(&b, "%x=%x ", kv.Key, kv.Value)
	}
	return b.String()
}

func joinLines(ls []string) string {
	var b bytes.Buffer
	for i, l := range ls {
		if i > 0 {
			b.WriteString("\n  ")
		}
		b.WriteString(l)
	}
	return b.String()
}
