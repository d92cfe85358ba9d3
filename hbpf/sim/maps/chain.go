package maps

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"slices"
)

// The block-RAM hash unit of the hardware (HASH and PERCPU_HASH maps,
// hbpf/rtl's hbpf_hashchain.v) keeps three memories: a bucket-head
// table of NumBuckets(MaxEntries) entries (a slot, or empty), a next-pointer
// table with one entry per slot, and the keys by slot. A lookup hashes the
// key with BucketHash, then walks the bucket's chain, comparing the key with
// each slot's key in turn; an insert puts the new slot at the head of its
// chain; a delete unlinks the slot. Slots are still handed out by the table
// (last freed first, else the next never-used one), so the chains decide only
// the latency: the simulator keeps them alongside the table, purely to count
// the keys a helper compares (Prober).
//
// BucketHash is defined here once; the simulator's latency model and the RTL
// generator both take it from this package.

// Hash-unit constants, shared with the RTL generator.
const (
	// BucketHashRot is the left rotation applied to the running fold before
	// each key word is xored in.
	BucketHashRot = 29
	// BucketHashMul is the 32-bit multiplier (Knuth's golden-ratio constant)
	// whose product's top bits select the bucket.
	BucketHashMul = 0x9e3779b1
)

// BucketBits returns log2 of the number of buckets of a hash map of
// maxEntries entries: the next power of two at or above maxEntries.
func BucketBits(maxEntries int) int {
	if maxEntries <= 1 {
		return 0
	}
	return bits.Len(uint(maxEntries - 1))
}

// NumBuckets returns the number of buckets, 1 << BucketBits(maxEntries).
func NumBuckets(maxEntries int) int { return 1 << BucketBits(maxEntries) }

// BucketHash returns the bucket of key in a table of 1<<bucketBits buckets.
// The key is read as little-endian 64-bit words (the last one zero-padded), as
// the hardware reads it, 8 bytes a cycle; the words are folded as
// x = rotl64(x, BucketHashRot) ^ word, the fold's halves xored to 32 bits,
// multiplied by BucketHashMul, and the top bucketBits bits of the 32-bit
// product are the bucket.
func BucketHash(key []byte, bucketBits int) uint32 {
	var x uint64
	for len(key) >= 8 {
		x = bits.RotateLeft64(x, BucketHashRot) ^ binary.LittleEndian.Uint64(key)
		key = key[8:]
	}
	if len(key) > 0 {
		var w [8]byte
		copy(w[:], key)
		x = bits.RotateLeft64(x, BucketHashRot) ^ binary.LittleEndian.Uint64(w[:])
	}
	if bucketBits <= 0 {
		return 0
	}
	f := uint32(x) ^ uint32(x>>32)
	return (f * BucketHashMul) >> (32 - uint(bucketBits))
}

// Prober is implemented by HASH and PERCPU_HASH maps (and their LRU
// variants) and LPM tries: the number of keys the hardware's hash unit
// compared in the last Lookup, Update or Delete, for the latency model.
type Prober interface {
	Map
	// LastProbes returns the keys compared by the last Lookup, Update or
	// Delete: the chain walked until the key was found (inclusive) or the
	// chain ended. Peek does not change it.
	LastProbes() int
}

// Walker is implemented by LPM tries, whose lookups walk one chain per prefix
// length tried (the lengths in use, longest first, down to the match).
type Walker interface {
	Prober
	// LastWalks returns the chains walked by the last Lookup, Update or
	// Delete: 0 when it failed before walking, 1 for updates and deletes.
	LastWalks() int
}

// chains is the bucket/next-pointer structure of the hash unit, over the
// slots of a table.
type chains struct {
	bits int
	head []int32 // per bucket: first slot, or -1
	next []int32 // per slot: next slot of the chain, or -1
}

func newChains(maxEntries int) chains {
	c := chains{
		bits: BucketBits(maxEntries),
		head: make([]int32, NumBuckets(maxEntries)),
		next: make([]int32, maxEntries),
	}
	for i := range c.head {
		c.head[i] = -1
	}
	return c
}

// find walks key's chain; it returns the key's slot (or -1), the number of
// keys compared, and the slot before the key's in the chain (or -1).
func (c *chains) find(t *table, key []byte) (slot, probes int, prev int32) {
	prev = -1
	for s := c.head[BucketHash(key, c.bits)]; s >= 0; s = c.next[s] {
		probes++
		if bytes.Equal(t.key(int(s)), key) {
			return int(s), probes, prev
		}
		prev = s
	}
	return -1, probes, -1
}

// insert links slot s, which holds key, at the head of key's chain.
func (c *chains) insert(key []byte, s int) {
	b := BucketHash(key, c.bits)
	c.next[s] = c.head[b]
	c.head[b] = int32(s)
}

// unlink removes slot s, which holds key, from key's chain.
func (c *chains) unlink(key []byte, s int) {
	b := BucketHash(key, c.bits)
	if c.head[b] == int32(s) {
		c.head[b] = c.next[s]
		return
	}
	for p := c.head[b]; p >= 0; p = c.next[p] {
		if c.next[p] == int32(s) {
			c.next[p] = c.next[s]
			return
		}
	}
	panic("maps: chains: slot is not on its chain")
}

// ChainImage is the state of a hash map's hash unit as the hardware holds it,
// for loading a map into the hardware.
type ChainImage struct {
	BucketBits int
	Heads      []int32  // per bucket: the first slot of its chain, or -1
	Next       []int32  // per slot: its successor on its chain (live slots) or on the free list (freed slots), or -1
	Keys       [][]byte // per slot: the key of a live slot, nil for the others
	Free       int32    // the free list's head (the slot an insert takes first), or -1
	Unused     int      // the next slot never handed out
	Count      int      // live keys
	// LPM tries: entries per prefix length (the keys are canonical: the
	// prefix length, then the data with the bits past it cleared).
	PrefixCounts []int32
	// LRU maps: the list of live slots, most recently used first.
	LRU              bool
	LRUPrev, LRUNext []int32 // per live slot: neighbours on the list, or -1
	LRUHead, LRUTail int32   // or -1
}

// Chained is implemented by the maps that keep bucket chains (HASH,
// PERCPU_HASH and their LRU variants).
type Chained interface {
	Map
	// Chains returns the map's hash-unit state.
	Chains() ChainImage
}

// chainImage returns the state of chains over table t; the free list is the
// table's stack of freed slots, last freed first.
func chainImage(t *table, ch *chains) ChainImage {
	img := ChainImage{
		BucketBits: ch.bits,
		Heads:      slices.Clone(ch.head),
		Next:       slices.Clone(ch.next),
		Keys:       make([][]byte, len(ch.next)),
		Free:       -1,
		Unused:     t.next,
		Count:      t.count,
	}
	for _, s := range t.slots() {
		img.Keys[s] = clone(t.key(s))
	}
	for _, s := range t.free {
		img.Next[s] = img.Free
		img.Free = s
	}
	return img
}

// Chains returns the hash unit's state.
func (h *hash) Chains() ChainImage {
	img := chainImage(&h.t, &h.ch)
	if h.lru {
		img.LRU = true
		img.LRUPrev, img.LRUNext = slices.Clone(h.prev), slices.Clone(h.next)
		img.LRUHead, img.LRUTail = h.head, h.tail
	}
	return img
}

// Chains returns the hash unit's state of an LPM trie: its canonical keys.
func (l *lpm) Chains() ChainImage {
	img := chainImage(&l.t, &l.ch)
	img.PrefixCounts = slices.Clone(l.lenCount)
	return img
}
