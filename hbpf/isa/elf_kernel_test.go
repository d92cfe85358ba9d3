package isa

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/rlimit"
)

// elfKernelCollection loads path into the kernel with cilium/ebpf, or skips
// the test when the kernel cannot be used.
func elfKernelCollection(t *testing.T, path string) *ebpf.Collection {
	t.Helper()
	elfNeedRoot(t)
	// Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK.
	if err := rlimit.RemoveMemlock(); err != nil {
		t.Logf("raising RLIMIT_MEMLOCK: %v", err)
	}
	spec, err := ebpf.LoadCollectionSpec(path)
	if err != nil {
		t.Fatal(err)
	}
	coll, err := ebpf.NewCollection(spec)
	if errors.Is(err, ebpf.ErrNotSupported) || errors.Is(err, os.ErrPermission) {
		t.Skipf("the kernel refuses BPF (%v); needs a kernel with BPF syscall access", err)
	}
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			t.Fatalf("%s: %+v", path, ve)
		}
		t.Fatalf("%s: %v", path, err)
	}
	t.Cleanup(coll.Close)
	return coll
}

func elfNeedRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("loading BPF programs into the kernel needs root (CAP_BPF, CAP_NET_ADMIN); run the tests as root to cross-check with the verifier")
	}
}

// elfTestPackets are frames for BPF_PROG_TEST_RUN: IPv4/UDP, IPv4/TCP to
// port 23, an ICMP echo request, IPv6/UDP, ARP and a runt.
func elfTestPackets() [][]byte {
	eth := func(proto uint16) []byte {
		b := []byte{0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0, 0}
		binary.BigEndian.PutUint16(b[12:], proto)
		return b
	}
	ipv4 := func(proto byte, payload []byte) []byte {
		h := []byte{0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
		binary.BigEndian.PutUint16(h[2:], uint16(20+len(payload)))
		var sum uint32
		for i := 0; i < 20; i += 2 {
			sum += uint32(binary.BigEndian.Uint16(h[i:]))
		}
		sum = sum&0xffff + sum>>16
		sum = sum&0xffff + sum>>16
		binary.BigEndian.PutUint16(h[10:], ^uint16(sum))
		return append(h, payload...)
	}
	pad := func(b []byte) []byte {
		for len(b) < 64 {
			b = append(b, 0)
		}
		return b
	}
	udp := []byte{0x30, 0x39, 0x00, 0x35, 0, 16, 0, 0, 'h', 'b', 'p', 'f', 0, 0, 0, 0}
	tcp := append([]byte{0xc0, 0x01, 0x00, 23, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0}, make([]byte, 8)...)
	icmp := []byte{8, 0, 0xf7, 0xfe, 0, 1, 0, 0}
	ip6 := append([]byte{0x60, 0, 0, 0, 0, 16, 17, 64}, make([]byte, 32)...)
	ip6[23], ip6[39] = 1, 2
	return [][]byte{
		pad(append(eth(0x0800), ipv4(17, udp)...)),
		pad(append(eth(0x0800), ipv4(6, tcp)...)),
		pad(append(eth(0x0800), ipv4(1, icmp)...)),
		pad(append(append(eth(0x86dd), ip6...), udp...)),
		pad(append(eth(0x0806), make([]byte, 28)...)),
		eth(0x0800)[:14],
	}
}

// TestLoadELFKernel cross-checks the loader against the kernel: the bytes of
// every testdata program, with map fds patched in, must equal what
// cilium/ebpf loads, must pass the verifier on their own, and must compute
// the same verdicts and packets as the program cilium/ebpf loaded.
func TestLoadELFKernel(t *testing.T) {
	elfNeedRoot(t)
	paths := []string{"testdata/atomics.o", "testdata/legacy.o"}
	for _, tt := range elfTests {
		paths = append(paths, filepath.Join(elfXDPDir, tt.file))
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			obj, err := LoadELF(path)
			if err != nil {
				t.Fatal(err)
			}
			coll := elfKernelCollection(t, path)

			fds := make(map[string]int)
			for name, m := range coll.Maps {
				fds[name] = m.FD()
			}
			codes := elfCrossCheck(t, path, obj, fds)

			spec, err := ebpf.LoadCollectionSpec(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range obj.Programs {
				// The kernel wants BTF func info for callbacks and global
				// functions: take it, and the line info, from cilium/ebpf's
				// instructions, which line up with ours one to one.
				insns := elfAsm(t, codes[p.Name])
				meta := spec.Programs[p.Name].Instructions
				if len(meta) != len(insns) {
					t.Fatalf("%s: %d instructions, cilium/ebpf has %d", p.Name, len(insns), len(meta))
				}
				for i := range insns {
					insns[i].Metadata = meta[i].Metadata
					if insns[i].IsLoadFromMap() {
						insns[i] = insns[i].WithReference("")
					}
				}
				// Since Linux 6.18 a tail call needs the same expected attach
				// type (BPF_XDP for SEC("xdp")) as the programs in the array.
				ours, err := ebpf.NewProgram(&ebpf.ProgramSpec{
					Name:         p.Name,
					Type:         p.Type,
					AttachType:   spec.Programs[p.Name].AttachType,
					Instructions: insns,
					License:      obj.License,
				})
				if err != nil {
					var ve *ebpf.VerifierError
					if errors.As(err, &ve) {
						t.Fatalf("%s: the verifier rejects the loader's bytes: %+v", p.Name, ve)
					}
					t.Fatalf("%s: %v", p.Name, err)
				}
				defer ours.Close()

				theirs := coll.Programs[p.Name]
				for i, pkt := range elfTestPackets() {
					outA, outB := make([]byte, len(pkt)+64), make([]byte, len(pkt)+64)
					optA := &ebpf.RunOptions{Data: pkt, DataOut: outA}
					optB := &ebpf.RunOptions{Data: pkt, DataOut: outB}
					retA, errA := theirs.Run(optA)
					retB, errB := ours.Run(optB)
					if errA != nil || errB != nil {
						if errors.Is(errA, ebpf.ErrNotSupported) {
							t.Skipf("BPF_PROG_TEST_RUN not supported: %v", errA)
						}
						t.Fatalf("%s: packet %d: test run: %v / %v", p.Name, i, errA, errB)
					}
					if retA != retB || !bytes.Equal(optA.DataOut, optB.DataOut) {
						t.Errorf("%s: packet %d: cilium/ebpf's program returns %d and % x, the loader's %d and % x",
							p.Name, i, retA, optA.DataOut, retB, optB.DataOut)
					}
				}
			}
		})
	}
}
