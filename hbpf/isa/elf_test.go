package isa

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
)

// elfXDPDir holds the XDP test programs (see testdata/xdp/README.md).
const elfXDPDir = "../../testdata/xdp"

type elfWantProg struct {
	name  string
	insns int      // instructions (lddw counts once)
	slots int      // 8-byte slots
	calls []string // local callees and function pointers, by name
}

type elfWantMap struct {
	name     string
	typ      ebpf.MapType
	key      uint32
	value    uint32
	max      uint32
	flags    uint32
	readOnly bool
	contents int
	inner    bool
}

var elfTests = []struct {
	file  string
	progs []elfWantProg
	maps  []elfWantMap
}{
	{
		file:  "xdp_count.o",
		progs: []elfWantProg{{name: "xdp_count", insns: 236, slots: 255}},
		maps:  []elfWantMap{{name: "proto_stats", typ: ebpf.Array, key: 4, value: 16, max: 11}},
	},
	{
		file:  "xdp_reflect.o",
		progs: []elfWantProg{{name: "xdp_reflect", insns: 103, slots: 103}},
	},
	{
		file:  "xdp_firewall.o",
		progs: []elfWantProg{{name: "xdp_firewall", insns: 88, slots: 93}},
		maps: []elfWantMap{
			{name: ".rodata", typ: ebpf.Array, key: 4, value: 5, max: 1, flags: bpfFRdonlyProg, readOnly: true, contents: 1},
			{name: "fw_rules", typ: ebpf.Hash, key: 16, value: 16, max: 1024},
			{name: ".rodata.str1.1", typ: ebpf.Array, key: 4, value: 28, max: 1, flags: bpfFRdonlyProg, readOnly: true, contents: 1},
		},
	},
	{
		file:  "xdp_flowtable.o",
		progs: []elfWantProg{{name: "xdp_flowtable", insns: 77, slots: 80}},
		maps: []elfWantMap{
			{name: "not_ip", typ: ebpf.Array, key: 4, value: 8, max: 1},
			{name: "flows", typ: ebpf.LRUHash, key: 16, value: 32, max: 4096},
		},
	},
	{
		file:  "xdp_encap.o",
		progs: []elfWantProg{{name: "xdp_encap", insns: 113, slots: 116}},
		maps: []elfWantMap{
			{name: ".rodata", typ: ebpf.Array, key: 4, value: 14, max: 1, flags: bpfFRdonlyProg, readOnly: true, contents: 1},
		},
	},
	{
		file:  "xdp_calls.o",
		progs: []elfWantProg{{name: "xdp_calls", insns: 134, slots: 136, calls: []string{"account", "csum_step", "csum_words", "parse_ipv4"}}},
		maps:  []elfWantMap{{name: "verdicts", typ: ebpf.Array, key: 4, value: 8, max: 5}},
	},
	{
		file: "xdp_tailcall.o",
		progs: []elfWantProg{
			{name: "xdp_tcp", insns: 43, slots: 45},
			{name: "xdp_udp", insns: 12, slots: 13},
			{name: "xdp_icmp", insns: 12, slots: 13},
			{name: "xdp_dispatch", insns: 47, slots: 50},
		},
		maps: []elfWantMap{
			{name: "jmp_table", typ: ebpf.ProgramArray, key: 4, value: 4, max: 4, contents: 3},
			{name: "tail_stats", typ: ebpf.PerCPUArray, key: 4, value: 8, max: 6},
		},
	},
	{
		file:  "xdp_redirect.o",
		progs: []elfWantProg{{name: "xdp_redirect", insns: 86, slots: 92}},
		maps: []elfWantMap{
			{name: ".data", typ: ebpf.Array, key: 4, value: 4, max: 1, contents: 1},
			{name: ".bss", typ: ebpf.Array, key: 4, value: 8, max: 1, contents: 1},
			{name: "tx_ports", typ: ebpf.DevMap, key: 4, value: 4, max: 64},
			{name: "verdict_stats", typ: ebpf.PerCPUArray, key: 4, value: 8, max: 5},
		},
	},
	{
		file:  "xdp_sample.o",
		progs: []elfWantProg{{name: "xdp_sample", insns: 72, slots: 79}},
		maps: []elfWantMap{
			{name: "rate_override", typ: ebpf.Array, key: 4, value: 4, max: 1},
			{name: "rate_config", typ: ebpf.ArrayOfMaps, key: 4, value: 4, max: 1, contents: 1, inner: true},
			{name: "samples", typ: ebpf.RingBuf, max: 256 * 1024},
			{name: ".rodata", typ: ebpf.Array, key: 4, value: 4, max: 1, flags: bpfFRdonlyProg, readOnly: true, contents: 1},
			{name: ".bss", typ: ebpf.Array, key: 4, value: 24, max: 1, contents: 1},
		},
	},
}

