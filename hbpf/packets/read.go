package packets

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// File magic numbers, as the first four bytes read little-endian.
const (
	magicMicro       = 0xa1b2c3d4
	magicNano        = 0xa1b23c4d
	magicMicroSwap   = 0xd4c3b2a1
	magicNanoSwap    = 0x4d3cb2a1
	magicModified    = 0xa1b2cd34 // Kuznetzov's patched libpcap
	magicModSwap     = 0x34cdb2a1
	magicPcapNG      = 0x0a0d0d0a // section header block type, a palindrome
	pcapngByteOrder  = 0x1a2b3c4d
	pcapngEPB        = 6
	pcapHeaderLen    = 24
	pcapRecordHdrLen = 16
	pcapngEPBHdrLen  = 28 // block type, length, interface, timestamp, lengths
	readBufferSize   = 256 << 10
)

type readConfig struct {
	keepPartial   bool
	ignoreSnaplen bool
}

// ReadOption changes how a capture is read.
type ReadOption struct{ apply func(*readConfig) }

// KeepPartial makes [Read] and [ReadFrom] return the packets read before a
// malformed record together with the [*FormatError], so that a caller can
// report the bad record and still process the rest. Without it they return a
// nil Trace on any error.
func KeepPartial() ReadOption {
	return ReadOption{func(c *readConfig) { c.keepPartial = true }}
}

// IgnoreSnaplen accepts records that capture more bytes than the file's snap
// length declares, up to 256 KiB, as tcpdump and Wireshark do. Some writers do
// not truncate to the snap length they announce.
func IgnoreSnaplen() ReadOption {
	return ReadOption{func(c *readConfig) { c.ignoreSnaplen = true }}
}

// Read reads the capture file at path into memory.
//
// Errors are a [*FormatError] for malformed input and wrapped I/O errors
// otherwise; see [KeepPartial] for keeping the packets before a bad record.
func Read(path string, opts ...ReadOption) (*Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read capture: %w", err)
	}
	defer f.Close()
	return ReadFrom(f, path, opts...)
}

// ReadFrom reads a capture from r into memory. name identifies the input in
// errors and in the returned Trace.
func ReadFrom(r io.Reader, name string, opts ...ReadOption) (*Trace, error) {
	var cfg readConfig
	for _, o := range opts {
		o.apply(&cfg)
	}
	rd, err := NewReader(r, name, opts...)
	if err != nil {
		return nil, err
	}
	t := &Trace{
		Name:       name,
		Format:     rd.format,
		Snaplen:    rd.snaplen,
		Nanosecond: rd.nano,
		FCSLen:     rd.fcsLen,
	}
	var (
		a      arena
		chunks [][]Packet // filled chunks, so that no slice of a million packets is regrown
		cur    = make([]Packet, 0, 1024)
		total  int
	)
	for {
		p, err := rd.Next()
		if err != nil {
			t.Packets = joinChunks(append(chunks, cur), total)
			if err == io.EOF {
				return t, nil
			}
			if cfg.keepPartial {
				return t, err
			}
			return nil, err
		}
		p.Data = a.copy(p.Data)
		if len(cur) == cap(cur) {
			chunks = append(chunks, cur)
			cur = make([]Packet, 0, min(2*cap(cur), 1<<16))
		}
		cur = append(cur, p)
		total++
	}
}

// joinChunks concatenates chunks holding total packets.
func joinChunks(chunks [][]Packet, total int) []Packet {
	if len(chunks) == 1 {
		return chunks[0]
	}
	all := make([]Packet, 0, total)
	for _, c := range chunks {
		all = append(all, c...)
	}
	return all
}

