package maps

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"slices"
)

// table maps fixed-size keys to slots 0..max-1 without allocating on lookup.
//
// Keys are stored by slot in one flat array. The index is an open-addressing
// table with linear probing and backward-shift deletion; each non-empty cell
// holds the key's 32-bit hash and slot+1, so most mismatches are rejected
// without touching the key. The index starts small and doubles to keep its
// load at most one half. Slots are handed out in order 0, 1, 2, … and freed
// slots are reused last-freed first, so slot assignment is deterministic.
type table struct {
	keySize int
	max     int
	keys    []byte
	index   []uint64
	mask    uint64
	count   int
	next    int     // slots below next have been handed out at least once
	free    []int32 // freed slots, reused from the end
}

func newTable(keySize, max int) table {
	n := 16
	for n < 2*max && n < 1024 {
		n *= 2
	}
	return table{
		keySize: keySize,
		max:     max,
		keys:    make([]byte, max*keySize),
		index:   make([]uint64, n),
		mask:    uint64(n - 1),
	}
}

// hashKey is a fixed (unseeded) 64-bit mix of the key, folded to 32 bits, so
// that probe sequences are the same from run to run.
func hashKey(k []byte) uint32 {
	const (
		m1 = 0x9e3779b97f4a7c15
		m2 = 0xbf58476d1ce4e5b9
	)
	h := uint64(len(k)) * m1
	for len(k) >= 8 {
		h = bits.RotateLeft64((h^binary.LittleEndian.Uint64(k))*m2, 31)
		k = k[8:]
	}
	if len(k) >= 4 {
		h = bits.RotateLeft64((h^uint64(binary.LittleEndian.Uint32(k)))*m2, 31)
		k = k[4:]
	}
	for _, c := range k {
		h = (h ^ uint64(c)) * m1
	}
	// Final avalanche (as in MurmurHash3's fmix64).
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return uint32(h) ^ uint32(h>>32)
}

func (t *table) key(slot int) []byte {
	return t.keys[slot*t.keySize : (slot+1)*t.keySize : (slot+1)*t.keySize]
}

// find returns key's slot and index cell, or slot -1 and the empty cell where
// key would go.
func (t *table) find(key []byte, h uint32) (slot int, cell uint64) {
	i := uint64(h) & t.mask
	for {
		e := t.index[i]
		if e == 0 {
			return -1, i
		}
		if uint32(e>>32) == h {
			s := int(uint32(e)) - 1
			if bytes.Equal(t.key(s), key) {
				return s, i
			}
		}
		i = (i + 1) & t.mask
	}
}

// lookup returns key's slot or -1.
func (t *table) lookup(key []byte) int {
	s, _ := t.find(key, hashKey(key))
	return s
}

func (t *table) full() bool { return t.count >= t.max }

// insert adds key, which must be absent, into a free slot and returns the
// slot; the table must not be full.
func (t *table) insert(key []byte) int {
	if 2*(t.count+1) > len(t.index) {
		t.grow()
	}
	h := hashKey(key)
	_, cell := t.find(key, h)
	var s int
	if n := len(t.free); n > 0 {
		s = int(t.free[n-1])
		t.free = t.free[:n-1]
	} else {
		s = t.next
		t.next++
	}
	copy(t.key(s), key)
	t.index[cell] = uint64(h)<<32 | uint64(s+1)
	t.count++
	return s
}

func (t *table) grow() {
	old := t.index
	t.index = make([]uint64, 2*len(old))
	t.mask = uint64(len(t.index) - 1)
	for _, e := range old {
		if e == 0 {
			continue
		}
		i := (e >> 32) & t.mask
		for t.index[i] != 0 {
			i = (i + 1) & t.mask
		}
		t.index[i] = e
	}
}

// remove deletes key and returns its former slot, or -1 if it is absent.
func (t *table) remove(key []byte) int {
	s, i := t.find(key, hashKey(key))
	if s < 0 {
		return -1
	}
	t.removeCell(i)
	t.free = append(t.free, int32(s))
	t.count--
	return s
}

// removeSlot deletes the entry in slot s, which must be live.
func (t *table) removeSlot(s int) {
	if t.remove(t.key(s)) != s {
		panic("maps: table: slot is not live")
	}
}

// removeCell empties index cell i and shifts later cells of the same probe
// run back so that no lookup is cut short.
func (t *table) removeCell(i uint64) {
	j := i
	for {
		j = (j + 1) & t.mask
		e := t.index[j]
		if e == 0 {
			break
		}
		home := (e >> 32) & t.mask
		// The entry at j may move to i unless its home lies cyclically in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			t.index[i] = e
			i = j
		}
	}
	t.index[i] = 0
}

// slots returns the live slots ordered by key bytes.
func (t *table) slots() []int {
	s := make([]int, 0, t.count)
	for _, e := range t.index {
		if e != 0 {
			s = append(s, int(uint32(e))-1)
		}
	}
	slices.SortFunc(s, func(a, b int) int { return bytes.Compare(t.key(a), t.key(b)) })
	return s
}
