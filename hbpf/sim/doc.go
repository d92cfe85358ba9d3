// Package sim is the cycle-accurate simulator of the hbpf core: the functional
// semantics of RFC 9669 (v1–v4), the timing model read from package timing, and
// the XDP runtime (xdp_md context, packet buffer with headroom, maps, helpers,
// bpf-to-bpf and tail calls).
//
// Memory is split into regions, and every load and store is bounds-checked
// against its region, as the hardware does. An address is region<<32 | offset:
//
//	region 1   xdp_md context (read-only; data, data_end, data_meta read as pointers)
//	region 2   packet buffer (or the conformance "mem" buffer); valid between data_meta and data_end
//	region 3   stack: 512 bytes per frame, MaxCallDepth frames; r10 is the top of the current frame
//	region 4   map handles (lddw with a map fd); not dereferenceable
//	region 16+ map i's values (value slots of MaxEntries × ValueSize; read-only for .rodata)
//
// A violation traps with a [Cause] and the pc; so do invalid instructions, stack
// overflow and an exhausted cycle budget.
package sim
