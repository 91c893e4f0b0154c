#!/usr/bin/env bash
# The embedded store against PostgreSQL/PostGIS, and one instance against two on one PostGIS:
# import rate, then HTTP writes (POST /api/reports, bench/post.lua) and HTTP reads (10 km radius
# GeoJSON, bench/radius.lua) with wrk at 8 connections. With two instances, two wrk processes
# run at once, 4 connections each, and their requests add up.
#
# Usage: bench/stores.sh [--n N] [--seconds S] [--work DIR]     (default 100,000 reports, 8 s)
# Writes WORK/stores.jsonl and prints a Markdown table. Needs PostgreSQL on 127.0.0.1:5432 (the
# PostGIS package is installed if missing; database sightmap_stores is recreated and left).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
n=100000
seconds=8
work=""
while [ $# -gt 0 ]; do
  case $1 in
    --n) n=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --work) work=$2; shift ;;
    *) echo "usage: $0 [--n N] [--seconds S] [--work DIR]" >&2; exit 2 ;;
  esac
  shift
done
work=${work:-$(mktemp -d /tmp/sightmap-stores.XXXXXX)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
out=$work/stores.jsonl
: > "$out"
log() { echo "[stores $(date -u +%H:%M:%S)] $*" >&2; }
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null 2>&1 \
  || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
log "building sightmap (release)"
cargo build --release --locked --quiet --bin sightmap
bin=$root/target/release/sightmap
url=$(scripts/postgis-db.sh sightmap_stores)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

log "generating $n reports"
python3 bench/gen.py "$n" "$work" >/dev/null

import_rate() { # label, store args...
  local label=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$bin" import "$work/reports.geojsonl" "$@" >/dev/null 2>&1
  t1=$(date +%s.%N)
  python3 -c 'import sys, json; n, a, b = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]);
print(json.dumps({"store": sys.argv[1], "measure": "import", "n": n, "per_second": round(n / (b - a))}))' \
    "$label" "$n" "$t0" "$t1" | tee -a "$out"
}
log "import into the embedded store"
import_rate embedded --data-dir "$work/embedded"
log "import into PostGIS"
import_rate postgis --store "$url" --data-dir "$work/pg-import"

serve() { # port, data dir, store args...
  local port=$1 dir=$2; shift 2
  "$bin" serve --no-sample --addr "127.0.0.1:$port" --data-dir "$dir" "$@" >"$dir.log" 2>&1 &
  pids+=($!)
  until curl -fs "127.0.0.1:$port/health" >/dev/null 2>&1; do sleep 0.05; done
}
wrk_json() { # script, connections, port
  CENTRES="$work/centres.csv" RADIUS_KM=10 LIMIT=10000 \
    wrk -t2 -c"$2" -d"${seconds}s" -s "bench/$1" "http://127.0.0.1:$3" | tail -1
}
measure() { # label, what (read|write), ports...
  local label=$1 what=$2; shift 2
  local script=radius.lua conns=8 files=() runs=()
  [ "$what" = write ] && script=post.lua
  [ $# -gt 1 ] && conns=4
  for port in "$@"; do
    wrk_json "$script" "$conns" "$port" >"$work/wrk.$port" &
    runs+=($!)
    files+=("$work/wrk.$port")
  done
  wait "${runs[@]}"
  python3 - "$label" "$what" "${files[@]}" <<'PY' | tee -a "$out"
import json, sys
label, what, files = sys.argv[1], sys.argv[2], sys.argv[3:]
runs = [json.loads(open(f).read()) for f in files]
print(json.dumps({"store": label, "measure": what,
    "per_second": round(sum(r["requests"] / r["seconds"] for r in runs)),
    "p50_ms": max(r["p50_ms"] for r in runs), "p99_ms": max(r["p99_ms"] for r in runs),
    "errors": sum(r["errors"] for r in runs)}))
PY
}

log "embedded store, one instance"
serve 18501 "$work/embedded"
measure embedded read 18501
measure embedded write 18501
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

log "PostGIS, one instance"
serve 18502 "$work/pg-a" --store "$url"
measure "postgis, 1 instance" read 18502
measure "postgis, 1 instance" write 18502
log "PostGIS, two instances"
serve 18503 "$work/pg-b" --store "$url"
measure "postgis, 2 instances" read 18502 18503
measure "postgis, 2 instances" write 18502 18503

python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| store | import /s | reads /s (10 km GeoJSON) | read p99 ms | writes /s (POST) | write p99 ms |")
print("| --- | --- | --- | --- | --- | --- |")
for store in ["embedded", "postgis, 1 instance", "postgis, 2 instances"]:
    get = lambda s, m: next((r for r in rows if r["store"] == s and r["measure"] == m), None)
    imp = get("embedded" if store == "embedded" else "postgis", "import")
    read, write = get(store, "read"), get(store, "write")
    cell = lambda r, k: f"{r[k]:,}" if r else ""
    print(f"| {store} | {cell(imp, 'per_second')} | {cell(read, 'per_second')} | {cell(read, 'p99_ms')} | "
          f"{cell(write, 'per_second')} | {cell(write, 'p99_ms')} |")
PY
log "done: $out"
