package sim

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/hbpf/hbpf/hbpf/sim/maps"
	"github.com/hbpf/hbpf/hbpf/sim/timing"
)

// Errno values returned by helpers, negated as the kernel does.
const (
	errEINVAL = 22
	errENOENT = 2
	errEACCES = 13
	errE2BIG  = 7
)

func neg(errno int64) uint64 { return uint64(-errno) }

// Helpers lists the helpers the simulator implements (in XDP mode).
var Helpers = []asm.BuiltinFunc{
	asm.FnMapLookupElem, asm.FnMapUpdateElem, asm.FnMapDeleteElem, asm.FnKtimeGetNs, asm.FnTracePrintk,
	asm.FnGetPrandomU32, asm.FnGetSmpProcessorId, asm.FnTailCall, asm.FnRedirect, asm.FnCsumDiff,
	asm.FnXdpAdjustHead, asm.FnRedirectMap, asm.FnXdpAdjustMeta, asm.FnXdpAdjustTail, asm.FnKtimeGetBootNs,
	asm.FnRingbufOutput, asm.FnRingbufReserve, asm.FnRingbufSubmit, asm.FnRingbufDiscard,
	asm.FnXdpGetBuffLen, asm.FnXdpLoadBytes, asm.FnXdpStoreBytes, asm.FnLoop,
}

