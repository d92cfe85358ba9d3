package maps

import (
	"encoding/binary"
	"fmt"

	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
)

// Update flags (the flags argument of bpf_map_update_elem).
const (
	UpdateAny     uint64 = 0 // BPF_ANY: create or replace
	UpdateNoExist uint64 = 1 // BPF_NOEXIST: create only
	UpdateExist   uint64 = 2 // BPF_EXIST: replace only
	UpdateLock    uint64 = 4 // BPF_F_LOCK: rejected, no map here has a spin lock
)

// Map creation flags (isa.MapSpec.Flags) that this package looks at.
const (
	FlagNoPrealloc  uint32 = 1 << 0 // BPF_F_NO_PREALLOC
	FlagNoCommonLRU uint32 = 1 << 1 // BPF_F_NO_COMMON_LRU
)

// Map is a simulated BPF map. Keys and values are byte slices of exactly
// KeySize and ValueSize bytes in the simulated machine's (little-endian) layout.
type Map interface {
	// Spec returns the map's specification, including ReadOnly and the
	// initial Contents. The caller must not modify it.
	Spec() *isa.MapSpec
	// Lookup returns the slot holding key's value, or -1 if there is none
	// (or the key is not KeySize bytes). It is bpf_map_lookup_elem as a program
	// sees it: it marks an LRU entry as used, and an LPM trie returns the
	// longest matching prefix. It does not allocate.
	Lookup(key []byte) int
	// Peek is Lookup without side effects (no LRU update): the view of the
	// bpf(2) syscall and of dumps.
	Peek(key []byte) int
	// Update inserts or replaces key's value. flags is UpdateAny,
	// UpdateNoExist or UpdateExist; UpdateLock and anything else are
	// rejected with ErrInvalid as the kernel does for maps without a lock.
	// Checks happen in the order of the kernel's map code, as the
	// bpf_map_update_elem helper reaches it (the bpf(2) syscall rejects
	// BPF_F_LOCK earlier, so an ARRAY update with BPF_F_LOCK and an index
	// out of range is -E2BIG here and -EINVAL there).
	// The value is copied, so it may alias Values().
	Update(key, value []byte, flags uint64) error
	// Delete removes key's entry; its slot becomes free for reuse.
	Delete(key []byte) error
	// Values is the backing store: slot i's value is
	// Values()[i*ValueSize:(i+1)*ValueSize]. Its length never changes.
	// For a ring buffer it is the data area; see RingBuf.
	Values() []byte
	// Entries returns copies of the live entries, ordered by index for
	// array-like maps and by key bytes otherwise.
	Entries() []isa.MapKV
}

// Redirector is implemented by the maps bpf_redirect_map accepts (DEVMAP,
// DEVMAP_HASH, CPUMAP, XSKMAP).
type Redirector interface {
	Map
	// Target returns the first u32 of key's value (the ifindex of a DEVMAP
	// entry, the queue size of a CPUMAP entry, the socket of an XSKMAP
	// entry) and whether the entry is present. For a CPUMAP the target CPU
	// is the key itself.
	Target(key uint32) (uint32, bool)
}

// LRU is implemented by LRU_HASH and LRU_PERCPU_HASH maps.
type LRU interface {
	Map
	// LRUOrder returns the keys from most to least recently used; the next
	// eviction removes the last one.
	LRUOrder() [][]byte
}

// maxStore bounds the memory a map may ask for (values and keys), so that a
// bogus spec fails cleanly instead of exhausting memory.
const maxStore = 1 << 32

// New creates a map from spec and loads spec.Contents into it (with
// BPF_ANY updates, in order). It fails for unsupported types and for sizes
// the kernel would refuse, naming the map and the type.
func New(spec *isa.MapSpec) (Map, error) {
	if spec == nil {
		return nil, fmt.Errorf("new map: nil spec: %w", ErrInvalid)
	}
	s := *spec
	m, err := create(&s)
	if err != nil {
		return nil, fmt.Errorf("map %s (%s): %w", s.Name, s.Type, err)
	}
	if err := CheckContents(&s, s.Contents); err != nil {
		return nil, err
	}
	if err := load(m, s.Contents); err != nil {
		return nil, err
	}
	return m, nil
}

