package maps_test

import (
	"math/rand/v2"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/sim/maps"
)

func TestBucketBits(t *testing.T) {
	for _, c := range []struct{ max, bits int }{{1, 0}, {2, 1}, {3, 2}, {4, 2}, {5, 3}, {1024, 10}, {1025, 11}, {65536, 16}} {
		if got := maps.BucketBits(c.max); got != c.bits {
			t.Errorf("BucketBits(%d) = %d, want %d", c.max, got, c.bits)
		}
		if got := maps.NumBuckets(c.max); got != 1<<c.bits {
			t.Errorf("NumBuckets(%d) = %d, want %d", c.max, got, 1<<c.bits)
		}
	}
}

// TestBucketHashVectors pins the function the hardware implements: a change
// here must be a change of the RTL too.
func TestBucketHashVectors(t *testing.T) {
	for _, c := range []struct {
		key  []byte
		bits int
		want uint32
	}{
		{u32(0), 10, 0},
		{u32(1), 10, 0x278},
		{u64(1), 32, 0x9e3779b1},
		{u32(1), 0, 0},
		// Two words: rotl(w0, 29) ^ w1.
		{append(u64(1), u64(0)...), 32, 0x9e3779b1 * (1 << 29) & 0xffffffff},
		{[]byte{1, 2, 3}, 16, (0x030201 * 0x9e3779b1 & 0xffffffff) >> 16},
	} {
		if got := maps.BucketHash(c.key, c.bits); got != c.want {
			t.Errorf("BucketHash(%x, %d) = %#x, want %#x", c.key, c.bits, got, c.want)
		}
	}
}

// TestBucketHashSpread: the 16-byte keys of a firewall rule table (addresses
// and ports of a /16 × a few ports) spread over the 1024 buckets so that the
// longest chain stays short.
func TestBucketHashSpread(t *testing.T) {
	const bits = 10
	count := make([]int, 1<<bits)
	n := 0
	for host := 0; host < 256 && n < 1024; host++ {
		for port := 0; port < 4 && n < 1024; port++ {
			key := make([]byte, 16)
			copy(key, []byte{10, 0, 1, byte(host)})
			copy(key[4:], []byte{192, 168, 0, 1})
			key[8], key[9] = 0, byte(80+port)
			key[12] = 6
			count[maps.BucketHash(key, bits)]++
			n++
		}
	}
	longest := 0
	for _, c := range count {
		longest = max(longest, c)
	}
	if longest > 8 {
		t.Errorf("longest chain %d of 1024 firewall keys in 1024 buckets", longest)
	}
}

