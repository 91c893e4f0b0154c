#!/usr/bin/env bash
# sightmap side by side with PostGIS and Redis, on the same data and the same queries, in one run.
#
# Usage: bench/run.sh [--quick] [--n N] [--seconds S] [--work DIR] [--write]
#   default   1,000,000 reports, 8 s per measured run (about 15 minutes in all)
#   --quick   100,000 reports, 2 s per run (about 2 minutes); what CI runs
#   --write   write the report into BENCHMARKS.md and the plot to bench/throughput.svg
#             (the default run writes them; --quick writes them only with --write)
#
# Steps: generate N synthetic reports and 10,000 query centres (bench/gen.py); load them into
# sightmap (`sightmap import`), PostGIS (bench/postgis.sh) and Redis GEO (a Redis of its own on
# port 6390 with no persistence); time PostGIS computing the relations the import computes
# (bench/postgis-relate.sh) and check them against sightmap's store (the run fails if they
# disagree); check that sightmap's and PostGIS's answers at 10 km agree
# exactly (the run fails if not) and count where Redis's sphere differs; measure radius queries
# in process (bench-driver), over HTTP (wrk, bench/radius.lua), in PostGIS (pgbench) and Redis
# (GEOSEARCH from bench-driver); measure import, cold start, export and memory; then
# bench/report.py writes the table and the plot. Every figure lands in WORK/results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

n=1000000
seconds=8
write=1
work=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) n=100000; seconds=2; write=0 ;;
    --n) n=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --work) work=$2; shift ;;
    --write) write=1 ;;
    *) echo "usage: $0 [--quick] [--n N] [--seconds S] [--work DIR] [--write]" >&2; exit 2 ;;
  esac
  shift
done
work=${work:-$(mktemp -d /tmp/sightmap-bench.XXXXXX)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
results=$work/results.jsonl
: > "$results"
log() { echo "[bench $(date -u +%H:%M:%S)] $*" >&2; }
record() { echo "$1" | tee -a "$results"; }
elapsed() { python3 -c 'import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 3))' "$1" "$2"; }

# --- tools -------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
  log "installing wrk"
  apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
fi
log "building sightmap and bench-driver (release)"
cargo build --release --locked --quiet --bin sightmap --example bench-driver
bin=$root/target/release/sightmap
driver=$root/target/release/examples/bench-driver

# The server's feature cache, sized to hold every report's feature (about 800 bytes each).
feature_cache_mb=$(( n * 800 / 1048576 + 64 ))
redis_port=6390
http_port=18480
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
}
trap cleanup EXIT

# --- data ----------------------------------------------------------------------------------
log "generating $n reports and 10,000 centres"
python3 bench/gen.py "$n" "$work"

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# Anonymous memory only: the resident set also counts the store's memory-mapped pages, which
# are the file cache's (shared, and reclaimed under pressure).
anon_kb() { awk '/RssAnon/ {print $2}' "/proc/$1/status"; }
serve() { # data-dir; sets server (its pid) and startup (seconds until /health answered)
  local t0 t1
  t0=$(date +%s.%N)
  "$bin" serve --no-sample --data-dir "$1" --addr "127.0.0.1:$http_port" \
    --feature-cache-mb "$feature_cache_mb" >"$work/serve.log" 2>&1 &
  server=$!
  pids+=("$server")
  until curl -fs "127.0.0.1:$http_port/health" >/dev/null 2>&1; do
    kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
    sleep 0.02
  done
  t1=$(date +%s.%N)
  startup=$(elapsed "$t0" "$t1")
}
# --- load: sightmap ------------------------------------------------------------------------
log "sightmap import"
rm -rf "$work/data"
start=$(date +%s.%N)
"$bin" import "$work/reports.geojsonl" --data-dir "$work/data" >&2
end=$(date +%s.%N)
record "{\"system\":\"sightmap\",\"measure\":\"load\",\"seconds\":$(elapsed "$start" "$end"),\"n\":$n}"
# Right after the import, before the other systems load: the first start reads the index
# snapshot the import wrote. (Measured after PostGIS's load instead, it read 1.28 s against
# 0.70 s alone for 1M: the machine was still busy with the loads behind it.)
log "first start with $n reports, right after the import (from the snapshot it wrote)"
serve "$work/data"
first=$startup
kill -TERM "$server"; wait "$server" 2>/dev/null || true
record "{\"system\":\"sightmap\",\"measure\":\"first_start\",\"seconds\":$first,\"n\":$n}"

# --- load: Redis -----------------------------------------------------------------------------
log "Redis GEOADD"
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
  >"$work/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
record "$("$driver" redis-load --addr "127.0.0.1:$redis_port" --key pts --points "$work/points.csv")"
record "{\"system\":\"redis\",\"measure\":\"version\",\"redis\":\"$(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/')\"}"

# --- load and queries: PostGIS ---------------------------------------------------------------
log "PostGIS: load, agreement and pgbench"
bench/postgis.sh "$work" "$seconds" >/dev/null
# The fair yardstick for the import: COPY + GiST, the region's outlines, and the relations
# sightmap's import computes (country, province, at sea, nearest border and neighbour, coast),
# checked against sightmap's store (the run fails if they disagree beyond tolerance).
log "PostGIS pipeline: COPY, outlines, relations; agreement with sightmap's import"
bench/postgis-relate.sh "$work" >/dev/null

