#!/usr/bin/env bash
# The test command: installs what the tests need that Rust does not bring (Debian's Chromium
# and npm playwright-core for the browser test of the web map, Debian's gdal-bin for the GIS
# client tests, the PostGIS package of the running PostgreSQL for the shared store), then runs
# `cargo test` on the embedded store, and the API suite and the multi-instance tests again on
# PostgreSQL/PostGIS (database sightmap_test on 127.0.0.1:5432, recreated).
# Extra arguments go to both cargo test runs.
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

echo "--- PostGIS database for the shared-store tests"
postgres_url=$(scripts/postgis-db.sh sightmap_test)

echo "--- cargo test (embedded store)"
cargo test --locked "$@"

echo "--- cargo test on PostgreSQL/PostGIS: the API suite and the multi-instance tests"
SIGHTMAP_TEST_POSTGRES="$postgres_url" cargo test --locked --test api --test postgres "$@"
