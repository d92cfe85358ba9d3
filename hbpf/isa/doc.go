// Package isa is hbpf's one model of eBPF programs (RFC 9669, ISA v1–v4).
//
// It decodes raw bytecode on top of github.com/cilium/ebpf/asm, validates every
// encoding (reserved fields, registers, jump targets, lddw pairs), classifies each
// instruction into a semantic [Op], and re-encodes programs. Raw slots are explicit:
// an lddw occupies two 8-byte slots and every jump or local-call target is a slot
// index. The assembler and disassembler (uBPF/bpf_conformance syntax and LLVM
// objdump syntax), the ELF loader and the `.data` test-file parser live here too.
//
// isa knows encodings only; semantics and timing belong to package sim.
package isa
