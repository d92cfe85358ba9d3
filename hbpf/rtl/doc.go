// Package rtl generates the Verilog of the hbpf core, the same core that
// package sim simulates cycle for cycle.
//
// [Generate] writes one module per file (hbpf_decode.v, hbpf_regfile.v,
// hbpf_alu.v, hbpf_shifter.v, hbpf_branch.v, hbpf_muldiv.v, hbpf_region.v,
// hbpf_lsu.v, hbpf_dmem.v, hbpf_rom.v, hbpf_frames.v, hbpf_helpers.v,
// hbpf_core.v, hbpf_top.v). Nothing about timing is written in the templates:
// the cycles of every instruction class, the divider's radix and the helper
// latencies come from a [timing.Profile] (timing.Hbpf by default), and
// Generate refuses a profile the hardware cannot realise.
//
// The core is generic (the host loads the program and the map table through
// the host port of hbpf_top) or, with [Config.Prog], specialised for one
// program whose code and map table are baked in. [Unsupported] lists what the
// hardware cannot run for a given program, so that nothing runs silently
// wrong.
package rtl
