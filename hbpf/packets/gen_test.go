package packets

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func decode(p Packet) gopacket.Packet {
	return gopacket.NewPacket(p.Data, layers.LayerTypeEthernet, gopacket.Default)
}

// verifyChecksums checks every checksum gopacket knows in pkt, giving each
// transport layer the IP header that carries it.
func verifyChecksums(pkt gopacket.Packet) error {
	var nl gopacket.NetworkLayer
	for _, l := range pkt.Layers() {
		var err error
		switch l := l.(type) {
		case *layers.IPv4:
			nl = l
		case *layers.IPv6:
			nl = l
		case *layers.TCP:
			err = l.SetNetworkLayerForChecksum(nl)
		case *layers.UDP:
			err = l.SetNetworkLayerForChecksum(nl)
		case *layers.ICMPv6:
			err = l.SetNetworkLayerForChecksum(nl)
		}
		if err != nil {
			return err
		}
	}
	err, mismatches := pkt.VerifyChecksums()
	if err != nil {
		return err
	}
	for _, m := range mismatches {
		return fmt.Errorf("%v checksum 0x%04x, want 0x%04x", m.Layer.LayerType(), m.Actual, m.Correct)
	}
	return nil
}

func TestGenerateDeterministic(t *testing.T) {
	for _, set := range append(Sets(), "flows:16") {
		t.Run(set, func(t *testing.T) {
			a := mustGenerate(t, set, 400, 42)
			b := mustGenerate(t, set, 400, 42)
			c := mustGenerate(t, set, 100, 42)
			d := mustGenerate(t, set, 400, 43)
			different := 0
			for i := range a {
				if !bytes.Equal(a[i].Data, b[i].Data) || a[i].Length != b[i].Length || a[i].Label != b[i].Label || !a[i].Timestamp.Equal(b[i].Timestamp) {
					t.Fatalf("packet %d differs between runs with the same seed", i)
				}
				if i < len(c) && !bytes.Equal(a[i].Data, c[i].Data) {
					t.Fatalf("packet %d of a shorter run differs", i)
				}
				if !bytes.Equal(a[i].Data, d[i].Data) {
					different++
				}
				if a[i].Index != i {
					t.Fatalf("packet %d has index %d", i, a[i].Index)
				}
			}
			if different < len(a)/2 {
				t.Errorf("another seed changed only %d of %d packets", different, len(a))
			}
		})
	}
}

func TestGenerateErrors(t *testing.T) {
	_, err := Generate("nope", 10, 1)
	if err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("unknown set: %v", err)
	}
	for _, s := range Sets() {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not list %q", err, s)
		}
	}
	for _, bad := range []string{"flows:0", "flows:x", "mixed:3", ""} {
		if _, err := Generate(bad, 1, 1); err == nil {
			t.Errorf("set %q accepted", bad)
		}
	}
	if _, err := Generate("min", -1, 1); err == nil {
		t.Error("negative count accepted")
	}
	if p, err := Generate("min", 0, 1); err != nil || len(p) != 0 {
		t.Errorf("zero packets: %v, %v", p, err)
	}
}

func TestSetsAndDescribe(t *testing.T) {
	if got, want := Sets(), []string{"mixed", "edge", "imix", "flows", "min"}; !slices.Equal(got, want) {
		t.Errorf("Sets() = %v, want %v", got, want)
	}
	for _, s := range append(Sets(), "flows:10") {
		d, err := Describe(s)
		if err != nil || len(d) < 40 {
			t.Errorf("Describe(%q) = %q, %v", s, d, err)
		}
	}
	if _, err := Describe("nope"); err == nil {
		t.Error("Describe accepted an unknown set")
	}
}

