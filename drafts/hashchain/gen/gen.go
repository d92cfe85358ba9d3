//go:build ignore

// Writes a trace of random HASH map operations with the simulator's answers
// (hit, slot, probes), for the draft hash unit's testbench:
// one line per op: "op key-hex hit slot probes" (op 0 lookup, 1 insert, 2 delete).
package main

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"

	"github.com/cilium/ebpf"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/sim/maps"
)

func main() {
	max, _ := strconv.Atoi(os.Args[1])
	ks, _ := strconv.Atoi(os.Args[2])
	n, _ := strconv.Atoi(os.Args[3])
	m, err := maps.New(&isa.MapSpec{Name: "h", Type: ebpf.Hash, KeySize: uint32(ks), ValueSize: 8, MaxEntries: uint32(max)})
	if err != nil {
		panic(err)
	}
	p := m.(maps.Prober)
	rng := rand.New(rand.NewPCG(1, 2))
	fmt.Println(max, ks, maps.BucketBits(max), n)
	for i := 0; i < n; i++ {
		k := make([]byte, ks)
		k[0] = byte(rng.IntN(256))
		k[ks-1] ^= byte(rng.IntN(4))
		k[1] = byte(rng.IntN(max/128 + 1))
		op := rng.IntN(3)
		hit, slot := 0, 0
		switch op {
		case 0:
			if s := m.Lookup(k); s >= 0 {
				hit, slot = 1, s
			}
		case 1:
			if s := m.Peek(k); s >= 0 {
				hit, slot = 1, s
			}
			if err := m.Update(k, make([]byte, 8), maps.UpdateAny); err == nil && hit == 0 {
				slot = m.Peek(k)
			} else if err != nil {
				slot = -1 // full
			}
		case 2:
			if s := m.Peek(k); s >= 0 {
				hit, slot = 1, s
			}
			m.Delete(k)
		}
		fmt.Println(op, hex.EncodeToString(k), hit, slot, p.LastProbes())
	}
}