// TestLoadELFCoversTestdata makes sure every committed XDP object is in elfTests.
func TestLoadELFCoversTestdata(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(elfXDPDir, "*.o"))
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, tt := range elfTests {
		have = append(have, tt.file)
	}
	for _, f := range files {
		if !slices.Contains(have, filepath.Base(f)) {
			t.Errorf("%s has no entry in elfTests", f)
		}
	}
	if len(files) != len(elfTests) {
		t.Errorf("%d objects in %s, %d entries in elfTests", len(files), elfXDPDir, len(elfTests))
	}
}

func TestLoadELF(t *testing.T) {
	for _, tt := range elfTests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(elfXDPDir, tt.file)
			obj, err := LoadELF(path)
			if err != nil {
				t.Fatal(err)
			}
			if obj.Path != path {
				t.Errorf("Path = %q, want %q", obj.Path, path)
			}
			if obj.License != "Dual MIT/GPL" {
				t.Errorf("License = %q", obj.License)
			}
			if len(obj.Unsupported) != 0 || len(obj.Notes) != 0 {
				t.Errorf("Unsupported = %v, Notes = %q; want none", obj.Unsupported, obj.Notes)
			}

			if len(obj.Programs) != len(tt.progs) {
				t.Fatalf("%d programs, want %d", len(obj.Programs), len(tt.progs))
			}
			for i, want := range tt.progs {
				p := obj.Programs[i]
				if p.Name != want.name || len(p.Insns) != want.insns || p.NumSlots() != want.slots {
					t.Errorf("program %d: %s with %d instructions in %d slots, want %s with %d in %d",
						i, p.Name, len(p.Insns), p.NumSlots(), want.name, want.insns, want.slots)
				}
				if got, err := obj.Program(want.name); err != nil || got != p {
					t.Errorf("Program(%q) = %v, %v", want.name, got, err)
				}
				elfCheckProgram(t, obj, p, want.calls)
			}

			if len(obj.Maps) != len(tt.maps) {
				t.Fatalf("%d maps, want %d", len(obj.Maps), len(tt.maps))
			}
			for i, want := range tt.maps {
				m := obj.Maps[i]
				got := elfWantMap{m.Name, m.Type, m.KeySize, m.ValueSize, m.MaxEntries, m.Flags, m.ReadOnly, len(m.Contents), m.Inner != nil}
				if got != want {
					t.Errorf("map %d = %+v, want %+v", i, got, want)
				}
				if obj.MapIndex(want.name) != i {
					t.Errorf("MapIndex(%q) = %d, want %d", want.name, obj.MapIndex(want.name), i)
				}
				if got, err := obj.Map(want.name); err != nil || got != m {
					t.Errorf("Map(%q) = %v, %v", want.name, got, err)
				}
				for _, kv := range m.Contents {
					if len(kv.Key) != int(m.KeySize) || len(kv.Value) != int(m.ValueSize) {
						t.Errorf("map %s: content of %d/%d bytes, sizes %d/%d", m.Name, len(kv.Key), len(kv.Value), m.KeySize, m.ValueSize)
					}
				}
			}

			elfCrossCheck(t, path, obj, nil)
		})
	}
}

