package isa

import (
	"bytes"
	"cmp"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
)

// Object is a BPF ELF object file, read without a kernel: every program decoded
// into a [Program] with its relocations resolved, and every map the programs
// can reference.
//
// Map references are encoded as the kernel would see them with the map's
// index in Maps standing in for its file descriptor: an lddw that loads a map
// has Src [PseudoMapFD] (or [PseudoMapValue] for global data and direct value
// access), Ref set to the map's name and Imm = offset<<32 | index. Local calls
// and function pointers (lddw [PseudoFunc]) are linked into the program that
// uses them, so their targets are slots within it, and carry the callee's name
// in Ref. Where the object has BTF line info, Insn.Source holds it: it is set
// on the first instruction of each source line (line 0 marks code the
// compiler made up) and applies until the next instruction that has one.
type Object struct {
	Path     string     // file name as given to LoadELF or LoadELFReader
	License  string     // contents of the "license" section
	Programs []*Program // in ELF order: by section, then by offset
	Maps     []*MapSpec // in ELF order; map references carry an index into Maps

	// Unsupported lists the programs (or static map contents) that could not be
	// converted because they use features hbpf cannot represent, such as kfunc
	// calls. Each error matches ErrUnsupported.
	Unsupported []*ELFError

	// Notes records assumptions made while loading, for example CO-RE
	// relocations resolved against the object's own BTF.
	Notes []string
}

// ErrUnsupported is wrapped by the errors about valid BPF objects that use
// features hbpf cannot represent: kfunc calls, ksym and kconfig externs, CO-RE
// relocations that need the kernel's BTF, big-endian objects and the like.
var ErrUnsupported = errors.New("unsupported feature")

// ErrNotInObject is wrapped by the errors of [Object.Program] and [Object.Map]
// when the object has no program or map of the given name.
var ErrNotInObject = errors.New("not in object")

// ELFError is a rejected or unsupported ELF object: the file and what is wrong,
// and where known the program, the map and the instruction concerned.
//
// It matches [ErrInvalid] with errors.Is, so that callers can treat any
// object they cannot use as bad input, and also whatever Err wraps, for
// example [ErrUnsupported].
type ELFError struct {
	File    string // the object's path or name
	Program string // program concerned, if any
	Map     string // map concerned, if any
	Index   int    // instruction index (slot) in the program, or -1
	Err     error  // what is wrong
}

