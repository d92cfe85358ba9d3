package maps

import (
	"encoding/binary"

	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
)

// slotArray is an array whose indices may be empty: the common part of
// PROG_ARRAY, DEVMAP, CPUMAP and XSKMAP. Slot i is index i.
type slotArray struct {
	base
	present []bool
}

func newSlotArray(s *isa.MapSpec) slotArray {
	return slotArray{base: newBase(s, int(s.MaxEntries)), present: make([]bool, s.MaxEntries)}
}

func (a *slotArray) index(key []byte) int {
	if len(key) != 4 {
		return -1
	}
	i := binary.LittleEndian.Uint32(key)
	if uint64(i) >= uint64(a.max) {
		return -1
	}
	return int(i)
}

// Lookup returns the index if its entry is present.
func (a *slotArray) Lookup(key []byte) int {
	i := a.index(key)
	if i < 0 || !a.present[i] {
		return -1
	}
	return i
}

func (a *slotArray) Peek(key []byte) int { return a.Lookup(key) }

func (a *slotArray) set(i int, value []byte) {
	copy(a.value(i), value)
	a.present[i] = true
}

func (a *slotArray) clearSlot(i int) {
	clear(a.value(i))
	a.present[i] = false
}

// Entries returns the present entries by index.
func (a *slotArray) Entries() []isa.MapKV {
	var kvs []isa.MapKV
	for i, ok := range a.present {
		if ok {
			k := make([]byte, 4)
			binary.LittleEndian.PutUint32(k, uint32(i))
			kvs = append(kvs, isa.MapKV{Key: k, Value: clone(a.value(i))})
		}
	}
	return kvs
}

// ProgArray is a PROG_ARRAY, the table of bpf_tail_call. Its values are u32
// indices of programs in the object, where the kernel stores program file
// descriptors; the package does not know the object and accepts any index.
// Programs may not look it up (the verifier allows only bpf_tail_call), so the
// runtime should not offer map_lookup_elem on it; Lookup works for dumps.
type ProgArray struct {
	slotArray
}

func newProgArray(s *isa.MapSpec) *ProgArray {
	return &ProgArray{slotArray: newSlotArray(s)}
}

// ProgAt returns the program index stored at index, and whether there is one:
// a tail call through an empty or out-of-range index falls through.
func (p *ProgArray) ProgAt(index uint32) (prog int, ok bool) {
	if uint64(index) >= uint64(p.max) || !p.present[index] {
		return 0, false
	}
	return int(le32(p.value(int(index)))), true
}

// Update follows bpf_fd_array_map_update_elem: any flags but BPF_ANY are
// -EINVAL, an index out of range -E2BIG.
func (p *ProgArray) Update(key, value []byte, flags uint64) error {
	if err := p.checkKV(opUpdate, key, value); err != nil {
		return err
	}
	if flags != UpdateAny {
		return p.errs.wrap(opUpdate, ErrInvalid)
	}
	i := p.index(key)
	if i < 0 {
		return p.errs.wrap(opUpdate, ErrIndexOutOfRange)
	}
	p.set(i, value)
	return nil
}

// Delete follows fd_array_map_delete_elem: an index out of range is -E2BIG,
// an empty index -ENOENT.
func (p *ProgArray) Delete(key []byte) error {
	if err := p.checkKey(opDelete, key); err != nil {
		return err
	}
	i := p.index(key)
	if i < 0 {
		return p.errs.wrap(opDelete, ErrIndexOutOfRange)
	}
	if !p.present[i] {
		return p.errs.wrap(opDelete, ErrKeyNotExist)
	}
	p.clearSlot(i)
	return nil
}

// targetArray is DEVMAP, CPUMAP or XSKMAP.
type targetArray struct {
	slotArray
	typ ebpf.MapType
}

func newTargetArray(s *isa.MapSpec) *targetArray {
	return &targetArray{slotArray: newSlotArray(s), typ: s.Type}
}

func (a *targetArray) Target(key uint32) (uint32, bool) {
	if uint64(key) >= uint64(a.max) || !a.present[key] {
		return 0, false
	}
	return le32(a.value(int(key))), true
}

// cpumapMaxQsize is the kernel's sanity limit on a CPUMAP queue size.
const cpumapMaxQsize = 16384