// elfCheckProgram checks the invariants of a program converted from an ELF object.
func elfCheckProgram(t *testing.T, obj *Object, p *Program, calls []string) {
	t.Helper()
	if p.Type != ebpf.XDP || p.Section != "xdp" {
		t.Errorf("%s: type %v in section %q, want XDP in xdp", p.Name, p.Type, p.Section)
	}

	var callees []string
	for i := range p.Insns {
		in := &p.Insns[i]
		switch {
		case in.Op == OpLddw && (in.Src == PseudoMapFD || in.Src == PseudoMapValue):
			idx, off := int(uint32(in.Imm)), uint64(in.Imm)>>32
			if idx >= len(obj.Maps) || obj.Maps[idx].Name != in.Ref {
				t.Errorf("%s: slot %d: map reference %q with index %d", p.Name, in.Slot, in.Ref, idx)
				continue
			}
			if in.Src == PseudoMapFD && off != 0 {
				t.Errorf("%s: slot %d: map fd load with offset %d", p.Name, in.Slot, off)
			}
			if in.Src == PseudoMapValue && off >= uint64(obj.Maps[idx].ValueSize) {
				t.Errorf("%s: slot %d: value offset %d beyond %s", p.Name, in.Slot, off, in.Ref)
			}
			if !strings.HasPrefix(in.Ref, ".") && in.Src != PseudoMapFD {
				t.Errorf("%s: slot %d: direct value access to map %s", p.Name, in.Slot, in.Ref)
			}
		case in.Op == OpCallLocal, in.Op == OpLddw && in.Src == PseudoFunc:
			if in.Target <= in.Slot && in.Op == OpCallLocal || in.Target < 0 || p.At(in.Target) == nil || in.Ref == "" {
				t.Errorf("%s: slot %d: %s to %q at slot %d", p.Name, in.Slot, in.Op, in.Ref, in.Target)
			}
			if !slices.Contains(callees, in.Ref) {
				callees = append(callees, in.Ref)
			}
		case in.Ref != "":
			t.Errorf("%s: slot %d: %s with reference %q", p.Name, in.Slot, in.Op, in.Ref)
		}
	}
	slices.Sort(callees)
	if !slices.Equal(callees, calls) {
		t.Errorf("%s: calls %q, want %q", p.Name, callees, calls)
	}

	// Line info: present, and quoting the source file.
	if p.Insns[0].Source == nil {
		t.Errorf("%s: no line info on the first instruction", p.Name)
	}
	src := elfSourceLines(t, p.Insns)
	n := 0
	for i := range p.Insns {
		l := p.Insns[i].Source
		if l == nil || l.Line == 0 {
			continue
		}
		n++
		lines, ok := src[l.File]
		if !ok || l.Line > len(lines) || strings.TrimSpace(lines[l.Line-1]) != strings.TrimSpace(l.Text) {
			t.Errorf("%s: slot %d: line info %s:%d %q does not match the source", p.Name, p.Insns[i].Slot, l.File, l.Line, l.Text)
		}
	}
	if n < len(p.Insns)/4 {
		t.Errorf("%s: only %d of %d instructions have line info", p.Name, n, len(p.Insns))
	}

	// Encoding round trip.
	back, err := Decode(p.Encode())
	if err != nil {
		t.Fatalf("%s: decode the re-encoded program: %v", p.Name, err)
	}
	for i := range p.Insns {
		a, b := p.Insns[i], back.Insns[i]
		a.Ref, a.Source = "", nil
		if a != b {
			t.Errorf("%s: instruction %d: %+v re-decodes as %+v", p.Name, i, a, b)
		}
	}
}

// elfSourceLines reads the C files that the line info of insns names.
func elfSourceLines(t *testing.T, insns []Insn) map[string][]string {
	t.Helper()
	src := make(map[string][]string)
	for i := range insns {
		l := insns[i].Source
		if l == nil {
			continue
		}
		if _, ok := src[l.File]; ok {
			continue
		}
		// Objects are built in testdata/ by relative path.
		f, err := os.Open(filepath.Join(elfXDPDir, "..", l.File))
		if err != nil {
			t.Errorf("line info names %q: %v", l.File, err)
			src[l.File] = nil
			continue
		}
		var lines []string
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		f.Close()
		src[l.File] = lines
	}
	return src
}

