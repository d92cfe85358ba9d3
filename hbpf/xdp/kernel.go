package xdp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/packets"
	"github.com/hbpf/hbpf/hbpf/sim"
	"github.com/hbpf/hbpf/hbpf/sim/maps"
)

// ErrKernelUnavailable is returned when programs cannot be loaded into the
// running kernel (not root, no BPF, a locked-down kernel).
var ErrKernelUnavailable = errors.New("the kernel cannot run BPF programs here")

// Kernel runs one program of an object through BPF_PROG_TEST_RUN.
type Kernel struct {
	coll   *ebpf.Collection
	prog   *ebpf.Program
	name   string
	maps   []*ebpf.Map // by isa.Object.Maps index (nil where absent)
	specs  []*isa.MapSpec
	Repeat int // runs per packet for timing (≥ 1); the output is from the last run
	// CPU is the CPU the runs are pinned to; per-CPU maps are dumped from it.
	CPU      int
	unpinned bool              // a run could not be pinned to CPU
	rings    []*ringbuf.Reader // readers of the ring buffers, by map (nil: not opened yet)
	ringErr  error             // why the ring buffers cannot be read
}

// KernelAvailable reports whether the kernel lets this process load and run an
// XDP program, and if not, why.
func KernelAvailable() error {
	_ = rlimit.RemoveMemlock()
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.XDP,
		License:      "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 2), asm.Return()},
	})
	if err != nil {
		return fmt.Errorf("%w: loading a two-instruction XDP program: %v", ErrKernelUnavailable, err)
	}
	defer p.Close()
	if _, err := p.Run(&ebpf.RunOptions{Data: make([]byte, 64)}); err != nil {
		return fmt.Errorf("%w: BPF_PROG_TEST_RUN: %v", ErrKernelUnavailable, err)
	}
	return nil
}

// NewKernel loads obj (its ELF file, or its single program if it has no file)
// into the kernel and selects program name (or the first XDP program).
func NewKernel(obj *isa.Object, name string) (*Kernel, error) {
	if err := KernelAvailable(); err != nil {
		return nil, err
	}
	idx, err := SelectProgram(obj, name)
	if err != nil {
		return nil, err
	}
	pname := obj.Programs[idx].Name
	k := &Kernel{name: pname, specs: obj.Maps, Repeat: 1}
	if isELF(obj.Path) {
		spec, err := ebpf.LoadCollectionSpec(obj.Path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", obj.Path, err)
		}
		// Prog arrays are filled by us below, from the object's static contents.
		for _, ms := range spec.Maps {
			if ms.Type == ebpf.ProgramArray {
				ms.Contents = nil
			}
		}
		coll, err := ebpf.NewCollection(spec)
		if err != nil {
			return nil, fmt.Errorf("%s: loading into the kernel: %w", obj.Path, err)
		}
		k.coll = coll
		k.prog = coll.Programs[pname]
		if k.prog == nil {
			coll.Close()
			return nil, fmt.Errorf("%s: the kernel collection has no program %q", obj.Path, pname)
		}
		k.maps = make([]*ebpf.Map, len(obj.Maps))
		for i, ms := range obj.Maps {
			k.maps[i] = coll.Maps[ms.Name]
		}
		for i, ms := range obj.Maps {
			if ms.Type != ebpf.ProgramArray || k.maps[i] == nil {
				continue
			}
			for _, kv := range ms.Contents {
				pi := binary.LittleEndian.Uint32(kv.Value)
				if int(pi) >= len(obj.Programs) {
					continue
				}
				target := coll.Programs[obj.Programs[pi].Name]
				if target == nil {
					continue
				}
				if err := k.maps[i].Put(kv.Key, uint32(target.FD())); err != nil {
					k.Close()
					return nil, fmt.Errorf("%s: filling prog array %s: %w", obj.Path, ms.Name, err)
				}
			}
		}
		return k, nil
	}
	if err := k.loadRaw(obj, idx); err != nil {
		k.Close()
		return nil, err
	}
	return k, nil
}

func isELF(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	_, err = f.Read(magic[:])
	return err == nil && string(magic[:]) == "\x7fELF"
}

// toAsm converts a program to cilium/ebpf instructions by decoding its bytes.
func toAsm(p *isa.Program) (asm.Instructions, error) {
	var insns asm.Instructions
	r := bytes.NewReader(p.Encode())
	for r.Len() > 0 {
		var ins asm.Instruction
		if err := ins.Unmarshal(r, binary.LittleEndian, "linux"); err != nil {
			return nil, err
		}
		insns = append(insns, ins)
	}
	return insns, nil
}

// Close releases the kernel objects.
func (k *Kernel) Close() {
	k.closeRings()
	if k.coll != nil {
		k.coll.Close()
		return
	}
	if k.prog != nil {
		k.prog.Close()
	}
	for _, m := range k.maps {
		if m != nil {
			m.Close()
		}
	}
}