// Scan streams the capture file at path through fn, one packet at a time. The
// packet's Data is only valid during the call; fn clones what it keeps. Scan
// stops at the first error, from the file or from fn, and returns it.
func Scan(path string, fn func(Packet) error, opts ...ReadOption) error {
	rd, err := Open(path, opts...)
	if err != nil {
		return err
	}
	defer rd.Close()
	for p, err := range rd.All() {
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// arena hands out copies of packet data from shared chunks, so that a trace
// of a million packets costs a few hundred allocations, not a million. Chunks
// grow from 64 KiB to 4 MiB, so that small traces stay small.
type arena struct {
	buf   []byte
	chunk int
}

const (
	arenaMinChunk = 64 << 10
	arenaMaxChunk = 4 << 20
)

func (a *arena) copy(b []byte) []byte {
	if len(b) > cap(a.buf)-len(a.buf) {
		a.chunk = min(max(2*a.chunk, arenaMinChunk), arenaMaxChunk)
		a.buf = make([]byte, 0, max(a.chunk, len(b)))
	}
	n := len(a.buf)
	a.buf = append(a.buf, b...)
	// Cap each slice at its own length: an append by the caller must not
	// overwrite the next packet.
	return a.buf[n:len(a.buf):len(a.buf)]
}

// countingReader counts the bytes read through it and remembers the first
// error other than io.EOF.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}

// Reader streams packets from a capture.
type Reader struct {
	name    string
	cfg     readConfig
	format  Format
	snaplen int
	nano    bool
	fcsLen  int

	raw *countingReader // the caller's reader; its errors are I/O errors
	cr  *countingReader // the (decompressed) stream br reads
	br  *bufio.Reader

	pcap    *pcapgo.Reader
	ng      *pcapgo.NgReader
	ngOrder binary.ByteOrder // byte order of the current pcapng section

	index  int
	err    error // sticky
	closer io.Closer
}

// Open opens the capture file at path for streaming. Close the Reader when
// done.
func Open(path string, opts ...ReadOption) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open capture: %w", err)
	}
	r, err := NewReader(f, path, opts...)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads the file header of the capture in r and returns a Reader
// for its packets. name identifies the input in errors.
func NewReader(r io.Reader, name string, opts ...ReadOption) (rd *Reader, err error) {
	rd = &Reader{name: name}
	for _, o := range opts {
		o.apply(&rd.cfg)
	}
	rd.raw = &countingReader{r: r}
	rd.cr = rd.raw
	rd.br = bufio.NewReaderSize(rd.raw, readBufferSize)

	defer func() {
		if v := recover(); v != nil {
			rd, err = nil, rd.formatError(-1, 0, fmt.Errorf("%w: decoder panic: %v", ErrMalformed, v))
		}
	}()

	if head, _ := rd.br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(rd.br)
		if err != nil {
			return nil, rd.classify(-1, 0, fmt.Errorf("gzip header: %w", err))
		}
		rd.cr = &countingReader{r: gz}
		rd.br = bufio.NewReaderSize(rd.cr, readBufferSize)
	}

	head, err := rd.br.Peek(pcapHeaderLen)
	if len(head) < 4 {
		if err != nil && err != io.EOF {
			return nil, rd.classify(-1, 0, err)
		}
		if len(head) == 0 {
			return nil, rd.formatError(-1, 0, fmt.Errorf("%w: empty file", ErrTruncated))
		}
		return nil, rd.formatError(-1, 0, fmt.Errorf("%w: file header: need at least 4 bytes, file has %d", ErrTruncated, len(head)))
	}
	switch magic := binary.LittleEndian.Uint32(head); magic {
	case magicMicro, magicNano, magicMicroSwap, magicNanoSwap:
		if err := rd.openPcap(head, err); err != nil {
			return nil, err
		}
	case magicPcapNG:
		if err := rd.openPcapNG(); err != nil {
			return nil, err
		}
	case magicModified, magicModSwap:
		return nil, rd.formatError(-1, 0, fmt.Errorf("%w: 0x%08x is the modified (Kuznetzov) pcap format, which is not supported", ErrBadMagic, magic))
	default:
		return nil, rd.formatError(-1, 0, fmt.Errorf("%w 0x%08x: not a pcap or pcapng file", ErrBadMagic, binary.BigEndian.Uint32(head)))
	}
	return rd, nil
}