// elfFD stands in for a map when cilium/ebpf encodes a map reference.
type elfFD int

func (fd elfFD) FD() int { return int(fd) }

// elfCrossCheck compares every program's encoding with the one cilium/ebpf
// produces for the kernel, with fds standing in for the maps: fds[name] if
// given, else the map's index in obj.Maps. It returns the encodings.
func elfCrossCheck(t *testing.T, path string, obj *Object, fds map[string]int) map[string][]byte {
	t.Helper()
	spec, err := ebpf.LoadCollectionSpec(path)
	if err != nil {
		t.Fatal(err)
	}
	codes := make(map[string][]byte)
	for _, p := range obj.Programs {
		insns := slices.Clone(spec.Programs[p.Name].Instructions)
		for i := range insns {
			ins := &insns[i]
			if !ins.IsLoadFromMap() {
				continue
			}
			fd := obj.MapIndex(ins.Reference())
			if fds != nil {
				fd = fds[ins.Reference()]
			}
			if err := ins.AssociateMap(elfFD(fd)); err != nil {
				t.Fatal(err)
			}
		}
		var want bytes.Buffer
		if err := insns.Marshal(&want, binary.LittleEndian); err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}

		code := p.Encode()
		for i := range p.Insns {
			in := &p.Insns[i]
			if in.Op == OpLddw && (in.Src == PseudoMapFD || in.Src == PseudoMapValue) && fds != nil {
				binary.LittleEndian.PutUint32(code[in.Slot*SlotSize+4:], uint32(fds[in.Ref]))
			}
		}
		if !bytes.Equal(code, want.Bytes()) {
			for s := 0; s < len(code)/SlotSize && s < want.Len()/SlotSize; s++ {
				if a, b := code[s*SlotSize:(s+1)*SlotSize], want.Bytes()[s*SlotSize:(s+1)*SlotSize]; !bytes.Equal(a, b) {
					t.Errorf("%s: slot %d: % x, cilium/ebpf encodes % x", p.Name, s, a, b)
					break
				}
			}
			t.Errorf("%s: %d bytes differ from cilium/ebpf's %d", p.Name, len(code), want.Len())
		}
		codes[p.Name] = code
	}
	return codes
}

func TestLoadELFUnsupported(t *testing.T) {
	obj, err := LoadELF("testdata/unsupported.o")
	if err != nil {
		t.Fatal(err)
	}

	var progs []string
	for _, p := range obj.Programs {
		progs = append(progs, p.Name+":"+p.Type.String())
	}
	if want := []string{"core_local:XDP", "tc_pass:SchedCLS"}; !slices.Equal(progs, want) {
		t.Errorf("programs %q, want %q", progs, want)
	}
	if len(obj.Notes) != 1 || !strings.Contains(obj.Notes[0], "core_local: 2 CO-RE relocations") {
		t.Errorf("Notes = %q", obj.Notes)
	}

	want := map[string]struct {
		index int
		msg   string
	}{
		"kfunc_call":     {4, "kfunc bpf_xdp_metadata_rx_timestamp"},
		"ksym_addr":      {1, "extern symbol bpf_prog_active"},
		"kconfig_read":   {0, "__kconfig"},
		"extern_call":    {1, "function undefined_function"},
		"core_target_id": {0, "target_type_id"},
	}
	// The program array entry for kfunc_call is left out, the one for
	// core_local is kept.
	if len(obj.Unsupported) > 0 {
		e := obj.Unsupported[len(obj.Unsupported)-1]
		if e.Map != "progs" || e.Program != "" || !strings.Contains(e.Error(), "kfunc_call, which could not be converted") || !errors.Is(e, ErrUnsupported) {
			t.Errorf("last unsupported entry %v, want the progs entry naming kfunc_call", e)
		} else {
			obj.Unsupported = obj.Unsupported[:len(obj.Unsupported)-1]
		}
	}
	m, err := obj.Map("progs")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Contents) != 1 || !bytes.Equal(m.Contents[0].Key, []byte{1, 0, 0, 0}) ||
		int(binary.LittleEndian.Uint32(m.Contents[0].Value)) != obj.ProgramIndex("core_local") {
		t.Errorf("progs contents %+v, want slot 1 = index of core_local", m.Contents)
	}

	if len(obj.Unsupported) != len(want) {
		t.Errorf("%d unsupported programs, want %d: %v", len(obj.Unsupported), len(want), obj.Unsupported)
	}
	for _, e := range obj.Unsupported {
		w, ok := want[e.Program]
		if !ok {
			t.Errorf("unexpected: %v", e)
			continue
		}
		if e.Index != w.index || e.File != "testdata/unsupported.o" || !strings.Contains(e.Error(), w.msg) {
			t.Errorf("%v: want instruction %d and %q", e, w.index, w.msg)
		}
		if !errors.Is(e, ErrUnsupported) || !errors.Is(e, ErrInvalid) {
			t.Errorf("%v does not match ErrUnsupported and ErrInvalid", e)
		}
		if _, err := obj.Program(e.Program); err != e {
			t.Errorf("Program(%q) error %v, want %v", e.Program, err, e)
		}
	}

	// The CO-RE relocations resolve to the compiled offsets, h_proto at 12.
	p, err := obj.Program("core_local")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, in := range p.Insns {
		if in.Op == OpLdx && in.Size == 2 && in.Off == 12 {
			found = true
		}
	}
	if !found {
		t.Errorf("core_local: no 2-byte load of h_proto at offset 12")
	}
}

