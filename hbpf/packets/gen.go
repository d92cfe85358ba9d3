package packets

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// GenEpoch is the timestamp of the first generated packet. Later packets
// follow back to back at [GenLinkRate]: each one's timestamp advances by the
// previous frame's [WireBytes].
var GenEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// GenLinkRate is the link rate, in bit/s, that spaces generated timestamps.
const GenLinkRate = 10e9

// DefaultFlows is the number of flows of the "flows" set; "flows:N" asks for
// N.
const DefaultFlows = 1024

// FlowsZipfS is the exponent of the Zipf distribution of flow popularity in
// the "flows" set: the k-th most popular flow is chosen with probability
// proportional to 1/k^s.
const FlowsZipfS = 1.1

type setInfo struct {
	name    string
	purpose string
	init    func(g *Generator, param int) error
}

var sets = []setInfo{
	{"mixed", "realistic traffic: IPv4/IPv6 TCP (SYN, SYN-ACK, ACK, data, FIN, RST with options), " +
		"UDP, ICMP and ICMPv6 echo, 802.1Q and QinQ, IPv4 options, IPv6 hop-by-hop, fragment and routing headers, " +
		"IPv4 fragments, IP-in-IP and IPv6-in-IPv4, ARP, LLDP and an unknown ethertype. Data-carrying packets " +
		"are 40% minimal, 10% 40-119, 10% 120-575, 10% 576, 5% 577-1499 and 25% 1500 bytes of IP, which with " +
		"the control packets makes about 70% of frames 64-127 bytes and 17% 1024 bytes or more (FCS included). " +
		"Every checksum is valid",
		(*Generator).initMixed},
	{"edge", "frames XDP parsers get wrong, one per labelled case (see EdgeCases), cycled: runts of 0-59 bytes, " +
		"truncation at every header boundary, IHL < 5, length fields that disagree with the frame, " +
		"first/middle/last fragments, zero-length UDP, bad TCP data offsets and options, bad checksums, " +
		"VLAN stacks, 802.3 frames, 1514/1518-byte and 9014-byte (jumbo) frames",
		(*Generator).initEdge},
	{"imix", "Simple IMIX: 64-, 570- and 1518-byte frames (FCS included; 60, 566 and 1514 bytes captured) " +
		"in the ratio 7:4:1, exact in every block of 12 packets; UDP over IPv4 with varied 5-tuples",
		(*Generator).initIMIX},
	{"flows", "flows:N (default 1024) distinct 5-tuples, IPv4 and IPv6, TCP and UDP, drawn with " +
		"Zipf(1.1) popularity; a TCP flow's first packet is a SYN; Simple IMIX sizes. For flow tables and LRU maps",
		(*Generator).initFlows},
	{"min", "64-byte frames (60 bytes captured), UDP over IPv4 with varied 5-tuples: " +
		"the packet rate worst case, 14.88 Mpps at 10 Gbit/s",
		(*Generator).initMin},
}

// Sets returns the names of the generator's packet sets.
func Sets() []string {
	names := make([]string, len(sets))
	for i, s := range sets {
		names[i] = s.name
	}
	return names
}

// Describe returns what the named set contains and what it is for.
func Describe(set string) (string, error) {
	s, _, err := lookupSet(set)
	if err != nil {
		return "", err
	}
	return s.purpose, nil
}

func lookupSet(set string) (setInfo, int, error) {
	name, arg, hasArg := strings.Cut(set, ":")
	for _, s := range sets {
		if s.name != name {
			continue
		}
		if !hasArg {
			return s, 0, nil
		}
		if name != "flows" {
			return setInfo{}, 0, fmt.Errorf("packet set %q takes no parameter", name)
		}
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 {
			return setInfo{}, 0, fmt.Errorf("packet set %q: flow count %q is not a positive integer", name, arg)
		}
		return s, n, nil
	}
	return setInfo{}, 0, fmt.Errorf("unknown packet set %q (valid: %s)", set, strings.Join(Sets(), ", "))
}

