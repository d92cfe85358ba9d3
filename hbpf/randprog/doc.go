// Package randprog generates random eBPF XDP programs that the Linux verifier
// accepts, for differential testing of the hbpf simulator against the kernel.
//
// # Design
//
// [Generate] builds a program from a seed alone: the same seed and [Options]
// always give the same instructions and maps. Instructions are built as
// [isa.Insn] values and encoded by package isa (cilium/ebpf's builders are not
// used, see the note on atomics in package isa), so every program is also a
// round trip through hbpf's own encoder and decoder.
//
// A program is a main function followed by up to three subprograms (static
// bpf-to-bpf callees). The generator models what the verifier knows about
// each register, conservatively: which registers hold initialised scalars, which
// are loop counters that must not change, and which hold pointers. It only
// reads initialised scalars, only forms pointers in the shapes the verifier
// tracks exactly, and joins the register sets of both arms of every branch
// (the intersection), so the program never reads an uninitialised register or
// stack slot and never leaks a pointer into its results. Stack accesses are
// naturally aligned, as the verifier demands; packet accesses sit inside a
// window that a bounds check (data + Window > data_end) proves readable.
//
// The main function:
//
//	r6 = ctx; r7 = data after the bounds check (packets shorter than the
//	window take a short path that returns bpf_xdp_get_buff_len % 5);
//	r0–r5, r8, r9 are loaded from the packet or set to constants; the 64-byte
//	stack scratch area below r10 is filled;
//	a random body;
//	the epilogue XORs every live register into the first 64 bytes of the
//	packet, folds them into the action (r0 = fold % 5, XDP_ABORTED..XDP_REDIRECT),
//	spills them to the stack and stores them into the map with
//	bpf_map_update_elem.
//
// So the registers are observable three ways: in the returned packet, in the
// action and in the map. The maps, by index: the main map (ARRAY, HASH or a
// per-CPU variant), a one-entry ARRAY used as global data, a 4 KiB RINGBUF
// and an 8-entry DEVMAP. Subprograms take one to five scalar arguments, some
// take a pointer to 32 bytes of their caller's stack in r1, use their own
// stack frame, may call the subprograms after them, and return a fold of
// their registers in r0.
//
// # Instructions that can appear
//
//   - ALU and ALU64, immediate and register sources: add, sub, mul, div,
//     sdiv, mod, smod, or, and, xor, lsh, rsh, arsh, neg, mov, movsx (8, 16
//     and 32 bits); division and modulo by a register may divide by zero
//     (the kernel defines the result: 0 for div, the dividend for mod), by
//     an immediate never (the verifier refuses it); sdiv and smod meet
//     INT_MIN / -1 on purpose; register shift counts are not masked (the core
//     and the kernel use the low 5 or 6 bits).
//   - le16/32/64, be16/32/64 and bswap16/32/64.
//   - lddw with 64-bit constants, with a map (PseudoMapFD) and with a direct
//     map value address and offset (PseudoMapValue, a one-entry ARRAY
//     standing in for global data).
//   - JMP and JMP32 conditional jumps with every comparison (jeq, jne, jgt,
//     jge, jlt, jle, jsgt, jsge, jslt, jsle, jset), immediate and register
//     sources, forward only (if and if/else), and bounded loops (a counter
//     that the body does not touch, counting up or down, 1–6 iterations);
//     ja and gotol (the kernel accepts gotol from Linux 6.6) close if/else.
//   - ldx and the sign-extending ldxs of every size, st and stx of every size,
//     on the stack, the packet (fixed and variable offsets), map values and
//     the caller's stack through a pointer argument.
//   - Atomics on the stack and on map values: add, or, and, xor with and
//     without fetch, xchg and cmpxchg, 32 and 64 bits.
//   - The program's map is an ARRAY, HASH, PERCPU_ARRAY or PERCPU_HASH with
//     random initial contents and keys that range a little beyond it (lookups
//     miss, a hash map fills up).
//   - Helper calls: map_lookup_elem (and accesses through the returned
//     value), map_update_elem (with BPF_ANY, BPF_NOEXIST, BPF_EXIST and
//     invalid flags), map_delete_elem, csum_diff (including sizes that are
//     not multiples of 4), xdp_adjust_head, xdp_adjust_tail and xdp_adjust_meta (the
//     packet pointers are re-derived and re-checked afterwards; metadata is
//     written when there is room), xdp_get_buff_len, xdp_load_bytes and
//     xdp_store_bytes (with offsets beyond the packet), ringbuf_output (with
//     valid and invalid flags) and ringbuf_reserve followed by stores and
//     ringbuf_submit or ringbuf_discard (large reservations fill the 4 KiB
//     ring within a packet, so failing reservations and outputs occur),
//     redirect and redirect_map on a DEVMAP (entries missing and present,
//     fallback actions, BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, invalid flags).
//   - bpf-to-bpf calls (call with src 1) and exit.
//
// # Kernel bugs worked around
//
// The differential found two bugs of the Linux 6.18 verifier, where the
// kernel, not the simulator, departs from RFC 9669. The generator keeps them
// from triggering (Options.NoWorkarounds turns that off):
//
//   - The verifier does not carry precision from the register an atomic
//     fetch writes back to the stack slot it read (fixed upstream by "bpf:
//     Fix incorrect pruning due to atomic fetch precision tracking"). When
//     the slot held a constant the verifier knew on one path, it could prune
//     another path with a different value there and remove, as dead, a branch
//     that path then takes: the kernel ran a store the program skips (4 of
//     5,000 programs of 160 instructions). Before a fetching atomic on the
//     stack the generator rewrites one byte of the slot with itself, which
//     leaves memory unchanged but makes the verifier forget the slot's value.
//   - After state pruning the verifier may omit the zero extension of r0
//     that a 32-bit cmpxchg needs on x86-64, whose cmpxchg leaves rax's upper
//     half alone when the exchange succeeds: r0 kept its old upper 32 bits
//     (1 of 5,000 programs of 300 instructions; the translated program has no
//     zero extension after the cmpxchg). The generator clears r0's upper half
//     (w0 = w0) before a 32-bit cmpxchg. The simulator's zero extension is
//     covered by its own tests.
//
// Not generated: ld_abs/ld_ind (not allowed in XDP), callx (the kernel has no
// indirect calls), tail calls, helpers whose results differ by design
// between the core and the kernel (ktime, prandom, the current CPU),
// backward jumps other than loop back-edges, and unaligned stack accesses.
package randprog
