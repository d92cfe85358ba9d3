package cosim

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/cilium/ebpf/asm"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/rtl"
	"github.com/hbpf/hbpf/hbpf/sim"
	"github.com/hbpf/hbpf/hbpf/sim/maps"
)

// DefaultHistory is how many retirements before a divergence a Mismatch keeps.
const DefaultHistory = 8

// Checker runs a program in the simulator and in the hardware, run by run,
// and compares them: every retirement record (cycle stamp included), the
// result, and afterwards the packet and the map values.
type Checker struct {
	M       *sim.Machine
	HW      *HW
	Progs   []*isa.Program
	Prog    int
	History int // retirements kept for a Mismatch; default DefaultHistory
	// NoRecords runs the hardware without its retirement records, comparing
	// only the results, the packet and the maps: the model's speed alone.
	NoRecords bool
	Runs      int            // runs so far
	Records   uint64         // records compared so far
	Last      Done           // the hardware's end of the last run
	LastHW    sim.Record     // the hardware's last record
	hist      []sim.Record   // the last records compared
	ringProd  map[int]uint64 // ring buffers' producer positions after the last comparison
	updated   bool           // the run wrote map values the records do not show, where is not known
	dirty     map[int][]int  // map → slots the run's bpf_map_update_elem calls wrote
}

// Map values are compared after a run: in full when they are small, every
// fullEvery runs, when the run's records were not compared (Checker.NoRecords)
// or a bpf_map_update_elem wrote where the checker cannot tell; otherwise the
// values bpf_map_update_elem calls wrote (stores by instructions are compared
// in their records), and ring buffers in the part the run wrote.
const (
	smallMap  = 4096
	fullEvery = 32
)

// NewChecker creates a simulator for the programs and maps and loads program
// prog into the session's core.
func NewChecker(s *Session, cfg rtl.Config, progs []*isa.Program, prog int, specs []*isa.MapSpec, sc sim.Config) (*Checker, error) {
	if sc.Profile == nil {
		sc.Profile = cfg.Profile
	}
	if cfg.Profile == nil {
		cfg.Profile = sc.Profile
	}
	if sc.ClockMHz == 0 && cfg.ClockMHz != 0 {
		sc.ClockMHz = cfg.ClockMHz
	}
	if cfg.ClockMHz == 0 {
		cfg.ClockMHz = sc.ClockMHz
	}
	m, err := sim.New(progs, specs, sc)
	if err != nil {
		return nil, err
	}
	hw, err := Load(s, cfg, progs, prog, specs, m.Maps, sc)
	if err != nil {
		return nil, err
	}
	return &Checker{M: m, HW: hw, Progs: progs, Prog: prog}, nil
}

// RunXDP runs both on a packet. A divergence is a *Mismatch.
func (c *Checker) RunXDP(packet []byte) (sim.XDPResult, error) {
	var r sim.XDPResult
	d, err := c.runBoth(func() sim.Result {
		r = c.M.RunXDP(c.Prog, packet)
		return r.Result
	}, func(tag string, rec func(*sim.Record)) (Done, error) {
		return c.HW.RunXDP(tag, packet, rec)
	})
	if err != nil {
		return r, err
	}
	// The packet and its metadata.
	if got, want := int(d.End)-int(d.Data), len(r.Data); got != want {
		return r, c.after("packet length", fmt.Sprintf("rtl %d bytes, sim %d", got, want))
	}
	if got, want := int(d.Data)-int(d.Meta), len(r.Meta); got != want {
		return r, c.after("metadata length", fmt.Sprintf("rtl %d bytes, sim %d", got, want))
	}
	b, err := c.HW.Packet(d.Meta, d.End)
	if err != nil {
		return r, err
	}
	if want := append(append([]byte(nil), r.Meta...), r.Data...); !bytes.Equal(b, want) {
		return r, c.after("packet", diffBytes(b, want))
	}
	if err := c.compareRedirect(d, r.Redirect); err != nil {
		return r, err
	}
	if err := c.compareMaps(); err != nil {
		return r, err
	}
	c.Runs++
	return r, nil
}

// RunMem runs both the bpf_conformance way (r1 = mem, r2 = its length). mem
// is updated as the simulator leaves it.
func (c *Checker) RunMem(mem []byte) (sim.Result, error) {
	hwMem := bytes.Clone(mem)
	var r sim.Result
	_, err := c.runBoth(func() sim.Result {
		r = c.M.RunMem(c.Prog, mem)
		return r
	}, func(tag string, rec func(*sim.Record)) (Done, error) {
		return c.HW.RunMem(tag, hwMem, rec)
	})
	if err != nil {
		return r, err
	}
	b, err := c.HW.Packet(0, uint32(len(mem)))
	if err != nil {
		return r, err
	}
	if !bytes.Equal(b, mem) {
		return r, c.after("memory", diffBytes(b, mem))
	}
	if err := c.compareMaps(); err != nil {
		return r, err
	}
	c.Runs++
	return r, nil
}

