package packets

import (
	"encoding/binary"
	"fmt"
	"net"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// edgeCase is one labelled frame of the "edge" set.
type edgeCase struct {
	label string
	build func(g *Generator) (frame, error)
}

// EdgeCases returns the labels of the "edge" set's cases, in the order the
// set cycles through them: Generate("edge", len(EdgeCases()), seed) yields
// each case once. Runts come last, from 0 to 59 bytes.
//
// The kernel's BPF_PROG_TEST_RUN refuses XDP input shorter than an Ethernet
// header and, for programs without frags support, longer than a page less
// head- and tailroom; differential tests against the kernel skip runt-0 to
// runt-13 and jumbo-9014.
func EdgeCases() []string {
	labels := make([]string, len(edgeCatalogue))
	for i, c := range edgeCatalogue {
		labels[i] = c.label
	}
	return labels
}

func (g *Generator) initEdge(int) error {
	g.next = func() (frame, error) {
		c := edgeCatalogue[g.index%len(edgeCatalogue)]
		f, err := c.build(g)
		if err != nil {
			return frame{}, fmt.Errorf("%s: %w", c.label, err)
		}
		f.label = c.label
		return f, nil
	}
	return nil
}

// Offsets in an untagged frame.
const (
	l3Off   = ethHdrLen
	l4Off4  = ethHdrLen + ipv4HdrLen
	l4Off6  = ethHdrLen + ipv6HdrLen
	ip4Csum = l3Off + 10
)

// --- base frames that cases cut or alter ---

type builder func(g *Generator) ([]byte, error)

// udp4 is Ethernet/IPv4/UDP with n payload bytes; n = 18 gives exactly 60.
func udp4(n int) builder {
	return func(g *Generator) ([]byte, error) {
		ip := g.ipv4(layers.IPProtocolUDP)
		ip.Flags = 0
		return g.serialize(g.ether(layers.EthernetTypeIPv4), ip, g.udp(ip), g.payload(n))
	}
}

// tcp4 is Ethernet/IPv4/TCP ACK with NOP, NOP, timestamp options (a 32-byte
// header) and n payload bytes.
func tcp4(n int) builder {
	return func(g *Generator) ([]byte, error) {
		ip := g.ipv4(layers.IPProtocolTCP)
		return g.serialize(g.ether(layers.EthernetTypeIPv4), ip, g.tcp(tcpACK, ip), g.payload(n))
	}
}

// tcp4Bare is tcp4 without options: a 20-byte TCP header.
func tcp4Bare(n int, flags func(*layers.TCP)) builder {
	return func(g *Generator) ([]byte, error) {
		ip := g.ipv4(layers.IPProtocolTCP)
		t := g.tcp(tcpACK, ip)
		t.Options = nil
		if flags != nil {
			flags(t)
		}
		return g.serialize(g.ether(layers.EthernetTypeIPv4), ip, t, g.payload(n))
	}
}

// ip4Opts is udp4 with a 12-byte Record Route option (IHL 8).
func ip4Opts(g *Generator) ([]byte, error) {
	ip := g.ipv4(layers.IPProtocolUDP)
	ip.Options = []layers.IPv4Option{{OptionType: 1}, {OptionType: 7, OptionLength: 11, OptionData: []byte{4, 0, 0, 0, 0, 0, 0, 0, 0}}}
	return g.serialize(g.ether(layers.EthernetTypeIPv4), ip, g.udp(ip), g.payload(10))
}

func tcp6(n int) builder {
	return func(g *Generator) ([]byte, error) {
		ip := g.ipv6(layers.IPProtocolTCP)
		return g.serialize(g.ether(layers.EthernetTypeIPv6), ip, g.tcp(tcpACK, ip), g.payload(n))
	}
}

func udp6(n int) builder {
	return func(g *Generator) ([]byte, error) {
		ip := g.ipv6(layers.IPProtocolUDP)
		return g.serialize(g.ether(layers.EthernetTypeIPv6), ip, g.udp(ip), g.payload(n))
	}
}

func udp6HBH(g *Generator) ([]byte, error) {
	ip := g.ipv6(layers.IPProtocolUDP)
	ip.HopByHop = hopByHop(layers.IPProtocolUDP)
	return g.serialize(g.ether(layers.EthernetTypeIPv6), ip, g.udp(ip), g.payload(10))
}

// tagged is udp4 (n payload bytes) behind VLAN tags announced by tpids.
func tagged(n int, vid uint16, tpids ...layers.EthernetType) builder {
	return func(g *Generator) ([]byte, error) {
		ip := g.ipv4(layers.IPProtocolUDP)
		ip.Flags = 0
		ls := []gopacket.SerializableLayer{g.ether(tpids[0])}
		for i := range tpids {
			next := layers.EthernetTypeIPv4
			if i+1 < len(tpids) {
				next = tpids[i+1]
			}
			ls = append(ls, &layers.Dot1Q{VLANIdentifier: vid + uint16(i), Type: next})
		}
		ls = append(ls, ip, g.udp(ip), g.payload(n))
		return g.serialize(ls...)
	}
}

func icmp4Echo(g *Generator) ([]byte, error) {
	ip := g.ipv4(layers.IPProtocolICMPv4)
	ic := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 1, Seq: 1}
	return g.serialize(g.ether(layers.EthernetTypeIPv4), ip, ic, g.payload(18))
}