// call executes helper id. It returns false after a trap.
func (m *Machine) call(id int32) bool {
	regs := &m.regs
	a := [5]uint64{regs[1], regs[2], regs[3], regs[4], regs[5]}
	fn := asm.BuiltinFunc(id)
	var (
		ret    uint64
		n      int  // variable operand size for the latency
		probes int  // keys a hash map's chain walk compared
		walks  int  // chains an LPM trie's lookup walked
		walked = -1 // the map whose hash unit the call used
		ok     = true
		prof   = m.prof
	)
	if m.cfg.Conformance {
		if id != 5 {
			m.trap(CauseUnknownHelper, 0, 0, "helper %d: in conformance mode only helper 5 (unwind) exists", id)
			return false
		}
		// bpf_conformance's plugin convention (uBPF "unwind"): returns its
		// argument; a zero return ends the program with r0 = 0.
		ret = a[0]
		m.stop = ret == 0
		m.finishCall(id, a, ret, prof.HelperCycles(fn, 0))
		return true
	}
	switch fn {
	case asm.FnMapLookupElem:
		mp, idx, key, good := m.mapKeyArgs(fn, a)
		if !good {
			return false
		}
		n = len(key)
		if _, isProg := mp.(*maps.ProgArray); isProg {
			m.trap(CauseHelperArg, a[0], 0, "%s on prog array %s: programs cannot look up prog arrays", timing.HelperName(fn), mp.Spec().Name)
			return false
		}
		slot := mp.Lookup(key)
		probes, walks = lastProbes(mp)
		walked = idx
		if slot >= 0 {
			ret = Pointer(RegionMap0+idx, uint32(slot)*mp.Spec().ValueSize)
			if t := mp.Spec().Type; t == ebpf.ArrayOfMaps || t == ebpf.HashOfMaps {
				// A map-in-map lookup yields the inner map itself.
				inner := binary.LittleEndian.Uint32(mp.Values()[slot*4:])
				ret = 0
				if int(inner) < len(m.Maps) {
					ret = Pointer(RegionMapFD, inner)
				}
			}
		}
	case asm.FnMapUpdateElem:
		mp, idx, key, good := m.mapKeyArgs(fn, a)
		if !good {
			return false
		}
		s := mp.Spec()
		val := m.slice(a[2], uint64(s.ValueSize))
		if val == nil {
			return m.badPtr(fn, "value", a[2], uint64(s.ValueSize))
		}
		n = int(s.KeySize)
		if s.ReadOnly || s.Type == ebpf.ArrayOfMaps || s.Type == ebpf.HashOfMaps || s.Type == ebpf.ProgramArray {
			ret = neg(errEACCES) // the kernel's verifier refuses these updates from programs
		} else {
			if err := mp.Update(key, val, a[3]); err != nil {
				ret = uint64(maps.Errno(err))
			}
			probes, walks = lastProbes(mp)
			walked = idx
		}
	case asm.FnMapDeleteElem:
		mp, idx, key, good := m.mapKeyArgs(fn, a)
		if !good {
			return false
		}
		s := mp.Spec()
		n = int(s.KeySize)
		if s.ReadOnly || s.Type == ebpf.ArrayOfMaps || s.Type == ebpf.HashOfMaps {
			ret = neg(errEACCES) // as update: the kernel's verifier refuses it from programs
		} else {
			if err := mp.Delete(key); err != nil {
				ret = uint64(maps.Errno(err))
			}
			probes, walks = lastProbes(mp)
			walked = idx
		}
	case asm.FnKtimeGetNs, asm.FnKtimeGetBootNs:
		ret = uint64(float64(m.clock+m.cycles) * 1000 / m.cfg.ClockMHz)
	case asm.FnGetPrandomU32:
		// xorshift32: three shift-xor stages, as cheap in hardware as an LFSR.
		x := m.rng
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		m.rng = x
		ret = uint64(x)
	case asm.FnGetSmpProcessorId:
		ret = 0
	case asm.FnTracePrintk:
		s, good := m.printk(a)
		if !good {
			return false
		}
		n = len(s)
		ret = uint64(len(s))
	case asm.FnRedirect:
		m.redir = Redirect{Helper: "bpf_redirect", Key: uint32(a[0]), Target: uint32(a[0]), Flags: a[1], Present: true}
		ret = XDPRedirect
		if a[1] != 0 { // only BPF_F_INGRESS is defined, and not for XDP
			ret, m.redir = XDPAborted, Redirect{}
		}
	case asm.FnRedirectMap:
		mp, idx, good := m.mapArg(a[0])
		if !good {
			return m.badMap(fn, a[0])
		}
		rd, isRd := mp.(maps.Redirector)
		if !isRd {
			m.trap(CauseHelperArg, a[0], 0, "%s: map %s is a %s, not a devmap, cpumap or xskmap", timing.HelperName(fn), mp.Spec().Name, mp.Spec().Type)
			return false
		}
		n = 4
		// As __bpf_xdp_redirect_map: flags other than the fallback action
		// (the low two bits) and, for devmaps, BPF_F_BROADCAST and
		// BPF_F_EXCLUDE_INGRESS abort; a broadcast redirects whatever the key.
		const actionMask, broadcast, excludeIngress = 3, 8, 16
		allowed := uint64(actionMask)
		if t := mp.Spec().Type; t == ebpf.DevMap || t == ebpf.DevMapHash {
			allowed |= broadcast | excludeIngress
		}
		if a[2]&^allowed != 0 {
			ret = XDPAborted
		} else if t, found := rd.Target(uint32(a[1])); found || a[2]&broadcast != 0 {
			probes, _ = lastProbes(mp)
			walked = idx
			m.redir = Redirect{Helper: "bpf_redirect_map", Map: mp.Spec().Name, Key: uint32(a[1]), Target: t, Flags: a[2], Present: true}
			ret = XDPRedirect
		} else {
			probes, _ = lastProbes(mp)
			walked = idx
			ret = a[2] & actionMask // the lower bits of flags are the fallback action
		}
	case asm.FnTailCall:
		return m.tailCall(fn, a)
	case asm.FnLoop:
		switch {
		case a[3] != 0:
			ret = neg(errEINVAL)
		case a[0] > 1<<23:
			ret = neg(errE2BIG)
		case a[1]>>32 != RegionCode || m.images[m.cur].prog.At(int(uint32(a[1]))) == nil:
			m.trap(CauseHelperArg, a[1], 0, "bpf_loop: callback 0x%x is not a function of the program", a[1])
			return false
		case a[0] > 0:
			m.loop = loopReq{n: a[0], cb: int(uint32(a[1])), ctx: a[2], pending: true}
		}
	case asm.FnCsumDiff:
		// Since Linux 6.13 any sizes are accepted (no multiple-of-4 or
		// 512-byte limit): the buffers are summed in place.
		from, to := a[0], a[2]
		fs, ts := a[1], a[3]
		var fb, tb []byte
		if fs > 0 {
			if fb = m.slice(from, fs); fb == nil {
				return m.badPtr(fn, "from", from, fs)
			}
		}
		if ts > 0 {
			if tb = m.slice(to, ts); tb == nil {
				return m.badPtr(fn, "to", to, ts)
			}
		}
		n = int(fs + ts)
		ret = csumDiff(fb, tb, uint32(a[4]))
	case asm.FnXdpAdjustHead:
		meta := int(m.ctx.data - m.ctx.meta)
		if ret = m.adjustHead(int64(int32(a[1]))); ret == 0 {
			n = meta // the metadata moved with the head
		}
	case asm.FnXdpAdjustMeta:
		ret = m.adjustMeta(int64(int32(a[1])))
	case asm.FnXdpAdjustTail:
		end := m.ctx.end
		if ret = m.adjustTail(int64(int32(a[1]))); ret == 0 && m.ctx.end > end {
			n = int(m.ctx.end - end) // the bytes grown, which are cleared
		}
	case asm.FnXdpGetBuffLen:
		ret = uint64(m.ctx.end - m.ctx.data)
	case asm.FnXdpLoadBytes, asm.FnXdpStoreBytes:
		off, buf, ln := a[1], a[2], a[3]
		data := m.pkt[m.ctx.data:m.ctx.end]
		if off > uint64(len(data)) || ln > uint64(len(data))-off || ln == 0 {
			ret = neg(errEINVAL)
			break
		}
		n = int(ln)
		if fn == asm.FnXdpLoadBytes {
			b := m.wslice(buf, ln)
			if b == nil {
				return m.badPtr(fn, "buf", buf, ln)
			}
			copy(b, data[off:off+ln])
		} else {
			b := m.slice(buf, ln)
			if b == nil {
				return m.badPtr(fn, "buf", buf, ln)
			}
			copy(data[off:off+ln], b)
		}
	case asm.FnRingbufOutput, asm.FnRingbufReserve:
		mp, idx, good := m.mapArg(a[0])
		if !good {
			return m.badMap(fn, a[0])
		}
		rb, isRb := mp.(*maps.RingBuf)
		if !isRb {
			m.trap(CauseHelperArg, a[0], 0, "%s: map %s is a %s, not a ring buffer", timing.HelperName(fn), mp.Spec().Name, mp.Spec().Type)
			return false
		}
		if fn == asm.FnRingbufOutput {
			data := m.slice(a[1], a[2])
			if data == nil && a[2] > 0 {
				return m.badPtr(fn, "data", a[1], a[2])
			}
			n = len(data)
			if err := rb.Output(data, a[3]); err != nil {
				ret = uint64(maps.Errno(err))
			}
		} else if off, good := rb.Reserve(a[1], a[2]); good {
			ret = Pointer(RegionMap0+idx, uint32(off))
		}
	case asm.FnRingbufSubmit, asm.FnRingbufDiscard:
		r := int(a[0] >> 32)
		if r < RegionMap0 || r-RegionMap0 >= len(m.Maps) {
			return m.badPtr(fn, "record", a[0], 0)
		}
		rb, isRb := m.Maps[r-RegionMap0].(*maps.RingBuf)
		err := fmt.Errorf("map %d is not a ring buffer", r-RegionMap0)
		if isRb && fn == asm.FnRingbufSubmit {
			err = rb.Submit(int(uint32(a[0])))
		} else if isRb {
			err = rb.Discard(int(uint32(a[0])))
		}
		if err != nil {
			m.trap(CauseHelperArg, a[0], 0, "%s: 0x%x is not a reserved ring-buffer record", timing.HelperName(fn), a[0])
			return false
		}
	default:
		m.trap(CauseUnknownHelper, 0, 0, "helper %d (%s) is not implemented by the simulator", id, HelperName(id))
		return false
	}
	if !ok {
		return false
	}
	if m.cfg.Hot && walked >= 0 {
		m.noteWalk(walked, probes, walks)
	}
	m.finishCall(id, a, ret, prof.MapHelperCycles(fn, n, probes, walks))
	return true
}

