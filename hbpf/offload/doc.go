// Package offload evaluates whether an XDP program can run on the hbpf core in
// an FPGA NIC, how fast, and at what cost: it checks every feature the program
// uses against the core, simulates it over a packet trace in both timing
// profiles, models throughput at given clocks against Ethernet line rates,
// measures the kernel's software baseline where it can, and gathers the logic
// cost. [Evaluate] produces a [Report]; report.go writes it for people.
//
// Calls the hardware cannot make that sit in code which cannot run with the
// object's read-only data (a branch on a frozen .rodata flag that is off, as
// the verifier prunes it; package reach) are no blockers: [DeadCode] lists
// them, in Report.DeadCode, as the core would trap there (cause 7, unknown
// helper) only if a loader changed the .rodata so that they ran.
//
// # Throughput model
//
// Each core owns two packet buffers (double buffering): while it runs the
// program on one packet, the NIC writes the next into the other buffer through
// an ingest bus of BusBytes bytes per cycle, and the previous packet is read out
// the same way. A packet therefore occupies the core for
//
//	max(cycles(program), ceil(len / BusBytes)) + SwapCycles
//
// cycles, where SwapCycles is the fixed cost of switching buffers and
// resetting the context. Cores run independent packets in parallel behind a
// round-robin dispatcher, so N cores give N times one core's packet rate.
// Line rates count every frame's on-wire cost: the frame padded to 64 bytes with
// its FCS, plus 20 bytes of preamble and inter-frame gap (a 64-byte frame takes
// 84 byte times).
package offload
