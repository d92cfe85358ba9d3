package packets

import (
	"fmt"
	"strings"
	"time"
)

// Packet is one captured Ethernet frame.
type Packet struct {
	// Index is the packet's 0-based position in its trace.
	Index int
	// Timestamp is the capture time.
	Timestamp time.Time
	// Data holds the captured bytes; len(Data) is the capture length.
	Data []byte
	// Length is the frame's original length, which exceeds len(Data) when the
	// capture was truncated to a snap length. Writers take 0, or any value
	// below len(Data), as len(Data).
	Length int
	// Label names what the packet is meant to exercise, such as
	// "ipv4-ihl-4" for a generated edge case. It is stored as a pcapng packet
	// comment and is empty for captures that carry none.
	Label string
}

// CapLen returns the number of captured bytes.
func (p *Packet) CapLen() int { return len(p.Data) }

// OrigLen returns the frame's original length: Length, or len(Data) when
// Length is smaller.
func (p *Packet) OrigLen() int { return max(p.Length, len(p.Data)) }

// Truncated reports whether the capture holds fewer bytes than the frame had.
func (p *Packet) Truncated() bool { return p.Length > len(p.Data) }

// Clone returns a copy of p whose Data does not alias p's.
func (p Packet) Clone() Packet {
	p.Data = append([]byte(nil), p.Data...)
	return p
}

// String returns a one-line description of the packet.
func (p Packet) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "packet %d: %d bytes", p.Index, len(p.Data))
	if p.Truncated() {
		fmt.Fprintf(&b, " of %d", p.Length)
	}
	if p.Label != "" {
		fmt.Fprintf(&b, " (%s)", p.Label)
	}
	return b.String()
}

// Format is a capture file format.
type Format int

const (
	// FormatPcap is the classic libpcap format.
	FormatPcap Format = iota + 1
	// FormatPcapNG is the pcapng format.
	FormatPcapNG
)

// String returns "pcap" or "pcapng".
func (f Format) String() string {
	switch f {
	case FormatPcap:
		return "pcap"
	case FormatPcapNG:
		return "pcapng"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// FormatForPath returns the format a file name asks for: pcapng for names
// ending in ".pcapng" or ".ntar" (optionally followed by ".gz"), pcap
// otherwise.
func FormatForPath(path string) Format {
	p := strings.TrimSuffix(strings.ToLower(path), ".gz")
	if strings.HasSuffix(p, ".pcapng") || strings.HasSuffix(p, ".ntar") {
		return FormatPcapNG
	}
	return FormatPcap
}

// Trace is a capture held in memory.
type Trace struct {
	// Name is the file name the trace was read from, for messages.
	Name string
	// Format is the file format the trace was read from.
	Format Format
	// Snaplen is the snap length declared by the file, or 0 if unknown.
	Snaplen int
	// Nanosecond reports whether the file's timestamps have nanosecond
	// resolution (rather than microsecond).
	Nanosecond bool
	// FCSLen is the number of frame check sequence bytes at the end of each
	// frame, as declared by a classic pcap header; usually 0.
	FCSLen int
	// Packets holds the packets in file order; Packets[i].Index == i.
	Packets []Packet
}

// Len returns the number of packets.
func (t *Trace) Len() int { return len(t.Packets) }

// Sizes summarises the sizes of the trace's frames, see [SizeSummary].
func (t *Trace) Sizes() SizeSummary {
	c := SizeCounter{FCSIncluded: t.FCSLen > 0}
	for i := range t.Packets {
		c.Add(&t.Packets[i])
	}
	return c.Summary()
}
