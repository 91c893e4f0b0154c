#!/usr/bin/env bash
# The test command: installs what the tests need that Rust does not bring (Debian's Chromium
# and npm playwright-core for the browser test of the web map, Debian's gdal-bin for the GIS
# client tests), then runs `cargo test`.
# Extra arguments go to cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=()
if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM:-}" ]; then packages+=(chromium); fi
if ! command -v ogrinfo >/dev/null; then packages+=(gdal-bin); fi
if [ ${#packages[@]} -gt 0 ]; then
  echo "--- installing Debian packages for the tests: ${packages[*]}"
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
fi
if [ ! -d tests/web/node_modules/playwright-core ]; then
  echo "--- installing playwright-core (tests/web/package-lock.json)"
  npm ci --prefix tests/web --no-audit --no-fund --silent
fi

echo "--- cargo test"
cargo test --locked "$@"
