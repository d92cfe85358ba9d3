// Package xdp runs XDP programs over packets — in the simulator, or in the Linux
// kernel through BPF_PROG_TEST_RUN as the reference oracle — and reports each
// packet in one record shape, so that the two can be compared line by line.
package xdp