// HashWalks counts, per map, the helper calls that walked its hash-unit
// chains (HASH, LRU, LPM, DEVMAP_HASH maps), when Config.Hot is set.
type HashWalks struct {
	Calls     uint64 // helper calls on the map
	Probes    uint64 // keys compared, in all
	MaxProbes uint64 // keys compared by one call, at most
	Walks     uint64 // LPM tries: chains walked (one per prefix length tried)
}

func (m *Machine) noteWalk(i, probes, walks int) {
	if _, ok := m.Maps[i].(maps.Prober); !ok {
		return
	}
	if m.Walks == nil {
		m.Walks = make([]HashWalks, len(m.Maps))
	}
	w := &m.Walks[i]
	w.Calls++
	w.Probes += uint64(probes)
	w.MaxProbes = max(w.MaxProbes, uint64(probes))
	w.Walks += uint64(walks)
}

// lastProbes returns the keys the hash unit compared in mp's last
// operation and the chains it walked (LPM tries), 0 for maps without bucket
// chains.
func lastProbes(mp maps.Map) (probes, walks int) {
	if w, ok := mp.(maps.Walker); ok {
		return w.LastProbes(), w.LastWalks()
	}
	if p, ok := mp.(maps.Prober); ok {
		return p.LastProbes(), 0
	}
	return 0, 0
}

