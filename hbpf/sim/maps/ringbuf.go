package maps

import (
	"encoding/binary"
	"fmt"

	"github.com/hbpf/hbpf/hbpf/isa"
)

// Ring buffer record header, as in the kernel's struct bpf_ringbuf_hdr.
const (
	ringbufHdrSize     = 8
	ringbufBusyBit     = 1 << 31
	ringbufDiscardBit  = 1 << 30
	ringbufMaxRecord   = 1<<32/4 - 1 // RINGBUF_MAX_RECORD_SZ (UINT_MAX / 4)
	ringbufPageSize    = 4096
	ringbufQueryAvail  = 0 // BPF_RB_AVAIL_DATA
	ringbufQuerySize   = 1 // BPF_RB_RING_SIZE
	ringbufQueryCons   = 2 // BPF_RB_CONS_POS
	ringbufQueryProd   = 3 // BPF_RB_PROD_POS
	ringbufOutputFlags = 1 | 2
)

// RingBuf is a RINGBUF map: MaxEntries bytes of ring, a power of two and a
// multiple of the 4 KiB page.
//
// The data area is [RingBuf.Values]. It is twice MaxEntries long: like the
// kernel, which maps the ring's pages twice in a row, a record that wraps
// around the end of the ring stays contiguous, so a reserved sample is always
// Values()[off:off+size] and the runtime bounds-checks program accesses against
// exactly that range. Each record starts with the kernel's 8-byte header
// (u32 length with busy and discard bits, u32 page offset) in the ring, and
// takes its length plus the header rounded up to 8 bytes. Space is accounted as
// the kernel does: the span from the consumer position, and from the oldest
// record still reserved, to the end of the new record must stay below the
// ring's size.
//
// Nothing consumes records by itself: once the ring is full, reservations fail
// until [RingBuf.Consume] is called, as when user space does not read. A
// runtime that models an ideal reader calls Consume after each packet.
type RingBuf struct {
	base
	size uint64
	mask uint64
	cons uint64 // consumer position
	prod uint64 // producer position
	pend uint64 // oldest position that may still be busy
}

func newRingBuf(s *isa.MapSpec) (*RingBuf, error) {
	n := uint64(s.MaxEntries)
	if n == 0 || n&(n-1) != 0 || n%ringbufPageSize != 0 {
		return nil, fmt.Errorf("max entries %d is not a power of two multiple of %d: %w", n, ringbufPageSize, ErrInvalid)
	}
	r := &RingBuf{
		base: base{spec: s, errs: errTable{name: s.Name}},
		size: n,
		mask: n - 1,
	}
	r.values = make([]byte, 2*n)
	return r, nil
}

// Lookup always returns -1: ring buffers have no keys.
func (r *RingBuf) Lookup([]byte) int { return -1 }

// Peek always returns -1.
func (r *RingBuf) Peek([]byte) int { return -1 }

// Update fails with ErrNotSupported.
func (r *RingBuf) Update(_, _ []byte, _ uint64) error {
	return r.errs.wrap(opUpdate, ErrNotSupported)
}

// Delete fails with ErrNotSupported.
func (r *RingBuf) Delete([]byte) error {
	return r.errs.wrap(opDelete, ErrNotSupported)
}

func (r *RingBuf) hdr(pos uint64) []byte {
	off := pos & r.mask
	return r.values[off : off+ringbufHdrSize]
}

func recordLen(n uint32) uint64 {
	return (uint64(n&^(ringbufBusyBit|ringbufDiscardBit)) + ringbufHdrSize + 7) &^ 7
}

// Reserve is bpf_ringbuf_reserve: it reserves a sample of size bytes and
// returns its offset in Values(), or false if flags are not 0, the size is
// too large or the ring has no room. The sample stays reserved until
// [RingBuf.Submit] or [RingBuf.Discard].
func (r *RingBuf) Reserve(size, flags uint64) (off int, ok bool) {
	if flags != 0 || size > ringbufMaxRecord {
		return 0, false
	}
	n := (size + ringbufHdrSize + 7) &^ 7
	if n > r.size {
		return 0, false
	}
	// Skip over records committed since the last reservation.
	for r.pend < r.prod {
		l := binary.LittleEndian.Uint32(r.hdr(r.pend))
		if l&ringbufBusyBit != 0 {
			break
		}
		r.pend += recordLen(l)
	}
	next := r.prod + n
	if next-r.cons > r.mask || next-r.pend > r.mask {
		return 0, false
	}
	h := r.hdr(r.prod)
	binary.LittleEndian.PutUint32(h, uint32(size)|ringbufBusyBit)
	binary.LittleEndian.PutUint32(h[4:], uint32((r.prod&r.mask)/ringbufPageSize))
	off = int(r.prod&r.mask) + ringbufHdrSize
	r.prod = next
	return off, true
}