func TestLoadELFLegacyMaps(t *testing.T) {
	obj, err := LoadELF("testdata/legacy.o")
	if err != nil {
		t.Fatal(err)
	}
	m, err := obj.Map("legacy_counts")
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != ebpf.Array || m.KeySize != 4 || m.ValueSize != 8 || m.MaxEntries != 2 {
		t.Errorf("legacy_counts = %+v", *m)
	}
	p, err := obj.Program("xdp_legacy")
	if err != nil {
		t.Fatal(err)
	}
	if p.Section != "xdp/legacy" || p.Type != ebpf.XDP {
		t.Errorf("xdp_legacy: section %q type %v", p.Section, p.Type)
	}
}

func TestObjectLookupErrors(t *testing.T) {
	obj, err := LoadELF(filepath.Join(elfXDPDir, "xdp_tailcall.o"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = obj.Program("nope")
	if !errors.Is(err, ErrNotInObject) || !strings.Contains(err.Error(), "xdp_tcp, xdp_udp, xdp_icmp, xdp_dispatch") ||
		!strings.Contains(err.Error(), "xdp_tailcall.o") {
		t.Errorf("Program(nope): %v", err)
	}
	_, err = obj.Map("nope")
	if !errors.Is(err, ErrNotInObject) || !strings.Contains(err.Error(), "jmp_table, tail_stats") {
		t.Errorf("Map(nope): %v", err)
	}
	if obj.ProgramIndex("nope") != -1 || obj.MapIndex("nope") != -1 {
		t.Errorf("index of a missing name is not -1")
	}

	// The program array holds the indices of the programs it names.
	jt, err := obj.Map("jmp_table")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"xdp_tcp", "xdp_udp", "xdp_icmp"} {
		kv := jt.Contents[i]
		key, val := binary.LittleEndian.Uint32(kv.Key), binary.LittleEndian.Uint32(kv.Value)
		if key != uint32(i) || int(val) >= len(obj.Programs) || obj.Programs[val].Name != want {
			t.Errorf("jmp_table[%d] = %d, want the index of %s", key, val, want)
		}
	}
}

func TestLoadELFMapInMap(t *testing.T) {
	obj, err := LoadELF(filepath.Join(elfXDPDir, "xdp_sample.o"))
	if err != nil {
		t.Fatal(err)
	}
	outer, err := obj.Map("rate_config")
	if err != nil {
		t.Fatal(err)
	}
	in := outer.Inner
	if in == nil || in.Type != ebpf.Array || in.KeySize != 4 || in.ValueSize != 4 || in.MaxEntries != 1 {
		t.Fatalf("inner map %+v", in)
	}
	if len(outer.Contents) != 1 || binary.LittleEndian.Uint32(outer.Contents[0].Value) != uint32(obj.MapIndex("rate_override")) {
		t.Errorf("rate_config contents %+v, want slot 0 = index of rate_override", outer.Contents)
	}
	ro, _ := obj.Map(".rodata")
	if !bytes.Equal(ro.Contents[0].Value, []byte{64, 0, 0, 0}) || !bytes.Equal(ro.Contents[0].Key, []byte{0, 0, 0, 0}) {
		t.Errorf(".rodata contents %+v, want key 0 → cfg_default_rate 64", ro.Contents)
	}
}

// elfTestFiles returns every ELF object the tests use.
func elfTestFiles(t testing.TB) []string {
	var files []string
	for _, pattern := range []string{filepath.Join(elfXDPDir, "*.o"), "testdata/*.o"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no test objects")
	}
	return files
}

func TestLoadELFMalformed(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(elfXDPDir, "xdp_calls.o"))
	if err != nil {
		t.Fatal(err)
	}
	patched := func(off int, b ...byte) []byte {
		c := bytes.Clone(good)
		copy(c[off:], b)
		return c
	}
	tests := []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "too short for an ELF header"},
		{"short", []byte{0x7f, 'E', 'L'}, "too short for an ELF header"},
		{"text", []byte("int main(void) { return 0; }\n"), "not an ELF file"},
		{"header only", good[:64], "malformed ELF"},
		{"truncated", good[:len(good)/2], "malformed ELF"},
		{"32-bit", patched(4, byte(1)), "ELFCLASS32"},
		{"big-endian", patched(5, byte(2)), "big-endian"},
		{"bad data encoding", patched(5, byte(7)), "data encoding"},
		{"x86-64", patched(18, 62, 0), "EM_X86_64"},
		{"executable", patched(16, 2, 0), "ET_EXEC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "bad-" + strings.ReplaceAll(tt.name, " ", "-") + ".o"
			obj, err := LoadELFReader(bytes.NewReader(tt.data), name)
			if err == nil {
				t.Fatalf("loaded %d programs", len(obj.Programs))
			}
			if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), name+": ") || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q: want ErrInvalid, naming %s and saying %q", err, name, tt.msg)
			}
		})
	}

	t.Run("host binary", func(t *testing.T) {
		for _, bin := range []string{"/bin/true", "/usr/bin/true"} {
			if _, err := os.Stat(bin); err != nil {
				continue
			}
			_, err := LoadELF(bin)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), bin) || !strings.Contains(err.Error(), "not a BPF object") {
				t.Errorf("LoadELF(%s): %v", bin, err)
			}
			return
		}
		t.Skip("no /bin/true on this system")
	})

	t.Run("missing file", func(t *testing.T) {
		_, err := LoadELF("testdata/does-not-exist.o")
		if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrInvalid) {
			t.Errorf("LoadELF of a missing file: %v, want fs.ErrNotExist, not ErrInvalid", err)
		}
	})
}