func (rd *Reader) openPcap(head []byte, peekErr error) error {
	rd.format = FormatPcap
	if len(head) < pcapHeaderLen {
		if peekErr != nil && peekErr != io.EOF {
			return rd.classify(-1, 0, peekErr)
		}
		return rd.formatError(-1, 0, fmt.Errorf("%w: pcap file header: need %d bytes, file has %d", ErrTruncated, pcapHeaderLen, len(head)))
	}
	var order binary.ByteOrder = binary.LittleEndian
	magic := order.Uint32(head)
	if magic == magicMicroSwap || magic == magicNanoSwap {
		order = binary.BigEndian
		magic = order.Uint32(head)
	}
	rd.nano = magic == magicNano
	if major, minor := order.Uint16(head[4:]), order.Uint16(head[6:]); major != 2 || minor != 4 {
		return rd.formatError(-1, 0, fmt.Errorf("%w: pcap version %d.%d, want 2.4", ErrVersion, major, minor))
	}
	rd.snaplen = int(order.Uint32(head[16:]))
	// The link type is the field's lower 16 bits; its upper four bits may
	// declare an FCS length in 16-bit words (bit 28 set, length in bits
	// 29–31).
	ltField := order.Uint32(head[20:])
	if ltField&(1<<28) != 0 {
		rd.fcsLen = int(ltField>>29) * 2
	}
	if ltField&0x0fff0000 != 0 {
		return rd.formatError(-1, 0, fmt.Errorf("%w: link type field 0x%08x has reserved bits set", ErrLinkType, ltField))
	}
	if lt := layers.LinkType(uint16(ltField)); lt != layers.LinkTypeEthernet {
		return rd.formatError(-1, 0, linkTypeError(lt))
	}
	pr, err := pcapgo.NewReader(rd.br)
	if err != nil {
		return rd.classify(-1, 0, err)
	}
	rd.pcap = pr
	return nil
}

func (rd *Reader) openPcapNG() error {
	rd.format = FormatPcapNG
	head, err := rd.br.Peek(12)
	if len(head) < 12 {
		if err != nil && err != io.EOF {
			return rd.classify(-1, 0, err)
		}
		return rd.formatError(-1, 0, fmt.Errorf("%w: pcapng section header: need 12 bytes, file has %d", ErrTruncated, len(head)))
	}
	switch {
	case binary.LittleEndian.Uint32(head[8:]) == pcapngByteOrder:
		rd.ngOrder = binary.LittleEndian
	case binary.BigEndian.Uint32(head[8:]) == pcapngByteOrder:
		rd.ngOrder = binary.BigEndian
	default:
		return rd.formatError(-1, 0, fmt.Errorf("%w: pcapng byte-order magic 0x%08x, want 0x%08x", ErrBadMagic, binary.BigEndian.Uint32(head[8:]), uint32(pcapngByteOrder)))
	}
	ng, err := pcapgo.NewNgReader(rd.br, pcapgo.NgReaderOptions{ErrorOnMismatchingLinkType: true})
	if err == io.EOF {
		// A section header without interfaces: a valid capture of nothing.
		rd.err = io.EOF
		return nil
	}
	if err != nil {
		return rd.classify(-1, 0, err)
	}
	if lt := ng.LinkType(); lt != layers.LinkTypeEthernet {
		return rd.formatError(-1, 0, linkTypeError(lt))
	}
	rd.ng = ng
	if iface, err := ng.Interface(0); err == nil {
		rd.snaplen = int(iface.SnapLength)
		rd.nano = iface.TimestampResolution.Exponent() >= 9 && !iface.TimestampResolution.Binary() ||
			iface.TimestampResolution.Binary() && iface.TimestampResolution.Exponent() >= 30
	}
	return nil
}

func linkTypeError(lt layers.LinkType) error {
	return fmt.Errorf("%w %d (%s), want Ethernet (%d)", ErrLinkType, int(lt), lt, int(layers.LinkTypeEthernet))
}

// Name returns the name the Reader was opened with.
func (rd *Reader) Name() string { return rd.name }

// Format returns the capture's file format.
func (rd *Reader) Format() Format { return rd.format }

// Snaplen returns the snap length the file declares (pcapng: of its first
// interface), or 0 if it declares none.
func (rd *Reader) Snaplen() int { return rd.snaplen }

// Nanosecond reports whether timestamps have nanosecond resolution.
func (rd *Reader) Nanosecond() bool { return rd.nano }

