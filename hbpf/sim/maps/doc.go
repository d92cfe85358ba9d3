// Package maps implements the BPF maps of the simulator's XDP runtime with
// the semantics of the Linux kernel.
//
// Every map is created from an [isa.MapSpec] by [New] and satisfies [Map].
// Values live in one fixed backing store per map, returned by [Map.Values]:
// the value of slot i occupies Values()[i*ValueSize:(i+1)*ValueSize], and
// neither the store nor a live entry's slot ever moves. The simulator turns a
// pointer returned by bpf_map_lookup_elem into (map, slot, byte offset) and
// bounds-checks program accesses against the slot; the hardware keeps the same
// store in block RAM of MaxEntries × ValueSize bytes. Replacing the value of an
// existing key writes the same slot in place (the kernel swaps in a new element
// for hash maps; a program that keeps a value pointer across its own update
// observes the new value here, the old one there).
//
// Supported types and what they simulate:
//
//   - ARRAY, PERCPU_ARRAY: index keys (little-endian u32); update with
//     BPF_NOEXIST fails with -EEXIST, delete with -EINVAL. Global data
//     (.rodata, .data, .bss) arrive as one-entry arrays; ReadOnly is kept in
//     [Map.Spec] for the runtime to enforce.
//   - HASH, PERCPU_HASH (preallocated or BPF_F_NO_PREALLOC, same semantics):
//     -E2BIG when full, BPF_NOEXIST/BPF_EXIST, freed slots are reused.
//   - LRU_HASH, LRU_PERCPU_HASH: a full map evicts its least recently used
//     entry. The kernel's LRU is approximate (per-CPU free lists, a
//     reference bit rather than an order, and eviction can happen before the
//     map is full or as a side effect of a failed update); this package keeps
//     an exact LRU order, so differential tests against the kernel must not
//     fill an LRU map.
//   - LPM_TRIE: keys are a u32 prefix length (host order, little-endian
//     here) followed by big-endian data; lookup is longest-prefix match,
//     update and delete address one exact prefix, a full trie fails with
//     -ENOSPC. The kernel requires BPF_F_NO_PREALLOC; both are accepted.
//   - PROG_ARRAY: values are u32 program indices into the object (the kernel
//     stores program file descriptors); see [ProgArray.ProgAt].
//   - DEVMAP, DEVMAP_HASH, CPUMAP, XSKMAP: redirect targets with their
//     kernel update rules; see [Redirector]. Devices, CPUs and sockets are
//     not validated (the simulator has none), and programs attached to
//     DEVMAP/CPUMAP entries are not run.
//   - RINGBUF: see [RingBuf].
//   - QUEUE, STACK: see [Queue].
//
// The simulated core is one CPU: per-CPU maps hold a single copy of each value
// and [Map.Entries] returns that copy (the kernel's syscall interface instead
// exchanges one value per possible CPU, each rounded up to 8 bytes).
//
// Maps are deterministic: the same sequence of operations yields the same slots,
// the same evictions and the same dumps, and [Map.Entries] is ordered (by index
// for array-like maps, by key bytes otherwise). Lookups do not allocate.
// Maps are not safe for concurrent use.
package maps
