// Package packets reads, writes, generates and summarises the Ethernet packet
// traces that drive hbpf: the simulator's `run --pcap`, the kernel differential
// tests and the offload evaluation.
//
// # Reading and writing
//
// [Read] and [ReadFrom] load a whole capture into a [Trace]; [Open], [NewReader]
// and [Scan] stream it one packet at a time so that a capture of millions of
// packets need not be held in memory. Classic pcap (either byte order,
// microsecond or nanosecond timestamps, optionally gzip-compressed) and pcapng
// are decoded by github.com/gopacket/gopacket/pcapgo; this package adds the
// framing checks and error reporting around it. Only the Ethernet link type is
// accepted.
//
// Malformed input never panics. It yields a [*FormatError] naming the file, the
// index of the packet being read and the byte offset of its record, and wrapping
// one of the sentinel errors ([ErrBadMagic], [ErrTruncated], [ErrSnaplen], ...)
// so callers can tell bad input (exit code 10) from I/O failures (exit code 11)
// with errors.As. With the [KeepPartial] option the packets read before the bad
// record are returned along with the error.
//
// [Write], [WriteTo], [Create] and [NewWriter] produce pcap (nanosecond
// timestamps, little-endian) or pcapng files.
//
// # Generating
//
// [Generate] and [NewGenerator] build deterministic synthetic traces with
// gopacket's layer serialisation: the same set name and seed always give the
// same bytes. The sets are listed by [Sets] and described by [Describe]:
//
//   - "mixed": a realistic mix of protocols, encapsulations and sizes;
//   - "edge": the frames XDP parsers get wrong (runts, truncation at every
//     header boundary, bad lengths, fragments, jumbo frames, bad checksums);
//   - "imix": Simple IMIX, 7:4:1 of 64-, 570- and 1518-byte frames;
//   - "flows": many 5-tuples with Zipf-distributed popularity;
//   - "min": minimum-size frames, the line-rate worst case.
//
// # Sizes and the wire
//
// A pcap record holds an Ethernet frame without its frame check sequence, as
// Linux and most capture tools deliver it: a minimum-size frame is 60 bytes in
// the capture and 64 bytes on the wire. Frame sizes quoted for the generated
// sets (64, 570, 1518, ...) follow the usual benchmarking convention of RFC 2544
// and include the 4-byte FCS. [WireBytes] and [SummarizeSizes] add the FCS and
// the 20 bytes of preamble, start delimiter and inter-frame gap that every
// frame costs on the link.
package packets
