package isa

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// DataTest is one test of the bpf_conformance suite: a `.data` file made of
// sections introduced by "-- name" lines.
//
//	-- asm      assembly text (see [Assemble])
//	-- raw      bytecode: one 64-bit little-endian word per line ("0x...95"),
//	            or 8 hex bytes per line ("95 00 00 00 00 00 00 00")
//	-- mem      hex bytes of the memory r1 points to (r2 holds its length)
//	-- result   expected r0, hex ("0x..") or decimal
//	-- error    expected error text; the program must fail
//	-- c        C source, documentation only
//	-- no register offset   free text (the runner's note on what is not exercised)
//
// Lines starting with "#" are comments outside "-- asm" and "-- c". A file
// needs an asm or a raw section; unknown sections are errors.
type DataTest struct {
	File     string         // file name as given to the parser
	Sections []*DataSection // every section, in file order

	Asm       *DataSection // nil when absent
	Raw       []byte       // decoded "-- raw"; nil when absent
	Mem       []byte       // "-- mem"; nil when absent
	Result    uint64       // expected r0, when HasResult
	HasResult bool
	Error     string // expected error text (may be empty), when HasError
	HasError  bool
	C         string // "-- c" text

	rawLines []int // file line of each raw slot
}

// DataSection is one "-- name" section of a .data file.
type DataSection struct {
	Name string // section name, e.g. "asm", "no register offset"
	Line int    // line of the "-- name" header; the body starts on the next line
	Text string // body lines joined with "\n", verbatim
}

