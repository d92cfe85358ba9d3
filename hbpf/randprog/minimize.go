package randprog

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/packets"
	"github.com/hbpf/hbpf/hbpf/sim"
	"github.com/hbpf/hbpf/hbpf/xdp"
)

// Minimize shrinks the random program for seed (generated with opts) on
// which the simulator and the kernel disagree, to make the cause easy to
// see. It replaces the program's payload instructions (those that compute
// values, not those that hold it together: bounds checks, pointer set-up,
// stack initialisation, the observing epilogue) by no-ops (ja +0; two for an
// lddw, so no jump moves), one at a time, keeping each replacement after
// which the kernel still accepts the program and it still diverges in the
// same way (the same Divergence.What) on pkts, run in order from fresh maps
// in a simulator configured by cfg, as Check does. It returns the smallest program found and its divergence,
// or a nil divergence if the program does not diverge.
func Minimize(seed int64, opts Options, pkts []packets.Packet, cfg sim.Config) (*isa.Program, *xdp.Divergence, error) {
	p, specs, payload, err := generate(seed, opts)
	if err != nil {
		return nil, nil, err
	}
	v, err := diverges(p, specs, pkts, cfg)
	if err != nil || v == nil {
		return p, nil, err
	}
	cur := append([]isa.Insn(nil), p.Insns...)
	for changed := true; changed; {
		changed = false
		for i := range cur {
			if !payload[i] || isNop(&cur[i]) {
				continue
			}
			try := append([]isa.Insn(nil), cur[:i]...)
			mask := append([]bool(nil), payload[:i]...)
			try = append(try, nop())
			mask = append(mask, false)
			if cur[i].Op == isa.OpLddw {
				try = append(try, nop())
				mask = append(mask, false)
			}
			try = append(try, cur[i+1:]...)
			mask = append(mask, payload[i+1:]...)
			q, err := isa.FromInsns(try)
			if err != nil {
				continue
			}
			q.Name, q.Section, q.Type = p.Name, p.Section, p.Type
			w, err := diverges(q, specs, pkts, cfg)
			if err != nil {
				return nil, nil, err
			}
			if w != nil && w.What == v.What {
				cur, payload, v, changed = q.Insns, mask, w, true
				break
			}
		}
	}
	q, err := isa.FromInsns(cur)
	if err != nil {
		return nil, nil, fmt.Errorf("minimize seed %d: %w", seed, err)
	}
	q.Name, q.Section, q.Type = p.Name, p.Section, p.Type
	v.Prog = q
	return q, v, nil
}

func nop() isa.Insn { return isa.Insn{Op: isa.OpJa} }

func isNop(in *isa.Insn) bool { return in.Op == isa.OpJa && !in.ALU32 && in.Off == 0 }

// diverges runs p on pkts in both and returns the first divergence; a program
// the verifier refuses counts as not diverging.
func diverges(p *isa.Program, specs []*isa.MapSpec, pkts []packets.Packet, cfg sim.Config) (*xdp.Divergence, error) {
	obj := &isa.Object{Path: p.Name, License: "GPL", Programs: []*isa.Program{p}, Maps: specs}
	d, err := xdp.NewDiffer(obj, "", cfg)
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, nil
		}
		return nil, err
	}
	defer d.Close()
	for i := range pkts {
		v, err := d.Packet(&pkts[i])
		if v != nil || err != nil {
			return v, err
		}
	}
	return nil, nil
}

// Compact disassembles a minimized program without its no-ops and the
// labels nothing jumps to any more.
func Compact(p *isa.Program) string {
	lines := strings.Split(isa.DisassembleString(p, &isa.DisasmOptions{Labels: true}), "\n")
	var keep []string
	used := map[string]bool{}
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		// A no-op jumps to the label on the next line.
		if target, ok := strings.CutPrefix(t, "ja "); ok && i+1 < len(lines) && strings.TrimSpace(lines[i+1]) == target+":" {
			continue
		}
		if !strings.HasSuffix(t, ":") {
			for _, f := range strings.FieldsFunc(t, func(r rune) bool { return r == ' ' || r == ',' }) {
				used[f] = true
			}
		}
		keep = append(keep, l)
	}
	var b strings.Builder
	for _, l := range keep {
		if t := strings.TrimSpace(l); strings.HasSuffix(t, ":") && !used[strings.TrimSuffix(t, ":")] {
			continue
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}
