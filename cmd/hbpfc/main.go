// Command hbpfc is hbpf's one command-line tool: it assembles and disassembles
// eBPF, runs XDP programs in the cycle-accurate simulator (or the kernel),
// runs the conformance suite, prints the timing table, and generates packet
// traces. It only wires flags to library calls; see ../../README.md.
//
// Exit codes: 0 ok · 1 internal error (or failed tests) · 2 usage · 3 co-simulation
// mismatch · 4 program fault or cycle budget exceeded · 10 bad input · 11 I/O.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/hbpf/hbpf/hbpf/isa"
	"github.com/hbpf/hbpf/hbpf/packets"
	"github.com/hbpf/hbpf/hbpf/sim"
)

// Exit codes of SPEC.md.
const (
	exitOK       = 0
	exitInternal = 1
	exitUsage    = 2
	exitMismatch = 3
	exitFault    = 4
	exitBadInput = 10
	exitIO       = 11
)

// exitError carries an exit code with the message.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

func usageErr(format string, args ...any) error {
	return withCode(exitUsage, fmt.Errorf(format, args...))
}

// exitCode maps an error to the documented exit code.
func exitCode(err error) int {
	var ee *exitError
	var fault *sim.Fault
	var pathErr *fs.PathError
	var fmtErr *packets.FormatError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &fault):
		return exitFault
	case errors.Is(err, isa.ErrInvalid), errors.As(err, &fmtErr), errors.Is(err, errBadInput):
		return exitBadInput
	case errors.As(err, &pathErr):
		return exitIO
	}
	return exitInternal
}

// errBadInput marks malformed command-line data (hex, JSON).
var errBadInput = errors.New("bad input")

func main() {
	app := newApp()
	if err := app.Run(reorderArgs(app, os.Args)); err != nil {
		fmt.Fprintf(os.Stderr, "hbpfc: %v\n", err)
		os.Exit(exitCode(err))
	}
}

func newApp() *cli.App {
	app := &cli.App{
		Name:  "hbpfc",
		Usage: "run eBPF/XDP programs on the hbpf core: simulate, count cycles, compare with the kernel",
		Description: "hbpf is one eBPF CPU core described in Go: a cycle-accurate simulator, generated Verilog " +
			"and Verilator co-simulation, and an offload evaluation for XDP programs on FPGA NICs.",
		Commands: []*cli.Command{
			asmCommand(), disasmCommand(), runCommand(), conformanceCommand(), pluginCommand(),
			timingCommand(), genPcapCommand(), offloadCommand(),
			verilogCommand(),
			cosimCommand(),
			diffCommand(),
		},
		OnUsageError: func(c *cli.Context, err error, isSubcommand bool) error {
			return withCode(exitUsage, err)
		},
		ExitErrHandler: func(c *cli.Context, err error) {}, // main reports errors
	}
	for _, c := range app.Commands {
		c.OnUsageError = app.OnUsageError
	}
	return app
}
