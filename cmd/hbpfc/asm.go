package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hbpf/hbpf/hbpf/isa"
)

func asmCommand() *cli.Command {
	return &cli.Command{
		Name:      "asm",
		Usage:     "assemble text (uBPF/bpf_conformance or LLVM objdump syntax) to raw bytecode",
		ArgsUsage: "FILE",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "o", Aliases: []string{"output"}, Usage: "output file (`OUT`; default FILE with .bin, \"-\" for stdout)"},
			&cli.BoolFlag{Name: "hex", Usage: "write hex text (one instruction slot per line) instead of binary"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErr("asm: want exactly one FILE, got %d arguments", c.NArg())
			}
			in := c.Args().First()
			src, err := os.ReadFile(in)
			if err != nil {
				return err
			}
			p, err := isa.Assemble(src, in)
			if err != nil {
				return err
			}
			code := p.Encode()
			out := c.String("o")
			if out == "" {
				out = strings.TrimSuffix(in, filepath.Ext(in)) + ".bin"
				if c.Bool("hex") {
					out = strings.TrimSuffix(in, filepath.Ext(in)) + ".hex"
				}
			}
			data := code
			if c.Bool("hex") {
				var b strings.Builder
				for i := 0; i < len(code); i += isa.SlotSize {
					b.WriteString(hex.EncodeToString(code[i:i+isa.SlotSize]) + "\n")
				}
				data = []byte(b.String())
			}
			if out == "-" {
				_, err = os.Stdout.Write(data)
				return err
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "%s: %d instructions, %d slots, %d bytes → %s\n", in, len(p.Insns), p.NumSlots(), len(code), out)
			return nil
		},
	}
}

func disasmCommand() *cli.Command {
	return &cli.Command{
		Name:      "disasm",
		Usage:     "disassemble raw bytecode, a .data test or an ELF object (all programs, or --prog NAME)",
		ArgsUsage: "FILE",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "prog", Usage: "only the program called `NAME`"},
			&cli.StringFlag{Name: "syntax", Value: "conformance", Usage: "`conformance` (mov %r0, 1) or llvm (r0 = 1)"},
			&cli.BoolFlag{Name: "raw", Usage: "show each instruction's bytes"},
			&cli.BoolFlag{Name: "no-slots", Usage: "do not number instructions by slot"},
			&cli.BoolFlag{Name: "no-source", Usage: "do not show C source lines (from BTF line info)"},
			&cli.BoolFlag{Name: "json", Usage: "one JSON document with every instruction"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErr("disasm: want exactly one FILE, got %d arguments", c.NArg())
			}
			syn, err := isa.ParseSyntax(c.String("syntax"))
			if err != nil {
				return withCode(exitUsage, err)
			}
			f, err := isa.Open(c.Args().First())
			if err != nil {
				return err
			}
			progs := f.Object.Programs
			if name := c.String("prog"); name != "" {
				p, err := f.Object.Program(name)
				if err != nil {
					return withCode(exitUsage, err)
				}
				progs = []*isa.Program{p}
			}
			if c.Bool("json") {
				return json.NewEncoder(os.Stdout).Encode(disasmJSON(f, progs, syn))
			}
			opts := &isa.DisasmOptions{Syntax: syn, Labels: true, Slots: !c.Bool("no-slots"), Raw: c.Bool("raw"), Source: !c.Bool("no-source")}
			for i, p := range progs {
				if len(progs) > 1 || f.Kind == isa.KindELF {
					if i > 0 {
						fmt.Println()
					}
					fmt.Printf("# program %s (section %s, %d instructions, %d slots)\n", p.Name, p.Section, len(p.Insns), p.NumSlots())
				}
				if err := isa.Disassemble(os.Stdout, p, opts); err != nil {
					return err
				}
			}
			if f.Kind == isa.KindELF && len(f.Object.Maps) > 0 && c.String("prog") == "" {
				fmt.Println()
				for i, m := range f.Object.Maps {
					fmt.Printf("# map %d %s: %s key %d value %d max_entries %d flags 0x%x%s\n", i, m.Name, m.Type, m.KeySize, m.ValueSize, m.MaxEntries, m.Flags, map[bool]string{true: " read-only"}[m.ReadOnly])
				}
			}
			return nil
		},
	}
}

type jsonInsn struct {
	Slot   int    `json:"slot"`
	Hex    string `json:"hex"`
	Asm    string `json:"asm"`
	Target *int   `json:"target,omitempty"`
	Ref    string `json:"ref,omitempty"`
	Source string `json:"source,omitempty"`
}

type jsonProg struct {
	Name    string     `json:"name"`
	Section string     `json:"section,omitempty"`
	Slots   int        `json:"slots"`
	Insns   []jsonInsn `json:"insns"`
}

func disasmJSON(f *isa.File, progs []*isa.Program, syn isa.Syntax) any {
	var out struct {
		File     string         `json:"file"`
		Kind     string         `json:"kind"`
		Programs []jsonProg     `json:"programs"`
		Maps     []*isa.MapSpec `json:"maps,omitempty"`
	}
	out.File, out.Kind, out.Maps = f.Object.Path, f.Kind.String(), f.Object.Maps
	for _, p := range progs {
		jp := jsonProg{Name: p.Name, Section: p.Section, Slots: p.NumSlots()}
		for i := range p.Insns {
			in := &p.Insns[i]
			ji := jsonInsn{Slot: in.Slot, Hex: hex.EncodeToString(in.Encode()), Asm: isa.Format(in, syn), Ref: in.Ref}
			if in.Target >= 0 {
				t := in.Target
				ji.Target = &t
			}
			if in.Source != nil {
				ji.Source = fmt.Sprintf("%s:%d: %s", in.Source.File, in.Source.Line, strings.TrimSpace(in.Source.Text))
			}
			jp.Insns = append(jp.Insns, ji)
		}
		out.Programs = append(out.Programs, jp)
	}
	return out
}
