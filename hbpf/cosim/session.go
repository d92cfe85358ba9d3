package cosim

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"github.com/hbpf/hbpf/hbpf/sim"
)

// Session is a running harness (testbench/cpp/hbpf_tb.cpp) speaking its
// line protocol over pipes. It is not safe for concurrent use.
type Session struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	w      *bufio.Writer
	r      *bufio.Reader
	stderr *lockedBuffer
	closed bool
	// Clocks counts the clock cycles the model simulated in runs.
	Clocks uint64
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 1<<16 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Start starts the harness. With vcd set, the model (built with
// BuildConfig.Trace) writes every cycle to that file.
func (m *Model) Start(vcd string) (*Session, error) {
	args := []string{}
	if vcd != "" {
		args = append(args, "--vcd", vcd)
	}
	cmd := exec.Command(m.Binary, args...)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start harness: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start harness: %w", err)
	}
	s := &Session{cmd: cmd, in: in, w: bufio.NewWriterSize(in, 1<<16), r: bufio.NewReaderSize(out, 1<<16), stderr: &lockedBuffer{}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start harness %s: %w", m.Binary, err)
	}
	return s, nil
}

// Close ends the harness.
func (s *Session) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	fmt.Fprintln(s.w, "quit")
	_ = s.w.Flush()
	_ = s.in.Close()
	if err := s.cmd.Wait(); err != nil {
		return fmt.Errorf("harness: %w: %s", err, strings.TrimSpace(s.stderr.String()))
	}
	return nil
}

func (s *Session) send(format string, args ...any) {
	fmt.Fprintf(s.w, format, args...)
	s.w.WriteByte('\n')
}

// line reads one answer line.
func (s *Session) line() (string, error) {
	if err := s.w.Flush(); err != nil {
		return "", fmt.Errorf("harness: %w: %s", err, strings.TrimSpace(s.stderr.String()))
	}
	l, err := s.r.ReadString('\n')
	if err != nil {
		if errors.Is(err, io.EOF) {
			return "", fmt.Errorf("harness ended unexpectedly: %s", strings.TrimSpace(s.stderr.String()))
		}
		return "", fmt.Errorf("harness: %w", err)
	}
	l = strings.TrimSuffix(l, "\n")
	if strings.HasPrefix(l, "E ") {
		return "", fmt.Errorf("harness: %s", l[2:])
	}
	return l, nil
}

// Reset pulses the core's reset.
func (s *Session) Reset() { s.send("reset") }

// Cfg writes configuration register idx (see hbpf_top.v).
func (s *Session) Cfg(idx int, v uint64) { s.send("cfg %x %x", idx, v) }

// Hash writes words to the hash units (hbpf_top's sel 3) from host address
// at on (rtl.HashAddr).
func (s *Session) Hash(at uint32, words []uint64) { s.words("hash", int(at), words) }

// Rom writes program slots from slot on.
func (s *Session) Rom(slot int, words []uint64) { s.words("rom", slot, words) }

// Mem writes data-memory rows (8-byte little-endian words) from row on.
func (s *Session) Mem(row int, words []uint64) { s.words("mem", row, words) }

func (s *Session) words(cmd string, at int, words []uint64) {
	const perLine = 64
	for i := 0; i < len(words); i += perLine {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %x", cmd, at+i)
		for _, w := range words[i:min(i+perLine, len(words))] {
			b.WriteByte(' ')
			b.WriteString(strconv.FormatUint(w, 16))
		}
		s.send("%s", b.String())
	}
}

// Zero clears n data-memory rows from row on.
func (s *Session) Zero(row, n int) {
	if n > 0 {
		s.send("zero %x %x", row, n)
	}
}

// Trace turns the retirement records on (in the harness's binary form) or off.
func (s *Session) Trace(on bool) {
	v := 0
	if on {
		v = 2
	}
	s.send("trace %d", v)
}

// binRecord is the size of a binary record after its 'r' tag.
const binRecord = 100

// parseBinary decodes a binary record of the harness.
func parseBinary(b []byte, r *sim.Record) {
	le := binary.LittleEndian
	*r = sim.Record{
		Cycle: le.Uint64(b[0:]), Prog: int(b[8]), PC: int(le.Uint16(b[9:])), Insn: le.Uint64(b[11:]),
		Dst: -1, Value: le.Uint64(b[20:]), MemSize: b[28], MemAddr: le.Uint64(b[29:]), MemData: le.Uint64(b[37:]),
		Helper: -1, Ret: le.Uint64(b[90:]), Trap: sim.Cause(b[98]), Exit: b[99] != 0,
	}
	if b[19] != 0xff {
		r.Dst = int8(b[19])
	}
	if b[45] != 0 {
		r.Helper = int32(le.Uint32(b[46:]))
	}
	for i := range r.Args {
		r.Args[i] = le.Uint64(b[50+8*i:])
	}
}

// Limit bounds the clock cycles of a run (a hung core).
func (s *Session) Limit(n uint64) { s.send("limit %x", n) }

// Done is the end of a run as the hardware reports it.
type Done struct {
	R0               uint64
	Cycles           uint64 // the run's cycles (the last record's stamp)
	Meta, Data, End  uint32 // the xdp_md context
	Redirect         int    // 0 none, 1 bpf_redirect, 2 bpf_redirect_map
	RedirectMap      int
	Key, Ifindex     uint32
	Flags            uint64
	Dirty            uint32 // packet buffer bytes at and above are zero
	StackLo          uint32 // the lowest stack byte written
	Clocks           uint64 // clock cycles simulated
	Hang             bool   // the core did not finish within the limit
	Records, Retired uint64 // records seen; those without a trap
}

