package isa

import (
	"bytes"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// rawColumn matches an llvm-objdump instruction line and captures its bytes.
var rawColumn = regexp.MustCompile(`^\s*\d+:\s+((?:[0-9a-f]{2} ){7,15}[0-9a-f]{2})\s`)

// TestAssembleLLVMObjdump pastes real llvm-objdump -d output of the repository's
// XDP objects into the assembler: the bytes must be those objdump shows.
func TestAssembleLLVMObjdump(t *testing.T) {
	objdump, err := exec.LookPath("llvm-objdump")
	if err != nil {
		t.Skip("llvm-objdump not installed (Debian package llvm)")
	}
	objs, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "xdp", "*.o"))
	if len(objs) == 0 {
		t.Skip("no objects in testdata/xdp (run make -C testdata)")
	}
	insns := 0
	for _, obj := range objs {
		out, err := exec.Command(objdump, "-d", "-r", obj).Output()
		if err != nil {
			t.Fatalf("%s: %v", obj, err)
		}
		var want []byte
		for _, l := range strings.Split(string(out), "\n") {
			if m := rawColumn.FindStringSubmatch(l); m != nil {
				b, _ := hex.DecodeString(strings.ReplaceAll(m[1], " ", ""))
				want = append(want, b...)
			}
		}
		p, err := Assemble(out, filepath.Base(obj)+".objdump")
		if err != nil {
			t.Errorf("%v\n%s", err, out)
			continue
		}
		if got := p.Encode(); !bytes.Equal(got, want) {
			t.Errorf("%s: assembled bytes differ from objdump's\n%s\n%s", obj, out, DisassembleString(p, &DisasmOptions{Syntax: SyntaxLLVM, Slots: true, Raw: true}))
		}
		insns += len(p.Insns)
	}
	t.Logf("assembled llvm-objdump -d -r output of %d objects (%d instructions) to the bytes objdump shows", len(objs), insns)
}

func TestAssembleObjdumpRawBytes(t *testing.T) {
	// llvm-objdump 14 prints "<unknown>" for ISA v4 and jset, and misreads callx:
	// the raw bytes decide.
	src := `
       0:	45 01 01 00 00 00 00 00	<unknown>
       1:	d7 01 00 00 10 00 00 00	<unknown>
       2:	95 00 00 00 00 00 00 00	exit
`
	p := mustAssemble(t, src)
	if got, want := p.Encode(), hexBytes(t, "45 01 01 00 00 00 00 00 d7 01 00 00 10 00 00 00 95 00 00 00 00 00 00 00"); !bytes.Equal(got, want) {
		t.Errorf("got % x, want % x", got, want)
	}
	_, err := Assemble([]byte("0:\t8d 02 00 00 00 00 00 00\tcallx r0\n1:\t95 00 00 00 00 00 00 00\texit\n"), "x.s")
	if err == nil || !strings.Contains(err.Error(), "x.s:1: instruction text encodes as 8d 00") {
		t.Errorf("mismatch error = %v", err)
	}
	_, err = Assemble([]byte("0:\t8f 02 00 00 00 00 00 00\t<unknown>\n"), "x.s")
	if err == nil || !strings.Contains(err.Error(), "x.s:1:") {
		t.Errorf("bad raw bytes error = %v", err)
	}
}