// busyHeader returns the header of the sample reserved at off. Reserved
// records all lie between the pending and the producer positions.
func (r *RingBuf) busyHeader(o op, off int) ([]byte, error) {
	for pos := r.pend; pos < r.prod; {
		h := r.hdr(pos)
		l := binary.LittleEndian.Uint32(h)
		if int(pos&r.mask)+ringbufHdrSize == off {
			if l&ringbufBusyBit == 0 {
				break
			}
			return h, nil
		}
		pos += recordLen(l)
	}
	return nil, r.errs.argError(o, "offset %d is not a reserved sample", off)
}

// Submit is bpf_ringbuf_submit: it commits the sample reserved at off.
func (r *RingBuf) Submit(off int) error {
	h, err := r.busyHeader(opSubmit, off)
	if err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(h, binary.LittleEndian.Uint32(h)&^ringbufBusyBit)
	return nil
}

// Discard is bpf_ringbuf_discard: it releases the sample reserved at off
// without delivering it to the reader.
func (r *RingBuf) Discard(off int) error {
	h, err := r.busyHeader(opDiscard, off)
	if err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(h, binary.LittleEndian.Uint32(h)&^ringbufBusyBit|ringbufDiscardBit)
	return nil
}

// Output is bpf_ringbuf_output: it reserves, copies data and commits. Flags
// other than BPF_RB_NO_WAKEUP and BPF_RB_FORCE_WAKEUP are ErrInvalid, no
// room ErrAgain (-EAGAIN).
func (r *RingBuf) Output(data []byte, flags uint64) error {
	if flags&^ringbufOutputFlags != 0 {
		return r.errs.wrap(opOutput, ErrInvalid)
	}
	off, ok := r.Reserve(uint64(len(data)), 0)
	if !ok {
		return r.errs.wrap(opOutput, ErrAgain)
	}
	copy(r.values[off:], data)
	return r.Submit(off)
}

// Query is bpf_ringbuf_query: BPF_RB_AVAIL_DATA (0) is the bytes between the
// consumer and producer positions, BPF_RB_RING_SIZE (1) the size,
// BPF_RB_CONS_POS (2) and BPF_RB_PROD_POS (3) the positions; other flags 0.
func (r *RingBuf) Query(flags uint64) uint64 {
	switch flags {
	case ringbufQueryAvail:
		return r.prod - r.cons
	case ringbufQuerySize:
		return r.size
	case ringbufQueryCons:
		return r.cons
	case ringbufQueryProd:
		return r.prod
	}
	return 0
}

// walk visits the records a reader would see now: from the consumer position
// up to the first record still reserved, skipping discarded ones. It returns
// the position after the last record visited.
func (r *RingBuf) walk(fn func(sample []byte)) uint64 {
	pos := r.cons
	for pos < r.prod {
		l := binary.LittleEndian.Uint32(r.hdr(pos))
		if l&ringbufBusyBit != 0 {
			break
		}
		if l&ringbufDiscardBit == 0 && fn != nil {
			off := pos&r.mask + ringbufHdrSize
			fn(r.values[off : off+uint64(l)])
		}
		pos += recordLen(l)
	}
	return pos
}

// Records returns copies of the committed records a reader would get now, in
// order, without consuming them.
func (r *RingBuf) Records() [][]byte {
	var recs [][]byte
	r.walk(func(s []byte) { recs = append(recs, clone(s)) })
	return recs
}

// Consume returns the same records as Records and frees their space, as a
// reader does; it stops at the first record still reserved.
func (r *RingBuf) Consume() [][]byte {
	var recs [][]byte
	r.cons = r.walk(func(s []byte) { recs = append(recs, clone(s)) })
	return recs
}

// Entries returns Records as values with empty keys.
func (r *RingBuf) Entries() []isa.MapKV {
	recs := r.Records()
	kvs := make([]isa.MapKV, len(recs))
	for i, rec := range recs {
		kvs[i] = isa.MapKV{Key: []byte{}, Value: rec}
	}
	return kvs
}
