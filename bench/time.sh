#!/usr/bin/env bash
# Time views with N reports (default 100,000), on the release build and the embedded store:
# `/api/timeline` for the whole region (reports and events), and `as_of` reads: the first
# (the reports rebuilt from the revision history), the next ones (the kept state), beside the
# same read of the present. Each line is curl's total time, median of 5 (the first as_of read
# once, as only the first is a rebuild).
#
# Usage: bench/time.sh [--n N] [--work DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
n=100000
work=$(mktemp -d)
while [ $# -gt 0 ]; do
  case $1 in
    --n) n=$2; shift ;;
    --work) work=$2; shift ;;
    *) echo "usage: $0 [--n N] [--work DIR]" >&2; exit 2 ;;
  esac
  shift
done
port=18482
cargo build --release --locked --quiet --bin sightmap
bin=target/release/sightmap
[ -f "$work/reports.geojsonl" ] || python3 bench/gen.py "$n" "$work" >/dev/null
rm -rf "$work/data"
"$bin" import "$work/reports.geojsonl" --data-dir "$work/data" >/dev/null 2>&1
"$bin" serve --no-sample --data-dir "$work/data" --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
until curl -fs "127.0.0.1:$port/health" >/dev/null 2>&1; do
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.05
done
sleep 1.1
as_of=$(date -u +%Y-%m-%dT%H:%M:%SZ)
base="http://127.0.0.1:$port"

once() { curl -fs -o /dev/null -w '%{time_total}' "$base$1"; }
median() { # what path
  local times=()
  for _ in 1 2 3 4 5; do times+=("$(once "$2")"); done
  printf '%-58s %8.1f ms\n' "$1" "$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p | awk '{print $1 * 1000}')"
}
whole="bbox=44,35,55,42"
median "timeline, reports, whole region, bin=1d" "/api/timeline?$whole&bin=1d&utc_offset=%2B03:30"
median "timeline, reports, no place, bin=auto" "/api/timeline"
median "timeline, events, whole region, bin=1d" "/api/timeline?of=events&$whole&bin=1d"
printf '%-58s %8.1f ms\n' "as_of, first read of $n reports (rebuilt): /api/reports" \
  "$(once "/api/reports?limit=100&as_of=$as_of" | awk '{print $1 * 1000}')"
median "as_of, next reads (kept): /api/reports" "/api/reports?limit=100&as_of=$as_of"
median "present: /api/reports" "/api/reports?limit=100"
median "as_of, next reads (kept): timeline, whole region" "/api/timeline?$whole&bin=1d&as_of=$as_of"
median "as_of, next reads (kept): /api/events 1° box" "/api/events?bbox=49,37,50,38&as_of=$as_of"
median "present: /api/events 1° box" "/api/events?bbox=49,37,50,38"
sed 's/\x1b\[[0-9;]*m//g' "$work/serve.log" | grep -o 'rebuilt the .*' | head -1
