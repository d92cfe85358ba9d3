// Package cosim runs the generated RTL of the hbpf core in Verilator, in
// lock-step with the simulator, and compares the two instruction by
// instruction, cycle stamp included.
//
// [Build] generates the Verilog (package rtl), verilates it with the harness
// of package testbench and the Makefile of package verilator, and caches the
// model in a directory named by a hash of everything that goes into it (under
// $XDG_CACHE_HOME/hbpf, or ~/.cache/hbpf), so that a rerun does not compile.
// [Model.Start] starts the harness; a [Session] loads programs, maps and
// packets through the core's host port and runs them. A [Checker] pairs a
// session with a sim.Machine: every retirement record of the hardware is
// compared with the simulator's, and the first divergence is returned as a
// [*Mismatch] carrying both records and the retirements before it.
package cosim
