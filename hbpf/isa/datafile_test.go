package isa

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestParseDataFile(t *testing.T) {
	const src = `# Copyright line
# another comment

-- asm
mov %r0, 1
# a comment inside asm
exit
-- mem
00 01 02
ff
-- result
0xffffffffffffffff
-- no register offset
call instruction
-- c
#include <stdint.h>
int main() { return 1; }
`
	dt, err := ParseDataFile(strings.NewReader(src), "t.data")
	if err != nil {
		t.Fatal(err)
	}
	if dt.Asm == nil || dt.Asm.Line != 4 || dt.Asm.Text != "mov %r0, 1\n# a comment inside asm\nexit" {
		t.Errorf("Asm = %+v", dt.Asm)
	}
	if !bytes.Equal(dt.Mem, []byte{0, 1, 2, 0xff}) {
		t.Errorf("Mem = % x", dt.Mem)
	}
	if !dt.HasResult || dt.Result != 0xffffffffffffffff {
		t.Errorf("Result = %#x (%v)", dt.Result, dt.HasResult)
	}
	if dt.HasError || dt.Raw != nil {
		t.Errorf("HasError %v, Raw %v", dt.HasError, dt.Raw)
	}
	if !strings.HasPrefix(dt.C, "#include <stdint.h>\n") {
		t.Errorf("C = %q", dt.C)
	}
	if s := dt.Section("no register offset"); s == nil || s.Line != 13 || s.Text != "call instruction" {
		t.Errorf("no register offset section = %+v", s)
	}
	var names []string
	for _, s := range dt.Sections {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "asm,mem,result,no register offset,c" {
		t.Errorf("sections %s", got)
	}
	p, err := dt.Program()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Insns) != 2 || p.Insns[1].Source.Line != 7 {
		t.Errorf("program %v, exit from line %d", p.Insns, p.Insns[1].Source.Line)
	}
}

func TestParseDataFileRaw(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      string
	}{
		{"words", "-- raw\n0x5566778800000018\n0x1122334400000000\n0x0000000000000095\n-- result\n0x1\n",
			"18 00 00 00 88 77 66 55 00 00 00 00 44 33 22 11 95 00 00 00 00 00 00 00"},
		{"bytes", "-- raw\n# comment\nb7 00 00 00 01 00 00 00\n\n95 00 00 00 00 00 00 00\n-- error\n",
			"b7 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dt, err := ParseDataFile(strings.NewReader(tc.src), "raw.data")
			if err != nil {
				t.Fatal(err)
			}
			if want := hexBytes(t, tc.want); !bytes.Equal(dt.Raw, want) {
				t.Errorf("Raw = % x, want % x", dt.Raw, want)
			}
			if _, err := dt.Program(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestParseDataFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		pos, msg  string
	}{
		{"empty", "# nothing\n", "1", "no program"},
		{"no program", "-- result\n0x0\n", "2", "no program"},
		{"unknown section", "-- asm\n-- Unknown directive\n", "2:1", `unknown section "Unknown directive"`},
		{"duplicate", "-- asm\nexit\n-- asm\nexit\n", "3:1", `duplicate section "asm" (first at line 1)`},
		{"stray text", "hello\n-- asm\nexit\n", "1:1", "text before the first section"},
		{"empty asm", "-- asm\n# only a comment\n-- result\n0\n", "1", "empty asm section"},
		{"bad mem", "-- asm\nexit\n-- mem\n00 1g\n", "4:4", `mem: expected a hex byte, found "1g"`},
		{"bad result", "-- asm\nexit\n-- result\nzero\n", "4:1", "invalid value"},
		{"two results", "-- asm\nexit\n-- result\n1\n2\n", "5:1", "more than one value"},
		{"bad raw word", "-- raw\n0x1g\n", "2:1", "64-bit hex word"},
		{"bad raw bytes", "-- raw\n95 00 00 00 00 00 00 0\n", "2:22", "hex byte"},
		{"short raw line", "-- raw\n95 00 00\n", "2:1", "8 hex bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseDataFile(strings.NewReader(tc.src), "bad.data")
			checkSyntaxError(t, err, "bad.data:"+tc.pos+":", tc.msg)
		})
	}
}

func checkSyntaxError(t *testing.T, err error, prefix, msg string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	var se *SyntaxError
	if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) || !errors.Is(err, ErrInvalid) {
		t.Errorf("error %v (%T) is not a SyntaxError matching ErrSyntax and ErrInvalid", err, err)
	}
	if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q, want prefix %q and %q", err, prefix, msg)
	}
}