// recordBatch is how many simulator records travel together.
const recordBatch = 4096

// runBoth runs the simulator (in a goroutine, streaming its records in
// batches) and the hardware, comparing record by record; then the result.
func (c *Checker) runBoth(simRun func() sim.Result, hwRun func(tag string, rec func(*sim.Record)) (Done, error)) (Done, error) {
	tag := fmt.Sprintf("run%d", c.Runs)
	c.HW.S.Trace(!c.NoRecords)
	c.hist = c.hist[:0]
	if c.NoRecords {
		c.M.SetTrace(nil)
		r := simRun()
		d, err := hwRun(tag, nil)
		if err != nil {
			return d, err
		}
		return d, c.finish(nil, 0, nil, d, r)
	}
	batches := make(chan []sim.Record, 8)
	free := make(chan []sim.Record, 10)
	var res sim.Result
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]sim.Record, 0, recordBatch)
		c.M.SetTrace(func(r *sim.Record) {
			if r.Helper == int32(asm.FnMapUpdateElem) {
				c.noteUpdate(r)
			}
			buf = append(buf, *r)
			if len(buf) == recordBatch {
				batches <- buf
				select {
				case buf = <-free:
				default:
					buf = make([]sim.Record, 0, recordBatch)
				}
			}
		})
		res = simRun()
		if len(buf) > 0 {
			batches <- buf
		}
		close(batches)
	}()
	var cur []sim.Record
	pos := 0
	next := func() (*sim.Record, bool) {
		for pos >= len(cur) {
			if cur != nil {
				select {
				case free <- cur[:0]:
				default:
				}
			}
			b, ok := <-batches
			if !ok {
				cur = nil
				return nil, false
			}
			cur, pos = b, 0
		}
		pos++
		return &cur[pos-1], true
	}
	var mm *Mismatch
	n := 0
	d, err := hwRun(tag, func(hw *sim.Record) {
		c.LastHW = *hw
		if mm != nil {
			return
		}
		i := n
		n++
		s, ok := next()
		if !ok {
			h := *hw
			mm = c.mismatch(i, nil, &h, "the hardware retires more instructions than the simulator")
			return
		}
		if !s.Equal(hw) {
			sc, h := *s, *hw
			mm = c.mismatch(i, &sc, &h, "")
			return
		}
		c.remember(s)
		c.Records++
	})
	var extra *sim.Record
	if err == nil && mm == nil {
		if s, ok := next(); ok {
			sc := *s
			extra = &sc
		}
	}
	for range batches { // let the simulator finish
	}
	<-done
	c.M.SetTrace(nil)
	if err != nil {
		return d, err
	}
	return d, c.finish(mm, n, extra, d, res)
}

// remember keeps the last History records compared.
func (c *Checker) remember(r *sim.Record) {
	h := c.History
	if h == 0 {
		h = DefaultHistory
	}
	if len(c.hist) == h {
		copy(c.hist, c.hist[1:])
		c.hist = c.hist[:h-1]
	}
	c.hist = append(c.hist, *r)
}

// noteUpdate remembers, while the simulator runs, which map value a
// successful bpf_map_update_elem wrote (by its slot), or that it cannot tell.
func (c *Checker) noteUpdate(r *sim.Record) {
	if r.Helper != int32(asm.FnMapUpdateElem) || r.Ret != 0 {
		return
	}
	i := int(uint32(r.Args[0]))
	if r.Args[0]>>32 != sim.RegionMapFD || i >= len(c.M.Maps) {
		c.updated = true
		return
	}
	mp := c.M.Maps[i]
	key := c.M.Read(r.Args[1], int(mp.Spec().KeySize))
	slot := -1
	if key != nil {
		slot = mp.Peek(key)
	}
	if slot < 0 {
		c.updated = true
		return
	}
	if c.dirty == nil {
		c.dirty = map[int][]int{}
	}
	c.dirty[i] = append(c.dirty[i], slot)
}