func TestTimestampsFollowLinkRate(t *testing.T) {
	ps := mustGenerate(t, "mixed", 100, 1)
	if !ps[0].Timestamp.Equal(GenEpoch) {
		t.Errorf("first timestamp %v", ps[0].Timestamp)
	}
	for i := 1; i < len(ps); i++ {
		gap := ps[i].Timestamp.Sub(ps[i-1].Timestamp).Nanoseconds()
		want := float64(WireBytes(ps[i-1].OrigLen(), false)) * 8 / GenLinkRate * 1e9
		if math.Abs(float64(gap)-want) > 1 {
			t.Fatalf("packet %d: gap %d ns, want %.1f", i, gap, want)
		}
	}
}

func TestMixedContents(t *testing.T) {
	ps := mustGenerate(t, "mixed", 5000, 7)
	type feature struct {
		name string
		has  func(pkt gopacket.Packet, p Packet) bool
	}
	ipv4With := func(pred func(*layers.IPv4) bool) func(gopacket.Packet, Packet) bool {
		return func(pkt gopacket.Packet, _ Packet) bool {
			ip, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
			return ok && pred(ip)
		}
	}
	tcpWith := func(pred func(*layers.TCP) bool) func(gopacket.Packet, Packet) bool {
		return func(pkt gopacket.Packet, _ Packet) bool {
			tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
			return ok && pred(tcp)
		}
	}
	has := func(lt ...gopacket.LayerType) func(gopacket.Packet, Packet) bool {
		return func(pkt gopacket.Packet, _ Packet) bool {
			for _, l := range lt {
				if pkt.Layer(l) == nil {
					return false
				}
			}
			return true
		}
	}
	count := func(lt gopacket.LayerType, n int) func(gopacket.Packet, Packet) bool {
		return func(pkt gopacket.Packet, _ Packet) bool {
			c := 0
			for _, l := range pkt.Layers() {
				if l.LayerType() == lt {
					c++
				}
			}
			return c >= n
		}
	}
	features := []feature{
		{"IPv4 TCP", has(layers.LayerTypeIPv4, layers.LayerTypeTCP)},
		{"IPv6 TCP", has(layers.LayerTypeIPv6, layers.LayerTypeTCP)},
		{"IPv4 UDP", has(layers.LayerTypeIPv4, layers.LayerTypeUDP)},
		{"IPv6 UDP", has(layers.LayerTypeIPv6, layers.LayerTypeUDP)},
		{"ICMPv4", has(layers.LayerTypeICMPv4)},
		{"ICMPv6 echo", has(layers.LayerTypeICMPv6Echo)},
		{"TCP SYN with MSS, SACK, timestamps, window scale", tcpWith(func(t *layers.TCP) bool {
			return t.SYN && !t.ACK && len(t.Options) >= 5
		})},
		{"TCP SYN-ACK", tcpWith(func(t *layers.TCP) bool { return t.SYN && t.ACK })},
		{"TCP pure ACK", tcpWith(func(t *layers.TCP) bool { return t.ACK && !t.SYN && !t.FIN && !t.RST && len(t.Payload) == 0 })},
		{"TCP data with timestamps", tcpWith(func(t *layers.TCP) bool { return t.PSH && len(t.Payload) > 0 && len(t.Options) > 0 })},
		{"TCP FIN", tcpWith(func(t *layers.TCP) bool { return t.FIN })},
		{"TCP RST", tcpWith(func(t *layers.TCP) bool { return t.RST })},
		{"802.1Q", func(pkt gopacket.Packet, p Packet) bool {
			return binary.BigEndian.Uint16(p.Data[12:]) == 0x8100 && pkt.Layer(layers.LayerTypeDot1Q) != nil
		}},
		{"QinQ", func(pkt gopacket.Packet, p Packet) bool {
			return binary.BigEndian.Uint16(p.Data[12:]) == 0x88a8 && count(layers.LayerTypeDot1Q, 2)(pkt, p)
		}},
		{"IPv4 options", ipv4With(func(ip *layers.IPv4) bool { return ip.IHL > 5 && len(ip.Options) > 0 })},
		{"IPv6 hop-by-hop", has(layers.LayerTypeIPv6HopByHop)},
		{"IPv6 routing", has(layers.LayerTypeIPv6Routing)},
		{"IPv6 fragment", has(layers.LayerTypeIPv6Fragment)},
		{"IPv4 first fragment", ipv4With(func(ip *layers.IPv4) bool { return ip.Flags&layers.IPv4MoreFragments != 0 && ip.FragOffset == 0 })},
		{"IPv4 non-first fragment", ipv4With(func(ip *layers.IPv4) bool { return ip.FragOffset != 0 })},
		{"IP-in-IP", count(layers.LayerTypeIPv4, 2)},
		{"IPv6-in-IPv4", has(layers.LayerTypeIPv4, layers.LayerTypeIPv6)},
		{"ARP", has(layers.LayerTypeARP)},
		{"LLDP", has(layers.LayerTypeLinkLayerDiscovery)},
		{"unknown ethertype", func(_ gopacket.Packet, p Packet) bool {
			return binary.BigEndian.Uint16(p.Data[12:]) == etherTypeExperimental
		}},
	}
	found := make([]int, len(features))
	var sizes SizeCounter
	for _, p := range ps {
		pkt := decode(p)
		if p.Label != "ethertype-unknown" {
			if e := pkt.ErrorLayer(); e != nil {
				t.Errorf("packet %d (%s): decode: %v", p.Index, p.Label, e.Error())
			}
		}
		if err := verifyChecksums(pkt); err != nil {
			t.Errorf("packet %d (%s): %v", p.Index, p.Label, err)
		}
		if p.CapLen() < 60 || p.CapLen() > 1514+8 || p.Truncated() {
			t.Errorf("packet %d (%s): %d of %d bytes", p.Index, p.Label, p.CapLen(), p.Length)
		}
		for i, f := range features {
			if f.has(pkt, p) {
				found[i]++
			}
		}
		sizes.Add(&p)
	}
	for i, f := range features {
		if found[i] == 0 {
			t.Errorf("no %s packet in %d", f.name, len(ps))
		}
	}

	// The size mix: many minimum-size frames, some 576-byte datagrams, many
	// full-size frames.
	s := sizes.Summary()
	n := float64(s.Packets)
	if share := float64(s.Histogram[1].Count) / n; share < 0.10 {
		t.Errorf("only %.1f%% 64-byte frames", 100*share)
	}
	if share := float64(s.Histogram[6].Count) / n; share < 0.10 {
		t.Errorf("only %.1f%% frames of 1024-1518 bytes", 100*share)
	}
	c576 := 0
	for _, p := range ps {
		if pkt := decode(p); pkt.NetworkLayer() != nil {
			if ip, ok := pkt.NetworkLayer().(*layers.IPv4); ok && ip.Length == 576 {
				c576++
			}
		}
	}
	if c576 == 0 {
		t.Error("no 576-byte IPv4 datagrams")
	}
	t.Logf("mixed: mean %.0f, median %.0f bytes; histogram %+v", s.Mean, s.Median, []SizeBucket(s.Histogram))
}

