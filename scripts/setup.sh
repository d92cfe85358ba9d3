#!/usr/bin/env bash
# Installs what hbpf needs on Debian bookworm (root or sudo) and builds hbpfc
# into bin/. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(verilator yosys nextpnr-ice40 clang llvm libbpf-dev ccache jq g++ make)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "setup: installing ${missing[*]}" >&2
	$sudo apt-get update -q
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

command -v go >/dev/null || { echo "setup: Go ≥ 1.25 is required (https://go.dev/dl/)" >&2; exit 1; }
go mod download
mkdir -p bin
go build -o bin/hbpfc ./cmd/hbpfc
echo "setup: built bin/hbpfc ($(go version | cut -d' ' -f3))" >&2
