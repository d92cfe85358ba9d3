// Package verilator holds the Makefile that verilates the generated RTL with
// the testbench harness, embedded so that hbpfc can build models anywhere.
package verilator

import _ "embed"

// Makefile is verilator/Makefile.
//
//go:embed Makefile
var Makefile []byte