func ipip(g *Generator) ([]byte, error) {
	outer := g.ipv4(layers.IPProtocolIPv4)
	inner := g.ipv4(layers.IPProtocolUDP)
	return g.serialize(g.ether(layers.EthernetTypeIPv4), outer, inner, g.udp(inner), g.payload(10))
}

func arpFrame(g *Generator) ([]byte, error) {
	f, err := g.arp()
	return f.data, err
}

// --- how cases use the bases ---

// whole returns the base frame as it is.
func whole(b builder) func(*Generator) (frame, error) {
	return func(g *Generator) (frame, error) {
		data, err := b(g)
		return frame{data: data}, err
	}
}

// cut returns the first n bytes of the base frame: the frame really ends
// there, as a receiver would see it.
func cut(b builder, n int) func(*Generator) (frame, error) {
	return func(g *Generator) (frame, error) {
		data, err := b(g)
		if err != nil {
			return frame{}, err
		}
		if n > len(data) {
			return frame{}, fmt.Errorf("base frame of %d bytes is shorter than the cut at %d", len(data), n)
		}
		return frame{data: data[:n:n]}, nil
	}
}

// alter applies fn to the base frame.
func alter(b builder, fn func(d []byte)) func(*Generator) (frame, error) {
	return func(g *Generator) (frame, error) {
		data, err := b(g)
		if err != nil {
			return frame{}, err
		}
		fn(data)
		return frame{data: data}, nil
	}
}

// ip4 alters the IPv4 header of an untagged frame with fn and recomputes its
// checksum.
func ip4(b builder, fn func(ip []byte)) func(*Generator) (frame, error) {
	return alter(b, func(d []byte) {
		fn(d[l3Off:])
		fixIPv4Checksum(d, l3Off)
	})
}

// tcp4Hdr alters the TCP header of an untagged IPv4 frame with fn and
// recomputes the TCP checksum over the segment's bytes.
func tcp4Hdr(b builder, fn func(tcp []byte)) func(*Generator) (frame, error) {
	return alter(b, func(d []byte) {
		fn(d[l4Off4:])
		fixL4Checksum4(d, l3Off, 16)
	})
}

// fixIPv4Checksum recomputes the header checksum of the IPv4 header at l3,
// over the IHL it declares but at least 20 bytes and at most what the frame
// holds.
func fixIPv4Checksum(d []byte, l3 int) {
	n := max(int(d[l3]&0x0f)*4, ipv4HdrLen)
	n = min(n, len(d)-l3)
	d[l3+10], d[l3+11] = 0, 0
	binary.BigEndian.PutUint16(d[l3+10:], gopacket.FoldChecksum(gopacket.ComputeChecksum(d[l3:l3+n], 0)))
}

