package packets

import (
	"fmt"
	"math/rand/v2"
	"net"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// --- mixed ---

type template struct {
	weight int // per mille
	make   func(g *Generator) (frame, error)
}

func tcpTemplate(v6 bool, kinds ...tcpKind) func(*Generator) (frame, error) {
	return func(g *Generator) (frame, error) {
		return g.link(g.tcpStack(v6, kinds[g.rng.IntN(len(kinds))], g.ipSize()))
	}
}

// mixedTemplates are the "mixed" set's packet kinds and their shares.
var mixedTemplates = []template{
	{50, tcpTemplate(false, tcpSYN)},
	{30, tcpTemplate(false, tcpSYNACK)},
	{200, tcpTemplate(false, tcpACK)},
	{150, tcpTemplate(false, tcpData)},
	{20, tcpTemplate(false, tcpFIN, tcpRST)},
	{150, func(g *Generator) (frame, error) { return g.link(g.udpStack(false, g.ipSize())) }},
	{30, func(g *Generator) (frame, error) { return g.link(g.icmpStack(false, g.ipSize())) }},
	{110, tcpTemplate(true, tcpSYN, tcpACK, tcpACK, tcpACK, tcpACK, tcpData, tcpData, tcpData, tcpData, tcpData, tcpData)},
	{60, func(g *Generator) (frame, error) { return g.link(g.udpStack(true, g.ipSize())) }},
	{20, func(g *Generator) (frame, error) { return g.link(g.icmpStack(true, g.ipSize())) }},
	{50, func(g *Generator) (frame, error) {
		return g.link(g.transport(g.rng.IntN(5) == 0, g.ipSize()), layers.EthernetTypeDot1Q)
	}},
	{20, func(g *Generator) (frame, error) {
		return g.link(g.transport(g.rng.IntN(5) == 0, g.ipSize()), layers.EthernetTypeQinQ, layers.EthernetTypeDot1Q)
	}},
	{20, (*Generator).mixedIPv4Options},
	{10, (*Generator).mixedHopByHop},
	{5, (*Generator).mixedSRH},
	{10, func(g *Generator) (frame, error) { return g.linkOrErr(g.fragment4(g.rng.IntN(2))) }},
	{10, func(g *Generator) (frame, error) { return g.linkOrErr(g.fragment6(g.rng.IntN(2))) }},
	{15, func(g *Generator) (frame, error) { return g.link(g.tunnel(false, g.ipSize())) }},
	{10, func(g *Generator) (frame, error) { return g.link(g.tunnel(true, g.ipSize())) }},
	{20, (*Generator).arp},
	{5, (*Generator).lldp},
	{5, (*Generator).unknownEtherType},
}

func (g *Generator) linkOrErr(p l3, err error) (frame, error) {
	if err != nil {
		return frame{}, err
	}
	return g.link(p)
}

func (g *Generator) initMixed(int) error {
	total := 0
	for _, t := range mixedTemplates {
		total += t.weight
	}
	g.next = func() (frame, error) {
		x := g.rng.IntN(total)
		for _, t := range mixedTemplates {
			if x < t.weight {
				return t.make(g)
			}
			x -= t.weight
		}
		panic("unreachable")
	}
	return nil
}

func (g *Generator) mixedIPv4Options() (frame, error) {
	opts, n := g.ipv4Options()
	p := g.transport(false, max(0, g.ipSize()-n))
	p.ls[0].(*layers.IPv4).Options = opts
	p.label = "ipv4opt-" + p.label
	return g.link(p)
}

func (g *Generator) mixedHopByHop() (frame, error) {
	p := g.transport(true, max(0, g.ipSize()-8))
	ip := p.ls[0].(*layers.IPv6)
	ip.HopByHop = hopByHop(ip.NextHeader)
	p.label = "ipv6hbh-" + p.label
	return g.link(p)
}

// mixedSRH adds a segment routing header whose segments left is 0, so that the
// destination address is the final one and the transport checksum is the same
// whichever rule a verifier applies.
func (g *Generator) mixedSRH() (frame, error) {
	p := g.transport(true, max(0, g.ipSize()-40))
	ip := p.ls[0].(*layers.IPv6)
	r := g.srh(ip.NextHeader)
	r.SegmentsLeft = 0
	copy(r.Data, ip.DstIP)
	ip.NextHeader = layers.IPProtocolIPv6Routing
	p.ls = append([]gopacket.SerializableLayer{ip, r}, p.ls[1:]...)
	p.label = "ipv6srh-" + p.label
	return g.link(p)
}

// tunnel returns IPv4-in-IPv4 (protocol 4) or IPv6-in-IPv4 (protocol 41).
func (g *Generator) tunnel(inner6 bool, ipLen int) l3 {
	proto, label := layers.IPProtocolIPv4, "ipip-"
	if inner6 {
		proto, label = layers.IPProtocolIPv6, "6in4-"
	}
	outer := g.ipv4(proto)
	outer.Flags = layers.IPv4DontFragment
	p := g.transport(inner6, max(0, ipLen-ipv4HdrLen))
	return l3{layers.EthernetTypeIPv4, append([]gopacket.SerializableLayer{outer}, p.ls...), label + p.label}
}

func (g *Generator) arp() (frame, error) {
	src := g.mac()
	a := &layers.ARP{
		AddrType:          layers.LinkTypeEthernet,
		Protocol:          layers.EthernetTypeIPv4,
		HwAddressSize:     6,
		ProtAddressSize:   4,
		Operation:         layers.ARPRequest,
		SourceHwAddress:   src,
		SourceProtAddress: g.ip4Client(),
		DstHwAddress:      make(net.HardwareAddr, 6),
		DstProtAddress:    g.ip4Client(),
	}
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeARP}
	label := "arp-request"
	if g.rng.IntN(2) == 0 {
		a.Operation = layers.ARPReply
		a.DstHwAddress = g.mac()
		eth.DstMAC = a.DstHwAddress
		label = "arp-reply"
	}
	data, err := g.serialize(eth, a)
	return frame{data: data, label: label}, err
}

