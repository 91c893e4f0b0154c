#!/usr/bin/env bash
# Time to first render of the web map with N reports (default 100,000): generates N synthetic
# reports uniform over the region (seeded), imports them into a fresh store, serves them and
# times the page in Debian's Chromium (software WebGL) until the map is idle with the reports
# drawn. Needs what scripts/test.sh installs. Prints the figure for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
RUNS=${RUNS:-3}
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build --release --quiet
python3 - "$N" > "$work/reports.geojsonl" <<'PY'
import datetime, json, random, sys
n = int(sys.argv[1])
rng = random.Random(20240601)
kinds = ["drone", "aircraft", "missile", "strike", "explosion", "sound", "light", "other"]
statuses = ["unverified", "corroborated", "confirmed", "disputed", "retracted"]
precisions = ["exact", "place", "near", "region", "province"]
t0 = datetime.datetime(2025, 6, 13, tzinfo=datetime.timezone.utc)
for i in range(n):
    t = t0 + datetime.timedelta(seconds=rng.randrange(30 * 86400))
    print(json.dumps({"type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(rng.uniform(44, 55), 5), round(rng.uniform(35, 42), 5)]},
        "properties": {"kind": rng.choice(kinds), "status": rng.choice(statuses),
            "precision": rng.choice(precisions), "description": f"synthetic report {i}",
            "observed_from": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sources": [{"name": "bench", "type": "civilian", "stance": "asserts"}]}}))
PY
target/release/sightmap import "$work/reports.geojsonl" --data-dir "$work/data" >/dev/null
port=18473
target/release/sightmap serve --no-sample --data-dir "$work/data" --addr "127.0.0.1:$port" 2>/dev/null &
server=$!
for _ in $(seq 50); do curl -fs "127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
for run in $(seq "$RUNS"); do
  node tests/web/first-render.mjs "http://127.0.0.1:$port"
done