// TestLoadELFTruncated cuts every test object at many lengths: each cut must
// be an ErrInvalid error naming the file, never a panic or a success.
func TestLoadELFTruncated(t *testing.T) {
	for _, f := range elfTestFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		step := max(1, len(data)/200)
		for n := 0; n < len(data); n += step {
			_, err := LoadELFReader(bytes.NewReader(data[:n]), "cut.o")
			if err == nil {
				// A cut in trailing debug sections can leave a loadable object.
				continue
			}
			if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "cut.o: ") {
				t.Errorf("%s cut at %d: %v", f, n, err)
			}
		}
	}
}

// TestLoadELFCorrupt flips bytes of every test object at pseudo-random places.
func TestLoadELFCorrupt(t *testing.T) {
	seed := uint32(1)
	rnd := func(n int) int {
		seed ^= seed << 13
		seed ^= seed >> 17
		seed ^= seed << 5
		return int(seed % uint32(n))
	}
	for _, f := range elfTestFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for range 300 {
			c := bytes.Clone(data)
			for range 1 + rnd(4) {
				c[rnd(len(c))] ^= byte(1 + rnd(255))
			}
			elfCheckLoad(t, c)
		}
	}
}

// elfCheckLoad loads data and checks the result: an ErrInvalid error, or an
// object whose programs and maps are consistent.
func elfCheckLoad(t testing.TB, data []byte) {
	obj, err := LoadELFReader(bytes.NewReader(data), "input.o")
	if err != nil {
		if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "input.o: ") {
			t.Fatalf("error %q does not match ErrInvalid or name the file", err)
		}
		if strings.Contains(err.Error(), "panicked") {
			t.Fatalf("reading the object panicked: %v", err)
		}
		return
	}
	for _, p := range obj.Programs {
		if len(p.Insns) == 0 {
			t.Fatalf("%s: empty program", p.Name)
		}
		back, err := Decode(p.Encode())
		if err != nil || len(back.Insns) != len(p.Insns) {
			t.Fatalf("%s: re-encoded program does not decode: %v", p.Name, err)
		}
		for i := range p.Insns {
			in := &p.Insns[i]
			if in.Op == OpLddw && (in.Src == PseudoMapFD || in.Src == PseudoMapValue) {
				idx := int(uint32(in.Imm))
				if idx >= len(obj.Maps) || obj.Maps[idx].Name != in.Ref {
					t.Fatalf("%s: slot %d: map reference %q with index %d", p.Name, in.Slot, in.Ref, idx)
				}
			}
			if in.Target >= p.NumSlots() {
				t.Fatalf("%s: slot %d: target %d outside the program", p.Name, in.Slot, in.Target)
			}
		}
	}
	for _, m := range obj.Maps {
		for _, kv := range m.Contents {
			if len(kv.Key) != int(m.KeySize) || len(kv.Value) != int(m.ValueSize) {
				t.Fatalf("map %s: content of %d/%d bytes, sizes %d/%d", m.Name, len(kv.Key), len(kv.Value), m.KeySize, m.ValueSize)
			}
		}
	}
	for _, e := range obj.Unsupported {
		if !errors.Is(e, ErrUnsupported) {
			t.Fatalf("unsupported entry %v does not match ErrUnsupported", e)
		}
	}
}