// Program errors are located at the line of the .data file.
func TestDataTestProgramErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		pos, msg  string
	}{
		{"asm", "# header\n-- asm\nmov %r0, 1\nldxq %r0, [%r1]\nexit\n", "4:1", "unknown mnemonic"},
		{"asm decode", "-- result\n0\n-- asm\nja +7\nexit\n", "4", "outside the program"},
		{"raw", "-- raw\n95 00 00 00 00 00 00 00\n0x0000000000010007\n", "3", "non-zero offset"},
		{"mismatch", "-- asm\nexit\n-- raw\n0x0000000000000094\n", "3", "does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dt, err := ParseDataFile(strings.NewReader(tc.src), "p.data")
			if err != nil {
				t.Fatal(err)
			}
			_, err = dt.Program()
			checkSyntaxError(t, err, "p.data:"+tc.pos+":", tc.msg)
		})
	}
}

func TestConformanceSuiteParses(t *testing.T) {
	files := conformanceFiles(t, "tests")
	withMem, withRaw := 0, 0
	for _, f := range files {
		dt, err := ReadDataFile(f)
		if err != nil {
			t.Error(err)
			continue
		}
		if _, err := dt.Program(); err != nil {
			t.Error(err)
		}
		if !dt.HasResult && !dt.HasError {
			t.Errorf("%s: neither result nor error", f)
		}
		if dt.Mem != nil {
			withMem++
		}
		if dt.Raw != nil {
			withRaw++ // Program checked it against the asm
		}
	}
	if len(files) != 313 {
		t.Errorf("%d tests, want 313", len(files))
	}
	t.Logf("%d tests parsed and assembled (%d with mem, %d with raw checked against asm)", len(files), withMem, withRaw)
}

// TestNegativeSuite checks where each malformed input of the suite's negative/
// directory is rejected:
//
//   - parse: ParseDataFile fails (no program, unknown section);
//   - program: Program fails: the assembler (bad mnemonic, operand count,
//     register, immediate or offset range, undefined label, lock operands) or
//     the decoder (every unused-* file: reserved fields not zero);
//   - runtime: the file is well formed and its program valid; the runner must
//     notice that the expected outcome does not happen (error.data expects an
//     error from a valid program, incorrect_return_value_high_bits.data a wrong
//     r0). That is for the simulator, not this package.
func TestNegativeSuite(t *testing.T) {
	stage := map[string]string{
		"empty.data":                            "parse",
		"empty_instructions.data":               "parse",
		"invalid_unknown_directive.data":        "parse",
		"invalid_imm32_dec_range.data":          "program",
		"invalid_imm32_hex_range.data":          "program",
		"invalid_label.data":                    "program",
		"invalid_lock.data":                     "program",
		"invalid_lock2.data":                    "program",
		"invalid_mnemonic.data":                 "program",
		"invalid_offset.data":                   "program",
		"invalid_offset_range.data":             "program",
		"invalid_operand_count.data":            "program",
		"invalid_register.data":                 "program",
		"error.data":                            "runtime",
		"incorrect_return_value_high_bits.data": "runtime",
	}
	files := conformanceFiles(t, "negative")
	counts := map[string]int{}
	for _, f := range files {
		base := filepath.Base(f)
		want, ok := stage[base]
		if !ok && strings.HasPrefix(base, "unused-") {
			want, ok = "program", true
		}
		if !ok {
			t.Errorf("%s: not classified; add it to the table", base)
			continue
		}
		got := "runtime"
		dt, err := ReadDataFile(f)
		if err != nil {
			got = "parse"
		} else if _, err = dt.Program(); err != nil {
			got = "program"
		}
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: error %v is not a SyntaxError matching ErrInvalid", base, err)
			}
			if se != nil && (se.File != f || se.Line < 1) {
				t.Errorf("%s: error %v does not name the file and line", base, err)
			}
		}
		if got != want {
			t.Errorf("%s: rejected at %s stage, want %s (err %v)", base, got, want, err)
		}
		counts[got]++
	}
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("negative/: %d files rejected at %s stage", counts[k], k)
	}
}

func TestReadDataFileMissing(t *testing.T) {
	_, err := ReadDataFile(filepath.Join(t.TempDir(), "nope.data"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v, want ErrNotExist", err)
	}
}
