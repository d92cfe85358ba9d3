package packets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

func FuzzRead(f *testing.F) {
	ps := mustGenerate(f, "edge", 40, 1)
	for _, format := range []Format{FormatPcap, FormatPcapNG} {
		var buf bytes.Buffer
		if err := WriteTo(&buf, format, ps); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
		f.Add(buf.Bytes()[:buf.Len()/2])
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(buf.Bytes()[:2000])
		zw.Close()
		f.Add(gz.Bytes())
	}
	le, be := binary.LittleEndian, binary.BigEndian
	f.Add(pcapFile(be, true, 65535, 1, record{data: frameOf(60, 1)}, record{caplen: 10, len: 5, data: frameOf(10, 2), noFixLengths: true}))
	f.Add(pcapFile(le, false, 64, 1, record{data: frameOf(100, 1)}))
	f.Add(pcapFile(le, false, 0, 1, record{caplen: 300000, len: 300000, data: frameOf(10, 1), noFixLengths: true}))
	f.Add(append(pcapngHeader(1, 64), ngEPB(60, 60, frameOf(60, 1), 0)...))
	f.Add(append(pcapngHeader(1, 0), ngEPB(60, 60, frameOf(60, 1), 8)...))
	f.Add([]byte{0x0a, 0x0d, 0x0d, 0x0a})

	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ReadFrom(bytes.NewReader(data), "fuzz", KeepPartial())
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("bytes in memory gave a non-format error: %v", err)
			}
			if strings.Contains(err.Error(), "panic") {
				t.Fatalf("decoder panicked: %v", err)
			}
			if fe.File != "fuzz" || fe.Offset < 0 || fe.Offset > int64(len(data))*1100 {
				t.Fatalf("bad error position: %+v", fe)
			}
			if tr == nil {
				if fe.Packet >= 0 {
					t.Fatalf("KeepPartial returned no trace for a packet error: %v", err)
				}
				return
			}
		}
		for i, p := range tr.Packets {
			if p.Index != i || len(p.Data) > p.Length && p.Length != 0 {
				t.Fatalf("packet %d: %v", i, p)
			}
		}
		// Whatever was read writes and reads back the same.
		var buf bytes.Buffer
		if err := WriteTo(&buf, FormatPcap, tr.Packets); err != nil {
			t.Fatal(err)
		}
		back, err := ReadFrom(&buf, "again")
		if err != nil {
			t.Fatal(err)
		}
		if back.Len() != tr.Len() {
			t.Fatalf("round trip: %d packets, had %d", back.Len(), tr.Len())
		}
		for i := range back.Packets {
			if !bytes.Equal(back.Packets[i].Data, tr.Packets[i].Data) {
				t.Fatalf("round trip: packet %d differs", i)
			}
		}
	})
}
