#!/usr/bin/env bash
# A load test from a second process on loopback: wrk for 60 s at 64 connections against a
# server holding N reports (default 100,000), nine 5 km GeoJSON queries for every new report
# (bench/mixed.lua). Prints one JSON line: requests, latency percentiles, socket errors and
# non-2xx answers; the run passes only with none of either.
#
# Usage: bench/load.sh [--n N] [--seconds S] [--connections C] [--work DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
n=100000; seconds=60; connections=64; work=""
while [ $# -gt 0 ]; do
  case $1 in
    --n) n=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --connections) connections=$2; shift ;;
    --work) work=$2; shift ;;
    *) echo "usage: $0 [--n N] [--seconds S] [--connections C] [--work DIR]" >&2; exit 2 ;;
  esac
  shift
done
work=${work:-$(mktemp -d /tmp/sightmap-load.XXXXXX)}
mkdir -p "$work"
log() { echo "[load $(date -u +%H:%M:%S)] $*" >&2; }
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null 2>&1 \
  || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
cargo build --release --locked --quiet --bin sightmap
bin=$root/target/release/sightmap
log "generating and importing $n reports"
python3 bench/gen.py "$n" "$work" >/dev/null
"$bin" import "$work/reports.geojsonl" --data-dir "$work/data" >/dev/null 2>&1
port=18611
"$bin" serve --no-sample --addr "127.0.0.1:$port" --data-dir "$work/data" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
until curl -fs "127.0.0.1:$port/health" >/dev/null 2>&1; do sleep 0.05; done
log "wrk: $seconds s at $connections connections"
result=$(CENTRES="$work/centres.csv" wrk -t2 -c"$connections" -d"${seconds}s" --timeout 10s \
  -s bench/mixed.lua "http://127.0.0.1:$port" | tail -1)
echo "$result"
python3 -c 'import json, sys; r = json.loads(sys.argv[1]); sys.exit(1 if r["socket_errors"] or r["non_2xx"] else 0)' "$result" \
  || { echo "load.sh: errors under load" >&2; exit 1; }