// fixL4Checksum4 recomputes the TCP or UDP checksum (at csumOff within the
// transport header) of the IPv4 packet at l3, over the bytes its total length
// covers.
func fixL4Checksum4(d []byte, l3, csumOff int) {
	ihl := int(d[l3]&0x0f) * 4
	end := min(l3+int(binary.BigEndian.Uint16(d[l3+2:])), len(d))
	seg := d[l3+ihl : end]
	seg[csumOff], seg[csumOff+1] = 0, 0
	sum := gopacket.ComputeChecksum(d[l3+12:l3+20], 0)
	sum += uint32(d[l3+9]) + uint32(len(seg))
	sum = gopacket.ComputeChecksum(seg, sum)
	c := gopacket.FoldChecksum(sum)
	if c == 0 && d[l3+9] == byte(layers.IPProtocolUDP) {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(seg[csumOff:], c)
}

func put16(d []byte, off int, v uint16) { binary.BigEndian.PutUint16(d[off:], v) }

// --- cases that need their own construction ---

// fragment returns fragment which (0 first, 1 middle, 2 last) of a UDP
// datagram split into three 1480-byte-aligned pieces over IPv4.
func fragment(which int) func(*Generator) (frame, error) {
	return func(g *Generator) (frame, error) {
		ip := g.ipv4(layers.IPProtocolUDP)
		ip.Flags = 0
		dg, err := g.udpDatagram(ip, 2*1480+100)
		if err != nil {
			return frame{}, err
		}
		start := which * 1480
		end := min(start+1480, len(dg))
		ip.FragOffset = uint16(start / 8)
		if end < len(dg) {
			ip.Flags = layers.IPv4MoreFragments
		}
		data, err := g.serialize(g.ether(layers.EthernetTypeIPv4), ip, gopacket.Payload(dg[start:end]))
		return frame{data: data}, err
	}
}

// tinyFragment is a first fragment carrying only 8 bytes of a TCP header
// (RFC 1858), or with overlap the fragment at offset 8 that rewrites the
// header's flags.
func tinyFragment(overlap bool) func(*Generator) (frame, error) {
	return func(g *Generator) (frame, error) {
		ip := g.ipv4(layers.IPProtocolTCP)
		seg, err := g.serialize(g.tcp(tcpSYN, ip), g.payload(20))
		if err != nil {
			return frame{}, err
		}
		ip.Flags = layers.IPv4MoreFragments
		part := seg[:8]
		if overlap {
			ip.FragOffset = 1
			part = seg[8:]
		}
		data, err := g.serialize(g.ether(layers.EthernetTypeIPv4), ip, gopacket.Payload(part))
		return frame{data: data}, err
	}
}

func fragment6Case(which int) func(*Generator) (frame, error) {
	return func(g *Generator) (frame, error) { return g.linkOrErr(g.fragment6(which)) }
}

// atomicFragment6 is a complete UDP datagram behind a fragment header with
// offset 0 and M clear (RFC 6946).
func atomicFragment6(g *Generator) (frame, error) {
	ip := g.ipv6(layers.IPProtocolIPv6Fragment)
	u := g.udp(ip)
	fh := &layers.IPv6Fragment{NextHeader: layers.IPProtocolUDP, Identification: g.rng.Uint32()}
	data, err := g.serialize(g.ether(layers.EthernetTypeIPv6), ip, fh, u, g.payload(32))
	return frame{data: data}, err
}

// extChain6 is IPv6 → hop-by-hop → destination options → segment routing
// (segments left 0) → fragment (atomic) → UDP.
func extChain6(g *Generator) (frame, error) {
	ip := g.ipv6(layers.IPProtocolIPv6HopByHop)
	ip.HopByHop = hopByHop(layers.IPProtocolIPv6Destination)
	dst := &layers.IPv6Destination{Options: []*layers.IPv6DestinationOption{{OptionType: 1, OptionData: make([]byte, 4)}}}
	dst.NextHeader = layers.IPProtocolIPv6Routing
	r := g.srh(layers.IPProtocolIPv6Fragment)
	r.SegmentsLeft = 0
	copy(r.Data, ip.DstIP)
	fh := &layers.IPv6Fragment{NextHeader: layers.IPProtocolUDP, Identification: g.rng.Uint32()}
	u := g.udp(ip)
	data, err := g.serialize(g.ether(layers.EthernetTypeIPv6), ip, dst, r, fh, u, g.payload(16))
	return frame{data: data}, err
}

func ipv6Next(next layers.IPProtocol, n int) func(*Generator) (frame, error) {
	return func(g *Generator) (frame, error) {
		ip := g.ipv6(next)
		data, err := g.serialize(g.ether(layers.EthernetTypeIPv6), ip, g.payload(n))
		return frame{data: data}, err
	}
}

func ip6in6(g *Generator) (frame, error) {
	outer := g.ipv6(layers.IPProtocolIPv6)
	inner := g.ipv6(layers.IPProtocolUDP)
	data, err := g.serialize(g.ether(layers.EthernetTypeIPv6), outer, inner, g.udp(inner), g.payload(16))
	return frame{data: data}, err
}

// icmpUnreachable is an ICMP port unreachable quoting the IPv4 and UDP
// headers of the datagram that caused it, which a parser must not take for
// the packet's own.
func icmpUnreachable(g *Generator) (frame, error) {
	orig := g.ipv4(layers.IPProtocolUDP)
	quoted, err := g.serialize(orig, g.udp(orig), g.payload(32))
	if err != nil {
		return frame{}, err
	}
	ip := g.ipv4(layers.IPProtocolICMPv4)
	ip.SrcIP, ip.DstIP = orig.DstIP, orig.SrcIP
	ic := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodePort)}
	data, err := g.serialize(g.ether(layers.EthernetTypeIPv4), ip, ic, gopacket.Payload(quoted[:28+8]))
	return frame{data: data}, err
}