// Error returns the message: file, program, map, instruction, then the reason.
func (e *ELFError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Program != "" {
		fmt.Fprintf(&b, ": program %s", e.Program)
	}
	if e.Map != "" {
		fmt.Fprintf(&b, ": map %s", e.Map)
	}
	if e.Index >= 0 {
		fmt.Fprintf(&b, ": instruction %d", e.Index)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

// Unwrap returns ErrInvalid and the underlying error.
func (e *ELFError) Unwrap() []error { return []error{ErrInvalid, e.Err} }

// bpfFRdonlyProg is BPF_F_RDONLY_PROG: the program may only read the map.
const bpfFRdonlyProg = 1 << 7

// LoadELF reads the BPF ELF object file at path. See [LoadELFReader].
//
// Errors opening the file are returned as they are (an *fs.PathError); errors
// about its contents match [ErrInvalid].
func LoadELF(path string) (*Object, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return LoadELFReader(f, path)
}

// LoadELFReader reads a BPF ELF object from r, using name in errors and as
// Object.Path. It needs no kernel: the object is parsed by cilium/ebpf's
// ebpf.LoadCollectionSpecFromReader and every program is re-encoded and
// decoded with [Decode].
//
// A malformed object is an error naming the file and what is wrong; it matches
// [ErrInvalid]. Programs that use features hbpf cannot represent are left out
// of Object.Programs and listed in Object.Unsupported. LoadELFReader does not
// panic, whatever the input.
func LoadELFReader(r io.ReaderAt, name string) (obj *Object, err error) {
	defer func() {
		if p := recover(); p != nil {
			obj = nil
			err = &ELFError{File: name, Index: -1, Err: fmt.Errorf("malformed object: reading it panicked: %v", p)}
		}
	}()

	layout, err := readLayout(r)
	if err != nil {
		return nil, &ELFError{File: name, Index: -1, Err: err}
	}

	spec, err := ebpf.LoadCollectionSpecFromReader(r)
	if err != nil {
		return nil, &ELFError{File: name, Index: -1, Err: err}
	}

	c := &converter{
		file:   name,
		spec:   spec,
		layout: layout,
		obj:    &Object{Path: name},
	}
	if err := c.convert(); err != nil {
		return nil, err
	}
	return c.obj, nil
}

// Program returns the program called name. The error names the programs the
// object has, or says why the program could not be converted.
func (o *Object) Program(name string) (*Program, error) {
	if i := o.ProgramIndex(name); i >= 0 {
		return o.Programs[i], nil
	}
	for _, err := range o.Unsupported {
		if err.Program == name {
			return nil, err
		}
	}
	names := make([]string, len(o.Programs))
	for i, p := range o.Programs {
		names[i] = p.Name
	}
	return nil, fmt.Errorf("%s: no program %q (programs: %s): %w", o.Path, name, listNames(names), ErrNotInObject)
}

// ProgramIndex returns the index in o.Programs of the program called name, or -1.
func (o *Object) ProgramIndex(name string) int {
	return slices.IndexFunc(o.Programs, func(p *Program) bool { return p.Name == name })
}

// Map returns the map called name (for global data: the section name, such as
// ".rodata"). The error names the maps the object has.
func (o *Object) Map(name string) (*MapSpec, error) {
	if i := o.MapIndex(name); i >= 0 {
		return o.Maps[i], nil
	}
	names := make([]string, len(o.Maps))
	for i, m := range o.Maps {
		names[i] = m.Name
	}
	return nil, fmt.Errorf("%s: no map %q (maps: %s): %w", o.Path, name, listNames(names), ErrNotInObject)
}

// MapIndex returns the index in o.Maps of the map called name, or -1. It is
// the number that map-referencing instructions carry in the low 32 bits of Imm.
func (o *Object) MapIndex(name string) int {
	return slices.IndexFunc(o.Maps, func(m *MapSpec) bool { return m.Name == name })
}

func listNames(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// layout is what the loader takes from the ELF file directly: the position of
// every symbol and section, which gives programs and maps their ELF order.
type layout struct {
	symbols  map[string]position
	sections map[string]position
}

type position struct {
	section int
	offset  uint64
}

// order returns the position of a program or map called name.
func (l *layout) order(name string) position {
	if p, ok := l.symbols[name]; ok {
		return p
	}
	if p, ok := l.sections[name]; ok {
		return p
	}
	return position{section: 1 << 30}
}

// maxDataSection bounds the size of a global data section. Linux refuses
// array map values larger than KMALLOC_MAX_SIZE, a few MiB.
const maxDataSection = 64 << 20

// isGlobalData reports whether a section holds global data, as cilium/ebpf
// decides it.
func isGlobalData(name string) bool {
	return name == ".bss" || strings.HasPrefix(name, ".data") || strings.HasPrefix(name, ".rodata")
}

// readLayout checks that r holds a 64-bit little-endian BPF ELF object and
// records where its symbols are.
func readLayout(r io.ReaderAt) (*layout, error) {
	var ident [elf.EI_NIDENT]byte
	n, err := r.ReadAt(ident[:], 0)
	switch {
	case n >= 4 && string(ident[:4]) != elf.ELFMAG:
		return nil, fmt.Errorf("not an ELF file: starts with % x, not %q", ident[:4], elf.ELFMAG)
	case n < len(ident) && err != nil && !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("read ELF header: %w", err)
	case n < len(ident):
		return nil, fmt.Errorf("truncated: %d bytes, too short for an ELF header", n)
	}
	if c := elf.Class(ident[elf.EI_CLASS]); c != elf.ELFCLASS64 {
		return nil, fmt.Errorf("ELF class %v: BPF objects are ELFCLASS64", c)
	}
	if d := elf.Data(ident[elf.EI_DATA]); d != elf.ELFDATA2LSB {
		if d == elf.ELFDATA2MSB {
			return nil, fmt.Errorf("big-endian object (bpfeb): %w", ErrUnsupported)
		}
		return nil, fmt.Errorf("unknown ELF data encoding %v", d)
	}

	f, err := elf.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("malformed ELF: %w", err)
	}
	if f.Machine != elf.EM_BPF && f.Machine != elf.EM_NONE {
		return nil, fmt.Errorf("machine %v: not a BPF object (want EM_BPF)", f.Machine)
	}
	if f.Type != elf.ET_REL {
		return nil, fmt.Errorf("ELF type %v: BPF objects are relocatable (ET_REL)", f.Type)
	}

	l := &layout{symbols: make(map[string]position), sections: make(map[string]position)}
	for i, s := range f.Sections {
		// Global data becomes a map value that is allocated in full, even for
		// .bss, which takes no room in the file: bound it.
		if isGlobalData(s.Name) && s.Size > maxDataSection {
			return nil, fmt.Errorf("section %s: %d bytes of global data, more than the %d hbpf accepts", s.Name, s.Size, maxDataSection)
		}
		if _, dup := l.sections[s.Name]; !dup {
			l.sections[s.Name] = position{section: i}
		}
	}
	// A missing symbol table is reported by the object reader.
	syms, _ := f.Symbols()
	for _, s := range syms {
		if s.Name == "" || s.Section == elf.SHN_UNDEF || s.Section >= elf.SHN_LORESERVE {
			continue
		}
		if _, dup := l.symbols[s.Name]; !dup {
			l.symbols[s.Name] = position{section: int(s.Section), offset: s.Value}
		}
	}
	return l, nil
}

// converter turns a CollectionSpec into an Object.
type converter struct {
	file   string
	spec   *ebpf.CollectionSpec
	layout *layout
	obj    *Object
}

func (c *converter) errorf(prog, mapName string, index int, format string, args ...any) *ELFError {
	return &ELFError{File: c.file, Program: prog, Map: mapName, Index: index, Err: fmt.Errorf(format, args...)}
}

// sortedNames returns the keys of m in ELF order.
func sortedNames[T any](c *converter, m map[string]T) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		pa, pb := c.layout.order(a), c.layout.order(b)
		return cmp.Or(cmp.Compare(pa.section, pb.section), cmp.Compare(pa.offset, pb.offset), strings.Compare(a, b))
	})
	return names
}