func create(s *isa.MapSpec) (Map, error) {
	if s.MaxEntries == 0 && s.Type != ebpf.RingBuf {
		return nil, fmt.Errorf("max entries is 0: %w", ErrInvalid)
	}
	if uint64(s.MaxEntries)*uint64(s.ValueSize) > maxStore || uint64(s.MaxEntries)*uint64(s.KeySize) > maxStore {
		return nil, fmt.Errorf("%d entries of %d+%d bytes exceed the simulator's limit of %d bytes: %w",
			s.MaxEntries, s.KeySize, s.ValueSize, uint64(maxStore), ErrInvalid)
	}
	switch s.Type {
	case ebpf.Array, ebpf.PerCPUArray:
		if err := checkSizes(s, 4, 4, 1, 0); err != nil {
			return nil, err
		}
		return newArray(s), nil
	case ebpf.Hash, ebpf.PerCPUHash, ebpf.LRUHash, ebpf.LRUCPUHash:
		if err := checkSizes(s, 1, 0, 1, 0); err != nil {
			return nil, err
		}
		h := newHash(s)
		if h.lru {
			return lruHash{h}, nil
		}
		return h, nil
	case ebpf.LPMTrie:
		if err := checkSizes(s, 4+1, 4+256, 1, 0); err != nil {
			return nil, err
		}
		return newLPM(s), nil
	case ebpf.ProgramArray:
		if err := checkSizes(s, 4, 4, 4, 4); err != nil {
			return nil, err
		}
		return newProgArray(s), nil
	case ebpf.DevMap, ebpf.CPUMap:
		if err := checkSizes(s, 4, 4, 4, 8); err != nil {
			return nil, err
		}
		if s.ValueSize != 4 && s.ValueSize != 8 {
			return nil, fmt.Errorf("value size %d, want 4 or 8: %w", s.ValueSize, ErrInvalid)
		}
		return newTargetArray(s), nil
	case ebpf.XSKMap:
		if err := checkSizes(s, 4, 4, 4, 4); err != nil {
			return nil, err
		}
		return newTargetArray(s), nil
	case ebpf.DevMapHash:
		if err := checkSizes(s, 4, 4, 4, 8); err != nil {
			return nil, err
		}
		if s.ValueSize != 4 && s.ValueSize != 8 {
			return nil, fmt.Errorf("value size %d, want 4 or 8: %w", s.ValueSize, ErrInvalid)
		}
		return newDevMapHash(s), nil
	case ebpf.ArrayOfMaps:
		// Values are u32 indices of inner maps in the object (as the ELF
		// loader writes them); the runtime turns a hit into a map handle.
		if err := checkSizes(s, 4, 4, 4, 4); err != nil {
			return nil, err
		}
		return newArray(s), nil
	case ebpf.HashOfMaps:
		if err := checkSizes(s, 1, 0, 4, 4); err != nil {
			return nil, err
		}
		return newHash(s), nil
	case ebpf.RingBuf:
		if err := checkSizes(s, 0, 0, 0, 0); err != nil {
			return nil, err
		}
		return newRingBuf(s)
	case ebpf.Queue, ebpf.Stack:
		if err := checkSizes(s, 0, 0, 1, 0); err != nil {
			return nil, err
		}
		return newQueue(s), nil
	}
	return nil, fmt.Errorf("map type %s: %w", s.Type, ErrNotSupported)
}

// checkSizes checks KeySize and ValueSize against inclusive ranges; a maximum
// of 0 means unbounded, except when the minimum is 0 too (the size must be 0).
func checkSizes(s *isa.MapSpec, kmin, kmax, vmin, vmax uint32) error {
	if err := checkSize("key", s.KeySize, kmin, kmax); err != nil {
		return err
	}
	return checkSize("value", s.ValueSize, vmin, vmax)
}