// Run starts the loaded program and calls rec for every retirement record
// (if tracing is on) until the run ends.
func (s *Session) Run(tag string, rec func(*sim.Record)) (Done, error) {
	s.send("run %s", tag)
	var d Done
	var r sim.Record
	var buf [binRecord]byte
	for {
		if err := s.w.Flush(); err != nil {
			return d, fmt.Errorf("harness: %w", err)
		}
		if c, err := s.r.Peek(1); err == nil && c[0] == 'r' {
			s.r.Discard(1)
			if _, err := io.ReadFull(s.r, buf[:]); err != nil {
				return d, fmt.Errorf("harness: binary record: %w", err)
			}
			parseBinary(buf[:], &r)
			d.Records++
			if r.Trap == sim.CauseNone {
				d.Retired++
			}
			if rec != nil {
				rec(&r)
			}
			continue
		}
		l, err := s.line()
		if err != nil {
			return d, err
		}
		switch {
		case strings.HasPrefix(l, "R "):
			if err := parseRecord(l, &r); err != nil {
				return d, err
			}
			d.Records++
			if r.Trap == sim.CauseNone {
				d.Retired++
			}
			if rec != nil {
				rec(&r)
			}
		case strings.HasPrefix(l, "D "):
			f := strings.Fields(l)
			if len(f) != 16 || f[1] != tag {
				return d, fmt.Errorf("harness: unexpected end of run %q: %s", tag, l)
			}
			v, err := hexFields(f[2:])
			if err != nil {
				return d, fmt.Errorf("harness: %s: %w", l, err)
			}
			d.R0, d.Cycles = v[0], v[1]
			d.Meta, d.Data, d.End = uint32(v[2]), uint32(v[3]), uint32(v[4])
			d.Redirect, d.RedirectMap, d.Key, d.Ifindex, d.Flags = int(v[5]), int(v[6]), uint32(v[7]), uint32(v[8]), v[9]
			d.Dirty, d.StackLo = uint32(v[10]), uint32(v[11])
			d.Clocks, d.Hang = v[12], v[13] != 0
			s.Clocks += d.Clocks
			return d, nil
		default:
			return d, fmt.Errorf("harness: unexpected line %q", l)
		}
	}
}

// Dump reads n data-memory rows from row on.
func (s *Session) Dump(row, n int) ([]uint64, error) {
	if n == 0 {
		return nil, nil
	}
	s.send("dump %x %x", row, n)
	l, err := s.line()
	if err != nil {
		return nil, err
	}
	f := strings.Fields(l)
	if len(f) != n+2 || f[0] != "M" {
		return nil, fmt.Errorf("harness: unexpected dump %q", l)
	}
	v, err := hexFields(f[2:])
	if err != nil {
		return nil, fmt.Errorf("harness: dump: %w", err)
	}
	return v, nil
}

// DumpBytes reads n bytes of the data memory from byte address at.
func (s *Session) DumpBytes(at, n int) ([]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	first, last := at/8, (at+n-1)/8
	rows, err := s.Dump(first, last-first+1)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 8*len(rows))
	for i, w := range rows {
		for j := 0; j < 8; j++ {
			b[8*i+j] = byte(w >> (8 * j))
		}
	}
	return b[at-8*first : at-8*first+n], nil
}

// MemBytes writes bytes to the data memory at byte address at, which must be
// 8-byte aligned; the last row is padded with zeros.
func (s *Session) MemBytes(at int, b []byte) {
	s.Mem(at/8, Words(b))
}

// Words packs bytes into little-endian 64-bit words, zero-padding the last.
func Words(b []byte) []uint64 {
	w := make([]uint64, (len(b)+7)/8)
	for i, c := range b {
		w[i/8] |= uint64(c) << (8 * (i % 8))
	}
	return w
}

func hexFields(f []string) ([]uint64, error) {
	v := make([]uint64, len(f))
	for i, s := range f {
		x, err := strconv.ParseUint(s, 16, 64)
		if err != nil {
			return nil, fmt.Errorf("field %d: %w", i+1, err)
		}
		v[i] = x
	}
	return v, nil
}

// parseRecord parses an "R" line of the harness into r.
func parseRecord(l string, r *sim.Record) error {
	f := strings.Fields(l)
	if len(f) != 20 {
		return fmt.Errorf("harness: record with %d fields, want 20: %q", len(f), l)
	}
	num := func(i int) (uint64, error) {
		v, err := strconv.ParseUint(f[i], 16, 64)
		if err != nil {
			return 0, fmt.Errorf("harness: record field %d of %q: %w", i, l, err)
		}
		return v, nil
	}
	var v [20]uint64
	for i := 1; i < 20; i++ {
		if (i == 5 || i == 11) && f[i] == "-" {
			continue
		}
		x, err := num(i)
		if err != nil {
			return err
		}
		v[i] = x
	}
	*r = sim.Record{
		Cycle: v[1], Prog: int(v[2]), PC: int(v[3]), Insn: v[4], Dst: -1, Value: v[6],
		MemSize: uint8(v[7]), MemAddr: v[8], MemData: v[9], Helper: -1,
		Args: [5]uint64{v[12], v[13], v[14], v[15], v[16]}, Ret: v[17], Trap: sim.Cause(v[18]), Exit: v[19] != 0,
	}
	if f[5] != "-" {
		r.Dst = int8(v[5])
	}
	if f[11] != "-" {
		r.Helper = int32(uint32(v[11]))
	}
	return nil
}
