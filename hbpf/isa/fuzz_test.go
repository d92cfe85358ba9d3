package isa

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// suiteFiles returns the conformance .data files, or none when the suite is
// not installed (fuzz seeds then come from the inline snippets and testdata/fuzz).
func suiteFiles() []string {
	dir := os.Getenv("HBPF_CONFORMANCE")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "conformance")
	}
	var files []string
	for _, sub := range []string{"tests", "negative"} {
		m, _ := filepath.Glob(filepath.Join(dir, sub, "*.data"))
		files = append(files, m...)
	}
	return files
}

var asmSeeds = []string{
	"mov %r0, 1\nexit\n",
	"lddw %r1, 0x1122334455667788\nlock fetch add32 [%r10-8], %r1\njeq32 %r1, 0xffffffff, +1\nexit\nexit\n",
	"start:\n  ja32 end\n  call local start\nend:\n  exit\n",
	"r0 = 0\nw1 += w2\nr1 = -r1\nr1 s>>= 2\nr1 = be16 r1\nr1 = bswap64 r1\nif w1 s< 5 goto +0\nexit\n",
	"r0 = *(s8 *)(r1 + 4)\n*(u32 *)(r10 - 4) = r1\n*(u8 *)(r1 + 0) = 5\nr1 = 0x1122334455667788 ll\nexit\n",
	"lock *(u64 *)(r1 + 0) += r2\nr0 = atomic_fetch_add((u64 *)(r1 + 0), r0)\nr0 = xchg_64(r1 + 0, r0)\nr0 = cmpxchg_64(r1 + 0, r0, r2)\nexit\n",
	"r0 = (s16)r1\nw0 = (s8)w1\ncallx r2\ncall 1\ngotol +0\nexit\n",
	"r1 = map_value(3, 8) ll\nr2 = func(+1) ll\nexit\nr0 = *(u16 *)skb[r1 + 2]\nexit\n",
	objdumpOutput,
	"0:\t45 01 01 00 00 00 00 00\t<unknown>\n1:\t18 21 00 00 05 00 00 00 00 00 00 00 10 00 00 00\tr1 = 0x1000000005 ll\n3:\t95 00 00 00 00 00 00 00\texit\n",
	"mov32 %r0, 2147483648\n",
	"ldxb %r0, [%r1+0x10000]\n",
	"lock or [%r10-8]\n",
	"ja NOT_A_LABEL\nexit\n",
}

// checkErr requires err to be a located syntax error.
func checkErr(t *testing.T, err error) {
	t.Helper()
	var se *SyntaxError
	if !errors.As(err, &se) || !errors.Is(err, ErrInvalid) || !errors.Is(err, ErrSyntax) {
		t.Fatalf("error %v (%T) is not a SyntaxError matching ErrSyntax and ErrInvalid", err, err)
	}
	if se.Line < 1 {
		t.Fatalf("error %v has no line", err)
	}
}

func FuzzAssemble(f *testing.F) {
	for _, s := range asmSeeds {
		f.Add(s)
	}
	for _, file := range suiteFiles() {
		if dt, err := ReadDataFile(file); err == nil && dt.Asm != nil {
			f.Add(dt.Asm.Text)
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Assemble([]byte(src), "fuzz.s")
		if err != nil {
			checkErr(t, err)
			return
		}
		roundTrip(t, "fuzz", p)
	})
}

func FuzzDecode(f *testing.F) {
	for _, s := range asmSeeds {
		if p, err := Assemble([]byte(s), "seed"); err == nil {
			f.Add(p.Encode())
		}
	}
	for _, file := range suiteFiles() {
		dt, err := ReadDataFile(file)
		if err != nil {
			continue
		}
		if dt.Raw != nil {
			f.Add(dt.Raw)
		} else if p, err := dt.Program(); err == nil {
			f.Add(p.Encode())
		}
	}
	f.Fuzz(func(t *testing.T, code []byte) {
		p, err := Decode(code)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		if got := p.Encode(); !bytes.Equal(got, code) {
			t.Fatalf("Encode(Decode(b)) != b\nb   % x\ngot % x", code, got)
		}
		roundTrip(t, "fuzz", p)
	})
}

func FuzzParseDataFile(f *testing.F) {
	f.Add("-- asm\nmov %r0, 1\nexit\n-- result\n0x1\n")
	f.Add("# c\n-- raw\n0x0000000000000095\n-- mem\n00 01\n-- error\nboom\n")
	f.Add("-- raw\n95 00 00 00 00 00 00 00\n-- no register offset\nx\n-- c\nint x;\n")
	for _, file := range suiteFiles() {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		dt, err := ParseDataFile(strings.NewReader(src), "fuzz.data")
		if err != nil {
			checkErr(t, err)
			return
		}
		if dt.Asm == nil && dt.Raw == nil {
			t.Fatal("parsed a test without a program")
		}
		p, err := dt.Program()
		if err != nil {
			checkErr(t, err)
			return
		}
		roundTrip(t, "fuzz", p)
	})
}
