// Package testbench holds the C++ Verilator harness of the hbpf core
// (cpp/hbpf_tb.cpp), embedded so that hbpfc can build models anywhere. The
// harness's command protocol is described at the top of the file; package
// hbpf/cosim speaks it.
package testbench

import _ "embed"

// Harness is cpp/hbpf_tb.cpp.
//
//go:embed cpp/hbpf_tb.cpp
var Harness []byte
