package packets

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// WriteSnaplen is the snap length written into file headers, libpcap's
// maximum. Packets longer than this cannot be written, and readers accept
// no longer records even with [IgnoreSnaplen].
const WriteSnaplen = 262144

// Writer streams packets into a capture: classic pcap with nanosecond
// timestamps in little-endian order, or pcapng with one Ethernet interface
// and packet labels as comments.
type Writer struct {
	name   string
	bw     *bufio.Writer
	pcap   *pcapgo.Writer
	ng     *pcapgo.NgWriter
	count  int
	gz     *gzip.Writer
	closer io.Closer
	err    error // sticky
}

// NewWriter writes the file header for format to w and returns a Writer for
// the packets. Call [Writer.Flush] or [Writer.Close] when done.
func NewWriter(w io.Writer, format Format) (*Writer, error) {
	return newWriter(w, format, "output")
}

func newWriter(w io.Writer, format Format, name string) (*Writer, error) {
	pw := &Writer{name: name, bw: bufio.NewWriterSize(w, 256<<10)}
	switch format {
	case FormatPcap:
		pw.pcap = pcapgo.NewWriterNanos(pw.bw)
		if err := pw.pcap.WriteFileHeader(WriteSnaplen, layers.LinkTypeEthernet); err != nil {
			return nil, fmt.Errorf("write %s: file header: %w", name, err)
		}
	case FormatPcapNG:
		intf := pcapgo.NgInterface{
			Name:                "hbpf0",
			LinkType:            layers.LinkTypeEthernet,
			SnapLength:          WriteSnaplen,
			TimestampResolution: 9,
		}
		opts := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "hbpf"}}
		ng, err := pcapgo.NewNgWriterInterface(pw.bw, intf, opts)
		if err != nil {
			return nil, fmt.Errorf("write %s: section header: %w", name, err)
		}
		pw.ng = ng
	default:
		return nil, fmt.Errorf("write %s: unknown capture format %v", name, format)
	}
	return pw, nil
}

// Create creates the capture file at path, in the format [FormatForPath]
// chooses, gzip-compressed if the name ends in ".gz". Close the Writer to
// finish the file.
func Create(path string) (*Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create capture: %w", err)
	}
	var out io.Writer = f
	var gz *gzip.Writer
	if strings.HasSuffix(strings.ToLower(path), ".gz") {
		gz = gzip.NewWriter(f)
		out = gz
	}
	w, err := newWriter(out, FormatForPath(path), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	w.gz = gz
	w.closer = f
	return w, nil
}

// WritePacket appends p. A zero Timestamp is written as the Unix epoch, so
// that output stays deterministic; a Length below len(Data) is written as
// len(Data). p.Index is not stored.
func (w *Writer) WritePacket(p Packet) error {
	if w.err != nil {
		return w.err
	}
	if len(p.Data) > WriteSnaplen {
		return fmt.Errorf("write %s: packet %d: %d bytes exceed the snap length %d", w.name, w.count, len(p.Data), WriteSnaplen)
	}
	ci := gopacket.CaptureInfo{
		Timestamp:     p.Timestamp,
		CaptureLength: len(p.Data),
		Length:        p.OrigLen(),
	}
	if ci.Timestamp.IsZero() {
		ci.Timestamp = time.Unix(0, 0)
	}
	var err error
	if w.pcap != nil {
		err = w.pcap.WritePacket(ci, p.Data)
	} else {
		var opts pcapgo.NgPacketOptions
		if p.Label != "" {
			opts.Comments = []string{p.Label}
		}
		err = w.ng.WritePacketWithOptions(ci, p.Data, opts)
	}
	if err != nil {
		w.err = fmt.Errorf("write %s: packet %d: %w", w.name, w.count, err)
		return w.err
	}
	w.count++
	return nil
}

// Count returns the number of packets written.
func (w *Writer) Count() int { return w.count }

// Flush writes buffered data to the underlying writer.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if err := w.bw.Flush(); err != nil {
		w.err = fmt.Errorf("write %s: %w", w.name, err)
	}
	return w.err
}

// Close flushes the capture and, for a Writer from [Create], finishes and
// closes the file.
func (w *Writer) Close() error {
	err := w.Flush()
	if w.gz != nil {
		if gerr := w.gz.Close(); err == nil && gerr != nil {
			err = fmt.Errorf("write %s: %w", w.name, gerr)
		}
		w.gz = nil
	}
	if w.closer != nil {
		if cerr := w.closer.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write %s: %w", w.name, cerr)
		}
		w.closer = nil
	}
	return err
}

// Write writes packets to a new capture file at path, as [Create] does.
func Write(path string, packets []Packet) error {
	w, err := Create(path)
	if err != nil {
		return err
	}
	for _, p := range packets {
		if err := w.WritePacket(p); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

// WriteTo writes packets to w as a capture in format.
func WriteTo(w io.Writer, format Format, packets []Packet) error {
	pw, err := NewWriter(w, format)
	if err != nil {
		return err
	}
	for _, p := range packets {
		if err := pw.WritePacket(p); err != nil {
			return err
		}
	}
	return pw.Flush()
}
