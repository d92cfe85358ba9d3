package maps

import (
	"bytes"
	"encoding/binary"
	"slices"

	"github.com/hbpf/hbpf/hbpf/isa"
)

// lpm is LPM_TRIE. Instead of the kernel's path-compressed binary trie it
// keeps one hash table of canonical keys (prefix length followed by the data
// with every bit past the prefix cleared) and the list of prefix lengths in
// use; a lookup probes the lengths from the longest down. The observable
// behaviour is the kernel's: a lookup with prefix length p returns the entry
// with the longest prefix length l ≤ p whose first l bits equal the key's, and
// update and delete address exactly one (length, prefix) pair. Bits past the
// prefix length are ignored for matching; dumps show the key bytes of the
// entry's last update, as the kernel does.
type lpm struct {
	base
	t         table  // canonical keys
	raw       []byte // key bytes as last updated, by slot
	maxPrefix uint32
	dataSize  int
	lenCount  []int32  // entries per prefix length
	lens      []uint32 // prefix lengths in use, longest first
	scratch   []byte   // canonical key under construction
	// The hardware's hash unit keeps the canonical keys on bucket chains and
	// tries the prefix lengths in use one after the other (Prober, Walker).
	ch            chains
	probes, walks int
}

func newLPM(s *isa.MapSpec) *lpm {
	ks := int(s.KeySize)
	return &lpm{
		base:      newBase(s, int(s.MaxEntries)),
		t:         newTable(ks, int(s.MaxEntries)),
		raw:       make([]byte, int(s.MaxEntries)*ks),
		maxPrefix: uint32(8 * (ks - 4)),
		dataSize:  ks - 4,
		lenCount:  make([]int32, 8*(ks-4)+1),
		scratch:   make([]byte, ks),
		ch:        newChains(int(s.MaxEntries)),
	}
}

func (l *lpm) LastProbes() int { return l.probes }
func (l *lpm) LastWalks() int  { return l.walks }

// find walks the chain of the canonical key k, counting.
func (l *lpm) find(k []byte) int {
	s, p, _ := l.ch.find(&l.t, k)
	l.probes += p
	l.walks++
	return s
}

// canon writes key's canonical form for prefix length n into l.scratch.
func (l *lpm) canon(key []byte, n uint32) []byte {
	k := l.scratch
	binary.LittleEndian.PutUint32(k, n)
	full := int(n / 8)
	copy(k[4:4+full], key[4:4+full])
	i := 4 + full
	if r := n % 8; r != 0 {
		k[i] = key[i] & (0xff << (8 - r))
		i++
	}
	clear(k[i:])
	return k
}

func (l *lpm) Lookup(key []byte) int {
	l.probes, l.walks = 0, 0
	if len(key) != l.keySize {
		return -1
	}
	n := le32(key)
	if n > l.maxPrefix {
		return -1
	}
	k := l.scratch
	copy(k, key)
	hi := len(k) // bytes from hi on are already zero
	for _, m := range l.lens {
		if m > n {
			continue
		}
		// Narrow the data in place from the previous length to m.
		binary.LittleEndian.PutUint32(k, m)
		i := 4 + int(m/8)
		if r := m % 8; r != 0 {
			k[i] &= 0xff << (8 - r)
			i++
		}
		if i < hi {
			clear(k[i:hi])
			hi = i
		}
		if s := l.find(k); s >= 0 {
			return s
		}
	}
	return -1
}

func (l *lpm) Peek(key []byte) int { return l.Lookup(key) }

// Update follows trie_update_elem: flags beyond BPF_EXIST and prefix lengths
// beyond the data's bits are -EINVAL; BPF_NOEXIST on a present prefix is
// -EEXIST; BPF_EXIST on an absent one -ENOENT; a new prefix in a full trie
// -ENOSPC (replacing a present prefix works in a full trie, as since Linux 6.14).
func (l *lpm) Update(key, value []byte, flags uint64) error {
	l.probes, l.walks = 0, 0
	if err := l.checkKV(opUpdate, key, value); err != nil {
		return err
	}
	if flags > UpdateExist {
		return l.errs.wrap(opUpdate, ErrInvalid)
	}
	n := le32(key)
	if n > l.maxPrefix {
		return l.errs.wrap(opUpdate, ErrInvalid)
	}
	k := l.canon(key, n)
	s := l.find(k)
	switch {
	case s >= 0 && flags == UpdateNoExist:
		return l.errs.wrap(opUpdate, ErrKeyExist)
	case s < 0 && flags == UpdateExist:
		return l.errs.wrap(opUpdate, ErrKeyNotExist)
	case s < 0:
		if l.t.full() {
			return l.errs.wrap(opUpdate, ErrNoSpace)
		}
		s = l.t.insert(k)
		l.ch.insert(k, s)
		if l.lenCount[n] == 0 {
			i, _ := slices.BinarySearchFunc(l.lens, n, func(a, b uint32) int { return int(int64(b) - int64(a)) })
			l.lens = slices.Insert(l.lens, i, n)
		}
		l.lenCount[n]++
	}
	copy(l.rawKey(s), key)
	copy(l.value(s), value)
	return nil
}

// Delete follows trie_delete_elem: a prefix length beyond the data's bits is
// -EINVAL, an absent (length, prefix) -ENOENT.
func (l *lpm) Delete(key []byte) error {
	l.probes, l.walks = 0, 0
	if err := l.checkKey(opDelete, key); err != nil {
		return err
	}
	n := le32(key)
	if n > l.maxPrefix {
		return l.errs.wrap(opDelete, ErrInvalid)
	}
	k := l.canon(key, n)
	s := l.find(k)
	if s < 0 {
		return l.errs.wrap(opDelete, ErrKeyNotExist)
	}
	l.ch.unlink(k, s)
	l.t.remove(k)
	l.lenCount[n]--
	if l.lenCount[n] == 0 {
		i := slices.Index(l.lens, n)
		l.lens = slices.Delete(l.lens, i, i+1)
	}
	return nil
}

func (l *lpm) rawKey(s int) []byte { return l.raw[s*l.keySize : (s+1)*l.keySize] }

// Entries returns the entries ordered by their key bytes as last updated.
func (l *lpm) Entries() []isa.MapKV {
	slots := l.t.slots()
	kvs := make([]isa.MapKV, len(slots))
	for i, s := range slots {
		kvs[i] = isa.MapKV{Key: clone(l.rawKey(s)), Value: clone(l.value(s))}
	}
	slices.SortFunc(kvs, func(a, b isa.MapKV) int { return bytes.Compare(a.Key, b.Key) })
	return kvs
}
