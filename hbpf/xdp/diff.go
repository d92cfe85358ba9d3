package xdp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/packets"
	"github.com/hbpf/hbpf/hbpf/sim"
	"github.com/hbpf/hbpf/hbpf/sim/maps"
)

// Mask names bytes of a map's values (or of a ring buffer's records) whose
// contents legitimately differ between the simulator and the kernel (a
// bpf_ktime_get_ns timestamp, a bpf_get_prandom_u32 draw). A differential
// comparison zeroes them on both sides before comparing.
type Mask struct {
	Map    string // map name
	Offset int    // first masked byte of each value
	Len    int    // number of masked bytes
	Reason string // why the bytes differ
}

// Differ runs one XDP program in the simulator and in the kernel side by side
// and compares, packet after packet, the action, the packet bytes (and
// metadata) and the contents of every map.
//
// Per-CPU maps are compared with the kernel's values of the CPU the runs are
// pinned to (Kernel.CPU); the simulator is one CPU. Ring buffers are compared
// record by record, as each packet commits them. The contents of prog arrays
// and maps of maps (kernel ids) are not compared.
type Differ struct {
	Sim    *Sim
	Kernel *Kernel
	Obj    *isa.Object
	Prog   int    // index of the program in Obj
	Masks  []Mask // value bytes not compared

	// Counters, updated by Packet.
	Compared int            // packets run and compared
	Skipped  int            // packets not comparable (see ErrNotComparable)
	Actions  map[string]int // kernel action of every packet compared
}

// NewDiffer loads program name (or the first XDP program) of obj into the
// simulator and the kernel. It fails with ErrKernelUnavailable (wrapped) when
// the kernel cannot run BPF programs here.
func NewDiffer(obj *isa.Object, name string, cfg sim.Config) (*Differ, error) {
	idx, err := SelectProgram(obj, name)
	if err != nil {
		return nil, err
	}
	s, err := NewSim(obj, name, cfg)
	if err != nil {
		return nil, err
	}
	k, err := NewKernel(obj, name)
	if err != nil {
		return nil, err
	}
	return &Differ{Sim: s, Kernel: k, Obj: obj, Prog: idx}, nil
}

// Close releases the kernel objects.
func (d *Differ) Close() { d.Kernel.Close() }

// Divergence is one disagreement between the simulator and the kernel.
type Divergence struct {
	Prog        *isa.Program
	Packet      packets.Packet
	What        string // "action", "data", "meta", "trap", "error", "ringbuf" or "maps"
	Detail      string // the first difference, in words
	Sim, Kernel PacketResult
	// SimMaps and KernelMaps hold the (masked) map contents after the
	// packet.
	SimMaps, KernelMaps maps.Contents
}

// Error returns a one-line summary.
func (v *Divergence) Error() string {
	return fmt.Sprintf("program %s, packet %d (%d bytes): %s differs: %s", v.Prog.Name, v.Packet.Index, len(v.Packet.Data), v.What, v.Detail)
}

// Report writes everything needed to reproduce the divergence: the program's
// disassembly, the packet, both results and, for maps, both contents.
func (v *Divergence) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "DIVERGENCE: %s\n", v.Error())
	fmt.Fprintf(&b, "program %s (%d slots):\n", v.Prog.Name, v.Prog.NumSlots())
	b.WriteString(indent(isa.DisassembleString(v.Prog, &isa.DisasmOptions{Labels: true, Slots: true})))
	fmt.Fprintf(&b, "packet %d (%d bytes): %s\n", v.Packet.Index, len(v.Packet.Data), hexHead(v.Packet.Data))
	fmt.Fprintf(&b, "simulator: %s\n", resultLine(&v.Sim))
	fmt.Fprintf(&b, "kernel:    %s\n", resultLine(&v.Kernel))
	if len(v.SimMaps) > 0 || len(v.KernelMaps) > 0 {
		sm, _ := v.SimMaps.MarshalJSON()
		km, _ := v.KernelMaps.MarshalJSON()
		fmt.Fprintf(&b, "simulator maps: %s\nkernel maps:    %s\n", sm, km)
	}
	return b.String()
}

// reportBytes bounds the packet bytes a report prints.
const reportBytes = 2048

func hexHead(b []byte) string {
	if len(b) <= reportBytes {
		return hex.EncodeToString(b)
	}
	return fmt.Sprintf("%s... (%d more bytes)", hex.EncodeToString(b[:reportBytes]), len(b)-reportBytes)
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString("    " + l)
		}
	}
	if !strings.HasSuffix(b.String(), "\n") {
		b.WriteByte('\n')
	}
	return b.String()
}

func resultLine(r *PacketResult) string {
	data := r.Data
	if len(data) > 2*reportBytes {
		data = fmt.Sprintf("%s... (%d more bytes)", data[:2*reportBytes], (len(data)-2*reportBytes)/2)
	}
	s := fmt.Sprintf("%s retval=%d data=%s", r.Action, r.Retval, data)
	if r.Meta != "" {
		s += " meta=" + r.Meta
	}
	if r.Fault != nil {
		s += fmt.Sprintf(" fault=%s at pc %d: %s", r.Fault.Cause, r.Fault.PC, r.Fault.Detail)
	}
	if r.Error != "" {
		s += " error=" + r.Error
	}
	return s
}