var lldpMulticast = net.HardwareAddr{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e}

func (g *Generator) lldp() (frame, error) {
	src := g.mac()
	l := &layers.LinkLayerDiscovery{
		ChassisID: layers.LLDPChassisID{Subtype: layers.LLDPChassisIDSubTypeMACAddr, ID: src},
		PortID:    layers.LLDPPortID{Subtype: layers.LLDPPortIDSubtypeIfaceName, ID: fmt.Appendf(nil, "eth%d", g.rng.IntN(48))},
		TTL:       120,
	}
	data, err := g.serialize(&layers.Ethernet{SrcMAC: src, DstMAC: lldpMulticast, EthernetType: layers.EthernetTypeLinkLayerDiscovery}, l)
	return frame{data: data, label: "lldp"}, err
}

// etherTypeExperimental is the IEEE 802 local experimental ethertype, which
// no parser knows.
const etherTypeExperimental = 0x88b5

func (g *Generator) unknownEtherType() (frame, error) {
	data, err := g.serialize(g.ether(etherTypeExperimental), g.payload(46+g.rng.IntN(200)))
	return frame{data: data, label: "ethertype-unknown"}, err
}

// --- imix and min ---

// Simple IMIX frame lengths as captured: 64, 570 and 1518 bytes less the FCS.
const (
	imixSmall  = 64 - FCSLen
	imixMedium = 570 - FCSLen
	imixLarge  = 1518 - FCSLen
)

var imixBlock = []int{
	imixSmall, imixSmall, imixSmall, imixSmall, imixSmall, imixSmall, imixSmall,
	imixMedium, imixMedium, imixMedium, imixMedium,
	imixLarge,
}

func (g *Generator) initIMIX(int) error {
	g.next = func() (frame, error) {
		if len(g.block) == 0 {
			g.block = append(g.block[:0], imixBlock...)
			g.rng.Shuffle(len(g.block), func(i, j int) { g.block[i], g.block[j] = g.block[j], g.block[i] })
		}
		n := g.block[0]
		g.block = g.block[1:]
		return g.udp4Frame(n, fmt.Sprintf("imix-%d", n+FCSLen))
	}
	return nil
}

func (g *Generator) initMin(int) error {
	g.next = func() (frame, error) { return g.udp4Frame(imixSmall, "min-64") }
	return nil
}

// udp4Frame returns a UDP/IPv4 frame of frameLen bytes (at least 42) with a
// random 5-tuple.
func (g *Generator) udp4Frame(frameLen int, label string) (frame, error) {
	p := g.udpStack(false, 0)
	p.ls[2] = g.payload(frameLen - ethHdrLen - ipv4HdrLen - udpHdrLen)
	f, err := g.link(p)
	f.label = label
	return f, err
}