func icmp6EchoMulticast(g *Generator) (frame, error) {
	ip := g.ipv6(layers.IPProtocolICMPv6)
	ip.DstIP = net.ParseIP("ff02::1")
	ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)}
	if err := ic.SetNetworkLayerForChecksum(ip); err != nil {
		return frame{}, err
	}
	eth := &layers.Ethernet{SrcMAC: g.mac(), DstMAC: net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}, EthernetType: layers.EthernetTypeIPv6}
	data, err := g.serialize(eth, ip, ic, &layers.ICMPv6Echo{Identifier: 7, SeqNumber: 1}, g.payload(16))
	return frame{data: data}, err
}

func ipv4Dst(dst net.IP, mac net.HardwareAddr) func(*Generator) (frame, error) {
	return func(g *Generator) (frame, error) {
		ip := g.ipv4(layers.IPProtocolUDP)
		ip.DstIP = dst
		eth := &layers.Ethernet{SrcMAC: g.mac(), DstMAC: mac, EthernetType: layers.EthernetTypeIPv4}
		data, err := g.serialize(eth, ip, g.udp(ip), g.payload(30))
		return frame{data: data}, err
	}
}

// stp is an IEEE 802.3 frame (a length, not an ethertype) with LLC, carrying
// a spanning tree configuration BPDU.
func stp(g *Generator) (frame, error) {
	eth := &layers.Ethernet{SrcMAC: g.mac(), DstMAC: net.HardwareAddr{0x01, 0x80, 0xc2, 0, 0, 0}, EthernetType: layers.EthernetTypeLLC}
	llc := &layers.LLC{DSAP: 0x42, SSAP: 0x42, Control: 3}
	data, err := g.serialize(eth, llc, g.payload(35))
	return frame{data: data}, err
}

func mplsFrame(g *Generator) (frame, error) {
	ip := g.ipv4(layers.IPProtocolUDP)
	data, err := g.serialize(g.ether(layers.EthernetTypeMPLSUnicast),
		&layers.MPLS{Label: 100, TTL: 64},
		&layers.MPLS{Label: 16000 + uint32(g.rng.IntN(1000)), StackBottom: true, TTL: 64},
		ip, g.udp(ip), g.payload(18))
	return frame{data: data}, err
}

func greFrame(g *Generator) (frame, error) {
	outer := g.ipv4(layers.IPProtocolGRE)
	inner := g.ipv4(layers.IPProtocolUDP)
	data, err := g.serialize(g.ether(layers.EthernetTypeIPv4), outer,
		&layers.GRE{Protocol: layers.EthernetTypeIPv4}, inner, g.udp(inner), g.payload(18))
	return frame{data: data}, err
}

func vxlanFrame(g *Generator) (frame, error) {
	outer := g.ipv4(layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(g.ephemeral()), DstPort: 4789}
	if err := u.SetNetworkLayerForChecksum(outer); err != nil {
		return frame{}, err
	}
	inner := g.ipv4(layers.IPProtocolUDP)
	data, err := g.serialize(g.ether(layers.EthernetTypeIPv4), outer, u,
		&layers.VXLAN{ValidIDFlag: true, VNI: uint32(g.rng.IntN(1 << 24))},
		g.ether(layers.EthernetTypeIPv4), inner, g.udp(inner), g.payload(18))
	return frame{data: data}, err
}

func etherType(t layers.EthernetType) func(*Generator) (frame, error) {
	return func(g *Generator) (frame, error) {
		data, err := g.serialize(g.ether(t), g.payload(46))
		return frame{data: data}, err
	}
}

