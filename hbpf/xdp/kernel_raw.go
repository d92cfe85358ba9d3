package xdp

import (
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/hbpf/hbpf/hbpf/isa"
)

// loadRaw loads program idx of an object that has no ELF file (raw bytecode,
// assembly or a generated program) with its maps: every map of obj.Maps is
// created in the kernel with its initial contents, and every lddw that
// references a map by index (isa.PseudoMapFD, isa.PseudoMapValue) is bound to
// the new map's file descriptor, keeping a direct value access's offset.
func (k *Kernel) loadRaw(obj *isa.Object, idx int) error {
	k.maps = make([]*ebpf.Map, len(obj.Maps))
	for i, s := range obj.Maps {
		m, err := newKernelMap(s)
		if err != nil {
			return fmt.Errorf("%s: map %s: %w", obj.Path, s.Name, err)
		}
		k.maps[i] = m
	}
	p := obj.Programs[idx]
	insns, err := toAsm(p)
	if err != nil {
		return fmt.Errorf("%s: program %s: %w", obj.Path, p.Name, err)
	}
	for j := range insns {
		ins := &insns[j]
		if !ins.IsLoadFromMap() {
			continue
		}
		mi := int(uint32(ins.Constant))
		if mi >= len(k.maps) {
			return fmt.Errorf("%s: program %s: instruction %d references map %d, but there are %d maps: %w",
				obj.Path, p.Name, j, mi, len(k.maps), isa.ErrInvalid)
		}
		if err := ins.AssociateMap(k.maps[mi]); err != nil {
			return fmt.Errorf("%s: program %s: instruction %d: %w", obj.Path, p.Name, j, err)
		}
	}
	name := p.Name
	if name == "" || len(name) > 15 {
		name = "hbpf"
	}
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Name: sanitizeName(name), Type: ebpf.XDP, License: "GPL", Instructions: insns})
	if err != nil {
		return fmt.Errorf("%s: loading into the kernel: %w", obj.Path, err)
	}
	k.prog = prog
	return nil
}

// newKernelMap creates a kernel map from spec and fills it with the spec's
// initial contents.
func newKernelMap(s *isa.MapSpec) (*ebpf.Map, error) {
	flags := s.Flags
	if s.ReadOnly {
		flags |= unix.BPF_F_RDONLY_PROG
	}
	m, err := ebpf.NewMap(&ebpf.MapSpec{
		Type: s.Type, KeySize: s.KeySize, ValueSize: s.ValueSize,
		MaxEntries: s.MaxEntries, Flags: flags,
	})
	if err != nil {
		return nil, fmt.Errorf("creating in the kernel: %w", err)
	}
	ncpu := 1
	if perCPU(s.Type) {
		if ncpu, err = ebpf.PossibleCPU(); err != nil {
			m.Close()
			return nil, err
		}
	}
	for i, kv := range s.Contents {
		var v any = kv.Value
		if perCPU(s.Type) {
			// Every CPU starts with the value the simulator's one CPU has.
			vs := make([][]byte, ncpu)
			for c := range vs {
				vs[c] = kv.Value
			}
			v = vs
		}
		if err := m.Put(kv.Key, v); err != nil {
			m.Close()
			return nil, fmt.Errorf("initial entry %d: %w", i, err)
		}
	}
	return m, nil
}

// sanitizeName keeps the characters the kernel accepts in object names.
func sanitizeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}

// pinCPU locks the calling goroutine to its thread and the thread to cpu.
// The returned function restores the previous affinity and unlocks.
func pinCPU(cpu int) (func(), error) {
	if cpu < 0 {
		return nil, errors.New("negative CPU number")
	}
	runtime.LockOSThread()
	var old, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("reading the CPU affinity: %w", err)
	}
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("pinning to CPU %d: %w", cpu, err)
	}
	return func() {
		_ = unix.SchedSetaffinity(0, &old)
		runtime.UnlockOSThread()
	}, nil
}

// perCPU reports whether maps of type t hold one value per possible CPU.
func perCPU(t ebpf.MapType) bool {
	switch t {
	case ebpf.PerCPUArray, ebpf.PerCPUHash, ebpf.LRUCPUHash, ebpf.PerCPUCGroupStorage:
		return true
	}
	return false
}

// Program returns the loaded kernel program, for example to read back the
// instructions the verifier rewrote (Program.Info).
func (k *Kernel) Program() *ebpf.Program { return k.prog }

// drainRings returns the records committed to the object's ring buffers since
// the last call, hex by map name, as the simulator's records are reported
// (nil if there are none). The readers are opened on first use.
func (k *Kernel) drainRings() map[string][]string {
	if k.rings == nil && k.ringErr == nil {
		k.rings = make([]*ringbuf.Reader, len(k.specs))
		for i, s := range k.specs {
			if s.Type != ebpf.RingBuf || i >= len(k.maps) || k.maps[i] == nil {
				continue
			}
			rd, err := ringbuf.NewReader(k.maps[i])
			if err != nil {
				k.ringErr = fmt.Errorf("reading ring buffer %s: %w", s.Name, err)
				continue
			}
			k.rings[i] = rd
		}
	}
	var out map[string][]string
	for i, rd := range k.rings {
		if rd == nil {
			continue
		}
		rd.SetDeadline(time.Now()) // take what is there, do not wait
		for {
			rec, err := rd.Read()
			if err != nil {
				break
			}
			if out == nil {
				out = map[string][]string{}
			}
			out[k.specs[i].Name] = append(out[k.specs[i].Name], hex.EncodeToString(rec.RawSample))
		}
	}
	return out
}

func (k *Kernel) closeRings() {
	for _, rd := range k.rings {
		if rd != nil {
			rd.Close()
		}
	}
	k.rings = nil
}