# --- agreement -------------------------------------------------------------------------------
log "answers at 10 km: sightmap, Redis"
"$driver" inprocess --data-dir "$work/data" --centres "$work/centres.csv" --radius-km 10 \
  --threads 1 --seconds 0.1 --answers "$work/sightmap-10km.txt" >/dev/null
"$driver" redis --addr "127.0.0.1:$redis_port" --key pts --centres "$work/centres.csv" \
  --radius-km 10 --seconds 0.1 --answers "$work/redis-10km.txt" >/dev/null
record "$(python3 bench/agree.py "$work")"

# --- queries: in process, Redis ---------------------------------------------------------------
log "in process and Redis, radius 1-50 km"
for r in 1 5 10 25 50; do
  record "$("$driver" inprocess --data-dir "$work/data" --centres "$work/centres.csv" --radius-km "$r" --threads 1 --seconds "$seconds")"
  record "$("$driver" redis --addr "127.0.0.1:$redis_port" --key pts --centres "$work/centres.csv" --radius-km "$r" --seconds "$seconds")"
  record "$("$driver" redis --addr "127.0.0.1:$redis_port" --key pts --centres "$work/centres.csv" --radius-km "$r" --seconds "$seconds" --withcoord)"
done
record "$("$driver" inprocess --data-dir "$work/data" --centres "$work/centres.csv" --radius-km 10 --threads "$(nproc)" --seconds "$seconds")"
redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true

# --- the server: cold start, memory, HTTP, export ----------------------------------------------
log "empty server, for its baseline memory"
serve "$work/empty"
empty_rss=$(anon_kb "$server")
kill "$server"; wait "$server" 2>/dev/null || true
log "cold start with $n reports (a restart: the index snapshot written at the stop)"
serve "$work/data"
cold=$startup
full_rss=$(anon_kb "$server")
full_vmrss=$(rss_kb "$server")
record "{\"system\":\"sightmap\",\"measure\":\"cold_start\",\"seconds\":$cold,\"n\":$n}"
record "{\"system\":\"sightmap\",\"measure\":\"rss\",\"empty_kb\":$empty_rss,\"loaded_kb\":$full_rss,\"vmrss_kb\":$full_vmrss,\"bytes_per_report\":$(( (full_rss - empty_rss) * 1024 / n )),\"n\":$n}"

wrk_run() { # connections radius
  local c=$1 r=$2 t=$1 out
  [ "$t" -gt 2 ] && t=2
  out=$(CENTRES="$work/centres.csv" RADIUS_KM=$r LIMIT=10000 \
    wrk -t"$t" -c"$c" -d"${seconds}s" -s bench/radius.lua "http://127.0.0.1:$http_port" | tail -1)
  python3 - "$c" "$r" "$out" <<'PY'
import json, sys
c, r, w = int(sys.argv[1]), float(sys.argv[2]), json.loads(sys.argv[3])
print(json.dumps({"system": "sightmap", "variant": "http-geojson", "clients": c, "radius_km": r,
    "qps": round(w["requests"] / w["seconds"], 1), "p50_ms": w["p50_ms"], "p99_ms": w["p99_ms"],
    "bytes_per_response": round(w["bytes"] / max(w["requests"], 1)), "errors": w["errors"]}))
PY
}
log "HTTP GeoJSON with wrk (after one unrecorded run at 10 km that fills the feature cache)"
wrk_run 2 10 >/dev/null
for r in 1 5 10 25 50; do record "$(wrk_run 1 "$r")"; done
record "$(wrk_run 2 10)"
record "$(wrk_run 8 10)"

record "{\"system\":\"sightmap\",\"measure\":\"rss_after_queries\",\"kb\":$(anon_kb "$server"),\"feature_cache_mb\":$feature_cache_mb,\"n\":$n}"

log "GeoJSON export over HTTP"
before=$(rss_kb "$server")
( while kill -0 "$server" 2>/dev/null; do rss_kb "$server"; sleep 0.05; done ) > "$work/rss.log" 2>/dev/null &
sampler=$!
read -r bytes secs < <(curl -s -o /dev/null -w "%{size_download} %{time_total}\n" "127.0.0.1:$http_port/api/export?format=geojson")
kill "$sampler" 2>/dev/null || true
peak=$(sort -n "$work/rss.log" | tail -1)
record "{\"system\":\"sightmap\",\"measure\":\"export\",\"bytes\":$bytes,\"seconds\":$secs,\"rss_growth_kb\":$(( ${peak:-$before} - before )),\"n\":$n}"
kill "$server"; wait "$server" 2>/dev/null || true

record "{\"system\":\"sightmap\",\"measure\":\"version\",\"sightmap\":\"$("$bin" --version | awk '{print $2}')\",\"rustc\":\"$(rustc --version | awk '{print $2}')\",\"wrk\":\"$(wrk -v 2>&1 | head -1 | awk '{print $2}')\"}"

# --- report ------------------------------------------------------------------------------
args=("$work" --n "$n" --seconds "$seconds")
[ "$write" = 1 ] && args+=(--write)
python3 bench/report.py "${args[@]}"
log "done: $results"
