// Package rtl generates the Verilog of the hbpf core, the same core that
// package sim simulates cycle for cycle.
//
// [Generate] writes one module per file: hbpf_decode.v, hbpf_regfile.v,
// hbpf_alu.v, hbpf_shifter.v, hbpf_branch.v, hbpf_muldiv.v, hbpf_region.v
// (address map and bounds checks), hbpf_lsu.v, hbpf_dmem.v (byte-lane data
// memory), hbpf_rom.v, hbpf_frames.v (call frames), hbpf_hashchain.v
// (a hash map's block-RAM hash unit: bucket chains), hbpf_helpers.v, hbpf_core.v and hbpf_top.v (memories and the
// host port). The templates hold no timing: the cycles of every instruction
// class, the divider's radix, the helper latencies and what the helpers'
// memory engine may do within them come from a [timing.Profile]
// (timing.Hbpf by default), and Generate refuses a profile the hardware
// cannot realise.
//
// The core is an in-order machine that runs one instruction at a time for
// exactly its cost in the table; its retirement port carries the
// co-simulation record of sim.Record, which package cosim compares with the
// simulator's. In hardware: RFC 9669 v1–v4 (ALU, ALU64, JMP, JMP32, sdiv,
// smod, movsx, sign-extending loads, bswap, all atomics, gotol, lddw and its
// map and function forms, bpf-to-bpf calls, ld_abs and ld_ind), the xdp_md
// context, bounds checks on every access, the cycle budget, and the helpers
// map_lookup/update/delete_elem (ARRAY, PERCPU_ARRAY, HASH, PERCPU_HASH,
// LRU_HASH, LRU_PERCPU_HASH, LPM_TRIE; lookups in ARRAY_OF_MAPS and
// HASH_OF_MAPS),
// ktime_get_ns, ktime_get_boot_ns, get_prandom_u32, get_smp_processor_id,
// redirect, redirect_map (DEVMAP, DEVMAP_HASH, CPUMAP, XSKMAP), tail_call, csum_diff,
// xdp_adjust_head/meta/tail, xdp_get_buff_len, xdp_load_bytes,
// xdp_store_bytes, loop and ringbuf_output/reserve/submit/discard (one
// RINGBUF); in conformance mode, helper 5 "unwind".
//
// The core is generic (the host loads programs and the map table through the
// host port of hbpf_top) or, with [Config.Prog], specialised for one program
// whose code and map table are baked in. [Unsupported] lists what the
// hardware cannot run for a given program ("not offloadable: helper 12
// bpf_tail_call (slot 40)"), so that nothing runs silently wrong; code that
// cannot run with the object's read-only data (package reach) is no obstacle,
// and [Config.DeadCode] names what it holds.
//
// [Synthesize] runs yosys for iCE40 and Xilinx 7-series and reports the
// resources (cached by a hash of the sources).
package rtl