func (c *converter) convert() error {
	obj := c.obj
	if c.spec.ByteOrder != nil && c.spec.ByteOrder != binary.LittleEndian {
		return c.errorf("", "", -1, "big-endian object: %w", ErrUnsupported)
	}

	// Maps first: programs refer to them by index.
	mapNames := sortedNames(c, c.spec.Maps)
	for _, name := range mapNames {
		m, err := c.mapSpec(name, c.spec.Maps[name])
		if err != nil {
			return err
		}
		obj.Maps = append(obj.Maps, m)
	}

	for _, name := range sortedNames(c, c.spec.Programs) {
		ps := c.spec.Programs[name]
		if obj.License == "" {
			obj.License = ps.License
		}
		p, err := c.program(ps)
		if err != nil {
			if !errors.Is(err, ErrUnsupported) {
				return err
			}
			obj.Unsupported = append(obj.Unsupported, err)
			continue
		}
		obj.Programs = append(obj.Programs, p)
	}

	// Static contents may name programs and maps, so they come last.
	for i, name := range mapNames {
		if err := c.contents(obj.Maps[i], c.spec.Maps[name]); err != nil {
			return err
		}
	}
	return nil
}

// mapSpec converts a map without its contents.
func (c *converter) mapSpec(name string, ms *ebpf.MapSpec) (*MapSpec, error) {
	if ms == nil {
		return nil, c.errorf("", name, -1, "no map definition")
	}
	m := &MapSpec{
		Name:       name,
		Type:       ms.Type,
		KeySize:    ms.KeySize,
		ValueSize:  ms.ValueSize,
		MaxEntries: ms.MaxEntries,
		Flags:      ms.Flags,
		ReadOnly:   ms.Flags&bpfFRdonlyProg != 0,
	}
	if ms.InnerMap != nil {
		if ms.InnerMap.InnerMap != nil {
			return nil, c.errorf("", name, -1, "nested inner maps")
		}
		inner, err := c.mapSpec(name+"_inner", ms.InnerMap)
		if err != nil {
			return nil, err
		}
		m.Inner = inner
	}
	return m, nil
}

