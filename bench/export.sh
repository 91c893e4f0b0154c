#!/usr/bin/env bash
# Export throughput and memory with N reports (default 1,000,000): generates N synthetic
# reports with bench/gen.py (seeded, uniform over the region), imports them, then times
#   1. `sightmap export --format geojson` to /dev/null (the command line), and
#   2. `GET /api/export?format=geojson` with curl from a running server, sampling the server's
#      resident memory every 50 ms during the export.
# Prints bytes, seconds, MB/s and the memory growth, for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
work=${WORK:-$(mktemp -d)}
cargo build --release --quiet
bin=target/release/sightmap
if [ ! -d "$work/data" ]; then
  python3 bench/gen.py "$N" "$work"
  $bin import "$work/reports.geojsonl" --data-dir "$work/data"
  rm "$work/reports.geojsonl"
fi
echo "--- command line"
/usr/bin/time -f "%e s wall, max RSS %M KB" $bin export --format geojson --data-dir "$work/data" --out /dev/null
echo "--- HTTP"
port=18474
$bin serve --no-sample --data-dir "$work/data" --addr "127.0.0.1:$port" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 200); do curl -fs "127.0.0.1:$port/health" >/dev/null && break; sleep 0.25; done
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
before=$(rss)
peak=$before
( while kill -0 $server 2>/dev/null; do r=$(rss); echo "$r"; sleep 0.05; done ) > "$work/rss.log" &
sampler=$!
curl -s -o /dev/null -w "%{size_download} bytes in %{time_total} s\n" "127.0.0.1:$port/api/export?format=geojson" | tee "$work/curl.log"
kill $sampler 2>/dev/null || true
peak=$(sort -n "$work/rss.log" | tail -1)
read -r bytes _ _ seconds _ < "$work/curl.log"
python3 -c "import sys; b,s=float(sys.argv[1]),float(sys.argv[2]); print(f'{b/1e6:.0f} MB in {s:.2f} s = {b/1e6/s:.0f} MB/s')" "$bytes" "$seconds"
echo "server RSS before ${before} KB, peak during export ${peak} KB, growth $(( (peak - before) / 1024 )) MB"