// Generator produces the packets of one set, deterministically from its
// seed, without holding them: use it to write captures of millions of
// packets. A Generator is not safe for concurrent use.
type Generator struct {
	set   string
	rng   *rand.Rand
	pool  []byte // pseudo-random bytes that payloads are cut from
	buf   gopacket.SerializeBuffer
	index int
	clock int64 // picoseconds since GenEpoch
	next  func() (frame, error)

	// set state
	block []int // imix: frame lengths of the current block of 12
	flows []flow
	zipf  *rand.Zipf
}

// frame is one generated frame before it becomes a Packet.
type frame struct {
	data   []byte
	length int // original length if the capture is shorter; 0 otherwise
	label  string
}

// NewGenerator returns a generator for the named set (see [Sets]); "flows:N"
// sets the flow count.
func NewGenerator(set string, seed int64) (*Generator, error) {
	s, param, err := lookupSet(set)
	if err != nil {
		return nil, err
	}
	g := &Generator{
		set: set,
		rng: rand.New(rand.NewPCG(uint64(seed), 0x6862706670617473)), // "hbpfpats"
		buf: gopacket.NewSerializeBuffer(),
	}
	g.pool = make([]byte, 64<<10)
	for i := 0; i < len(g.pool); i += 8 {
		binary.LittleEndian.PutUint64(g.pool[i:], g.rng.Uint64())
	}
	if err := s.init(g, param); err != nil {
		return nil, err
	}
	return g, nil
}

// Next returns the next packet. Its Data is freshly allocated.
func (g *Generator) Next() (Packet, error) {
	f, err := g.next()
	if err != nil {
		return Packet{}, fmt.Errorf("generate %s packet %d: %w", g.set, g.index, err)
	}
	p := Packet{
		Index:     g.index,
		Timestamp: GenEpoch.Add(time.Duration(g.clock / 1000)),
		Data:      f.data,
		Length:    max(f.length, len(f.data)),
		Label:     f.label,
	}
	g.index++
	g.clock += int64(WireBytes(p.Length, false)) * int64(8e12/GenLinkRate)
	return p, nil
}

// Generate returns n packets of the named set (see [Sets] and [Describe]).
// The same set, n and seed always give the same packets, byte for byte, and a
// shorter run is a prefix of a longer one.
func Generate(set string, n int, seed int64) ([]Packet, error) {
	if n < 0 {
		return nil, fmt.Errorf("generate %s: negative packet count %d", set, n)
	}
	g, err := NewGenerator(set, seed)
	if err != nil {
		return nil, err
	}
	pkts := make([]Packet, n)
	for i := range pkts {
		if pkts[i], err = g.Next(); err != nil {
			return nil, err
		}
	}
	return pkts, nil
}

var serializeOpts = gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}

// serialize serialises ls into a new slice.
func (g *Generator) serialize(ls ...gopacket.SerializableLayer) ([]byte, error) {
	if err := gopacket.SerializeLayers(g.buf, serializeOpts, ls...); err != nil {
		return nil, err
	}
	return bytes.Clone(g.buf.Bytes()), nil
}

// Header lengths.
const (
	ethHdrLen  = 14
	vlanTagLen = 4
	ipv4HdrLen = 20
	ipv6HdrLen = 40
	udpHdrLen  = 8
	tcpHdrLen  = 20
	icmpHdrLen = 8
)

// --- addresses and fields ---

func (g *Generator) mac() net.HardwareAddr {
	m := make(net.HardwareAddr, 6)
	v := g.rng.Uint64()
	for i := range m {
		m[i] = byte(v >> (8 * i))
	}
	m[0] = m[0]&0xfc | 0x02 // locally administered unicast
	return m
}

// ip4Client returns an address in 10.0.0.0/8, ip4Server one in the
// benchmarking range 198.18.0.0/15 (RFC 2544).
func (g *Generator) ip4Client() net.IP {
	v := g.rng.Uint32()
	return net.IPv4(10, byte(v>>16), byte(v>>8), byte(v)|1).To4()
}

func (g *Generator) ip4Server() net.IP {
	v := g.rng.Uint32()
	return net.IPv4(198, 18|byte(v>>16)&1, byte(v>>8), byte(v)|1).To4()
}

// ip6Client and ip6Server return addresses in the documentation prefix
// 2001:db8::/32.
func (g *Generator) ip6Client() net.IP { return g.ip6(0x0001) }
func (g *Generator) ip6Server() net.IP { return g.ip6(0xff00) }

