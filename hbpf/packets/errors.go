package packets

import (
	"errors"
	"fmt"
)

// Sentinel errors wrapped by [*FormatError]; test for them with errors.Is.
var (
	// ErrBadMagic: the file is neither classic pcap nor pcapng.
	ErrBadMagic = errors.New("bad magic number")
	// ErrVersion: the file declares a format version this package cannot read.
	ErrVersion = errors.New("unsupported format version")
	// ErrLinkType: the capture's link type is not Ethernet.
	ErrLinkType = errors.New("unsupported link type")
	// ErrTruncated: the file ends inside a header or a record.
	ErrTruncated = errors.New("truncated file")
	// ErrSnaplen: a record captures more bytes than the snap length allows.
	ErrSnaplen = errors.New("capture length exceeds snap length")
	// ErrLength: a record captures more bytes than the frame had, or its
	// lengths are inconsistent with the block holding it.
	ErrLength = errors.New("inconsistent record lengths")
	// ErrMalformed: any other violation of the file format.
	ErrMalformed = errors.New("malformed capture")
)

// FormatError reports malformed capture input. Callers map it to the "bad
// input" exit code; any other error from this package is an I/O failure.
type FormatError struct {
	// File is the name of the capture.
	File string
	// Packet is the 0-based index of the packet being read, or -1 when the
	// file header is at fault.
	Packet int
	// Offset is the byte offset, in the uncompressed stream, of the record
	// being read. For pcapng it is the offset of the first block read for
	// the packet: its enhanced packet block, or a block that precedes it.
	Offset int64
	// Err describes the problem and wraps one of the sentinel errors.
	Err error
}

func (e *FormatError) Error() string {
	if e.Packet < 0 {
		return fmt.Sprintf("%s: file header at offset %d: %v", e.File, e.Offset, e.Err)
	}
	return fmt.Sprintf("%s: packet %d at offset %d: %v", e.File, e.Packet, e.Offset, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

// IsFormatError reports whether err stems from malformed capture input, as
// opposed to an I/O failure.
func IsFormatError(err error) bool {
	var fe *FormatError
	return errors.As(err, &fe)
}