// Run runs the program once on one packet. With Repeat > 1 it then times
// Repeat more runs (BPF_PROG_TEST_RUN's repeat) and reports the mean ns per run;
// those runs also change map state.
//
// The run happens on CPU k.CPU (the calling thread is pinned to it for the
// duration), so that per-CPU maps collect every update in one place, as the
// simulator's single core does. Metadata in front of the packet
// (bpf_xdp_adjust_meta) is reported in Meta, as the simulator does; the
// kernel returns it in front of the data.
func (k *Kernel) Run(p *packets.Packet) PacketResult {
	if len(p.Data) < MinFrame {
		return runtError(p)
	}
	pr := PacketResult{Index: p.Index, Len: len(p.Data)}
	if unpin, err := pinCPU(k.CPU); err != nil {
		k.unpinned = true
	} else {
		defer unpin()
	}
	out := make([]byte, len(p.Data)+sim.FrameSize)
	// An xdp_md in and out: data_end must be the packet length; on return
	// data is the metadata length (offsets are relative to data_meta).
	md := [6]uint32{1: uint32(len(p.Data))}
	var mdOut [6]uint32
	opts := &ebpf.RunOptions{Data: p.Data, DataOut: out, Context: md, ContextOut: &mdOut}
	ret, err := k.prog.Run(opts)
	if err != nil {
		pr.Action, pr.Error = "ERROR", err.Error()
		return pr
	}
	pr.Action, pr.Retval = sim.ActionName(uint64(ret)), uint64(ret)
	data := opts.DataOut
	if meta := int(mdOut[0]); meta > 0 && meta <= len(data) {
		pr.Meta = hex.EncodeToString(data[:meta])
		data = data[meta:]
	}
	pr.Data = hex.EncodeToString(data)
	pr.Ringbuf = k.drainRings()
	if k.Repeat > 1 {
		if _, dur, err := k.prog.Benchmark(p.Data, k.Repeat, nil); err == nil {
			pr.Ns = float64(dur) / float64(time.Nanosecond)
		}
		k.drainRings() // the timing runs' records are not this packet's
	}
	return pr
}

// MapEntries dumps map i as the simulator's maps.Map.Entries does (sorted by
// key). A per-CPU map gives the values of CPU k.CPU, where the runs happened.
func (k *Kernel) MapEntries(i int) ([]isa.MapKV, error) {
	if i >= len(k.maps) || k.maps[i] == nil {
		return nil, fmt.Errorf("map %d is not in the kernel collection", i)
	}
	m := k.maps[i]
	var out []isa.MapKV
	key := make([]byte, m.KeySize())
	it := m.Iterate()
	if perCPU(m.Type()) {
		if k.unpinned {
			return nil, fmt.Errorf("dumping per-CPU map %s: the runs could not be pinned to CPU %d, so its values are spread over CPUs", k.specs[i].Name, k.CPU)
		}
		var vals [][]byte
		for it.Next(&key, &vals) {
			if k.CPU >= len(vals) {
				return nil, fmt.Errorf("dumping per-CPU map %s: CPU %d is not possible (%d CPUs)", k.specs[i].Name, k.CPU, len(vals))
			}
			out = append(out, isa.MapKV{Key: bytes.Clone(key), Value: bytes.Clone(vals[k.CPU])})
		}
	} else {
		val := make([]byte, m.ValueSize())
		for it.Next(&key, &val) {
			out = append(out, isa.MapKV{Key: bytes.Clone(key), Value: bytes.Clone(val)})
		}
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("dumping map %s: %w", k.specs[i].Name, err)
	}
	sort.Slice(out, func(a, b int) bool { return bytes.Compare(out[a].Key, out[b].Key) < 0 })
	return out, nil
}

// Snapshot dumps every map of the object that the kernel holds, by name, in
// the simulator's dump format (prog arrays and ring buffers are left out: their
// values are kernel file descriptors or not iterable).
func (k *Kernel) Snapshot() (maps.Contents, error) {
	c := maps.Contents{}
	for i, s := range k.specs {
		if k.maps == nil || k.maps[i] == nil || s.Type == ebpf.ProgramArray || s.Type == ebpf.RingBuf {
			continue
		}
		kv, err := k.MapEntries(i)
		if err != nil {
			return nil, err
		}
		c[s.Name] = kv
	}
	return c, nil
}

// Preload writes entries into the kernel's maps (the --maps-in contents), by
// map name, with BPF_ANY updates.
func (k *Kernel) Preload(c maps.Contents) error {
	for name, kvs := range c {
		i := -1
		for j, s := range k.specs {
			if s.Name == name {
				i = j
			}
		}
		if i < 0 || k.maps == nil || k.maps[i] == nil {
			return fmt.Errorf("map %q is not in the kernel collection", name)
		}
		for e, kv := range kvs {
			if err := k.maps[i].Update(kv.Key, kv.Value, ebpf.UpdateAny); err != nil {
				return fmt.Errorf("map %s: entry %d: kernel update: %w", name, e, err)
			}
		}
	}
	return nil
}
