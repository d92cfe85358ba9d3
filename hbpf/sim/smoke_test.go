package sim

import (
	"testing"

	"github.com/hbpf/hbpf/hbpf/isa"
)

func TestSmokeRaw(t *testing.T) {
	code := []byte{
		0xb7, 0x00, 0, 0, 42, 0, 0, 0, // mov r0, 42
		0x07, 0x00, 0, 0, 1, 0, 0, 0, // add r0, 1
		0x95, 0, 0, 0, 0, 0, 0, 0, // exit
	}
	p, err := isa.Decode(code)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New([]*isa.Program{p}, nil, Config{})
	if err != nil {
		t.Fatal(err)
	}
	var recs []Record
	m.cfg.Trace = func(r *Record) { recs = append(recs, *r) }
	res := m.RunMem(0, nil)
	if res.R0 != 43 || res.Insns != 3 || res.Cycles != 3 || res.Fault != nil {
		t.Fatalf("got %+v", res)
	}
	if len(recs) != 3 || !recs[2].Exit || recs[1].Value != 43 {
		t.Fatalf("records %+v", recs)
	}
}