// FCSLen returns the number of frame check sequence bytes that end each
// frame, as declared by a classic pcap header; 0 when the file declares none.
func (rd *Reader) FCSLen() int { return rd.fcsLen }

// Close closes the file opened by [Open]. It does nothing for a Reader from
// [NewReader].
func (rd *Reader) Close() error {
	if rd.closer == nil {
		return nil
	}
	err := rd.closer.Close()
	rd.closer = nil
	return err
}

// pos returns the offset of the next unread byte of the (decompressed) stream.
func (rd *Reader) pos() int64 { return rd.cr.n - int64(rd.br.Buffered()) }

func (rd *Reader) formatError(index int, off int64, err error) *FormatError {
	return &FormatError{File: rd.name, Packet: index, Offset: off, Err: err}
}

// classify turns an error from the stream or from pcapgo into a
// [*FormatError], or into a wrapped I/O error when the caller's reader failed.
func (rd *Reader) classify(index int, off int64, err error) error {
	if rd.raw.err != nil {
		return fmt.Errorf("read %s: %w", rd.name, rd.raw.err)
	}
	var fe *FormatError
	switch {
	case errors.As(err, &fe):
		return err
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		err = fmt.Errorf("%w: file ends at offset %d", ErrTruncated, rd.pos())
	case errors.Is(err, pcapgo.ErrNgLinkTypeMismatch):
		err = fmt.Errorf("%w: an interface's link type differs from the first one, Ethernet", ErrLinkType)
	case errors.Is(err, pcapgo.ErrNgVersionMismatch):
		err = fmt.Errorf("%w: pcapng section version, want 1.0", ErrVersion)
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		err = fmt.Errorf("%w: gzip: %v", ErrMalformed, err)
	default:
		err = fmt.Errorf("%w: %s", ErrMalformed, lowerFirst(err.Error()))
	}
	return rd.formatError(index, off, err)
}