func TestEdgeContents(t *testing.T) {
	labels := EdgeCases()
	ps := mustGenerate(t, "edge", 2*len(labels), 9)
	for i, p := range ps {
		if want := labels[i%len(labels)]; p.Label != want {
			t.Fatalf("packet %d: label %q, want %q", i, p.Label, want)
		}
	}
	seen := map[string]bool{}
	for _, l := range labels {
		if seen[l] {
			t.Errorf("label %q twice", l)
		}
		seen[l] = true
	}
	byLabel := map[string]Packet{}
	for _, p := range ps[:len(labels)] {
		byLabel[p.Label] = p
	}

	// Runts 0..59 are all there, with the bytes of a valid frame.
	for n := range 60 {
		p, ok := byLabel[fmt.Sprintf("runt-%d", n)]
		if !ok || len(p.Data) != n || p.Length != n {
			t.Errorf("runt-%d: %v", n, p)
		}
	}

	ipv4 := func(p Packet) []byte { return p.Data[14:] }
	ipv4Valid := func(p Packet) bool {
		ip := ipv4(p)
		n := max(int(ip[0]&0xf)*4, 20)
		return gopacket.FoldChecksum(gopacket.ComputeChecksum(ip[:n], 0)) == 0
	}
	l4ok := func(p Packet) bool { return verifyChecksums(decode(p)) == nil }
	checks := map[string]func(Packet) bool{
		"trunc-after-eth":          func(p Packet) bool { return len(p.Data) == 14 },
		"trunc-vlan-mid-tag":       func(p Packet) bool { return len(p.Data) == 16 },
		"trunc-qinq-after-tags":    func(p Packet) bool { return len(p.Data) == 22 && p.Data[12] == 0x88 },
		"trunc-ipv4-mid-options":   func(p Packet) bool { return len(p.Data) == 38 && ipv4(p)[0] == 0x48 },
		"trunc-ipv4-after-options": func(p Packet) bool { return len(p.Data) == 46 },
		"trunc-tcp-mid-options":    func(p Packet) bool { return len(p.Data) == 58 && p.Data[46]>>4 == 8 },
		"trunc-after-ipv6":         func(p Packet) bool { return len(p.Data) == 54 && p.Data[20] == 6 },
		"trunc-after-ipv6-hbh":     func(p Packet) bool { return len(p.Data) == 62 && p.Data[20] == 0 },
		"capture-snaplen-96":       func(p Packet) bool { return len(p.Data) == 96 && p.Length == 1514 && p.Truncated() },
		"ipv4-ihl-0":               func(p Packet) bool { return ipv4(p)[0] == 0x40 && ipv4Valid(p) },
		"ipv4-ihl-4":               func(p Packet) bool { return ipv4(p)[0] == 0x44 && ipv4Valid(p) },
		"ipv4-totlen-beyond-frame": func(p Packet) bool { return binary.BigEndian.Uint16(ipv4(p)[2:]) == 1500 && ipv4Valid(p) },
		"ipv4-totlen-below-udp-length": func(p Packet) bool {
			return binary.BigEndian.Uint16(ipv4(p)[2:]) == 28 && binary.BigEndian.Uint16(ipv4(p)[24:]) == 108
		},
		"ipv4-bad-checksum":     func(p Packet) bool { return !ipv4Valid(p) },
		"ipv4-options-40-bytes": func(p Packet) bool { return ipv4(p)[0] == 0x4f && l4ok(p) },
		"ipv4-frag-first": func(p Packet) bool {
			return binary.BigEndian.Uint16(ipv4(p)[6:]) == 0x2000 && ipv4Valid(p)
		},
		"ipv4-frag-middle": func(p Packet) bool {
			ff := binary.BigEndian.Uint16(ipv4(p)[6:])
			return ff&0x2000 != 0 && ff&0x1fff == 185
		},
		"ipv4-frag-last": func(p Packet) bool {
			ff := binary.BigEndian.Uint16(ipv4(p)[6:])
			return ff&0x2000 == 0 && ff&0x1fff == 370
		},
		"ipv6-frag-first":    func(p Packet) bool { return decode(p).Layer(layers.LayerTypeIPv6Fragment) != nil },
		"ipv6-frag-nonfirst": func(p Packet) bool { return p.Data[54+2]|p.Data[54+3]&^7 != 0 },
		"ipv6-ext-chain": func(p Packet) bool {
			pkt := decode(p)
			return pkt.Layer(layers.LayerTypeIPv6HopByHop) != nil && pkt.Layer(layers.LayerTypeIPv6Destination) != nil &&
				pkt.Layer(layers.LayerTypeIPv6Routing) != nil && pkt.Layer(layers.LayerTypeIPv6Fragment) != nil
		},
		"udp-zero-payload":   func(p Packet) bool { return binary.BigEndian.Uint16(p.Data[38:]) == 8 && len(p.Data) == 60 && l4ok(p) },
		"udp-length-zero":    func(p Packet) bool { return binary.BigEndian.Uint16(p.Data[38:]) == 0 },
		"udp4-checksum-zero": func(p Packet) bool { return binary.BigEndian.Uint16(p.Data[40:]) == 0 },
		"udp4-bad-checksum":  func(p Packet) bool { return !l4ok(p) },
		"udp-ports-zero":     func(p Packet) bool { return binary.BigEndian.Uint32(p.Data[34:]) == 0 && l4ok(p) },
		"tcp-doff-4":         func(p Packet) bool { return p.Data[46] == 0x40 },
		"tcp-option-length-0": func(p Packet) bool {
			return p.Data[54] == 2 && p.Data[55] == 0
		},
		"tcp-flags-xmas":     func(p Packet) bool { return p.Data[47] == 0x29 && l4ok(p) },
		"tcp4-bad-checksum":  func(p Packet) bool { return !l4ok(p) },
		"icmp4-bad-checksum": func(p Packet) bool { return !l4ok(p) },
		"icmp4-unreachable-quoting-udp": func(p Packet) bool {
			return p.Data[34] == 3 && p.Data[35] == 3 && l4ok(p)
		},
		"vlan-triple":      func(p Packet) bool { return len(decode(p).Layers()) >= 6 && p.Data[12] == 0x88 },
		"vlan-max-1518":    func(p Packet) bool { return len(p.Data) == 1518 },
		"eth-8023-llc-stp": func(p Packet) bool { return binary.BigEndian.Uint16(p.Data[12:]) < 0x0600 },
		"max-1514-udp4":    func(p Packet) bool { return len(p.Data) == 1514 && l4ok(p) },
		"max-1514-tcp6":    func(p Packet) bool { return len(p.Data) == 1514 && l4ok(p) },
		"oversize-1515":    func(p Packet) bool { return len(p.Data) == 1515 },
		"jumbo-9014":       func(p Packet) bool { return len(p.Data) == 9014 && l4ok(p) },
		"vxlan-ipv4":       func(p Packet) bool { return decode(p).Layer(layers.LayerTypeVXLAN) != nil && l4ok(p) },
		"gre-ipv4":         func(p Packet) bool { return decode(p).Layer(layers.LayerTypeGRE) != nil && l4ok(p) },
		"mpls-ipv4":        func(p Packet) bool { return decode(p).Layer(layers.LayerTypeMPLS) != nil && l4ok(p) },
	}
	for label, check := range checks {
		p, ok := byLabel[label]
		if !ok {
			t.Errorf("no %q packet", label)
			continue
		}
		if !check(p) {
			t.Errorf("%s: check failed: % x", label, p.Data[:min(len(p.Data), 64)])
		}
	}
	// Frames that break nothing on purpose carry valid checksums.
	for _, label := range []string{"ipv4-in-ipv4", "ipv6-in-ipv6", "ipv6-hop-by-hop", "ipv6-frag-atomic", "tcp6-with-options",
		"icmp4-echo", "icmp6-echo-multicast", "vlan-qinq", "ipv4-dst-multicast", "tcp-syn-with-data"} {
		if err := verifyChecksums(decode(byLabel[label])); err != nil {
			t.Errorf("%s: %v", label, err)
		}
	}
}

