#!/usr/bin/env bash
# Fuzzing: installs cargo-fuzz if it is missing, builds the targets under fuzz/ (optimised, with
# AddressSanitizer), then runs each one after another for the given seconds (default 600), at
# low priority, one at a time. cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP=1 lets the stable
# toolchain take them. A crash stops the script; its input is under fuzz/artifacts/<target>/.
# Logs go to fuzz/logs/<target>.log; the last libFuzzer line of each is printed at the end.
#
#   scripts/fuzz.sh [seconds] [target...]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(geocode_query coordinates import_geojson import_csv)
fi
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "--- installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

echo "--- building the fuzz targets"
nice -n 10 cargo fuzz build -O

mkdir -p logs
for target in "${targets[@]}"; do
  echo "--- fuzzing $target for $seconds s (log: fuzz/logs/$target.log)"
  mkdir -p "corpus/$target"
  if ! nice -n 10 cargo fuzz run "$target" -O -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=4096 \
    >"logs/$target.log" 2>&1; then
    tail -n 60 "logs/$target.log"
    echo "--- $target FAILED; the input is under fuzz/artifacts/$target/" >&2
    exit 1
  fi
  grep -E '^(#[0-9]+|Done)' "logs/$target.log" | tail -n 2
done
echo "--- all targets ran for $seconds s with no crash"
