#!/usr/bin/env bash
# The Python packages of the tests (scripts/requirements-test.txt: OWSLib for tests/owslib.rs,
# geographiclib for the generated geocoder evaluation). Installs them with pip unless python3
# can already import them; where pip refuses to touch a Debian-managed Python (PEP 668),
# retries with --break-system-packages.
set -euo pipefail
cd "$(dirname "$0")/.."
if python3 -c 'import owslib, geographiclib' >/dev/null 2>&1; then
  exit 0
fi
echo "--- installing the tests' Python packages (scripts/requirements-test.txt, PyPI)"
pip=(python3 -m pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt)
if ! log=$("${pip[@]}" 2>&1); then
  if grep -q externally-managed-environment <<<"$log"; then
    "${pip[@]}" --break-system-packages
  else
    printf '%s\n' "$log" >&2
    exit 1
  fi
fi
python3 -c 'import owslib, geographiclib' || {
  echo "the packages were installed but python3 cannot import them" >&2
  exit 1
}