// contents converts a map's initial contents. Keys and values that are symbol
// names become little-endian u32 indices: of a program in Object.Programs for
// program arrays, of a map in Object.Maps for maps of maps. Entries that
// cannot be represented are left out and listed in Object.Unsupported.
func (c *converter) contents(m *MapSpec, ms *ebpf.MapSpec) *ELFError {
	for _, kv := range ms.Contents {
		key, err := c.contentBytes(m, kv.Key, m.KeySize, "key")
		var value []byte
		if err == nil {
			value, err = c.contentBytes(m, kv.Value, m.ValueSize, "value")
		}
		if err != nil {
			if !errors.Is(err, ErrUnsupported) {
				return err
			}
			c.obj.Unsupported = append(c.obj.Unsupported, err)
			continue
		}
		m.Contents = append(m.Contents, MapKV{Key: key, Value: value})
	}
	return nil
}

func (c *converter) contentBytes(m *MapSpec, v any, size uint32, what string) ([]byte, *ELFError) {
	var b []byte
	switch v := v.(type) {
	case []byte:
		b = bytes.Clone(v)
	case uint32:
		b = binary.LittleEndian.AppendUint32(nil, v)
	case string:
		var idx int
		switch m.Type {
		case ebpf.ProgramArray:
			if idx = c.obj.ProgramIndex(v); idx < 0 {
				if _, ok := c.spec.Programs[v]; ok {
					return nil, c.errorf("", m.Name, -1, "%s refers to program %s, which could not be converted: %w", what, v, ErrUnsupported)
				}
				return nil, c.errorf("", m.Name, -1, "%s refers to unknown program %q", what, v)
			}
		case ebpf.ArrayOfMaps, ebpf.HashOfMaps:
			if idx = c.obj.MapIndex(v); idx < 0 {
				return nil, c.errorf("", m.Name, -1, "%s refers to unknown map %q", what, v)
			}
		default:
			return nil, c.errorf("", m.Name, -1, "%s refers to symbol %q in a %v map: %w", what, v, m.Type, ErrUnsupported)
		}
		b = binary.LittleEndian.AppendUint32(nil, uint32(idx))
	default:
		return nil, c.errorf("", m.Name, -1, "initial %s of type %T: %w", what, v, ErrUnsupported)
	}
	if uint64(len(b)) != uint64(size) {
		return nil, c.errorf("", m.Name, -1, "initial %s has %d bytes, the map's %s size is %d", what, len(b), what, size)
	}
	return b, nil
}

