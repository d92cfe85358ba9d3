package xdp

import (
	"encoding/hex"

	"github.com/hbpf/hbpf/hbpf/sim"
)

// PacketResult is what running a program on one packet produced. It is the
// per-packet JSONL record of `hbpfc run --json`.
type PacketResult struct {
	Index    int                 `json:"index"`
	Action   string              `json:"action"`
	Retval   uint64              `json:"retval"`
	Insns    uint64              `json:"insns,omitempty"`
	Cycles   uint64              `json:"cycles,omitempty"`
	Ns       float64             `json:"ns,omitempty"` // kernel: mean ns per run (BPF_PROG_TEST_RUN)
	Len      int                 `json:"len"`          // input length
	Data     string              `json:"data"`         // hex of the packet after the program
	Meta     string              `json:"meta,omitempty"`
	Redirect *sim.Redirect       `json:"redirect,omitempty"`
	TailCall int                 `json:"tail_calls,omitempty"`
	Ringbuf  map[string][]string `json:"ringbuf,omitempty"` // ring-buffer records committed during the packet, hex, by map`
	Fault    *FaultInfo          `json:"fault,omitempty"`
	Error    string              `json:"error,omitempty"` // the packet could not be run (e.g. malformed)
}

// FaultInfo describes a trap for the record.
type FaultInfo struct {
	Cause  string `json:"cause"`
	Code   uint8  `json:"code"`
	PC     int    `json:"pc"`
	Prog   string `json:"prog,omitempty"`
	Detail string `json:"detail,omitempty"`
	Source string `json:"source,omitempty"`
}

// fromSim builds a record from a simulator result.
func fromSim(index, inLen int, r *sim.XDPResult) PacketResult {
	pr := PacketResult{
		Index: index, Action: sim.ActionName(uint64(uint32(r.R0))), Retval: r.R0, Insns: r.Insns,
		Cycles: r.Cycles, Len: inLen, Data: hex.EncodeToString(r.Data), TailCall: r.TailCall,
	}
	if len(r.Meta) > 0 {
		pr.Meta = hex.EncodeToString(r.Meta)
	}
	if r.Redirect.Present && uint32(r.R0) == sim.XDPRedirect {
		rd := r.Redirect
		pr.Redirect = &rd
	}
	if f := r.Fault; f != nil {
		pr.Action = "TRAP"
		pr.Fault = &FaultInfo{Cause: f.Cause.String(), Code: uint8(f.Cause), PC: f.PC, Prog: f.Prog, Detail: f.Detail, Source: f.Source}
	}
	return pr
}