// KernelLinearMax is the largest packet BPF_PROG_TEST_RUN presents linearly,
// between data and data_end: a page less the headroom and the room for
// skb_shared_info. The kernel puts the bytes of a longer test packet into
// fragments (multi-buffer XDP), which the simulator does not model: it
// presents every packet linearly, as the hbpf core receives it.
const KernelLinearMax = 4096 - sim.Headroom - sim.Tailroom

// ErrNotComparable is returned (wrapped) by Differ.Packet for a packet the
// simulator and the kernel cannot be compared on; nothing was run.
var ErrNotComparable = errors.New("not comparable")

// Packet runs p in both, compares the results and then the maps, and returns
// the first divergence, or nil. An error means the comparison itself failed
// (a kernel map could not be dumped) or, wrapping ErrNotComparable, that the
// packet was not run (longer than KernelLinearMax).
func (d *Differ) Packet(p *packets.Packet) (*Divergence, error) {
	if len(p.Data) > KernelLinearMax {
		d.Skipped++
		return nil, fmt.Errorf("packet %d: %d bytes, more than the %d the kernel's test run presents linearly (it puts the rest into fragments, which the simulator does not model): %w",
			p.Index, len(p.Data), KernelLinearMax, ErrNotComparable)
	}
	sr := d.Sim.Run(p)
	kr := d.Kernel.Run(p)
	d.Compared++
	if d.Actions == nil {
		d.Actions = map[string]int{}
	}
	d.Actions[kr.Action]++
	v := &Divergence{Prog: d.Obj.Programs[d.Prog], Packet: *p, Sim: sr, Kernel: kr}
	if d.Kernel.ringErr != nil {
		return nil, d.Kernel.ringErr
	}
	what, detail := compareResults(&sr, &kr)
	if what == "" {
		what, detail = compareRings(sr.Ringbuf, kr.Ringbuf, d.Masks)
	}
	sm, km, err := d.Maps()
	if err != nil {
		return nil, err
	}
	if what == "" {
		if detail = CompareContents(sm, km); detail != "" {
			what = "maps"
		}
	}
	if what == "" {
		return nil, nil
	}
	v.What, v.Detail, v.SimMaps, v.KernelMaps = what, detail, sm, km
	return v, nil
}

// Trace compares the packets of seq, in order, until the first divergence,
// which it returns (nil if there is none). Packets that cannot be compared
// (ErrNotComparable) are counted in Skipped and passed over; other errors,
// including seq's, end the trace.
func (d *Differ) Trace(seq iter.Seq2[packets.Packet, error]) (*Divergence, error) {
	for p, err := range seq {
		if err != nil {
			return nil, err
		}
		v, err := d.Packet(&p)
		if errors.Is(err, ErrNotComparable) {
			continue
		}
		if v != nil || err != nil {
			return v, err
		}
	}
	return nil, nil
}

// compareResults returns what differs between a simulator and a kernel
// record, or "".
func compareResults(s, k *PacketResult) (what, detail string) {
	switch {
	case k.Error != "" && s.Error != "":
		return "", "" // both refused the packet (a runt)
	case k.Error != "":
		return "error", "the kernel could not run the packet: " + k.Error
	case s.Error != "":
		return "error", "the simulator did not run the packet: " + s.Error
	case s.Fault != nil:
		return "trap", fmt.Sprintf("the simulator trapped (%s at pc %d: %s), the kernel returned %s", s.Fault.Cause, s.Fault.PC, s.Fault.Detail, k.Action)
	case uint32(s.Retval) != uint32(k.Retval):
		// BPF_PROG_TEST_RUN reports the low 32 bits of r0.
		return "action", fmt.Sprintf("simulator r0 = %d (%s), kernel %d (%s)", uint32(s.Retval), s.Action, k.Retval, k.Action)
	case s.Data != k.Data:
		return "data", describeBytes(s.Data, k.Data)
	case s.Meta != k.Meta:
		return "meta", describeBytes(s.Meta, k.Meta)
	}
	return "", ""
}