// --- flows ---

type flow struct {
	v6, tcp      bool
	srcMAC       net.HardwareAddr
	dstMAC       net.HardwareAddr
	src, dst     net.IP
	sport, dport uint16
	started      bool
	seq, ack     uint32
}

func (g *Generator) initFlows(n int) error {
	if n == 0 {
		n = DefaultFlows
	}
	g.flows = make([]flow, n)
	seen := make(map[string]bool, n)
	for i := range g.flows {
		for {
			f := flow{v6: g.rng.IntN(10) == 0, tcp: g.rng.IntN(10) < 7, srcMAC: g.mac(), dstMAC: g.mac()}
			if f.v6 {
				f.src, f.dst = g.ip6Client(), g.ip6Server()
			} else {
				f.src, f.dst = g.ip4Client(), g.ip4Server()
			}
			f.sport = g.ephemeral()
			if f.tcp {
				f.dport = uint16(serverPorts[g.rng.IntN(len(serverPorts))])
			} else {
				f.dport = uint16(udpServerPorts[g.rng.IntN(len(udpServerPorts))])
			}
			f.seq, f.ack = g.rng.Uint32(), g.rng.Uint32()
			key := fmt.Sprint(f.tcp, f.src, f.dst, f.sport, f.dport)
			if !seen[key] {
				seen[key] = true
				g.flows[i] = f
				break
			}
		}
	}
	// Popularity rank r belongs to flow perm[r], so that popular flows are
	// spread over the flow table rather than being its first entries.
	perm := g.rng.Perm(n)
	g.zipf = rand.NewZipf(g.rng, FlowsZipfS, 1, uint64(n-1))
	g.next = func() (frame, error) {
		k := perm[g.zipf.Uint64()]
		return g.flowPacket(k)
	}
	return nil
}

func (g *Generator) flowPacket(k int) (frame, error) {
	f := &g.flows[k]
	size := imixBlock[g.rng.IntN(len(imixBlock))]
	eth := &layers.Ethernet{SrcMAC: f.srcMAC, DstMAC: f.dstMAC}
	var ip gopacket.NetworkLayer
	var ipl gopacket.SerializableLayer
	hdr := ethHdrLen
	proto := layers.IPProtocolUDP
	if f.tcp {
		proto = layers.IPProtocolTCP
	}
	if f.v6 {
		ip6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: f.src, DstIP: f.dst}
		ip, ipl, eth.EthernetType = ip6, ip6, layers.EthernetTypeIPv6
		hdr += ipv6HdrLen
	} else {
		ip4 := &layers.IPv4{Version: 4, TTL: 64, Flags: layers.IPv4DontFragment, Id: uint16(g.rng.Uint32()),
			Protocol: proto, SrcIP: f.src, DstIP: f.dst}
		ip, ipl, eth.EthernetType = ip4, ip4, layers.EthernetTypeIPv4
		hdr += ipv4HdrLen
	}
	var l4 gopacket.SerializableLayer
	n := 0
	if f.tcp {
		t := &layers.TCP{SrcPort: layers.TCPPort(f.sport), DstPort: layers.TCPPort(f.dport),
			Seq: f.seq, Ack: f.ack, Window: 502, Options: []layers.TCPOption{tcpNOP, tcpNOP, g.tsOption()}}
		if !f.started {
			t.SYN, t.Ack, t.Window = true, 0, 64240
			f.seq++
		} else {
			t.ACK, t.PSH = true, true
			n = max(0, size-hdr-tcpHdrLen-12)
			f.seq += uint32(n)
		}
		if err := t.SetNetworkLayerForChecksum(ip); err != nil {
			return frame{}, err
		}
		l4 = t
	} else {
		u := &layers.UDP{SrcPort: layers.UDPPort(f.sport), DstPort: layers.UDPPort(f.dport)}
		if err := u.SetNetworkLayerForChecksum(ip); err != nil {
			return frame{}, err
		}
		n = max(0, size-hdr-udpHdrLen)
		l4 = u
	}
	f.started = true
	data, err := g.serialize(eth, ipl, l4, g.payload(n))
	return frame{data: data, label: fmt.Sprintf("flow-%d", k)}, err
}