func (g *Generator) ip6(subnet uint16) net.IP {
	ip := make(net.IP, 16)
	copy(ip, []byte{0x20, 0x01, 0x0d, 0xb8})
	binary.BigEndian.PutUint16(ip[4:], subnet|uint16(g.rng.IntN(256)))
	binary.BigEndian.PutUint64(ip[8:], g.rng.Uint64())
	return ip
}

var serverPorts = []layers.TCPPort{80, 443, 443, 443, 22, 8080, 25, 3306, 5201}

// udpServerPorts avoid the ports gopacket decodes as applications (DNS, NTP,
// VXLAN, ...), whose random payloads would not parse.
var udpServerPorts = []layers.UDPPort{443, 443, 443, 8443, 3478, 51820, 1194, 9000}

// ephemeral returns a client port from Linux's default range, skipping the
// one port in it that gopacket decodes as an application (EtherNet/IP).
func (g *Generator) ephemeral() uint16 {
	p := uint16(32768 + g.rng.IntN(28232))
	if p == 44818 {
		p++
	}
	return p
}

func (g *Generator) payload(n int) gopacket.Payload {
	if n <= 0 {
		return nil
	}
	if n > len(g.pool) {
		n = len(g.pool)
	}
	off := g.rng.IntN(len(g.pool) - n + 1)
	return gopacket.Payload(g.pool[off : off+n])
}

func (g *Generator) ether(t layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: g.mac(), DstMAC: g.mac(), EthernetType: t}
}

func (g *Generator) ipv4(proto layers.IPProtocol) *layers.IPv4 {
	ip := &layers.IPv4{
		Version:  4,
		TTL:      []uint8{64, 64, 63, 128, 127, 255, 57}[g.rng.IntN(7)],
		Id:       uint16(g.rng.Uint32()),
		Protocol: proto,
		SrcIP:    g.ip4Client(),
		DstIP:    g.ip4Server(),
	}
	if g.rng.IntN(4) != 0 {
		ip.Flags = layers.IPv4DontFragment
	}
	return ip
}

func (g *Generator) ipv6(next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{
		Version:    6,
		FlowLabel:  g.rng.Uint32() & 0xfffff,
		HopLimit:   []uint8{64, 64, 63, 255, 128}[g.rng.IntN(5)],
		NextHeader: next,
		SrcIP:      g.ip6Client(),
		DstIP:      g.ip6Server(),
	}
}

// swap exchanges an IP header's addresses, for a reply.
func swap(ip gopacket.NetworkLayer) {
	switch ip := ip.(type) {
	case *layers.IPv4:
		ip.SrcIP, ip.DstIP = ip.DstIP, ip.SrcIP
	case *layers.IPv6:
		ip.SrcIP, ip.DstIP = ip.DstIP, ip.SrcIP
	}
}

// --- transport headers ---

type tcpKind int

const (
	tcpSYN tcpKind = iota
	tcpSYNACK
	tcpACK
	tcpData
	tcpFIN
	tcpRST
)

var tcpKindNames = []string{"syn", "synack", "ack", "data", "fin", "rst"}

func tcpOpt(kind layers.TCPOptionKind, data ...byte) layers.TCPOption {
	return layers.TCPOption{OptionType: kind, OptionLength: uint8(2 + len(data)), OptionData: data}
}

var tcpNOP = layers.TCPOption{OptionType: layers.TCPOptionKindNop, OptionLength: 1}

func (g *Generator) tsOption() layers.TCPOption {
	var d [8]byte
	binary.BigEndian.PutUint64(d[:], g.rng.Uint64())
	return tcpOpt(layers.TCPOptionKindTimestamps, d[:]...)
}

