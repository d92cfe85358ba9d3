#!/usr/bin/env bash
# Runs every fuzz target of the module for a short time each (default 10s):
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
total=0
while IFS=: read -r file name; do
	pkg="./$(dirname "$file")"
	echo "fuzz: $name in $pkg for ${secs}s" >&2
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "${secs}s" "$pkg"
	total=$((total + 1))
done < <(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' hbpf cmd internal 2>/dev/null | sed 's/func //' | sort -u)
echo "fuzz: $total targets, ${secs}s each" >&2
