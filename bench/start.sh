#!/usr/bin/env bash
# Start-up with N reports (default 1,000,000): the first start after `sightmap import` (from the
# index snapshot the import wrote), a restart (from the snapshot written at the stop), and a
# start without a snapshot (the index and the events built from the store). Each is timed from
# launch until /health answers; the server's own "index built" line says how long the index
# and the events took. Prints a line per start, with the server's peak resident set and its
# anonymous memory once it answers.
#
# Usage: bench/start.sh [--n N] [--work DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
n=1000000
work=$(mktemp -d)
while [ $# -gt 0 ]; do
  case $1 in
    --n) n=$2; shift ;;
    --work) work=$2; shift ;;
    *) echo "usage: $0 [--n N] [--work DIR]" >&2; exit 2 ;;
  esac
  shift
done
port=18481
cargo build --release --locked --quiet --bin sightmap
bin=target/release/sightmap
[ -f "$work/reports.geojsonl" ] || python3 bench/gen.py "$n" "$work" >/dev/null
rm -rf "$work/data"
"$bin" import "$work/reports.geojsonl" --data-dir "$work/data" >/dev/null 2>&1

start() { # what
  local t0 t1 server
  t0=$(date +%s.%N)
  "$bin" serve --no-sample --data-dir "$work/data" --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
  server=$!
  until curl -fs "127.0.0.1:$port/health" >/dev/null 2>&1; do
    kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
    sleep 0.02
  done
  t1=$(date +%s.%N)
  local built events
  built=$(sed 's/\x1b\[[0-9;]*m//g' "$work/serve.log" | grep 'index built' | grep -o 'elapsed_ms=[0-9]*' | head -1 | cut -d= -f2)
  events=$(curl -fs "127.0.0.1:$port/api/events?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["numberMatched"])')
  local peak anon
  peak=$(awk '/^VmHWM/ {print $2}' "/proc/$server/status")
  anon=$(awk '/^RssAnon/ {print $2}' "/proc/$server/status")
  printf '%-40s %6.2f s to /health (index and events built in %s ms; %s events); peak resident %s MB, anonymous %s MB\n' \
    "$1" "$(python3 -c "print($t1 - $t0)")" "$built" "$events" "$((peak / 1024))" "$((anon / 1024))"
  kill -TERM "$server"; wait "$server" 2>/dev/null || true
}
start "first start after the import"
start "restart (snapshot written at the stop)"
rm -f "$work/data/index.snapshot"
start "start without a snapshot"