func (c *Checker) finish(mm *Mismatch, n int, extra *sim.Record, d Done, r sim.Result) error {
	c.Last = d
	if mm != nil {
		return mm
	}
	if d.Hang {
		return c.mismatch(n, nil, nil, fmt.Sprintf("the hardware did not finish within %d clock cycles", d.Clocks))
	}
	if extra != nil {
		return c.mismatch(n, extra, nil, "the hardware stopped early")
	}
	if d.R0 != r.R0 {
		return c.after("r0", fmt.Sprintf("rtl 0x%x, sim 0x%x", d.R0, r.R0))
	}
	if d.Cycles != r.Cycles {
		return c.after("cycles", fmt.Sprintf("rtl %d, sim %d", d.Cycles, r.Cycles))
	}
	return nil
}

// compareRedirect compares the redirect target the hardware holds with the
// simulator's.
func (c *Checker) compareRedirect(d Done, rd sim.Redirect) error {
	var want sim.Redirect
	switch d.Redirect {
	case 1:
		want = sim.Redirect{Helper: "bpf_redirect", Key: d.Key, Target: d.Ifindex, Flags: d.Flags, Present: true}
	case 2:
		want = sim.Redirect{Helper: "bpf_redirect_map", Key: d.Key, Target: d.Ifindex, Flags: d.Flags, Present: true}
		if d.RedirectMap < len(c.HW.Maps) {
			want.Map = c.HW.Maps[d.RedirectMap].Name
		}
	}
	if want != rd {
		return c.after("redirect", fmt.Sprintf("rtl %+v, sim %+v", want, rd))
	}
	return nil
}

func (c *Checker) compareMaps() error {
	full := c.updated || c.NoRecords || c.Runs%fullEvery == 0
	dirty := c.dirty
	c.updated, c.dirty = false, nil
	for i, m := range c.HW.Maps {
		if m.Problem != "" || m.Bytes == 0 {
			continue
		}
		if rb, ok := c.M.Maps[i].(*maps.RingBuf); ok && m.Type == rtl.MapRing {
			if err := c.compareRing(i, m, rb); err != nil {
				return err
			}
			continue
		}
		if !full && m.Bytes > smallMap {
			vs := int(m.ValueSize)
			for _, slot := range dirty[i] {
				got, err := c.HW.S.DumpBytes(int(m.Base)+slot*vs, vs)
				if err != nil {
					return err
				}
				if want := c.M.Maps[i].Values()[slot*vs : (slot+1)*vs]; !bytes.Equal(got, want) {
					return c.after(fmt.Sprintf("map %d %q, slot %d", i, m.Name, slot), diffBytes(got, want))
				}
			}
			continue
		}
		got, err := c.HW.MapValues(i)
		if err != nil {
			return err
		}
		if want := c.M.Maps[i].Values(); !bytes.Equal(got, want) {
			return c.after(fmt.Sprintf("map %d %q", i, m.Name), diffBytes(got, want))
		}
	}
	return nil
}

// compareRing compares what the last run wrote to a ring buffer: an XDP run
// submits or discards every record it reserves, so that its writes (records
// and their headers) lie between the producer positions before and after it,
// contiguous in the hardware's doubled data area.
func (c *Checker) compareRing(i int, m rtl.MapSlot, rb *maps.RingBuf) error {
	if c.ringProd == nil {
		c.ringProd = map[int]uint64{}
	}
	before, seen := c.ringProd[i]
	after := rb.Query(3) // BPF_RB_PROD_POS
	c.ringProd[i] = after
	at, n := uint64(0), uint64(m.Bytes)
	if seen {
		at, n = before&uint64(m.MaxEntries-1), after-before
	}
	if n == 0 {
		return nil
	}
	got, err := c.HW.S.DumpBytes(int(m.Base)+int(at), int(n))
	if err != nil {
		return err
	}
	if want := rb.Values()[at : at+n]; !bytes.Equal(got, want) {
		return c.after(fmt.Sprintf("map %d %q, ring bytes %d..%d", i, m.Name, at, at+n), diffBytes(got, want))
	}
	return nil
}

func (c *Checker) mismatch(i int, s, h *sim.Record, why string) *Mismatch {
	m := &Mismatch{Run: c.Runs, Index: i, Sim: s, HW: h, Why: why, progs: c.Progs}
	m.Before = append(m.Before, c.hist...)
	return m
}

// after reports a divergence found after the records agreed.
func (c *Checker) after(what, detail string) *Mismatch {
	m := c.mismatch(len(c.hist), nil, nil, "")
	m.What, m.Why = what, detail
	return m
}

// Mismatch is the first divergence between the hardware and the simulator.
type Mismatch struct {
	Run    int          // run (packet) index
	Index  int          // record index within the run
	Sim    *sim.Record  // the simulator's record (nil if it has none there)
	HW     *sim.Record  // the hardware's record (nil if it has none there)
	Before []sim.Record // the retirements before, on which both agreed
	What   string       // for divergences after the records: "r0", "packet", "map …"
	Why    string
	progs  []*isa.Program
}