// elfAsm decodes raw bytecode into cilium/ebpf instructions.
func elfAsm(t *testing.T, code []byte) asm.Instructions {
	t.Helper()
	insns, err := asm.AppendInstructions(nil, bytes.NewReader(code), binary.LittleEndian, "linux")
	if err != nil {
		t.Fatal(err)
	}
	return insns
}

// TestLoadELFAtomics checks that every atomic operation survives the trip
// through cilium/ebpf's decoder and encoder with its immediate intact.
func TestLoadELFAtomics(t *testing.T) {
	const path = "testdata/atomics.o"
	obj, err := LoadELF(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := obj.Program("xdp_atomics")
	if err != nil {
		t.Fatal(err)
	}
	type op struct {
		atomic AtomicOp
		fetch  bool
		size   uint8
	}
	var want, got []op
	for _, a := range []AtomicOp{AtomicAdd, AtomicAnd, AtomicOr, AtomicXor} {
		for _, fetch := range []bool{false, true} {
			want = append(want, op{a, fetch, 8}, op{a, fetch, 4})
		}
	}
	want = append(want, op{AtomicXchg, true, 8}, op{AtomicXchg, true, 4}, op{AtomicCmpXchg, true, 8}, op{AtomicCmpXchg, true, 4})
	for _, in := range p.Insns {
		if in.Op == OpAtomic {
			got = append(got, op{in.Atomic, in.Fetch, in.Size})
		}
	}
	key := func(o op) string { return fmt.Sprint(o) }
	slices.SortFunc(want, func(a, b op) int { return strings.Compare(key(a), key(b)) })
	slices.SortFunc(got, func(a, b op) int { return strings.Compare(key(a), key(b)) })
	if !slices.Equal(got, want) {
		t.Errorf("atomics %v, want %v", got, want)
	}
	elfCrossCheck(t, path, obj, nil)
}