// snapTruncated is a 1514-byte frame captured with a 96-byte snap length.
func snapTruncated(g *Generator) (frame, error) {
	data, err := udp4(1500 - ipv4HdrLen - udpHdrLen)(g)
	if err != nil {
		return frame{}, err
	}
	return frame{data: data[:96:96], length: len(data)}, nil
}

func tcpFlags(set func(t *layers.TCP)) builder {
	return tcp4Bare(0, func(t *layers.TCP) {
		t.ACK, t.PSH = false, false
		set(t)
	})
}

// edgeCatalogue lists the "edge" set. Frames are valid, checksums included,
// except for what the label says; where a case breaks a length field, the
// transport checksum is computed over the bytes present.
var edgeCatalogue = func() []edgeCase {
	const udp4Frame = 18 // payload that makes udp4 exactly 60 bytes
	cases := []edgeCase{
		// Truncation at header boundaries.
		{"trunc-after-eth", cut(udp4(udp4Frame), ethHdrLen)},
		{"trunc-vlan-mid-tag", cut(tagged(18, 10, layers.EthernetTypeDot1Q), ethHdrLen+2)},
		{"trunc-vlan-after-tag", cut(tagged(18, 10, layers.EthernetTypeDot1Q), ethHdrLen+vlanTagLen)},
		{"trunc-qinq-mid-inner-tag", cut(tagged(18, 10, layers.EthernetTypeQinQ, layers.EthernetTypeDot1Q), ethHdrLen+vlanTagLen+2)},
		{"trunc-qinq-after-tags", cut(tagged(18, 10, layers.EthernetTypeQinQ, layers.EthernetTypeDot1Q), ethHdrLen+2*vlanTagLen)},
		{"trunc-ipv4-mid-header", cut(udp4(udp4Frame), l3Off+10)},
		{"trunc-ipv4-mid-options", cut(ip4Opts, l4Off4+4)},
		{"trunc-ipv4-after-options", cut(ip4Opts, l4Off4+12)},
		{"trunc-after-ipv4", cut(udp4(udp4Frame), l4Off4)},
		{"trunc-udp-mid-header", cut(udp4(udp4Frame), l4Off4+4)},
		{"trunc-after-udp", cut(udp4(udp4Frame), l4Off4+udpHdrLen)},
		{"trunc-tcp-mid-header", cut(tcp4(0), l4Off4+10)},
		{"trunc-tcp-mid-options", cut(tcp4(0), l4Off4+tcpHdrLen+4)},
		{"trunc-icmp-mid-header", cut(icmp4Echo, l4Off4+4)},
		{"trunc-ipv6-mid-header", cut(tcp6(0), l3Off+20)},
		{"trunc-after-ipv6", cut(tcp6(0), l4Off6)},
		{"trunc-ipv6-mid-hbh", cut(udp6HBH, l4Off6+4)},
		{"trunc-after-ipv6-hbh", cut(udp6HBH, l4Off6+8)},
		{"trunc-tcp6-mid-header", cut(tcp6(0), l4Off6+10)},
		{"trunc-ipip-mid-inner", cut(ipip, l4Off4+10)},
		{"trunc-arp-mid", cut(arpFrame, ethHdrLen+10)},
		{"capture-snaplen-96", snapTruncated},

		// IPv4 header fields.
		{"ipv4-ihl-0", ip4(udp4(udp4Frame), func(ip []byte) { ip[0] = 0x40 })},
		{"ipv4-ihl-4", ip4(udp4(udp4Frame), func(ip []byte) { ip[0] = 0x44 })},
		{"ipv4-ihl-15-beyond-total-length", ip4(udp4(udp4Frame), func(ip []byte) { ip[0] = 0x4f })},
		{"ipv4-version-6", ip4(udp4(udp4Frame), func(ip []byte) { ip[0] = 0x65 })},
		{"ipv4-version-0", ip4(udp4(udp4Frame), func(ip []byte) { ip[0] = 0x05 })},
		{"ipv4-totlen-beyond-frame", ip4(udp4(udp4Frame), func(ip []byte) { put16(ip, 2, 1500) })},
		{"ipv4-totlen-below-ihl", ip4(udp4(udp4Frame), func(ip []byte) { put16(ip, 2, 10) })},
		{"ipv4-totlen-below-udp-length", ip4(udp4(100), func(ip []byte) { put16(ip, 2, ipv4HdrLen+udpHdrLen) })},
		{"ipv4-totlen-zero", ip4(udp4(udp4Frame), func(ip []byte) { put16(ip, 2, 0) })},
		{"ipv4-ttl-0", ip4(udp4(udp4Frame), func(ip []byte) { ip[8] = 0 })},
		{"ipv4-ttl-1", ip4(udp4(udp4Frame), func(ip []byte) { ip[8] = 1 })},
		{"ipv4-bad-checksum", alter(udp4(udp4Frame), func(d []byte) { d[ip4Csum] ^= 0x5a })},
		{"ipv4-options-40-bytes", whole(func(g *Generator) ([]byte, error) {
			ip := g.ipv4(layers.IPProtocolUDP)
			rr := make([]byte, 37)
			rr[0] = 4
			ip.Options = []layers.IPv4Option{{OptionType: 1}, {OptionType: 7, OptionLength: 39, OptionData: rr}}
			return g.serialize(g.ether(layers.EthernetTypeIPv4), ip, g.udp(ip), g.payload(10))
		})},
		{"ipv4-option-length-0", ip4(ip4Opts, func(ip []byte) { ip[ipv4HdrLen+1], ip[ipv4HdrLen+2] = 7, 0 })},
		{"ipv4-option-length-beyond-header", ip4(ip4Opts, func(ip []byte) { ip[ipv4HdrLen+1], ip[ipv4HdrLen+2] = 7, 40 })},
		{"ipv4-dst-broadcast", ipv4Dst(net.IPv4bcast.To4(), layers.EthernetBroadcast)},
		{"ipv4-dst-multicast", ipv4Dst(net.IPv4(224, 0, 0, 251).To4(), net.HardwareAddr{0x01, 0, 0x5e, 0, 0, 0xfb})},

		// IPv4 fragments.
		{"ipv4-frag-first", fragment(0)},
		{"ipv4-frag-middle", fragment(1)},
		{"ipv4-frag-last", fragment(2)},
		{"ipv4-frag-tiny-tcp", tinyFragment(false)},
		{"ipv4-frag-offset-8-overlapping-tcp", tinyFragment(true)},
		{"ipv4-frag-df-and-mf", ip4(udp4(udp4Frame), func(ip []byte) { put16(ip, 6, 0x6000) })},

		// IPv6.
		{"ipv6-version-4", alter(udp6(16), func(d []byte) { d[l3Off] = 0x40 | d[l3Off]&0x0f })},
		{"ipv6-paylen-beyond-frame", alter(udp6(16), func(d []byte) { put16(d, l3Off+4, 1400) })},
		{"ipv6-paylen-zero", alter(udp6(16), func(d []byte) { put16(d, l3Off+4, 0) })},
		{"ipv6-hoplimit-0", alter(udp6(16), func(d []byte) { d[l3Off+7] = 0 })},
		{"ipv6-hop-by-hop", whole(udp6HBH)},
		{"ipv6-ext-chain", extChain6},
		{"ipv6-frag-first", fragment6Case(0)},
		{"ipv6-frag-nonfirst", fragment6Case(1)},
		{"ipv6-frag-atomic", atomicFragment6},
		{"ipv6-next-unknown-253", ipv6Next(253, 24)},
		{"ipv6-next-none-59", ipv6Next(layers.IPProtocolNoNextHeader, 0)},
		{"ipv6-in-ipv6", ip6in6},
		{"ipv4-in-ipv4", whole(ipip)},

		// UDP.
		{"udp-zero-payload", whole(udp4(0))},
		{"udp-length-zero", alter(udp4(udp4Frame), func(d []byte) { put16(d, l4Off4+4, 0); put16(d, l4Off4+6, 0) })},
		{"udp-length-below-8", alter(udp4(udp4Frame), func(d []byte) { put16(d, l4Off4+4, 4); put16(d, l4Off4+6, 0) })},
		{"udp-length-beyond-ip", alter(udp4(udp4Frame), func(d []byte) { put16(d, l4Off4+4, 1000); put16(d, l4Off4+6, 0) })},
		{"udp4-checksum-zero", alter(udp4(udp4Frame), func(d []byte) { put16(d, l4Off4+6, 0) })},
		{"udp4-bad-checksum", alter(udp4(udp4Frame), func(d []byte) { d[l4Off4+6] ^= 0x5a })},
		{"udp6-checksum-zero", alter(udp6(16), func(d []byte) { put16(d, l4Off6+6, 0) })},
		{"udp-ports-zero", alter(udp4(udp4Frame), func(d []byte) {
			put16(d, l4Off4, 0)
			put16(d, l4Off4+2, 0)
			fixL4Checksum4(d, l3Off, 6)
		})},

		// TCP.
		{"tcp-doff-4", tcp4Hdr(tcp4Bare(0, nil), func(t []byte) { t[12] = 4 << 4 })},
		{"tcp-doff-15-beyond-segment", tcp4Hdr(tcp4Bare(6, nil), func(t []byte) { t[12] = 15 << 4 })},
		{"tcp-flags-none", whole(tcpFlags(func(t *layers.TCP) {}))},
		{"tcp-flags-xmas", whole(tcpFlags(func(t *layers.TCP) { t.FIN, t.PSH, t.URG, t.Urgent = true, true, true, 1 }))},
		{"tcp-flags-syn-fin", whole(tcpFlags(func(t *layers.TCP) { t.SYN, t.FIN = true, true }))},
		{"tcp-syn-with-data", whole(tcp4Bare(64, func(t *layers.TCP) { t.ACK, t.PSH, t.SYN = false, false, true }))},
		{"tcp-option-length-0", tcp4Hdr(tcp4(0), func(t []byte) { t[tcpHdrLen], t[tcpHdrLen+1] = 2, 0 })},
		{"tcp-option-length-1", tcp4Hdr(tcp4(0), func(t []byte) { t[tcpHdrLen], t[tcpHdrLen+1] = 2, 1 })},
		{"tcp-option-length-beyond-header", tcp4Hdr(tcp4(0), func(t []byte) { t[tcpHdrLen], t[tcpHdrLen+1] = 8, 40 })},
		{"tcp4-bad-checksum", alter(tcp4(10), func(d []byte) { d[l4Off4+16] ^= 0x5a })},
		{"tcp6-with-options", whole(tcp6(100))},

		// ICMP.
		{"icmp4-echo", whole(icmp4Echo)},
		{"icmp4-bad-checksum", alter(icmp4Echo, func(d []byte) { d[l4Off4+2] ^= 0x5a })},
		{"icmp4-unreachable-quoting-udp", icmpUnreachable},
		{"icmp6-echo-multicast", icmp6EchoMulticast},

		// Link layer.
		{"vlan-priority-tag-vid-0", whole(tagged(18, 0, layers.EthernetTypeDot1Q))},
		{"vlan-qinq", whole(tagged(18, 100, layers.EthernetTypeQinQ, layers.EthernetTypeDot1Q))},
		{"vlan-double-8100", whole(tagged(18, 100, layers.EthernetTypeDot1Q, layers.EthernetTypeDot1Q))},
		{"vlan-triple", whole(tagged(18, 100, layers.EthernetTypeQinQ, layers.EthernetTypeDot1Q, layers.EthernetTypeDot1Q))},
		{"vlan-max-1518", whole(tagged(1500-ipv4HdrLen-udpHdrLen, 200, layers.EthernetTypeDot1Q))},
		{"eth-8023-llc-stp", stp},
		{"ethertype-unknown-88b5", etherType(etherTypeExperimental)},
		{"ethertype-0600", etherType(0x0600)},
		{"mpls-ipv4", mplsFrame},
		{"gre-ipv4", greFrame},
		{"vxlan-ipv4", vxlanFrame},
		{"arp-request", whole(arpFrame)},
		{"lldp", func(g *Generator) (frame, error) { return g.lldp() }},

		// Sizes.
		{"max-1514-udp4", whole(udp4(1500 - ipv4HdrLen - udpHdrLen))},
		{"max-1514-tcp6", whole(tcp6(1500 - ipv6HdrLen - tcpHdrLen - 12))},
		{"oversize-1515", whole(udp4(1501 - ipv4HdrLen - udpHdrLen))},
		{"jumbo-9014", whole(udp4(9000 - ipv4HdrLen - udpHdrLen))},
	}
	// Runts: a valid 60-byte UDP/IPv4 frame cut to every length below 60.
	for n := range 60 {
		cases = append(cases, edgeCase{fmt.Sprintf("runt-%d", n), cut(udp4(udp4Frame), n)})
	}
	return cases
}()