// PC returns the slot of the diverging instruction, or -1.
func (m *Mismatch) PC() int {
	switch {
	case m.Sim != nil:
		return m.Sim.PC
	case m.HW != nil:
		return m.HW.PC
	}
	return -1
}

func (m *Mismatch) Error() string {
	switch {
	case m.What != "":
		return fmt.Sprintf("co-simulation mismatch in run %d: %s differs after %d agreeing records: %s", m.Run, m.What, m.Index, m.Why)
	case m.Sim != nil && m.HW != nil:
		return fmt.Sprintf("co-simulation mismatch in run %d at record %d (pc %d): %s", m.Run, m.Index, m.Sim.PC, strings.Join(FieldDiff(m.Sim, m.HW), ", "))
	}
	return fmt.Sprintf("co-simulation mismatch in run %d at record %d: %s", m.Run, m.Index, m.Why)
}

// Report formats the mismatch for people: both records with their
// disassembly, the fields that differ and the retirements before.
func (m *Mismatch) Report() string {
	var b strings.Builder
	b.WriteString(m.Error())
	b.WriteString("\n")
	if m.Why != "" && m.What == "" && m.Sim != nil && m.HW != nil {
		fmt.Fprintf(&b, "  %s\n", m.Why)
	}
	if m.Sim != nil || m.HW != nil {
		b.WriteString("  sim: ")
		b.WriteString(m.format(m.Sim))
		b.WriteString("\n  rtl: ")
		b.WriteString(m.format(m.HW))
		b.WriteString("\n")
	}
	if len(m.Before) > 0 {
		fmt.Fprintf(&b, "last %d retirements (equal on both sides):\n", len(m.Before))
		for i := range m.Before {
			fmt.Fprintf(&b, "  %s\n", m.format(&m.Before[i]))
		}
	}
	return b.String()
}

func (m *Mismatch) format(r *sim.Record) string {
	if r == nil {
		return "(none)"
	}
	c := *r
	if c.Prog < len(m.progs) {
		if in := m.progs[c.Prog].At(c.PC); in != nil {
			c.Disasm = isa.Format(in, isa.SyntaxConformance)
		}
	}
	return c.String()
}

// FieldDiff names the compared fields in which two records differ.
func FieldDiff(a, b *sim.Record) []string {
	var d []string
	add := func(name string, x, y any) { d = append(d, fmt.Sprintf("%s sim %v rtl %v", name, x, y)) }
	hex := func(v uint64) string { return fmt.Sprintf("0x%x", v) }
	if a.Cycle != b.Cycle {
		add("cycle", a.Cycle, b.Cycle)
	}
	if a.Prog != b.Prog {
		add("prog", a.Prog, b.Prog)
	}
	if a.PC != b.PC {
		add("pc", a.PC, b.PC)
	}
	if a.Insn != b.Insn {
		add("insn", fmt.Sprintf("%016x", a.Insn), fmt.Sprintf("%016x", b.Insn))
	}
	if a.Dst != b.Dst {
		add("dst", a.Dst, b.Dst)
	} else if a.Dst >= 0 && a.Value != b.Value {
		add(fmt.Sprintf("r%d", a.Dst), hex(a.Value), hex(b.Value))
	}
	if a.MemSize != b.MemSize {
		add("mem size", a.MemSize, b.MemSize)
	} else if a.MemSize > 0 {
		if a.MemAddr != b.MemAddr {
			add("mem addr", hex(a.MemAddr), hex(b.MemAddr))
		}
		if a.MemData != b.MemData {
			add("mem data", hex(a.MemData), hex(b.MemData))
		}
	}
	if a.Helper != b.Helper {
		add("helper", a.Helper, b.Helper)
	} else if a.Helper >= 0 {
		if a.Args != b.Args {
			add("args", a.Args, b.Args)
		}
		if a.Ret != b.Ret {
			add("ret", hex(a.Ret), hex(b.Ret))
		}
	}
	if a.Trap != b.Trap {
		add("trap", a.Trap, b.Trap)
	}
	if a.Exit != b.Exit {
		add("exit", a.Exit, b.Exit)
	}
	return d
}

func diffBytes(got, want []byte) string {
	if len(got) != len(want) {
		return fmt.Sprintf("rtl %d bytes, sim %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Sprintf("first difference at byte %d: rtl 0x%02x, sim 0x%02x", i, got[i], want[i])
		}
	}
	return "equal"
}
