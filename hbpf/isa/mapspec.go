package isa

import "github.com/cilium/ebpf"

// MapSpec describes a map declared by an object (or synthesised for global data).
// It is the contract between the ELF loader and the simulator's maps.
type MapSpec struct {
	Name       string
	Type       ebpf.MapType // BPF_MAP_TYPE_*, as cilium/ebpf numbers them
	KeySize    uint32
	ValueSize  uint32
	MaxEntries uint32
	Flags      uint32
	ReadOnly   bool     // program may not write values (.rodata, BPF_F_RDONLY_PROG)
	Contents   []MapKV  // initial contents; global data is key 0 → section bytes
	Inner      *MapSpec // inner map of map-in-map types
}

// MapKV is one key/value pair of a map's contents.
type MapKV struct {
	Key   []byte
	Value []byte
}
