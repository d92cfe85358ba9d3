package cosim

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/hbpf/hbpf/hbpf/conformance"
	"github.com/hbpf/hbpf/hbpf/rtl"
)

// suiteDir returns ../shared/conformance/tests beside the repository, or skips.
func suiteDir(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "conformance", "tests")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("the conformance suite is not at %s (it is in CI): %v", dir, err)
	}
	return dir
}

var (
	modelOnce sync.Once
	model     *Model
	modelErr  error
)

// defaultModel builds (or finds in the cache) the default core's model once
// per test binary.
func defaultModel(t testing.TB) *Model {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("co-simulation needs Verilator: %v", err)
	}
	modelOnce.Do(func() {
		model, modelErr = Build(context.Background(), BuildConfig{})
	})
	if modelErr != nil {
		t.Fatal(modelErr)
	}
	return model
}

func session(t testing.TB, m *Model) *Session {
	t.Helper()
	s, err := m.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestConformanceOnRTL(t *testing.T) {
	dir := suiteDir(t)
	m := defaultModel(t)
	files, err := conformance.Files([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	b := &Backend{S: session(t, m), Config: rtl.Config{}}
	rs := RunConformance(files, b, nil)
	sims := conformance.Run(files, &conformance.Sim{})
	for i, r := range rs {
		if !r.Pass {
			t.Errorf("%s: %s (want %s, got %s)", filepath.Base(r.File), r.Reason, r.Want, r.Got)
			continue
		}
		if s := sims[i]; r.Cycles != s.Cycles || r.Insns != s.Insns {
			t.Errorf("%s: rtl %d cycles %d insns, sim %d cycles %d insns", filepath.Base(r.File), r.Cycles, r.Insns, s.Cycles, s.Insns)
		}
	}
	p, f := conformance.Counts(rs)
	t.Logf("%d passed, %d failed; %d records compared, %d clock cycles", p, f, b.Records, b.S.Clocks)
}
