#!/usr/bin/env bash
# OWSLib (PyPI, pinned to 0.35.x) for tests/owslib.rs, which reads the OGC API - Features with
# it (tests/clients/owslib_check.py). Installs it with pip unless python3 can already import
# it; where pip refuses to touch a Debian-managed Python (PEP 668), retries with
# --break-system-packages.
set -euo pipefail
version='0.35.*'
if python3 -c 'import owslib' >/dev/null 2>&1; then
  exit 0
fi
echo "--- installing OWSLib $version (PyPI)"
pip=(python3 -m pip install --quiet --disable-pip-version-check "OWSLib==$version")
if ! log=$("${pip[@]}" 2>&1); then
  if grep -q externally-managed-environment <<<"$log"; then
    "${pip[@]}" --break-system-packages
  else
    printf '%s\n' "$log" >&2
    exit 1
  fi
fi
python3 -c 'import owslib' || { echo "OWSLib was installed but python3 cannot import it" >&2; exit 1; }