// tcp returns a TCP header of the given kind from a client to a server (a
// SYN-ACK goes the other way: the caller swaps the addresses), with the
// options Linux sends.
func (g *Generator) tcp(kind tcpKind, ip gopacket.NetworkLayer) *layers.TCP {
	t := &layers.TCP{
		SrcPort: layers.TCPPort(g.ephemeral()),
		DstPort: serverPorts[g.rng.IntN(len(serverPorts))],
		Seq:     g.rng.Uint32(),
		Ack:     g.rng.Uint32(),
		Window:  uint16(502 + g.rng.IntN(64000)),
	}
	mss := uint16(1460)
	if _, v6 := ip.(*layers.IPv6); v6 {
		mss = 1440
	}
	synOpts := []layers.TCPOption{
		tcpOpt(layers.TCPOptionKindMSS, byte(mss>>8), byte(mss)),
		tcpOpt(layers.TCPOptionKindSACKPermitted),
		g.tsOption(),
		tcpNOP,
		tcpOpt(layers.TCPOptionKindWindowScale, 7),
	}
	switch kind {
	case tcpSYN:
		t.SYN, t.Ack, t.Window, t.Options = true, 0, 64240, synOpts
	case tcpSYNACK:
		t.SYN, t.ACK, t.Window, t.Options = true, true, 65160, synOpts
		t.SrcPort, t.DstPort = t.DstPort, t.SrcPort
	case tcpACK:
		t.ACK, t.Options = true, []layers.TCPOption{tcpNOP, tcpNOP, g.tsOption()}
	case tcpData:
		t.ACK, t.PSH, t.Options = true, true, []layers.TCPOption{tcpNOP, tcpNOP, g.tsOption()}
	case tcpFIN:
		t.FIN, t.ACK, t.Options = true, true, []layers.TCPOption{tcpNOP, tcpNOP, g.tsOption()}
	case tcpRST:
		t.RST, t.ACK, t.Window = true, true, 0
	}
	if err := t.SetNetworkLayerForChecksum(ip); err != nil {
		panic(err) // only IPv4 and IPv6 are passed
	}
	return t
}

func tcpOptLen(t *layers.TCP) int {
	n := 0
	for _, o := range t.Options {
		if o.OptionType <= 1 {
			n++
		} else {
			n += 2 + len(o.OptionData)
		}
	}
	return (n + 3) &^ 3
}

func (g *Generator) udp(ip gopacket.NetworkLayer) *layers.UDP {
	u := &layers.UDP{
		SrcPort: layers.UDPPort(g.ephemeral()),
		DstPort: udpServerPorts[g.rng.IntN(len(udpServerPorts))],
	}
	if g.rng.IntN(3) == 0 {
		u.SrcPort, u.DstPort = u.DstPort, u.SrcPort
	}
	if err := u.SetNetworkLayerForChecksum(ip); err != nil {
		panic(err)
	}
	return u
}

// --- sizes ---

// ipSize draws an IP packet length for the "mixed" set: 40% minimal (0,
// meaning headers only), 10% 40-119, 10% 120-575, 10% 576, 5% 577-1499 and
// 25% 1500 bytes. Control packets and pure ACKs add more small frames.
func (g *Generator) ipSize() int {
	switch x := g.rng.IntN(100); {
	case x < 40:
		return 0
	case x < 50:
		return 40 + g.rng.IntN(80)
	case x < 60:
		return 120 + g.rng.IntN(456)
	case x < 70:
		return 576
	case x < 75:
		return 577 + g.rng.IntN(923)
	default:
		return 1500
	}
}

// fill returns the payload length that makes an IP packet of size ipLen with
// hdr bytes of headers: at least minPayload.
func fill(ipLen, hdr, minPayload int) int { return max(ipLen-hdr, minPayload) }

// --- stacks: IP packets, returned as their layers ---

// l3 is an IP packet ready to be wrapped in link-layer headers.
type l3 struct {
	ethType layers.EthernetType
	ls      []gopacket.SerializableLayer
	label   string
}

func (g *Generator) tcpStack(v6 bool, kind tcpKind, ipLen int) l3 {
	var ip gopacket.NetworkLayer
	var ipl gopacket.SerializableLayer
	var et layers.EthernetType
	hdr := ipv4HdrLen
	label := "tcp4-"
	if v6 {
		ip6 := g.ipv6(layers.IPProtocolTCP)
		ip, ipl, et, hdr, label = ip6, ip6, layers.EthernetTypeIPv6, ipv6HdrLen, "tcp6-"
	} else {
		ip4 := g.ipv4(layers.IPProtocolTCP)
		ip4.Flags = layers.IPv4DontFragment
		ip, ipl, et = ip4, ip4, layers.EthernetTypeIPv4
	}
	t := g.tcp(kind, ip)
	if kind == tcpSYNACK {
		swap(ip)
	}
	if kind != tcpSYN && kind != tcpSYNACK && g.rng.IntN(2) == 0 {
		t.Options = nil // stacks that do not negotiate timestamps
	}
	n := 0 // control segments and pure ACKs carry no data
	if kind == tcpData {
		n = fill(ipLen, hdr+tcpHdrLen+tcpOptLen(t), 1+g.rng.IntN(24))
	}
	return l3{et, []gopacket.SerializableLayer{ipl, t, g.payload(n)}, label + tcpKindNames[kind]}
}