func checkSize(what string, got, lo, hi uint32) error {
	switch {
	case lo == 0 && hi == 0 && got != 0:
		return fmt.Errorf("%s size %d, want 0: %w", what, got, ErrInvalid)
	case lo == hi && got != lo:
		return fmt.Errorf("%s size %d, want %d: %w", what, got, lo, ErrInvalid)
	case got < lo || (hi != 0 && got > hi):
		if hi == 0 {
			return fmt.Errorf("%s size %d, want at least %d: %w", what, got, lo, ErrInvalid)
		}
		return fmt.Errorf("%s size %d, want %d to %d: %w", what, got, lo, hi, ErrInvalid)
	}
	return nil
}

// CheckContents reports the first entry of kvs whose key or value does not
// have the size spec asks for, naming the map and the entry's index.
func CheckContents(spec *isa.MapSpec, kvs []isa.MapKV) error {
	for i, kv := range kvs {
		if len(kv.Key) != int(spec.KeySize) {
			return fmt.Errorf("map %s: entry %d: key is %d bytes, want %d: %w", spec.Name, i, len(kv.Key), spec.KeySize, ErrInvalid)
		}
		want := int(spec.ValueSize)
		if spec.Type == ebpf.RingBuf {
			continue // records of any size
		}
		if len(kv.Value) != want {
			return fmt.Errorf("map %s: entry %d: value is %d bytes, want %d: %w", spec.Name, i, len(kv.Value), want, ErrInvalid)
		}
	}
	return nil
}

// load applies contents as BPF_ANY updates (pushes for queues, records for
// ring buffers).
func load(m Map, kvs []isa.MapKV) error {
	for i, kv := range kvs {
		var err error
		if rb, ok := m.(*RingBuf); ok {
			err = rb.Output(kv.Value, 0)
		} else {
			err = m.Update(kv.Key, kv.Value, UpdateAny)
		}
		if err != nil {
			return fmt.Errorf("map %s: entry %d: %w", m.Spec().Name, i, err)
		}
	}
	return nil
}

// Load applies kvs to m as BPF_ANY updates in order (pushes for a queue or
// stack, records for a ring buffer), after checking every entry's sizes.
// Errors name the map and the entry.
func Load(m Map, kvs []isa.MapKV) error {
	if err := CheckContents(m.Spec(), kvs); err != nil {
		return err
	}
	return load(m, kvs)
}

func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// base holds what every map has.
type base struct {
	spec      *isa.MapSpec
	keySize   int
	valueSize int
	max       int
	values    []byte
	errs      errTable
}

func newBase(s *isa.MapSpec, slots int) base {
	return base{
		spec:      s,
		keySize:   int(s.KeySize),
		valueSize: int(s.ValueSize),
		max:       int(s.MaxEntries),
		values:    make([]byte, slots*int(s.ValueSize)),
		errs:      errTable{name: s.Name},
	}
}

func (b *base) Spec() *isa.MapSpec { return b.spec }
func (b *base) Values() []byte     { return b.values }

// value returns slot i's value.
func (b *base) value(i int) []byte {
	return b.values[i*b.valueSize : (i+1)*b.valueSize : (i+1)*b.valueSize]
}

// checkKV checks the sizes of an update's key and value.
func (b *base) checkKV(o op, key, value []byte) error {
	if len(key) != b.keySize {
		return b.errs.argError(o, "key is %d bytes, want %d", len(key), b.keySize)
	}
	if len(value) != b.valueSize {
		return b.errs.argError(o, "value is %d bytes, want %d", len(value), b.valueSize)
	}
	return nil
}

func (b *base) checkKey(o op, key []byte) error {
	if len(key) != b.keySize {
		return b.errs.argError(o, "key is %d bytes, want %d", len(key), b.keySize)
	}
	return nil
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
