package conformance

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/hbpf/hbpf/hbpf/isa"

	"github.com/hbpf/hbpf/hbpf/sim/timing"
)

// suiteDir returns ../shared/conformance beside the repository, or skips.
func suiteDir(t testing.TB, sub string) string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "conformance", sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("the conformance suite is not at %s (it is in CI): %v", dir, err)
	}
	return dir
}

func TestSuiteOnSimulator(t *testing.T) {
	dir := suiteDir(t, "tests")
	files, err := Files([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 313 {
		t.Errorf("found %d tests, want 313", len(files))
	}
	for _, prof := range timing.Profiles {
		rs := Run(files, &Sim{Profile: prof})
		for _, r := range rs {
			if !r.Pass {
				t.Errorf("%s [%s]: %s (want %s, got %s)", filepath.Base(r.File), prof.Name, r.Reason, r.Want, r.Got)
			}
		}
		p, f := Counts(rs)
		t.Logf("%s: %d passed, %d failed", prof.Name, p, f)
	}
}

// TestNegativeSuite checks every input the suite lists as one to reject: the
// program must be refused before it runs (malformed file, assembly or encoding),
// or, where it is well formed, the run must be reported as failing (wrong
// expected result, an expected error that does not happen).
func TestNegativeSuite(t *testing.T) {
	dir := suiteDir(t, "negative")
	files, err := Files([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	rejected := 0
	for _, f := range files {
		dt, err := isa.ReadDataFile(f)
		if err == nil {
			_, err = dt.Program()
		}
		if err != nil {
			rejected++
			continue
		}
		if r := RunFile(f, &Sim{}); r.Pass {
			t.Errorf("%s loaded and passed, but the suite lists it as an input to reject", filepath.Base(f))
		}
	}
	t.Logf("%d of %d negative inputs rejected before running", rejected, len(files))
}

func TestCyclesDifferByProfile(t *testing.T) {
	dir := suiteDir(t, "tests")
	f := filepath.Join(dir, "prime.data")
	a := RunFile(f, &Sim{Profile: timing.Hbpf})
	b := RunFile(f, &Sim{Profile: timing.HbpfClassic})
	if !a.Pass || !b.Pass {
		t.Fatalf("prime.data failed: %+v %+v", a, b)
	}
	if a.Insns != b.Insns || a.Cycles >= b.Cycles {
		t.Errorf("hbpf: %d insns %d cycles; classic: %d insns %d cycles — want same insns and fewer cycles on hbpf", a.Insns, a.Cycles, b.Insns, b.Cycles)
	}
}
