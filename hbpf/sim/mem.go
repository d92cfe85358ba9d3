package sim

import "encoding/binary"

// access returns the bytes at addr if an access of size bytes is within its
// region (and, for map values, within one value slot).
func (m *Machine) access(addr uint64, size uint32) ([]byte, *region) {
	r := addr >> 32
	if r >= numRegions {
		return nil, nil
	}
	rg := &m.regions[r]
	off := uint32(addr)
	if off < rg.lo || uint64(off)+uint64(size) > uint64(rg.hi) {
		return nil, nil
	}
	if rg.slot != 0 && off%rg.slot+size > rg.slot {
		return nil, nil
	}
	return rg.buf[off : off+size], rg
}

func get(b []byte, size uint8) uint64 {
	switch size {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	}
	return binary.LittleEndian.Uint64(b)
}

func put(b []byte, size uint8, v uint64) {
	switch size {
	case 1:
		b[0] = byte(v)
	case 2:
		binary.LittleEndian.PutUint16(b, uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(b, uint32(v))
	default:
		binary.LittleEndian.PutUint64(b, v)
	}
}

// load reads size bytes at addr; ok is false after a trap.
func (m *Machine) load(addr uint64, size uint8) (uint64, bool) {
	b, _ := m.access(addr, uint32(size))
	if b == nil {
		if addr>>32 == RegionCtx {
			return m.loadCtx(addr, size)
		}
		m.trap(CauseLoadBounds, addr, int(size), "%d-byte load from %s", size, m.describe(addr))
		return 0, false
	}
	return get(b, size), true
}

// store writes size bytes at addr; false after a trap.
func (m *Machine) store(addr uint64, size uint8, v uint64) bool {
	b, rg := m.access(addr, uint32(size))
	if b == nil {
		if addr>>32 == RegionCtx {
			m.trap(CauseReadOnly, addr, int(size), "%d-byte store to the xdp_md context (%s)", size, m.describe(addr))
		} else {
			m.trap(CauseStoreBounds, addr, int(size), "%d-byte store to %s", size, m.describe(addr))
		}
		return false
	}
	if rg.ro {
		m.trap(CauseReadOnly, addr, int(size), "%d-byte store to read-only %s", size, m.describe(addr))
		return false
	}
	put(b, size, v)
	if m.cfg.Trace != nil {
		m.rec.MemAddr, m.rec.MemSize, m.rec.MemData = addr, size, v&sizeMask(size)
	}
	return true
}

func sizeMask(size uint8) uint64 {
	if size >= 8 {
		return ^uint64(0)
	}
	return 1<<(8*size) - 1
}

// xdp_md field offsets.
const (
	mdData           = 0
	mdDataEnd        = 4
	mdDataMeta       = 8
	mdIngressIfindex = 12
	mdRxQueueIndex   = 16
	mdEgressIfindex  = 20
	mdSize           = 24
)

// loadCtx serves loads from struct xdp_md. As after the kernel verifier's
// rewrite, data, data_end and data_meta read as full pointers.
func (m *Machine) loadCtx(addr uint64, size uint8) (uint64, bool) {
	off := uint32(addr)
	if size != 4 || off%4 != 0 || off >= mdSize {
		m.trap(CauseLoadBounds, addr, int(size), "invalid xdp_md access: %d bytes at offset %d (fields are 4-byte, offsets 0..20)", size, off)
		return 0, false
	}
	switch off {
	case mdData:
		return Pointer(RegionPacket, m.ctx.data), true
	case mdDataEnd:
		return Pointer(RegionPacket, m.ctx.end), true
	case mdDataMeta:
		return Pointer(RegionPacket, m.ctx.meta), true
	case mdIngressIfindex:
		return uint64(m.cfg.Ingress), true
	case mdRxQueueIndex:
		return uint64(m.cfg.RxQueue), true
	}
	return 0, true // egress_ifindex: 0 outside devmap programs
}

// slice returns n bytes at addr for a helper, or nil if they are not all in one region.
func (m *Machine) slice(addr uint64, n uint64) []byte {
	if n >= 1<<32 {
		return nil
	}
	b, _ := m.access(addr, uint32(n))
	return b
}

// wslice is slice for a helper that writes.
func (m *Machine) wslice(addr uint64, n uint64) []byte {
	if n >= 1<<32 {
		return nil
	}
	b, rg := m.access(addr, uint32(n))
	if b == nil || rg.ro {
		return nil
	}
	return b
}

// Read returns a copy of the n bytes at simulator address addr (a Pointer),
// or nil if they are not all addressable; for tracers, which may look at
// memory while a record is delivered.
func (m *Machine) Read(addr uint64, n int) []byte {
	if n < 0 {
		return nil
	}
	b := m.slice(addr, uint64(n))
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}