// program converts one program: it resolves map references and CO-RE
// relocations, lets cilium/ebpf link local calls and encode the instructions,
// checks that the encoding is faithful and decodes the bytes with Decode.
func (c *converter) program(ps *ebpf.ProgramSpec) (*Program, *ELFError) {
	name := ps.Name
	insns := slices.Clone(ps.Instructions)
	if len(insns) == 0 {
		return nil, c.errorf(name, "", -1, "no instructions")
	}

	if err := c.relocateCORE(name, insns); err != nil {
		return nil, err
	}

	// Offsets (slots) of the instructions, for error messages, and the
	// functions linked into the program.
	slots := make([]int, len(insns))
	funcs := make(map[string]bool)
	slot := 0
	for i := range insns {
		slots[i] = slot
		slot += int(insns[i].Width())
		if sym := insns[i].Symbol(); sym != "" {
			funcs[sym] = true
		}
	}

	for i := range insns {
		ins := &insns[i]
		ref := ins.Reference()
		switch {
		case ins.IsKfuncCall():
			return nil, c.errorf(name, "", slots[i], "call to kfunc %s: %w", ref, ErrUnsupported)
		case ins.IsLoadFromMap():
			if ref == "" {
				return nil, c.errorf(name, "", slots[i], "lddw of a map without a relocation (an extern __kconfig variable or a hard-coded map fd): %w", ErrUnsupported)
			}
			idx := c.obj.MapIndex(ref)
			if idx < 0 {
				return nil, c.errorf(name, "", slots[i], "reference to unknown map %q", ref)
			}
			off := uint64(ins.Constant) >> 32
			if ins.Src == asm.PseudoMapValue {
				if vs := c.obj.Maps[idx].ValueSize; off >= uint64(vs) {
					return nil, c.errorf(name, "", slots[i], "direct access to map %s at offset %d, beyond its %d-byte value", ref, off, vs)
				}
			}
			ins.Constant = int64(off<<32 | uint64(idx))
		case ins.IsFunctionReference() && ref != "" && !funcs[ref]:
			return nil, c.errorf(name, "", slots[i], "call to function %s, which the object does not define: %w", ref, ErrUnsupported)
		case ins.OpCode.IsDWordLoad() && ref != "" && !ins.IsLoadOfFunctionPointer():
			return nil, c.errorf(name, "", slots[i], "address of extern symbol %s (ksym): %w", ref, ErrUnsupported)
		}
	}

	// Marshal links local calls and jumps to symbols (their offsets are
	// computed from Symbol and Reference metadata) and encodes the stream.
	var buf bytes.Buffer
	if err := insns.Marshal(&buf, binary.LittleEndian); err != nil {
		return nil, c.errorf(name, "", -1, "encode instructions: %w", err)
	}
	code := buf.Bytes()
	if err := checkRoundTrip(insns, code, slots); err != nil {
		return nil, c.errorf(name, "", -1, "%w", err)
	}

	p, err := Decode(code)
	if err != nil {
		return nil, c.errorf(name, "", -1, "%w", err)
	}
	if len(p.Insns) != len(insns) {
		return nil, c.errorf(name, "", -1, "decoded %d instructions, the object has %d", len(p.Insns), len(insns))
	}
	p.Name, p.Section, p.Type = name, ps.SectionName, ps.Type
	for i := range insns {
		in, ins := &p.Insns[i], &insns[i]
		switch {
		case ins.IsLoadFromMap(), ins.IsFunctionReference():
			in.Ref = ins.Reference()
		case in.Op == OpJa && ins.Reference() != "":
			in.Ref = ins.Reference()
		}
		in.Source = sourceLine(ins.Source())
	}
	return p, nil
}