// fiveTuple returns a packet's protocol, addresses and ports.
func fiveTuple(t *testing.T, p Packet) string {
	t.Helper()
	pkt := decode(p)
	nl, tl := pkt.NetworkLayer(), pkt.TransportLayer()
	if nl == nil || tl == nil {
		t.Fatalf("packet %d (%s): no network or transport layer", p.Index, p.Label)
	}
	return fmt.Sprint(tl.LayerType(), nl.NetworkFlow(), tl.TransportFlow())
}

func TestIMIX(t *testing.T) {
	ps := mustGenerate(t, "imix", 1200, 11)
	counts := map[int]int{}
	tuples := map[string]bool{}
	for _, p := range ps {
		counts[len(p.Data)]++
		pkt := decode(p)
		if pkt.Layer(layers.LayerTypeIPv4) == nil || pkt.Layer(layers.LayerTypeUDP) == nil {
			t.Fatalf("packet %d is not UDP/IPv4", p.Index)
		}
		if err := verifyChecksums(pkt); err != nil {
			t.Fatalf("packet %d: %v", p.Index, err)
		}
		tuples[fiveTuple(t, p)] = true
	}
	if want := map[int]int{60: 700, 566: 400, 1514: 100}; !mapsEqual(counts, want) {
		t.Errorf("frame lengths %v, want %v", counts, want)
	}
	if len(tuples) < 1100 {
		t.Errorf("only %d distinct 5-tuples", len(tuples))
	}
	// Simple IMIX averages 353.83 bytes per frame with the FCS.
	if s := SummarizeSizes(ps); math.Abs(s.Mean+FCSLen-353.83) > 0.01 {
		t.Errorf("mean frame %.2f bytes, want 353.83 with FCS", s.Mean+FCSLen)
	}
}

