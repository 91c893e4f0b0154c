#!/usr/bin/env bash
# The test command: installs what the tests need that Rust does not bring (Debian's Chromium
# and npm playwright-core for the browser test of the web map, Debian's gdal-bin and PyPI's
# OWSLib for the GIS client tests, the PostGIS package of the running PostgreSQL for the shared store), then runs
# `cargo test` (the embedded store, and the multi-instance tests on PostgreSQL/PostGIS in
# database sightmap_test on 127.0.0.1:5432, recreated), then the API suite again on PostGIS,
# then schemathesis (PyPI) against /api/openapi.json and /ogc/api (scripts/schemathesis.sh).
# Extra arguments (cargo's own options, such as --release) go to both cargo test runs.
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

scripts/install-python-test-deps.sh

echo "--- PostGIS database for the shared-store tests"
SIGHTMAP_TEST_POSTGRES=$(scripts/postgis-db.sh sightmap_test)
export SIGHTMAP_TEST_POSTGRES

echo "--- cargo test (the embedded store; tests/postgres.rs on PostGIS and the full-disk test, ignored by a plain cargo test)"
cargo test --locked "$@" -- --include-ignored

echo "--- cargo test --test api on PostgreSQL/PostGIS"
SIGHTMAP_TEST_API_STORE=postgres cargo test --locked --test api "$@"

echo "--- schemathesis against the OpenAPI documents of /api and /ogc"
scripts/schemathesis.sh