// lowerFirst lowercases the first letter of pcapgo's capitalised messages.
func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	if len(s) > 1 && s[1] >= 'A' && s[1] <= 'Z' {
		return s // an acronym
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// Next returns the next packet, or io.EOF after the last one. The packet's
// Data aliases a buffer that the next call overwrites; [Packet.Clone] it to
// keep it. After an error other than io.EOF every later call returns the same
// error.
func (rd *Reader) Next() (p Packet, err error) {
	if rd.err != nil {
		return Packet{}, rd.err
	}
	start := rd.pos()
	defer func() {
		if v := recover(); v != nil {
			err = rd.formatError(rd.index, start, fmt.Errorf("%w: decoder panic: %v", ErrMalformed, v))
		}
		if err != nil {
			rd.err = err
			return
		}
		p.Index = rd.index
		rd.index++
	}()
	if rd.pcap != nil {
		return rd.nextPcap(start)
	}
	return rd.nextPcapNG(start)
}

func (rd *Reader) nextPcap(start int64) (Packet, error) {
	data, ci, err := rd.pcap.ZeroCopyReadPacketData()
	consumed := rd.pos() - start
	if err == io.EOF && consumed == 0 {
		return Packet{}, io.EOF
	}
	if consumed >= pcapRecordHdrLen {
		// The record header was read: check its lengths first, since pcapgo
		// refuses some before reading the data.
		limit := rd.snaplen
		if limit == 0 || rd.cfg.ignoreSnaplen {
			limit = max(rd.snaplen, WriteSnaplen)
		}
		if ci.CaptureLength > limit || ci.CaptureLength < 0 {
			return Packet{}, rd.formatError(rd.index, start, fmt.Errorf("%w: record captures %d bytes, snap length is %d", ErrSnaplen, uint32(ci.CaptureLength), limit))
		}
		if ci.CaptureLength > ci.Length {
			return Packet{}, rd.formatError(rd.index, start, fmt.Errorf("%w: record captures %d bytes of a %d-byte frame", ErrLength, ci.CaptureLength, ci.Length))
		}
	}
	if err != nil {
		if rd.raw.err == nil && (err == io.EOF || err == io.ErrUnexpectedEOF) {
			if consumed < pcapRecordHdrLen {
				err = fmt.Errorf("%w: record header needs %d bytes, file has %d", ErrTruncated, pcapRecordHdrLen, consumed)
			} else {
				err = fmt.Errorf("%w: record captures %d bytes, file has %d", ErrTruncated, ci.CaptureLength, consumed-pcapRecordHdrLen)
			}
			return Packet{}, rd.formatError(rd.index, start, err)
		}
		return Packet{}, rd.classify(rd.index, start, err)
	}
	return Packet{Timestamp: ci.Timestamp, Data: data, Length: ci.Length}, nil
}

func (rd *Reader) nextPcapNG(start int64) (Packet, error) {
	if err := rd.checkBlock(start); err != nil {
		return Packet{}, err
	}
	data, ci, opts, err := rd.ng.ZeroCopyReadPacketDataWithOptions()
	if err == io.EOF {
		// pcapgo reports io.EOF only at a block boundary: the capture may
		// end with blocks other than packets.
		return Packet{}, io.EOF
	}
	if err != nil {
		return Packet{}, rd.classify(rd.index, start, err)
	}
	if ci.CaptureLength > ci.Length {
		return Packet{}, rd.formatError(rd.index, start, fmt.Errorf("%w: record captures %d bytes of a %d-byte frame", ErrLength, ci.CaptureLength, ci.Length))
	}
	if !rd.cfg.ignoreSnaplen {
		if iface, err := rd.ng.Interface(ci.InterfaceIndex); err == nil && iface.SnapLength != 0 && ci.CaptureLength > int(iface.SnapLength) {
			return Packet{}, rd.formatError(rd.index, start, fmt.Errorf("%w: record captures %d bytes, snap length of interface %d is %d", ErrSnaplen, ci.CaptureLength, ci.InterfaceIndex, iface.SnapLength))
		}
	}
	p := Packet{Timestamp: ci.Timestamp, Data: data, Length: ci.Length}
	if len(opts.Comments) > 0 {
		p.Label = strings.Join(opts.Comments, "; ")
	}
	return p, nil
}

// checkBlock validates the lengths of the enhanced packet block at start, if
// that is what comes next, before pcapgo trusts them. Other blocks are left to
// pcapgo.
func (rd *Reader) checkBlock(start int64) error {
	head, _ := rd.br.Peek(pcapngEPBHdrLen)
	if len(head) < 12 {
		return nil
	}
	order := rd.ngOrder
	if binary.LittleEndian.Uint32(head) == magicPcapNG {
		switch {
		case binary.LittleEndian.Uint32(head[8:]) == pcapngByteOrder:
			rd.ngOrder = binary.LittleEndian
		case binary.BigEndian.Uint32(head[8:]) == pcapngByteOrder:
			rd.ngOrder = binary.BigEndian
		}
		return nil
	}
	if order.Uint32(head) != pcapngEPB {
		return nil
	}
	blockLen := order.Uint32(head[4:])
	if blockLen%4 != 0 || blockLen < pcapngEPBHdrLen+4 {
		return rd.formatError(rd.index, start, fmt.Errorf("%w: enhanced packet block length %d, want a multiple of 4 of at least %d", ErrMalformed, blockLen, pcapngEPBHdrLen+4))
	}
	if len(head) < pcapngEPBHdrLen {
		return nil // pcapgo reports the truncation
	}
	if caplen := order.Uint32(head[20:]); uint64(caplen) > uint64(blockLen)-pcapngEPBHdrLen-4 {
		return rd.formatError(rd.index, start, fmt.Errorf("%w: record captures %d bytes, its %d-byte block holds at most %d", ErrLength, caplen, blockLen, blockLen-pcapngEPBHdrLen-4))
	}
	return nil
}

// All returns an iterator over the remaining packets. It stops after the last
// packet, or after yielding an error with a zero Packet. As with [Reader.Next],
// each packet's Data is only valid until the iteration continues.
func (rd *Reader) All() iter.Seq2[Packet, error] {
	return func(yield func(Packet, error) bool) {
		for {
			p, err := rd.Next()
			if err == io.EOF {
				return
			}
			if !yield(p, err) || err != nil {
				return
			}
		}
	}
}