// HelperName returns the kernel name of helper id ("bpf_map_lookup_elem"), or "unknown".
func HelperName(id int32) string {
	s := asm.BuiltinFunc(id).String()
	if strings.HasPrefix(s, "BuiltinFunc(") {
		return "unknown"
	}
	return timing.HelperName(asm.BuiltinFunc(id))
}

func (m *Machine) finishCall(id int32, a [5]uint64, ret uint64, latency int) {
	m.regs[0] = ret
	m.cycles += uint64(latency)
	if m.cfg.Trace != nil {
		m.rec.Helper, m.rec.Args, m.rec.Ret = id, a, ret
	}
}

// mapArg resolves a map handle (from lddw with a map fd).
func (m *Machine) mapArg(h uint64) (maps.Map, int, bool) {
	if h>>32 != RegionMapFD || uint32(h) >= uint32(len(m.Maps)) {
		return nil, 0, false
	}
	i := int(uint32(h))
	return m.Maps[i], i, true
}

// mapKeyArgs resolves the map (r1) and key (r2) arguments of the map helpers,
// trapping if either is invalid.
func (m *Machine) mapKeyArgs(fn asm.BuiltinFunc, a [5]uint64) (maps.Map, int, []byte, bool) {
	mp, idx, good := m.mapArg(a[0])
	if !good {
		return nil, 0, nil, m.badMap(fn, a[0])
	}
	ks := uint64(mp.Spec().KeySize)
	key := m.slice(a[1], ks)
	if key == nil {
		return nil, 0, nil, m.badPtr(fn, "key", a[1], ks)
	}
	return mp, idx, key, true
}

func (m *Machine) badMap(fn asm.BuiltinFunc, h uint64) bool {
	m.trap(CauseHelperArg, h, 0, "%s: argument 1 (0x%x) is not a map handle", timing.HelperName(fn), h)
	return false
}

func (m *Machine) badPtr(fn asm.BuiltinFunc, what string, addr, n uint64) bool {
	m.trap(CauseHelperArg, addr, int(n), "%s: %s pointer %s does not hold %d bytes", timing.HelperName(fn), what, m.describe(addr), n)
	return false
}

func (m *Machine) tailCall(fn asm.BuiltinFunc, a [5]uint64) bool {
	mp, _, good := m.mapArg(a[1])
	if !good {
		return m.badMap(fn, a[1])
	}
	pa, isPA := mp.(*maps.ProgArray)
	if !isPA || mp.Spec().Type != ebpf.ProgramArray {
		m.trap(CauseHelperArg, a[1], 0, "bpf_tail_call: map %s is a %s, not a prog array", mp.Spec().Name, mp.Spec().Type)
		return false
	}
	lat := m.prof.HelperCycles(fn, 0)
	prog, found := pa.ProgAt(uint32(a[2]))
	if !found || m.tails >= MaxTailCalls || prog < 0 || prog >= len(m.images) {
		// A failed tail call falls through to the next instruction.
		m.finishCall(int32(fn), a, m.regs[0], lat)
		return true
	}
	if m.depth != 0 {
		m.trap(CauseTailCall, 0, 0, "bpf_tail_call from inside a bpf-to-bpf call is not supported by the core")
		return false
	}
	m.finishCall(int32(fn), a, m.regs[0], lat)
	m.tails++
	m.cur = prog
	m.regs[1] = Pointer(RegionCtx, 0)
	m.regs[10] = Pointer(RegionStack, StackSize)
	return true
}

// adjustHead is bpf_xdp_adjust_head with the kernel's bounds.
func (m *Machine) adjustHead(delta int64) uint64 {
	metalen := int64(m.ctx.data - m.ctx.meta)
	data := int64(m.ctx.data) + delta
	if data < xdpFrameSize+metalen || data > int64(m.ctx.end)-ethHdrLen {
		return neg(errEINVAL)
	}
	if metalen > 0 {
		copy(m.pkt[int64(m.ctx.meta)+delta:], m.pkt[m.ctx.meta:m.ctx.data])
	}
	m.ctx.meta = uint32(int64(m.ctx.meta) + delta)
	m.ctx.data = uint32(data)
	m.setPacketRegion()
	return 0
}

// adjustMeta is bpf_xdp_adjust_meta with the kernel's bounds.
func (m *Machine) adjustMeta(delta int64) uint64 {
	meta := int64(m.ctx.meta) + delta
	if meta < xdpFrameSize || meta > int64(m.ctx.data) {
		return neg(errEINVAL)
	}
	metalen := int64(m.ctx.data) - meta
	if metalen > xdpMetaMax || metalen%4 != 0 {
		return neg(errEACCES)
	}
	m.ctx.meta = uint32(meta)
	m.setPacketRegion()
	return 0
}