func mapsEqual(a, b map[int]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestMin(t *testing.T) {
	tuples := map[string]bool{}
	for _, p := range mustGenerate(t, "min", 500, 12) {
		if len(p.Data) != 60 {
			t.Fatalf("packet %d: %d bytes", p.Index, len(p.Data))
		}
		if err := verifyChecksums(decode(p)); err != nil {
			t.Fatalf("packet %d: %v", p.Index, err)
		}
		tuples[fiveTuple(t, p)] = true
	}
	if len(tuples) < 450 {
		t.Errorf("only %d distinct 5-tuples", len(tuples))
	}
}

func TestFlows(t *testing.T) {
	const flows = 64
	ps := mustGenerate(t, fmt.Sprintf("flows:%d", flows), 20000, 13)
	count := map[string]int{}
	first := map[string]Packet{}
	v6, udp := 0, 0
	for _, p := range ps {
		pkt := decode(p)
		if err := verifyChecksums(pkt); err != nil {
			t.Fatalf("packet %d: %v", p.Index, err)
		}
		k := fiveTuple(t, p)
		if _, ok := first[k]; !ok {
			first[k] = p
			if pkt.Layer(layers.LayerTypeIPv6) != nil {
				v6++
			}
			if pkt.Layer(layers.LayerTypeUDP) != nil {
				udp++
			}
		}
		count[k]++
	}
	if len(count) > flows || len(count) < flows-4 {
		t.Errorf("%d distinct 5-tuples, want about %d", len(count), flows)
	}
	if v6 == 0 || udp == 0 {
		t.Errorf("flows: %d IPv6, %d UDP", v6, udp)
	}
	for k, p := range first {
		if tcp, ok := decode(p).Layer(layers.LayerTypeTCP).(*layers.TCP); ok && !tcp.SYN {
			t.Errorf("flow %s starts without a SYN", k)
		}
	}
	// Zipf popularity: the top flow dwarfs the median one.
	var c []int
	for _, n := range count {
		c = append(c, n)
	}
	slices.Sort(c)
	top, median := c[len(c)-1], c[len(c)/2]
	if top < 8*median {
		t.Errorf("top flow has %d packets, median %d: not skewed", top, median)
	}
	if _, err := Generate("flows", 10, 1); err != nil {
		t.Error(err)
	}
}

func TestPacketHelpers(t *testing.T) {
	p := Packet{Index: 3, Data: []byte{1, 2, 3}, Length: 10, Label: "x"}
	if p.CapLen() != 3 || p.OrigLen() != 10 || !p.Truncated() {
		t.Errorf("helpers on %v", p)
	}
	if s := p.String(); s != "packet 3: 3 bytes of 10 (x)" {
		t.Errorf("String() = %q", s)
	}
	c := p.Clone()
	c.Data[0] = 9
	if p.Data[0] != 1 {
		t.Error("Clone shares data")
	}
	if (&Packet{Data: []byte{1}}).OrigLen() != 1 {
		t.Error("OrigLen of a packet without Length")
	}
	if FormatPcap.String() != "pcap" || FormatPcapNG.String() != "pcapng" || Format(7).String() != "Format(7)" {
		t.Error("Format.String")
	}
}
