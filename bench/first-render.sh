#!/usr/bin/env bash
# Time to first render of the web map with N reports (default 100,000): generates N synthetic
# reports uniform over the region with bench/gen.py (seeded), imports them into a fresh store, serves them and
# times the page in Debian's Chromium (software WebGL) until the map is idle with the reports
# drawn. Needs what scripts/test.sh installs. Prints the figure for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
RUNS=${RUNS:-3}
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build --release --quiet
python3 bench/gen.py "$N" "$work"
target/release/sightmap import "$work/reports.geojsonl" --data-dir "$work/data" >/dev/null
port=18473
target/release/sightmap serve --no-sample --data-dir "$work/data" --addr "127.0.0.1:$port" 2>/dev/null &
server=$!
for _ in $(seq 50); do curl -fs "127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
for run in $(seq "$RUNS"); do
  node tests/web/first-render.mjs "http://127.0.0.1:$port"
done
