package maps

import (
	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
)

// hash is HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH. A key's value
// lives in the slot the table gave the key; LRU maps keep their slots on a
// doubly linked list, most recently used first.
type hash struct {
	base
	t      table
	ch     chains // the hardware hash unit's chains, for LastProbes
	probes int
	lru    bool
	percpu bool
	// LRU list over slots; -1 ends it.
	prev, next []int32
	head, tail int32
}

func newHash(s *isa.MapSpec) *hash {
	h := &hash{
		base:   newBase(s, int(s.MaxEntries)),
		t:      newTable(int(s.KeySize), int(s.MaxEntries)),
		ch:     newChains(int(s.MaxEntries)),
		lru:    s.Type == ebpf.LRUHash || s.Type == ebpf.LRUCPUHash,
		percpu: s.Type == ebpf.PerCPUHash || s.Type == ebpf.LRUCPUHash,
		head:   -1,
		tail:   -1,
	}
	if h.lru {
		h.prev = make([]int32, s.MaxEntries)
		h.next = make([]int32, s.MaxEntries)
	}
	return h
}

func (h *hash) Lookup(key []byte) int {
	h.probes = 0
	if len(key) != h.keySize {
		return -1
	}
	s, p, _ := h.ch.find(&h.t, key)
	h.probes = p
	if s >= 0 && h.lru {
		h.touch(int32(s))
	}
	return s
}

func (h *hash) LastProbes() int { return h.probes }

func (h *hash) Peek(key []byte) int {
	if len(key) != h.keySize {
		return -1
	}
	return h.t.lookup(key)
}

// Update follows htab_map_update_elem and its LRU and per-CPU variants:
// flags beyond BPF_EXIST are -EINVAL (BPF_F_LOCK too: no spin lock),
// BPF_NOEXIST on a present key -EEXIST, BPF_EXIST on an absent key -ENOENT,
// and a new key in a full map -E2BIG — or, for LRU maps, the eviction of the
// least recently used entry. Replacing a value never needs a free slot.
func (h *hash) Update(key, value []byte, flags uint64) error {
	h.probes = 0
	if err := h.checkKV(opUpdate, key, value); err != nil {
		return err
	}
	if flags > UpdateExist {
		return h.errs.wrap(opUpdate, ErrInvalid)
	}
	s, p, _ := h.ch.find(&h.t, key)
	h.probes = p
	switch {
	case s >= 0 && flags == UpdateNoExist:
		return h.errs.wrap(opUpdate, ErrKeyExist)
	case s < 0 && flags == UpdateExist:
		return h.errs.wrap(opUpdate, ErrKeyNotExist)
	case s < 0:
		if h.t.full() {
			if !h.lru {
				return h.errs.wrap(opUpdate, ErrFull)
			}
			h.evict()
		}
		s = h.t.insert(key)
		h.ch.insert(key, s)
		if h.lru {
			h.pushFront(int32(s))
		}
	default:
		if h.lru {
			h.touch(int32(s))
		}
	}
	copy(h.value(s), value)
	return nil
}

func (h *hash) Delete(key []byte) error {
	h.probes = 0
	if err := h.checkKey(opDelete, key); err != nil {
		return err
	}
	s, p, _ := h.ch.find(&h.t, key)
	h.probes = p
	if s < 0 {
		return h.errs.wrap(opDelete, ErrKeyNotExist)
	}
	h.ch.unlink(key, s)
	h.t.remove(key)
	if h.lru {
		h.unlink(int32(s))
	}
	return nil
}

func (h *hash) Entries() []isa.MapKV {
	slots := h.t.slots()
	kvs := make([]isa.MapKV, len(slots))
	for i, s := range slots {
		kvs[i] = isa.MapKV{Key: clone(h.t.key(s)), Value: clone(h.value(s))}
	}
	return kvs
}

// lruHash is an LRU hash map; it adds LRUOrder.
type lruHash struct {
	*hash
}

// LRUOrder returns the keys from most to least recently used.
func (h lruHash) LRUOrder() [][]byte {
	var keys [][]byte
	for s := h.head; s >= 0; s = h.next[s] {
		keys = append(keys, clone(h.t.key(int(s))))
	}
	return keys
}

func (h *hash) evict() {
	s := h.tail
	h.unlink(s)
	h.ch.unlink(h.t.key(int(s)), int(s))
	h.t.removeSlot(int(s))
}

func (h *hash) touch(s int32) {
	if h.head == s {
		return
	}
	h.unlink(s)
	h.pushFront(s)
}

func (h *hash) pushFront(s int32) {
	h.prev[s] = -1
	h.next[s] = h.head
	if h.head >= 0 {
		h.prev[h.head] = s
	} else {
		h.tail = s
	}
	h.head = s
}

func (h *hash) unlink(s int32) {
	p, n := h.prev[s], h.next[s]
	if p >= 0 {
		h.next[p] = n
	} else {
		h.head = n
	}
	if n >= 0 {
		h.prev[n] = p
	} else {
		h.tail = p
	}
}