func (g *Generator) udpStack(v6 bool, ipLen int) l3 {
	if v6 {
		ip := g.ipv6(layers.IPProtocolUDP)
		u := g.udp(ip)
		n := fill(ipLen, ipv6HdrLen+udpHdrLen, 8+g.rng.IntN(24))
		return l3{layers.EthernetTypeIPv6, []gopacket.SerializableLayer{ip, u, g.payload(n)}, "udp6"}
	}
	ip := g.ipv4(layers.IPProtocolUDP)
	u := g.udp(ip)
	n := fill(ipLen, ipv4HdrLen+udpHdrLen, 8+g.rng.IntN(24))
	return l3{layers.EthernetTypeIPv4, []gopacket.SerializableLayer{ip, u, g.payload(n)}, "udp4"}
}

func (g *Generator) icmpStack(v6 bool, ipLen int) l3 {
	id, seq := uint16(g.rng.Uint32()), uint16(g.rng.IntN(1000))
	reply := g.rng.IntN(2) == 1
	if v6 {
		ip := g.ipv6(layers.IPProtocolICMPv6)
		typ := uint8(layers.ICMPv6TypeEchoRequest)
		if reply {
			typ = layers.ICMPv6TypeEchoReply
			swap(ip)
		}
		ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, 0)}
		if err := ic.SetNetworkLayerForChecksum(ip); err != nil {
			panic(err)
		}
		n := fill(ipLen, ipv6HdrLen+icmpHdrLen, 56)
		return l3{layers.EthernetTypeIPv6, []gopacket.SerializableLayer{ip, ic,
			&layers.ICMPv6Echo{Identifier: id, SeqNumber: seq}, g.payload(n)}, "icmp6-echo"}
	}
	ip := g.ipv4(layers.IPProtocolICMPv4)
	typ := uint8(layers.ICMPv4TypeEchoRequest)
	if reply {
		typ = layers.ICMPv4TypeEchoReply
		swap(ip)
	}
	n := fill(ipLen, ipv4HdrLen+icmpHdrLen, 56)
	return l3{layers.EthernetTypeIPv4, []gopacket.SerializableLayer{ip,
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 0), Id: id, Seq: seq}, g.payload(n)}, "icmp4-echo"}
}

// transport returns a random TCP, UDP or ICMP packet.
func (g *Generator) transport(v6 bool, ipLen int) l3 {
	switch x := g.rng.IntN(10); {
	case x < 6:
		return g.tcpStack(v6, []tcpKind{tcpSYN, tcpACK, tcpACK, tcpData, tcpData, tcpData}[g.rng.IntN(6)], ipLen)
	case x < 9:
		return g.udpStack(v6, ipLen)
	default:
		return g.icmpStack(v6, ipLen)
	}
}

// ipv4Options returns a Router Alert option or a Record Route option with
// room for two addresses, the ones routers still see.
func (g *Generator) ipv4Options() ([]layers.IPv4Option, int) {
	if g.rng.IntN(2) == 0 {
		return []layers.IPv4Option{{OptionType: 148, OptionLength: 4, OptionData: []byte{0, 0}}}, 4
	}
	rr := make([]byte, 9)
	rr[0] = 4 // pointer to the first free slot
	return []layers.IPv4Option{
		{OptionType: 1}, // NOP aligns the addresses
		{OptionType: 7, OptionLength: 11, OptionData: rr},
	}, 12
}

func (g *Generator) udpDatagram(ip gopacket.NetworkLayer, n int) ([]byte, error) {
	u := g.udp(ip)
	return g.serialize(u, g.payload(n))
}