// Section returns the named section, or nil.
func (t *DataTest) Section(name string) *DataSection {
	for _, s := range t.Sections {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// knownSections lists the sections ParseDataFile accepts.
var knownSections = map[string]bool{
	"asm": true, "raw": true, "mem": true, "result": true, "error": true, "c": true,
	"no register offset": true,
}

// ReadDataFile parses the .data file at path.
func ReadDataFile(path string) (*DataTest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read test: %w", err)
	}
	defer f.Close()
	return ParseDataFile(f, path)
}

// ParseDataFile parses a bpf_conformance `.data` test read from r; name is used
// in error messages. Errors are *[SyntaxError] values (matching [ErrSyntax] and
// [ErrInvalid]) naming the file line, or read errors from r.
func ParseDataFile(r io.Reader, name string) (*DataTest, error) {
	t := &DataTest{File: name}
	errAt := func(line, col int, format string, args ...any) error {
		return &SyntaxError{File: name, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
	}
	var (
		cur   *DataSection
		body  []string
		lines []int // file line of each body line
	)
	flush := func() error {
		if cur == nil {
			return nil
		}
		cur.Text = strings.Join(body, "\n")
		err := t.fill(cur, body, lines, errAt)
		body, lines = nil, nil
		return err
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	num := 0
	for sc.Scan() {
		num++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.HasPrefix(line, "--") {
			if err := flush(); err != nil {
				return nil, err
			}
			sec := strings.TrimSpace(line[2:])
			if !knownSections[sec] {
				return nil, errAt(num, 1, "unknown section %q (want asm, raw, mem, result, error, c or no register offset)", sec)
			}
			if prev := t.Section(sec); prev != nil {
				return nil, errAt(num, 1, "duplicate section %q (first at line %d)", sec, prev.Line)
			}
			cur = &DataSection{Name: sec, Line: num}
			t.Sections = append(t.Sections, cur)
			continue
		}
		if cur == nil {
			if s := strings.TrimSpace(line); s != "" && !strings.HasPrefix(s, "#") {
				return nil, errAt(num, 1, "text before the first section: expected a comment or a \"-- name\" line")
			}
			continue
		}
		body = append(body, line)
		lines = append(lines, num)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if t.Asm == nil && t.Raw == nil {
		return nil, errAt(max(num, 1), 0, "no program: the test has neither an asm nor a raw section")
	}
	if t.Asm != nil && strings.TrimSpace(stripAsmComments(t.Asm.Text)) == "" {
		return nil, errAt(t.Asm.Line, 0, "empty asm section")
	}
	return t, nil
}

func stripAsmComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if i := strings.IndexAny(l, "#;"); i >= 0 {
			l = l[:i]
		}
		b.WriteString(l)
	}
	return b.String()
}

// field is a whitespace-separated word of a line and its 1-based column.
type field struct {
	text string
	col  int
}

// fields splits a line into words, keeping their columns.
func fields(line string) []field {
	var fs []field
	start := -1
	for i := 0; i <= len(line); i++ {
		if i == len(line) || line[i] == ' ' || line[i] == '\t' {
			if start >= 0 {
				fs = append(fs, field{line[start:i], start + 1})
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	return fs
}

// dataLines yields the words of the non-blank, non-comment lines of a section body.
func dataLines(body []string, lines []int, fn func(line int, fs []field) error) error {
	for i, l := range body {
		s := strings.TrimSpace(l)
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if err := fn(lines[i], fields(l)); err != nil {
			return err
		}
	}
	return nil
}

// fill interprets a finished section.
func (t *DataTest) fill(s *DataSection, body []string, lines []int, errAt func(int, int, string, ...any) error) error {
	switch s.Name {
	case "asm":
		t.Asm = s
	case "c":
		t.C = s.Text
	case "error":
		t.HasError = true
		t.Error = strings.TrimSpace(s.Text)
	case "mem":
		t.Mem = []byte{}
		return dataLines(body, lines, func(line int, fs []field) error {
			for _, f := range fs {
				v, err := strconv.ParseUint(strings.TrimPrefix(f.text, "0x"), 16, 8)
				if err != nil || len(f.text) > 4 {
					return errAt(line, f.col, "mem: expected a hex byte, found %q", f.text)
				}
				t.Mem = append(t.Mem, byte(v))
			}
			return nil
		})
	case "result":
		return dataLines(body, lines, func(line int, fs []field) error {
			if t.HasResult {
				return errAt(line, fs[0].col, "result: more than one value")
			}
			if len(fs) != 1 {
				return errAt(line, fs[1].col, "result: expected one value")
			}
			v, err := parseResult(fs[0].text)
			if err != nil {
				return errAt(line, fs[0].col, "result: %v", err)
			}
			t.Result, t.HasResult = v, true
			return nil
		})
	case "raw":
		t.Raw = []byte{}
		return dataLines(body, lines, func(line int, fs []field) error {
			switch w := fs[0].text; {
			case len(fs) == 1 && (strings.HasPrefix(w, "0x") || strings.HasPrefix(w, "0X")):
				v, err := strconv.ParseUint(w[2:], 16, 64)
				if err != nil {
					return errAt(line, fs[0].col, "raw: expected a 64-bit hex word, found %q", w)
				}
				t.Raw = binary.LittleEndian.AppendUint64(t.Raw, v)
			case len(fs) == SlotSize:
				for _, f := range fs {
					v, err := strconv.ParseUint(f.text, 16, 8)
					if err != nil || len(f.text) != 2 {
						return errAt(line, f.col, "raw: expected a hex byte, found %q", f.text)
					}
					t.Raw = append(t.Raw, byte(v))
				}
			default:
				return errAt(line, fs[0].col, "raw: expected one 64-bit word (0x...) or 8 hex bytes per line")
			}
			t.rawLines = append(t.rawLines, line)
			return nil
		})
	}
	return nil
}

// parseResult reads an expected r0: 0x-prefixed hex, or decimal (negative
// values are taken as two's complement).
func parseResult(s string) (uint64, error) {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		v, err := strconv.ParseUint(s[2:], 16, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid hex value %q", s)
		}
		return v, nil
	}
	if strings.HasPrefix(s, "-") {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid value %q", s)
		}
		return uint64(v), nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid value %q", s)
	}
	return v, nil
}

// Program returns the test's program: the assembled asm section, or the
// decoded raw section when there is no asm. When both are present they must
// encode the same bytecode. Errors name the file line.
func (t *DataTest) Program() (*Program, error) {
	if t.Asm != nil {
		p, err := assembleAt([]byte(t.Asm.Text), t.File, t.Asm.Line+1)
		if err != nil {
			return nil, err
		}
		if t.Raw != nil && !bytes.Equal(p.Encode(), t.Raw) {
			return nil, &SyntaxError{File: t.File, Line: t.Section("raw").Line,
				Msg: "raw section does not match the assembled asm section"}
		}
		return p, nil
	}
	p, err := Decode(t.Raw)
	if err != nil {
		line := t.Section("raw").Line
		var de *DecodeError
		if errors.As(err, &de) && de.Slot < len(t.rawLines) {
			line = t.rawLines[de.Slot]
		}
		return nil, &SyntaxError{File: t.File, Line: line, Msg: err.Error()}
	}
	return p, nil
}
