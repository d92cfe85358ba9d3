package isa

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// FileKind is the kind of a program file.
type FileKind int

// Program file kinds.
const (
	KindELF  FileKind = iota // an ELF object from clang/libbpf
	KindRaw                  // raw little-endian bytecode
	KindAsm                  // assembly text (either syntax)
	KindData                 // a bpf_conformance .data test
)

var kindNames = [...]string{"ELF object", "raw bytecode", "assembly", ".data test"}

// String returns a description of the kind.
func (k FileKind) String() string { return kindNames[k] }

// File is a program file of any kind, loaded into an Object. Raw bytecode,
// assembly and .data tests give an object with one program and no maps.
type File struct {
	Kind   FileKind
	Object *Object
	Test   *DataTest // for KindData: the test, with its memory and expected result
}

// Open reads a program file, telling its kind by content: ELF magic, a .data
// extension, text (assembly), or else raw bytecode.
func Open(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return OpenBytes(data, path)
}

// OpenBytes is Open for a file's contents; name is used in messages.
func OpenBytes(data []byte, name string) (*File, error) {
	switch {
	case bytes.HasPrefix(data, []byte("\x7fELF")):
		obj, err := LoadELFReader(bytes.NewReader(data), name)
		if err != nil {
			return nil, err
		}
		return &File{Kind: KindELF, Object: obj}, nil
	case strings.EqualFold(filepath.Ext(name), ".data"):
		t, err := ParseDataFile(bytes.NewReader(data), name)
		if err != nil {
			return nil, err
		}
		p, err := t.Program()
		if err != nil {
			return nil, err
		}
		p.Name = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
		return &File{Kind: KindData, Object: single(name, p), Test: t}, nil
	case isText(data):
		p, err := Assemble(data, name)
		if err != nil {
			return nil, err
		}
		p.Name = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
		return &File{Kind: KindAsm, Object: single(name, p)}, nil
	}
	p, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p.Name = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	return &File{Kind: KindRaw, Object: single(name, p)}, nil
}

func single(path string, p *Program) *Object {
	return &Object{Path: path, Programs: []*Program{p}}
}

// isText reports whether data looks like assembly text rather than bytecode.
func isText(data []byte) bool {
	if len(data) == 0 || !utf8.Valid(data) {
		return false
	}
	for _, c := range data {
		if c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t') {
			return false
		}
	}
	return true
}