// adjustTail is bpf_xdp_adjust_tail with the kernel's bounds.
func (m *Machine) adjustTail(delta int64) uint64 {
	end := int64(m.ctx.end) + delta
	hardEnd := int64(len(m.pkt)) - Tailroom
	if end > hardEnd || end < int64(m.ctx.data)+ethHdrLen {
		return neg(errEINVAL)
	}
	if delta > 0 {
		clear(m.pkt[m.ctx.end:end])
	}
	m.ctx.end = uint32(end)
	m.setPacketRegion()
	return 0
}

// csumDiff is bpf_csum_diff as Linux computes it since 6.13: the checksum of
// to (seeded) minus the checksum of from, with the pure push (no from) and
// pull (no to) cases computed directly, folded to 16 bits by from32to16 (not
// complemented). Sums are one's-complement sums of little-endian 64-bit words
// (a short tail zero-padded), folded to 32 bits, as x86-64's csum_partial
// (the differential tests' reference kernel) computes them.
func csumDiff(from, to []byte, seed uint32) uint64 {
	var sum uint32
	switch {
	case len(to) == 0:
		sum = ^csumPartial(from, ^seed)
	case len(from) == 0:
		sum = csumPartial(to, seed)
	default:
		sum = csumAdd32(csumPartial(to, seed), ^csumPartial(from, 0))
	}
	sum += sum>>16 | sum<<16 // from32to16
	return uint64(sum >> 16)
}

// csumPartial is the kernel's csum_partial: an end-around-carry sum of the
// little-endian 64-bit words of b (a short tail zero-padded) and sum, folded
// to 32 bits.
func csumPartial(b []byte, sum uint32) uint32 {
	acc := uint64(sum)
	for len(b) > 0 {
		var w [8]byte
		n := copy(w[:], b)
		b = b[n:]
		v := binary.LittleEndian.Uint64(w[:])
		acc += v
		if acc < v {
			acc++
		}
	}
	return csumAdd32(uint32(acc>>32), uint32(acc))
}

// csumAdd32 adds with end-around carry.
func csumAdd32(a, b uint32) uint32 {
	s := a + b
	if s < b {
		s++
	}
	return s
}

// printk formats bpf_trace_printk(fmt, fmt_size, a1, a2, a3) to the log.
func (m *Machine) printk(a [5]uint64) (string, bool) {
	f := m.slice(a[0], a[1])
	if f == nil || a[1] == 0 {
		m.badPtr(asm.FnTracePrintk, "fmt", a[0], a[1])
		return "", false
	}
	if i := strings.IndexByte(string(f), 0); i >= 0 {
		f = f[:i]
	}
	args := []uint64{a[2], a[3], a[4]}
	var b strings.Builder
	s := string(f)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(s) && strings.IndexByte("lhz", s[j]) >= 0 {
			j++
		}
		if j >= len(s) {
			b.WriteString(s[i:])
			break
		}
		long := strings.Contains(s[i+1:j], "ll") || strings.Contains(s[i+1:j], "l")
		verb := s[j]
		i = j
		if verb == '%' {
			b.WriteByte('%')
			continue
		}
		if len(args) == 0 {
			b.WriteString("?")
			continue
		}
		v := args[0]
		args = args[1:]
		if !long && verb != 'p' {
			v = uint64(uint32(v))
			if verb == 'd' || verb == 'i' {
				v = uint64(int64(int32(v)))
			}
		}
		switch verb {
		case 'd', 'i':
			fmt.Fprintf(&b, "%d", int64(v))
		case 'u':
			fmt.Fprintf(&b, "%d", v)
		case 'x':
			fmt.Fprintf(&b, "%x", v)
		case 'X':
			fmt.Fprintf(&b, "%X", v)
		case 'p':
			fmt.Fprintf(&b, "0x%x", v)
		case 'c':
			b.WriteByte(byte(v))
		case 's':
			str := m.cstring(v)
			b.WriteString(str)
		default:
			fmt.Fprintf(&b, "%%%c", verb)
		}
	}
	out := b.String()
	fmt.Fprintf(m.cfg.Log, "bpf_trace_printk: %s", out)
	if !strings.HasSuffix(out, "\n") {
		fmt.Fprintln(m.cfg.Log)
	}
	return out, true
}

func (m *Machine) cstring(addr uint64) string {
	var b []byte
	for i := uint64(0); i < 256; i++ {
		c := m.slice(addr+i, 1)
		if c == nil || c[0] == 0 {
			break
		}
		b = append(b, c[0])
	}
	return string(b)
}