func TestLastProbes(t *testing.T) {
	// One entry: one bucket, every key on one chain.
	m := mustNew(t, &isa.MapSpec{Name: "h", Type: ebpf.Hash, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	p := m.(maps.Prober)
	probes := func(want int) {
		t.Helper()
		if got := p.LastProbes(); got != want {
			t.Errorf("LastProbes = %d, want %d", got, want)
		}
	}
	m.Lookup(u32(1))
	probes(0)
	if err := m.Update(u32(1), u32(10), maps.UpdateAny); err != nil {
		t.Fatal(err)
	}
	probes(0)
	m.Lookup(u32(1))
	probes(1)
	m.Lookup(u32(2))
	probes(1)

	m = mustNew(t, &isa.MapSpec{Name: "h", Type: ebpf.Hash, KeySize: 4, ValueSize: 4, MaxEntries: 4})
	p = m.(maps.Prober)
	// Find three keys in one bucket of four.
	var same [][]byte
	b0 := maps.BucketHash(u32(0), 2)
	for k := uint32(0); len(same) < 3; k++ {
		if maps.BucketHash(u32(k), 2) == b0 {
			same = append(same, u32(k))
		}
	}
	for _, k := range same {
		if err := m.Update(k, k, maps.UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	// The chain is newest first: same[2], same[1], same[0].
	for i, want := range []int{3, 2, 1} {
		if s := m.Lookup(same[i]); s != i {
			t.Errorf("slot of key %d = %d", i, s)
		}
		probes(want)
	}
	if err := m.Delete(same[1]); err != nil {
		t.Fatal(err)
	}
	probes(2)
	m.Lookup(same[0])
	probes(2)
	m.Peek(same[2])
	probes(2)
	// The freed slot 1 goes to the next new key, at the chain's head.
	if err := m.Update(same[1], same[1], maps.UpdateNoExist); err != nil {
		t.Fatal(err)
	}
	probes(2)
	if s := m.Lookup(same[1]); s != 1 {
		t.Errorf("reinserted key in slot %d, want 1", s)
	}
	probes(1)
}

// TestChainsModel: random operations on HASH and LRU_HASH maps against a
// naive model of the bucket chains (slices, newest first).
func TestChainsModel(t *testing.T) {
	for _, typ := range []ebpf.MapType{ebpf.Hash, ebpf.PerCPUHash, ebpf.LRUHash} {
		const max = 24
		m := mustNew(t, &isa.MapSpec{Name: "h", Type: typ, KeySize: 12, ValueSize: 8, MaxEntries: max})
		p := m.(maps.Prober)
		bits := maps.BucketBits(max)
		rng := rand.New(rand.NewPCG(1, uint64(typ)))
		key := func() []byte {
			k := make([]byte, 12)
			k[0] = byte(rng.IntN(40))
			k[11] = byte(rng.IntN(2))
			return k
		}
		order := map[uint32][]string{} // bucket → keys newest first
		present := map[string]bool{}
		pos := func(k []byte) (int, int) {
			c := order[maps.BucketHash(k, bits)]
			for i, s := range c {
				if s == string(k) {
					return i, i + 1
				}
			}
			return -1, len(c)
		}
		remove := func(k string) {
			b := maps.BucketHash([]byte(k), bits)
			c := order[b]
			for i, s := range c {
				if s == k {
					order[b] = append(c[:i:i], c[i+1:]...)
					break
				}
			}
			delete(present, k)
		}
		for i := 0; i < 5000; i++ {
			k := key()
			_, want := pos(k)
			switch rng.IntN(3) {
			case 0:
				m.Lookup(k)
			case 1:
				if typ == ebpf.LRUHash && !present[string(k)] && len(present) == max {
					lru := m.(maps.LRU).LRUOrder()
					remove(string(lru[len(lru)-1]))
				}
				err := m.Update(k, make([]byte, 8), maps.UpdateAny)
				if err == nil && !present[string(k)] {
					b := maps.BucketHash(k, bits)
					order[b] = append([]string{string(k)}, order[b]...)
					present[string(k)] = true
				}
			case 2:
				if m.Delete(k) == nil {
					remove(string(k))
				}
			}
			if got := p.LastProbes(); got != want {
				t.Fatalf("%s op %d key %x: LastProbes %d, want %d", typ, i, k, got, want)
			}
		}
	}
}

func BenchmarkHashLookupChains(b *testing.B) {
	m, err := maps.New(&isa.MapSpec{Name: "h", Type: ebpf.Hash, KeySize: 16, ValueSize: 16, MaxEntries: 1024})
	if err != nil {
		b.Fatal(err)
	}
	keys := make([][]byte, 1024)
	for i := range keys {
		keys[i] = make([]byte, 16)
		copy(keys[i], u32(uint32(i)*2654435761))
		if err := m.Update(keys[i], keys[i], maps.UpdateAny); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Lookup(keys[i&1023])
	}
}

// TestChainImage checks the hash-unit image after random updates and
// deletes: every live key sits on its bucket's chain, once; the free list
// holds the freed slots, the one the next insert takes first; counts agree.
func TestChainImage(t *testing.T) {
	const max = 64
	m := mustNew(t, &isa.MapSpec{Name: "h", Type: ebpf.Hash, KeySize: 12, ValueSize: 8, MaxEntries: max})
	rng := rand.New(rand.NewPCG(7, 7))
	val := make([]byte, 8)
	for op := 0; op < 3000; op++ {
		key := make([]byte, 12)
		key[0] = byte(rng.IntN(100))
		if rng.IntN(3) == 0 {
			_ = m.Delete(key)
		} else {
			_ = m.Update(key, val, maps.UpdateAny)
		}
		if op%97 != 0 {
			continue
		}
		img := m.(maps.Chained).Chains()
		if len(img.Heads) != maps.NumBuckets(max) || img.BucketBits != maps.BucketBits(max) {
			t.Fatalf("op %d: %d heads, %d bits", op, len(img.Heads), img.BucketBits)
		}
		seen := map[int32]bool{}
		for b, s := range img.Heads {
			for ; s >= 0; s = img.Next[s] {
				if seen[s] || img.Keys[s] == nil {
					t.Fatalf("op %d: bucket %d: slot %d twice or without a key", op, b, s)
				}
				if got := maps.BucketHash(img.Keys[s], img.BucketBits); got != uint32(b) {
					t.Fatalf("op %d: slot %d on bucket %d, its key hashes to %d", op, s, b, got)
				}
				if slot := m.Peek(img.Keys[s]); slot != int(s) {
					t.Fatalf("op %d: key of slot %d is at slot %d", op, s, slot)
				}
				seen[s] = true
			}
		}
		if len(seen) != img.Count || len(m.Entries()) != img.Count {
			t.Fatalf("op %d: %d keys on chains, count %d, %d entries", op, len(seen), img.Count, len(m.Entries()))
		}
		free := 0
		for s := img.Free; s >= 0; s = img.Next[s] {
			if seen[s] || int(s) >= img.Unused {
				t.Fatalf("op %d: free slot %d is live or never used", op, s)
			}
			free++
		}
		if img.Count+free != img.Unused {
			t.Fatalf("op %d: %d live + %d free != %d handed out", op, img.Count, free, img.Unused)
		}
		// The next insert takes the free list's head (else slot Unused).
		want := int(img.Free)
		if want < 0 {
			want = img.Unused
		}
		if img.Count < max {
			probe := make([]byte, 12)
			probe[0], probe[1] = 200, byte(op)
			if err := m.Update(probe, val, maps.UpdateAny); err != nil {
				t.Fatal(err)
			}
			if got := m.Peek(probe); got != want {
				t.Fatalf("op %d: insert took slot %d, the image says %d", op, got, want)
			}
			if err := m.Delete(probe); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestLPMWalks: an LPM lookup walks one chain per prefix length in use, from
// the longest not beyond the key's, down to the first that matches.
func TestLPMWalks(t *testing.T) {
	m := mustNew(t, &isa.MapSpec{Name: "lpm", Type: ebpf.LPMTrie, KeySize: 8, ValueSize: 4, MaxEntries: 16, Flags: 1})
	key := func(n uint32, a, b, c, d byte) []byte { return []byte{byte(n), 0, 0, 0, a, b, c, d} }
	for _, k := range [][]byte{key(8, 10, 0, 0, 0), key(16, 10, 1, 0, 0), key(24, 10, 1, 2, 0), key(28, 192, 168, 0, 0)} {
		if err := m.Update(k, make([]byte, 4), maps.UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	w := m.(maps.Walker)
	// Lengths in use: 28, 24, 16, 8.
	for _, tt := range []struct {
		key   []byte
		hit   bool
		walks int
	}{
		{key(32, 10, 1, 2, 3), true, 2},
		{key(32, 10, 9, 9, 9), true, 4},
		{key(32, 11, 0, 0, 0), false, 4},
		{key(20, 10, 1, 2, 3), true, 1},
		{key(4, 10, 0, 0, 0), false, 0},
		{key(40, 10, 0, 0, 0), false, 0},
	} {
		s := m.Lookup(tt.key)
		if (s >= 0) != tt.hit || w.LastWalks() != tt.walks || (tt.walks > 0 && w.LastProbes() < 1 && tt.hit) {
			t.Errorf("lookup %v: slot %d, %d walks, %d probes; want hit %v after %d walks", tt.key, s, w.LastWalks(), w.LastProbes(), tt.hit, tt.walks)
		}
	}
	if err := m.Update(key(40, 0, 0, 0, 0), make([]byte, 4), maps.UpdateAny); err == nil || w.LastWalks() != 0 {
		t.Errorf("update beyond the data's bits: %v after %d walks", err, w.LastWalks())
	}
	if err := m.Delete(key(16, 10, 1, 0, 0)); err != nil || w.LastWalks() != 1 || w.LastProbes() < 1 {
		t.Errorf("delete: %v after %d walks, %d probes", err, w.LastWalks(), w.LastProbes())
	}
}