// Update follows dev_map_update_elem, cpu_map_update_elem and
// xsk_map_update_elem: flags beyond BPF_EXIST are -EINVAL, an index out of
// range -E2BIG. DEVMAP and CPUMAP: BPF_NOEXIST is always -EEXIST; an ifindex
// (DEVMAP) or queue size (CPUMAP) of 0 clears the entry; a DEVMAP value with
// ifindex 0 and a program fd > 0 is -EINVAL; a queue size above 16384 is
// -EOVERFLOW. The program word of an 8-byte value is kept if positive and
// stored as 0 otherwise (the kernel stores the program's id or 0). XSKMAP:
// storing the value already there succeeds whatever the flags; otherwise
// BPF_NOEXIST on a present entry is -EEXIST and BPF_EXIST on an empty one
// -ENOENT.
func (a *targetArray) Update(key, value []byte, flags uint64) error {
	if err := a.checkKV(opUpdate, key, value); err != nil {
		return err
	}
	if flags > UpdateExist {
		return a.errs.wrap(opUpdate, ErrInvalid)
	}
	i := a.index(key)
	if i < 0 {
		return a.errs.wrap(opUpdate, ErrIndexOutOfRange)
	}
	if a.typ == ebpf.XSKMap {
		switch {
		case a.present[i] && le32(a.value(i)) == le32(value):
			return nil
		case a.present[i] && flags == UpdateNoExist:
			return a.errs.wrap(opUpdate, ErrKeyExist)
		case !a.present[i] && flags == UpdateExist:
			return a.errs.wrap(opUpdate, ErrKeyNotExist)
		}
		a.set(i, value)
		return nil
	}
	if flags == UpdateNoExist {
		return a.errs.wrap(opUpdate, ErrKeyExist)
	}
	first := le32(value)
	var prog int32
	if len(value) == 8 {
		prog = int32(le32(value[4:]))
	}
	if a.typ == ebpf.CPUMap && first > cpumapMaxQsize {
		return a.errs.wrap(opUpdate, ErrOverflow)
	}
	if first == 0 {
		if a.typ == ebpf.DevMap && prog > 0 {
			return a.errs.wrap(opUpdate, ErrInvalid)
		}
		a.clearSlot(i)
		return nil
	}
	a.set(i, value)
	if len(value) == 8 && prog <= 0 {
		clear(a.value(i)[4:])
	}
	return nil
}

// Delete follows the kernel: an index out of range is -EINVAL; deleting an
// empty index succeeds.
func (a *targetArray) Delete(key []byte) error {
	if err := a.checkKey(opDelete, key); err != nil {
		return err
	}
	i := a.index(key)
	if i < 0 {
		return a.errs.wrap(opDelete, ErrInvalid)
	}
	a.clearSlot(i)
	return nil
}

// devMapHash is DEVMAP_HASH: u32 keys in a hash table (on the hardware's
// hash-unit chains, for LastProbes).
type devMapHash struct {
	base
	t      table
	ch     chains
	probes int
}

func newDevMapHash(s *isa.MapSpec) *devMapHash {
	return &devMapHash{base: newBase(s, int(s.MaxEntries)), t: newTable(4, int(s.MaxEntries)), ch: newChains(int(s.MaxEntries))}
}

func (d *devMapHash) LastProbes() int { return d.probes }

// Chains returns the hash unit's state.
func (d *devMapHash) Chains() ChainImage { return chainImage(&d.t, &d.ch) }

func (d *devMapHash) find(key []byte) int {
	s, p, _ := d.ch.find(&d.t, key)
	d.probes = p
	return s
}

func (d *devMapHash) Lookup(key []byte) int {
	d.probes = 0
	if len(key) != 4 {
		return -1
	}
	return d.find(key)
}

func (d *devMapHash) Peek(key []byte) int { return d.Lookup(key) }

func (d *devMapHash) Target(key uint32) (uint32, bool) {
	var k [4]byte
	binary.LittleEndian.PutUint32(k[:], key)
	s := d.find(k[:])
	if s < 0 {
		return 0, false
	}
	return le32(d.value(s)), true
}

// Update follows dev_map_hash_update_elem: flags beyond BPF_EXIST or an
// ifindex of 0 are -EINVAL, BPF_NOEXIST on a present key -EEXIST, a new key
// in a full map -E2BIG. BPF_EXIST on an absent key inserts it, as in the
// kernel. The program word is stored as for DEVMAP.
func (d *devMapHash) Update(key, value []byte, flags uint64) error {
	d.probes = 0
	if err := d.checkKV(opUpdate, key, value); err != nil {
		return err
	}
	if flags > UpdateExist || le32(value) == 0 {
		return d.errs.wrap(opUpdate, ErrInvalid)
	}
	s := d.find(key)
	if s >= 0 && flags&UpdateNoExist != 0 {
		return d.errs.wrap(opUpdate, ErrKeyExist)
	}
	if s < 0 {
		if d.t.full() {
			return d.errs.wrap(opUpdate, ErrFull)
		}
		s = d.t.insert(key)
		d.ch.insert(key, s)
	}
	copy(d.value(s), value)
	if len(value) == 8 && int32(le32(value[4:])) <= 0 {
		clear(d.value(s)[4:])
	}
	return nil
}

func (d *devMapHash) Delete(key []byte) error {
	d.probes = 0
	if err := d.checkKey(opDelete, key); err != nil {
		return err
	}
	s := d.find(key)
	if s < 0 {
		return d.errs.wrap(opDelete, ErrKeyNotExist)
	}
	d.ch.unlink(key, s)
	d.t.remove(key)
	return nil
}

func (d *devMapHash) Entries() []isa.MapKV {
	slots := d.t.slots()
	kvs := make([]isa.MapKV, len(slots))
	for i, s := range slots {
		kvs[i] = isa.MapKV{Key: clone(d.t.key(s)), Value: clone(d.value(s))}
	}
	return kvs
}