// fragment4 returns one fragment of a UDP datagram sent over IPv4 with a
// 1500-byte MTU, with the datagram's real checksum in the first fragment.
func (g *Generator) fragment4(which int) (l3, error) {
	ip := g.ipv4(layers.IPProtocolUDP)
	ip.Flags = 0
	dg, err := g.udpDatagram(ip, 1480+200+g.rng.IntN(2000))
	if err != nil {
		return l3{}, err
	}
	const chunk = 1480
	first := which == 0
	start := 0
	if !first {
		start = chunk * (1 + g.rng.IntN((len(dg)-1)/chunk))
	}
	end := min(start+chunk, len(dg))
	ip.FragOffset = uint16(start / 8)
	if end < len(dg) {
		ip.Flags = layers.IPv4MoreFragments
	}
	label := "ipv4-frag-first"
	if !first {
		label = "ipv4-frag-nonfirst"
	}
	return l3{layers.EthernetTypeIPv4, []gopacket.SerializableLayer{ip, gopacket.Payload(dg[start:end])}, label}, nil
}

// fragment6 is fragment4 over IPv6 with a fragment header (MTU 1280).
func (g *Generator) fragment6(which int) (l3, error) {
	ip := g.ipv6(layers.IPProtocolIPv6Fragment)
	dg, err := g.udpDatagram(ip, 1232+100+g.rng.IntN(2000))
	if err != nil {
		return l3{}, err
	}
	const chunk = 1232
	start := 0
	if which != 0 {
		start = chunk * (1 + g.rng.IntN((len(dg)-1)/chunk))
	}
	end := min(start+chunk, len(dg))
	fh := &layers.IPv6Fragment{
		NextHeader:     layers.IPProtocolUDP,
		FragmentOffset: uint16(start / 8),
		MoreFragments:  end < len(dg),
		Identification: g.rng.Uint32(),
	}
	label := "ipv6-frag-first"
	if which != 0 {
		label = "ipv6-frag-nonfirst"
	}
	return l3{layers.EthernetTypeIPv6, []gopacket.SerializableLayer{ip, fh, gopacket.Payload(dg[start:end])}, label}, nil
}

// hopByHop returns a hop-by-hop header holding a Router Alert, padded to 8
// bytes.
func hopByHop(next layers.IPProtocol) *layers.IPv6HopByHop {
	h := &layers.IPv6HopByHop{Options: []*layers.IPv6HopByHopOption{
		{OptionType: 5, OptionData: []byte{0, 0}}, // Router Alert: MLD
		{OptionType: 1, OptionData: []byte{}},     // PadN of 2
	}}
	h.NextHeader = next
	return h
}

// srh returns a segment routing header (RFC 8754) with two segments.
func (g *Generator) srh(next layers.IPProtocol) *layers.IPv6Routing {
	r := &layers.IPv6Routing{
		RoutingType:  4,
		SegmentsLeft: 1,
		Reserved:     []byte{1, 0, 0, 0}, // last entry 1, flags, tag
		Data:         append(slices.Clone(g.ip6Server()), g.ip6Server()...),
	}
	r.NextHeader = next
	return r
}

// link wraps an IP packet in Ethernet and the given VLAN tags (outermost
// first: the TPID that announces it and its VLAN ID).
func (g *Generator) link(p l3, tpids ...layers.EthernetType) (frame, error) {
	ls := make([]gopacket.SerializableLayer, 0, 2+len(tpids)+len(p.ls))
	et := p.ethType
	if len(tpids) > 0 {
		et = tpids[0]
	}
	ls = append(ls, g.ether(et))
	for i := range tpids {
		next := p.ethType
		if i+1 < len(tpids) {
			next = tpids[i+1]
		}
		ls = append(ls, &layers.Dot1Q{
			Priority:       uint8(g.rng.IntN(8)),
			VLANIdentifier: uint16(1 + g.rng.IntN(4094)),
			Type:           next,
		})
	}
	for _, l := range p.ls {
		if l != nil {
			ls = append(ls, l)
		}
	}
	data, err := g.serialize(ls...)
	if err != nil {
		return frame{}, fmt.Errorf("%s: %w", p.label, err)
	}
	label := p.label
	switch len(tpids) {
	case 1:
		label = "vlan-" + label
	case 2:
		label = "qinq-" + label
	}
	return frame{data: data, label: label}, nil
}
