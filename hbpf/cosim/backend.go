package cosim

import (
	"errors"
	"fmt"

	"github.com/hbpf/hbpf/hbpf/conformance"
	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/rtl"
	"github.com/hbpf/hbpf/hbpf/sim"
	"github.com/hbpf/hbpf/hbpf/sim/timing"
)

// Backend is the conformance.Backend of the RTL: every test runs on the
// Verilated core through one harness session, in lock-step with the
// simulator. The outcome is the hardware's; a divergence from the simulator
// fails the test (see [RunConformance]).
type Backend struct {
	S         *Session
	Config    rtl.Config
	Profile   *timing.Profile // default the config's, else timing.Hbpf
	MaxCycles uint64
	// LastMismatch is the divergence of the last Run, if any.
	LastMismatch *Mismatch
	// Records counts the retirements compared.
	Records uint64
}

// Name returns "rtl".
func (b *Backend) Name() string { return "rtl" }

// Run runs p with r1 pointing to mem and r2 holding its length.
func (b *Backend) Run(p *isa.Program, mem []byte) (conformance.Outcome, error) {
	b.LastMismatch = nil
	prof := b.Profile
	if prof == nil {
		prof = b.Config.Profile
	}
	c, err := NewChecker(b.S, b.Config, []*isa.Program{p}, 0, nil,
		sim.Config{Conformance: true, Profile: prof, MaxCycles: b.MaxCycles})
	if err != nil {
		return conformance.Outcome{}, err
	}
	_, err = c.RunMem(append([]byte(nil), mem...))
	b.Records += c.Records
	var mm *Mismatch
	if errors.As(err, &mm) {
		b.LastMismatch = mm
		return conformance.Outcome{}, err
	}
	if err != nil {
		return conformance.Outcome{}, err
	}
	d := c.Last
	o := conformance.Outcome{R0: d.R0, Insns: d.Retired, Cycles: d.Cycles}
	if last := c.LastHW; last.Trap != sim.CauseNone {
		o.Fault = &sim.Fault{Cause: last.Trap, PC: last.PC, Detail: "in hardware"}
	}
	return o, nil
}

// RunConformance runs the .data files on the backend. Unlike
// conformance.Run, a divergence between the hardware and the simulator
// fails the test even when the test expects an error.
func RunConformance(files []string, b *Backend, each func(conformance.Result)) []conformance.Result {
	rs := make([]conformance.Result, len(files))
	for i, f := range files {
		r := conformance.RunFile(f, b)
		if b.LastMismatch != nil {
			r.Pass = false
			r.Reason = fmt.Sprintf("rtl and sim differ: %s", b.LastMismatch.Report())
		}
		rs[i] = r
		if each != nil {
			each(r)
		}
	}
	return rs
}
