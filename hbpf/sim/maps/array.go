package maps

import (
	"encoding/binary"

	"github.com/hbpf/hbpf/hbpf/isa"
)

// array is ARRAY and PERCPU_ARRAY: every index below MaxEntries always has a
// value, initially zero. Slot i is index i.
type array struct {
	base
}

func newArray(s *isa.MapSpec) *array {
	return &array{base: newBase(s, int(s.MaxEntries))}
}

func (a *array) Lookup(key []byte) int {
	if len(key) != 4 {
		return -1
	}
	i := binary.LittleEndian.Uint32(key)
	if uint64(i) >= uint64(a.max) {
		return -1
	}
	return int(i)
}

func (a *array) Peek(key []byte) int { return a.Lookup(key) }

// Update follows array_map_update_elem, which programs reach for ARRAY and
// PERCPU_ARRAY alike: flags other than BPF_ANY/NOEXIST/EXIST (ignoring
// BPF_F_LOCK) are -EINVAL, an index out of range -E2BIG, BPF_NOEXIST (even
// with BPF_F_LOCK) -EEXIST as every index exists, and BPF_F_LOCK -EINVAL as
// the value has no spin lock.
func (a *array) Update(key, value []byte, flags uint64) error {
	if err := a.checkKV(opUpdate, key, value); err != nil {
		return err
	}
	if flags&^UpdateLock > UpdateExist {
		return a.errs.wrap(opUpdate, ErrInvalid)
	}
	i := le32(key)
	if uint64(i) >= uint64(a.max) {
		return a.errs.wrap(opUpdate, ErrIndexOutOfRange)
	}
	if flags&UpdateNoExist != 0 {
		return a.errs.wrap(opUpdate, ErrKeyExist)
	}
	if flags&UpdateLock != 0 {
		return a.errs.wrap(opUpdate, ErrInvalid)
	}
	copy(a.value(int(i)), value)
	return nil
}

// Delete always fails with -EINVAL: array elements cannot be deleted.
func (a *array) Delete(key []byte) error {
	if err := a.checkKey(opDelete, key); err != nil {
		return err
	}
	return a.errs.wrap(opDelete, ErrInvalid)
}

func (a *array) Entries() []isa.MapKV {
	kvs := make([]isa.MapKV, a.max)
	for i := range kvs {
		k := make([]byte, 4)
		binary.LittleEndian.PutUint32(k, uint32(i))
		kvs[i] = isa.MapKV{Key: k, Value: clone(a.value(i))}
	}
	return kvs
}
