# hbpf — the common tasks. See README.md.
GO      ?= go
HBPFC   := bin/hbpfc
BUILD   := build
FUZZBUDGET ?= 20000x

.PHONY: all build demo test vet test-go fuzz fuzz-long bench diff-long cosim-long testdata docs clean

all: build

build:
	$(GO) build -o $(HBPFC) ./cmd/hbpfc

# The main job on a shipped example: the offload evaluation of a real XDP
# program (testdata/xdp/xdp_count.c, a per-protocol packet counter) on a
# generated 100,000-packet trace. The first run synthesises the generic and the
# specialised core with yosys (minutes); later runs take the cached results.
demo: build
	@mkdir -p $(BUILD)
	$(HBPFC) gen-pcap --set mixed --count 100000 --seed 1 -o $(BUILD)/mixed.pcap
	$(HBPFC) offload testdata/xdp/xdp_count.o --pcap $(BUILD)/mixed.pcap --report $(BUILD)/report

# The tests CI runs: vet, every fuzz target briefly, then the full test suite
# (last, so that its summary closes the output).
test: vet fuzz test-go

vet:
	$(GO) vet ./...

test-go:
	$(GO) test -count=1 -timeout 40m ./...

fuzz:
	scripts/fuzz.sh $(FUZZBUDGET)

fuzz-long:
	scripts/fuzz.sh 300s

bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./hbpf/sim/ ./hbpf/packets/ ./hbpf/sim/maps/

# Differential runs at scale: simulator against the kernel (root), and
# simulator against the RTL.
diff-long: build
	$(HBPFC) diff --random 10000 --seed 1

cosim-long: build
	$(HBPFC) cosim --random 10000

testdata:
	$(MAKE) -C testdata

# Regenerates the timing table in README.md from the Go table.
docs: build
	scripts/docs.sh

clean:
	rm -rf bin $(BUILD)
