// Package conformance runs bpf_conformance `.data` tests (the public eBPF
// conformance suite) against a backend: the simulator, or the RTL through
// co-simulation.
package conformance

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/sim"
	"github.com/hbpf/hbpf/hbpf/sim/timing"
)

// Outcome is what a backend observed running one program.
type Outcome struct {
	R0     uint64
	Insns  uint64
	Cycles uint64
	Fault  error // a trap, if the program faulted
}

// Backend runs a program with r1 pointing to mem and r2 holding its length.
type Backend interface {
	Name() string
	Run(p *isa.Program, mem []byte) (Outcome, error)
}

// Sim is the simulator backend.
type Sim struct {
	Profile   *timing.Profile // default timing.Hbpf
	MaxCycles uint64
}

// Name returns "sim".
func (s *Sim) Name() string { return "sim" }

// Run runs p in a fresh machine in conformance mode.
func (s *Sim) Run(p *isa.Program, mem []byte) (Outcome, error) {
	m, err := sim.New([]*isa.Program{p}, nil, sim.Config{Conformance: true, Profile: s.Profile, MaxCycles: s.MaxCycles})
	if err != nil {
		return Outcome{}, err
	}
	r := m.RunMem(0, bytes.Clone(mem))
	o := Outcome{R0: r.R0, Insns: r.Insns, Cycles: r.Cycles}
	if r.Fault != nil {
		o.Fault = r.Fault
	}
	return o, nil
}

// Result is the verdict on one test file.
type Result struct {
	File   string `json:"file"`
	Pass   bool   `json:"pass"`
	Want   string `json:"want"`             // expected r0 ("0x…") or "error"
	Got    string `json:"got"`              // observed r0 or the error
	Insns  uint64 `json:"insns,omitempty"`  // instructions retired
	Cycles uint64 `json:"cycles,omitempty"` // cycles counted
	Reason string `json:"reason,omitempty"` // why it failed
}

// RunFile runs one .data file. A test with an "-- error" section passes when
// the program is rejected (parse, assembly, decode) or traps; any other test
// passes when it runs without a trap and r0 equals "-- result".
func RunFile(path string, b Backend) Result {
	res := Result{File: path}
	t, err := isa.ReadDataFile(path)
	if err != nil {
		return verdictOnError(res, t, err)
	}
	res.Want = "error"
	if !t.HasError {
		if !t.HasResult {
			res.Got, res.Reason = "", "test has neither a result nor an error section"
			return res
		}
		res.Want = fmt.Sprintf("0x%x", t.Result)
	}
	p, err := t.Program()
	if err != nil {
		return verdictOnError(res, t, err)
	}
	o, err := b.Run(p, t.Mem)
	if err != nil {
		return verdictOnError(res, t, err)
	}
	res.Insns, res.Cycles = o.Insns, o.Cycles
	if o.Fault != nil {
		return verdictOnError(res, t, o.Fault)
	}
	res.Got = fmt.Sprintf("0x%x", o.R0)
	switch {
	case t.HasError:
		res.Reason = "expected an error, but the program ran"
	case o.R0 != t.Result:
		res.Reason = fmt.Sprintf("r0 = %s, want %s", res.Got, res.Want)
	default:
		res.Pass = true
	}
	return res
}

func verdictOnError(res Result, t *isa.DataTest, err error) Result {
	res.Got = err.Error()
	if t != nil && t.HasError {
		res.Want, res.Pass = "error", true
		return res
	}
	if res.Want == "" {
		res.Want = "a result"
	}
	res.Reason = err.Error()
	return res
}

// Files expands the arguments (files or directories) into the .data files
// they name, sorted within each directory.
func Files(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		m, err := filepath.Glob(filepath.Join(a, "*.data"))
		if err != nil {
			return nil, err
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%s: no .data files in the directory", a)
		}
		sort.Strings(m)
		out = append(out, m...)
	}
	return out, nil
}

// Run runs every file with b and returns the results in order.
func Run(files []string, b Backend) []Result {
	rs := make([]Result, len(files))
	for i, f := range files {
		rs[i] = RunFile(f, b)
	}
	return rs
}

// Counts returns how many results passed and failed.
func Counts(rs []Result) (passed, failed int) {
	for _, r := range rs {
		if r.Pass {
			passed++
		} else {
			failed++
		}
	}
	return
}
