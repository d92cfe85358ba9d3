#!/usr/bin/env bash
# Regenerates the generated parts of README.md (between <!-- timing:begin -->
# and <!-- timing:end -->) from `hbpfc timing`.
set -euo pipefail
cd "$(dirname "$0")/.."
table=$(bin/hbpfc timing)
awk -v table="$table" '
	/<!-- timing:begin -->/ { print; print table; skip = 1; next }
	/<!-- timing:end -->/   { skip = 0 }
	!skip { print }
' README.md > README.md.tmp && mv README.md.tmp README.md
