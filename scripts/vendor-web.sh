#!/usr/bin/env bash
# Vendors MapLibre GL JS from the npm registry into web/vendor/maplibre-gl/, so that the map
# needs no CDN. The files are committed (they are third-party releases, not our build output);
# rerun this to move to another version, and update VERSION below and in web/vendor/README.md.
set -euo pipefail
VERSION=6.17.0
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "maplibre-gl@$VERSION" >/dev/null && tar xzf "maplibre-gl-$VERSION.tgz")
out=web/vendor/maplibre-gl
mkdir -p "$out"
for f in maplibre-gl.mjs maplibre-gl-worker.mjs maplibre-gl.css; do
  # Drop the source-map comment: the maps are not vendored.
  sed -e '/^\/\/# sourceMappingURL=/d' -e 's|/\*# sourceMappingURL=[^*]*\*/||' "$tmp/package/dist/$f" > "$out/$f"
done
cp "$tmp/package/LICENSE.txt" "$out/LICENSE.txt"
echo "maplibre-gl $VERSION vendored into $out"