// compareRings compares the ring-buffer records of a packet, masked.
func compareRings(sim, kernel map[string][]string, masks []Mask) (what, detail string) {
	names := make([]string, 0, len(sim)+len(kernel))
	for n := range sim {
		names = append(names, n)
	}
	for n := range kernel {
		if _, ok := sim[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		s, k := sim[n], kernel[n]
		if len(s) != len(k) {
			return "ringbuf", fmt.Sprintf("ring buffer %s: simulator %d records, kernel %d", n, len(s), len(k))
		}
		for i := range s {
			a, _ := hex.DecodeString(s[i])
			b, _ := hex.DecodeString(k[i])
			for _, m := range masks {
				if m.Map == n {
					maskBytes(a, m)
					maskBytes(b, m)
				}
			}
			if !bytes.Equal(a, b) {
				return "ringbuf", fmt.Sprintf("ring buffer %s, record %d: %s", n, i, describeBytes(hex.EncodeToString(a), hex.EncodeToString(b)))
			}
		}
	}
	return "", ""
}

// maskBytes zeroes the bytes of v that m covers.
func maskBytes(v []byte, m Mask) {
	lo, hi := min(max(m.Offset, 0), len(v)), min(max(m.Offset+m.Len, 0), len(v))
	clear(v[lo:hi])
}

// describeBytes names the first differing byte of two hex strings.
func describeBytes(a, b string) string {
	x, _ := hex.DecodeString(a)
	y, _ := hex.DecodeString(b)
	if len(x) != len(y) {
		return fmt.Sprintf("simulator %d bytes, kernel %d bytes", len(x), len(y))
	}
	for i := range x {
		if x[i] != y[i] {
			return fmt.Sprintf("byte %d: simulator 0x%02x, kernel 0x%02x", i, x[i], y[i])
		}
	}
	return "equal bytes" // unreachable for different strings of equal length
}

// Maps returns the masked contents of the maps both sides can dump.
func (d *Differ) Maps() (simMaps, kernelMaps maps.Contents, err error) {
	km, err := d.Kernel.Snapshot()
	if err != nil {
		return nil, nil, err
	}
	sm := maps.Snapshot(d.Sim.M.Maps)
	for _, s := range d.Obj.Maps {
		if !Comparable(s) {
			delete(sm, s.Name)
			delete(km, s.Name)
		}
	}
	return ApplyMasks(sm, d.Masks), ApplyMasks(km, d.Masks), nil
}

// Comparable reports whether a map's contents can be compared between the
// simulator and the kernel: not for prog arrays and maps of maps, whose
// kernel values are program and map ids (the simulator's are indices in the
// object). Ring buffers are not dumped either; their records are compared
// per packet instead.
func Comparable(s *isa.MapSpec) bool {
	switch s.Type {
	case ebpf.ProgramArray, ebpf.ArrayOfMaps, ebpf.HashOfMaps, ebpf.RingBuf:
		return false
	}
	return true
}

// NotCompared lists the maps of specs whose contents are not compared, each
// with the reason.
func NotCompared(specs []*isa.MapSpec) []string {
	var out []string
	for _, s := range specs {
		if !Comparable(s) && s.Type != ebpf.RingBuf {
			out = append(out, fmt.Sprintf("%s (%s: its values are kernel ids, the simulator's object indices)", s.Name, s.Type))
		}
	}
	return out
}

// ApplyMasks returns a copy of c with the masked value bytes zeroed.
func ApplyMasks(c maps.Contents, masks []Mask) maps.Contents {
	out := make(maps.Contents, len(c))
	for name, kvs := range c {
		var ms []Mask
		for _, m := range masks {
			if m.Map == name {
				ms = append(ms, m)
			}
		}
		if len(ms) == 0 {
			out[name] = kvs
			continue
		}
		cp := make([]isa.MapKV, len(kvs))
		for i, kv := range kvs {
			v := bytes.Clone(kv.Value)
			for _, m := range ms {
				maskBytes(v, m)
			}
			cp[i] = isa.MapKV{Key: kv.Key, Value: v}
		}
		out[name] = cp
	}
	return out
}

// CompareContents describes the first difference between two map dumps, or
// returns "" if they are equal. Entries must be in the same (sorted) order,
// as maps.Snapshot and Kernel.Snapshot produce them.
func CompareContents(sim, kernel maps.Contents) string {
	names := make([]string, 0, len(sim)+len(kernel))
	for n := range sim {
		names = append(names, n)
	}
	for n := range kernel {
		if _, ok := sim[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		s, sok := sim[n]
		k, kok := kernel[n]
		switch {
		case !sok:
			return fmt.Sprintf("map %s: only the kernel has it", n)
		case !kok:
			return fmt.Sprintf("map %s: the kernel could not dump it", n)
		}
		for i := 0; i < max(len(s), len(k)); i++ {
			switch {
			case i >= len(s):
				return fmt.Sprintf("map %s: the kernel has an extra entry, key %x value %x", n, k[i].Key, k[i].Value)
			case i >= len(k):
				return fmt.Sprintf("map %s: the simulator has an extra entry, key %x value %x", n, s[i].Key, s[i].Value)
			case !bytes.Equal(s[i].Key, k[i].Key):
				return fmt.Sprintf("map %s: entry %d: simulator key %x, kernel key %x", n, i, s[i].Key, k[i].Key)
			case !bytes.Equal(s[i].Value, k[i].Value):
				return fmt.Sprintf("map %s: key %x: simulator value %x, kernel value %x", n, s[i].Key, s[i].Value, k[i].Value)
			}
		}
	}
	return ""
}