// checkRoundTrip verifies that cilium/ebpf's encoding of every instruction
// decodes back to the same instruction, so that nothing it cannot represent
// (for example a stray offset on an ALU instruction or stray bits in an
// atomic's immediate) is silently lost.
func checkRoundTrip(insns asm.Instructions, code []byte, slots []int) error {
	r := bytes.NewReader(code)
	for i := range insns {
		var back asm.Instruction
		if err := back.Unmarshal(r, binary.LittleEndian, "linux"); err != nil {
			return fmt.Errorf("instruction %d: re-decode: %w", slots[i], err)
		}
		want := &insns[i]
		var lost []string
		if back.OpCode != want.OpCode {
			lost = append(lost, fmt.Sprintf("opcode %#x (encodes as %#x)", uint64(want.OpCode), uint64(back.OpCode)))
		}
		if back.Dst != want.Dst || back.Src != want.Src {
			lost = append(lost, fmt.Sprintf("registers dst %d src %d (encode as %d, %d)", want.Dst, want.Src, back.Dst, back.Src))
		}
		if back.Offset != want.Offset {
			lost = append(lost, fmt.Sprintf("offset %d (encodes as %d)", want.Offset, back.Offset))
		}
		if back.Constant != want.Constant {
			lost = append(lost, fmt.Sprintf("immediate %#x (encodes as %#x)", want.Constant, back.Constant))
		}
		if len(lost) > 0 {
			return fmt.Errorf("instruction %d: %v: invalid %s", slots[i], want.OpCode, strings.Join(lost, ", "))
		}
	}
	if r.Len() != 0 {
		return fmt.Errorf("%d bytes left over after encoding", r.Len())
	}
	return nil
}

// sourceLine converts cilium/ebpf's source metadata (BTF line info) to a Line.
func sourceLine(s fmt.Stringer) *Line {
	switch s := s.(type) {
	case nil:
		return nil
	case *btf.Line:
		if s == nil {
			return nil
		}
		return &Line{File: s.FileName(), Line: int(s.LineNumber()), Text: s.Line()}
	default:
		return &Line{Text: s.String()}
	}
}

// relocateCORE resolves CO-RE relocations against the object's own BTF, that
// is assuming the kernel's types are those the program was compiled with. That
// holds for the UAPI and wire-format structs XDP programs use; relocations
// that cannot hold without a kernel (target type IDs) or that the object's BTF
// cannot satisfy are unsupported.
func (c *converter) relocateCORE(name string, insns asm.Instructions) *ELFError {
	var (
		relos []*btf.CORERelocation
		at    []int
	)
	for i := range insns {
		if relo := btf.CORERelocationMetadata(&insns[i]); relo != nil {
			relos = append(relos, relo)
			at = append(at, i)
		}
	}
	if len(relos) == 0 {
		return nil
	}
	index := func(i int) int {
		slot := 0
		for j := range i {
			slot += int(insns[j].Width())
		}
		return slot
	}
	for k, relo := range relos {
		if strings.Contains(relo.String(), "(target_type_id,") {
			return c.errorf(name, "", index(at[k]), "CO-RE relocation needs the kernel's BTF: %v: %w", relo, ErrUnsupported)
		}
	}
	if c.spec.Types == nil {
		return c.errorf(name, "", index(at[0]), "CO-RE relocation without BTF")
	}
	fixups, err := btf.CORERelocate(relos, []*btf.Spec{c.spec.Types}, binary.LittleEndian, c.spec.Types.TypeID)
	if err != nil {
		return c.errorf(name, "", -1, "CO-RE relocations against the object's own BTF: %v: %w", err, ErrUnsupported)
	}
	for k, fx := range fixups {
		ins := &insns[at[k]]
		if err := fx.Apply(ins); err != nil {
			return c.errorf(name, "", index(at[k]), "CO-RE relocation %v: %v: %w", relos[k], err, ErrUnsupported)
		}
		if (ins.IsBuiltinCall() || ins.OpCode.IsDWordLoad()) && ins.Constant == btf.COREBadRelocationSentinel {
			return c.errorf(name, "", index(at[k]), "CO-RE relocation %v cannot be resolved against the object's own BTF: %w", relos[k], ErrUnsupported)
		}
	}
	c.obj.Notes = append(c.obj.Notes, fmt.Sprintf("program %s: %d CO-RE relocations resolved against the object's own BTF (kernel types assumed equal to compile-time types)", name, len(relos)))
	return nil
}
