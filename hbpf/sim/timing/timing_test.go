package timing

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestHbpfMeetsTargets checks the hbpf profile against the targets of SPEC.md.
func TestHbpfMeetsTargets(t *testing.T) {
	c := Hbpf.Cost
	checks := []struct {
		what string
		got  int
		max  int
	}{
		{"alu", c[ALU], 1}, {"shift", c[Shift], 1}, {"swap", c[Swap], 1},
		{"load", c[Load], 2}, {"store", c[Store], 2},
		{"branch not taken", c[BranchNotTaken], 1}, {"branch taken", c[BranchTaken], 2},
		{"mul", c[Mul], 4}, {"div64", c[Div64], 34}, {"div32", c[Div32], c[Div64] - 1},
		{"exit", c[Exit], 1}, {"call local", c[CallLocal], 2}, {"return", c[Return], 2},
	}
	for _, ch := range checks {
		if ch.got > ch.max || ch.got < 1 {
			t.Errorf("hbpf %s costs %d cycles; the target is 1..%d", ch.what, ch.got, ch.max)
		}
	}
}

// TestClassicMatchesHBPF checks the classic profile against the original core's
// published figures (SPEC.md).
func TestClassicMatchesHBPF(t *testing.T) {
	c := HbpfClassic.Cost
	want := map[Class]int{ALU: 1, Mul: 1, Swap: 1, Shift: 4, Div32: 68, Div64: 68, Load: 14, Store: 15,
		Lddw: 2, Ja: 2, BranchTaken: 2, BranchNotTaken: 2, Exit: 1, Call: 2}
	for cl, w := range want {
		if c[cl] != w {
			t.Errorf("classic %s = %d, want %d", cl, c[cl], w)
		}
	}
	if HbpfClassic.Entry != 1 || HbpfClassic.StoreByte != 1 {
		t.Errorf("classic entry %d, store/byte %d; want 1 and 1", HbpfClassic.Entry, HbpfClassic.StoreByte)
	}
}

func TestLookup(t *testing.T) {
	for _, p := range Profiles {
		if got, err := Lookup(p.Name); err != nil || got != p {
			t.Errorf("Lookup(%q) = %v, %v", p.Name, got, err)
		}
	}
	if _, err := Lookup("nope"); err == nil || !strings.Contains(err.Error(), "hbpf-classic") {
		t.Errorf("Lookup(nope) error %v should list the profiles", err)
	}
}

// TestREADMETableCurrent checks that the table in README.md is what
// WriteMarkdown prints now (make docs regenerates it).
func TestREADMETableCurrent(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	readme, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	begin, end := []byte("<!-- timing:begin -->\n"), []byte("<!-- timing:end -->")
	i, j := bytes.Index(readme, begin), bytes.Index(readme, end)
	if i < 0 || j < i {
		t.Fatal("README.md lacks the timing markers")
	}
	var want bytes.Buffer
	if err := WriteMarkdown(&want); err != nil {
		t.Fatal(err)
	}
	got := bytes.TrimSpace(readme[i+len(begin) : j])
	if !bytes.Equal(got, bytes.TrimSpace(want.Bytes())) {
		t.Errorf("README.md's timing table is stale: run make docs")
	}
}
