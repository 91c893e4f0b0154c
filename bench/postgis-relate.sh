#!/usr/bin/env bash
# The fair PostGIS yardstick for `sightmap import`: not a bare COPY, but what a PostGIS user runs
# to get the columns sightmap's import computes for every report (country, province, in_sea,
# the nearest land border's distance and neighbour, the distance to the coast).
#
# Usage: bench/postgis-relate.sh WORKDIR [RELATE_N]
#   WORKDIR   bench/gen.py's output (points.csv); for the agreement check also a `sightmap
#             import` of the same reports into WORKDIR/data (bench/run.sh does both)
#   RELATE_N  relate only the first RELATE_N points (by id, which is file order); default all
#
# Stages, each timed on the wall clock around its psql:
#   1. copy     COPY points.csv into rel_pts(id, lon, lat, geog generated) + GiST: the very
#               statements postgis.sh times as load_copy (bench/pg-copy.sh)
#   2. outlines the region's outlines from data/region/ (read by Python, loaded with psql and
#               ST_GeomFromGeoJSON), cut with ST_Subdivide, GiST-indexed, analysed
#   3. relate   CREATE TABLE rel_out AS one SELECT over the points, every relation an indexed
#               lookup (see relate.sql below for what each column means and why)
# then writes WORKDIR/postgis-relate.csv (a sample of 1,000 related points, spread evenly over the
# ids, with each neighbour's border distance for the tie check), runs bench/agree-relate.py against
# sightmap's store (exit 1 on disagreement), and prints JSON lines (also appended to
# WORKDIR/results.jsonl): pipeline_copy, pipeline_outlines, pipeline_relate, pipeline (the
# whole, with the relation's time scaled to all points if RELATE_N < N), relate_agreement.
#
# Why Python + psql rather than ogr2ogr: no GDAL needed where the bench runs, and the few facts
# sightmap derives from the files (file order, the neighbour as the non-home country of a
# border's pair) are written out as plain columns, computed the way sightmap computes them.
#
# Uses its own database, sightmap_relate (recreated), on the server postgis.sh uses; needs the
# postgis and btree_gist extensions to be available (postgis.sh installs PostGIS).
set -euo pipefail
# shellcheck source=bench/pg-copy.sh
source "$(dirname "$0")/pg-copy.sh"   # sqlq, copy_points_sql
root=$(cd "$(dirname "$0")/.." && pwd)

usage() { echo "usage: $0 WORKDIR [RELATE_N]" >&2; exit 2; }
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
WORKDIR=$(cd "$1" && pwd)
[ -s "$WORKDIR/points.csv" ] || { echo "postgis-relate.sh: missing $WORKDIR/points.csv" >&2; exit 2; }
n=$(wc -l <"$WORKDIR/points.csv")
relate_n=${2:-$n}
[[ $relate_n =~ ^[1-9][0-9]*$ ]] || usage
[ "$relate_n" -gt "$n" ] && relate_n=$n
SAMPLE=1000
REGION=$root/data/region

export PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres
unset PGDATABASE PGPASSWORD
export PGOPTIONS="-c client_min_messages=warning"
DB=sightmap_relate
log() { echo "postgis-relate.sh: $*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
psql_db() { psql -X -q -v ON_ERROR_STOP=1 -At -d "$DB" "$@"; }
emit() { echo "$1"; echo "$1" >>"$WORKDIR/results.jsonl"; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/postgis-relate.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

log "recreating database $DB"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
psql_db -c 'CREATE EXTENSION postgis' -c 'CREATE EXTENSION btree_gist'

# --- 1. COPY + GiST ------------------------------------------------------------------------------
copy_points_sql rel_pts "$WORKDIR/points.csv" >"$TMP/copy.sql"
log "stage 1: COPY $n points + GiST"
t0=$(now)
psql_db -f "$TMP/copy.sql"
t1=$(now)
copy_s=$(elapsed "$t0" "$t1")

# --- 2. the region's outlines ----------------------------------------------------------------------
# One CSV per layer: ord (the feature's place in its file: sightmap takes the first match in file
# order), id, name, country, kind, the geometry as GeoJSON.
#   countries: id = ISO code;  provinces: name, country = ISO code;  sea: name, kind ('lagoon'
#   or empty: empty is the open sea);  borders: country = the neighbour (the pair's code that is
#   not region.json's home_country);  coast: nothing but the line.
python3 - "$REGION" "$TMP" <<'PY'
import csv, json, os, sys
region, out = sys.argv[1], sys.argv[2]
with open(os.path.join(region, "region.json"), encoding="utf-8") as f:
    home = json.load(f)["home_country"]
def layer(name, fields):
    with open(os.path.join(region, name + ".geojson"), encoding="utf-8") as f:
        features = json.load(f)["features"]
    with open(os.path.join(out, name + ".csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        for i, feature in enumerate(features):
            w.writerow([i, *fields(feature.get("properties") or {}), json.dumps(feature["geometry"])])
def neighbour(p):
    a, b = p["countries"]
    return b if a == home else a
layer("countries", lambda p: [p["id"], p["name"], p["id"], None])
layer("provinces", lambda p: [p["id"], p["name"], p["country"], None])
layer("sea", lambda p: [None, p["name"], None, p.get("kind")])
layer("borders", lambda p: [None, p.get("name"), neighbour(p), None])
layer("coast", lambda p: [None, p.get("body") or p.get("name"), p.get("country"), None])
PY
{
  echo "CREATE TEMP TABLE rg_stage (layer text, ord int, id text, name text, country text, kind text, geojson text);"
  for l in countries provinces sea borders coast; do
    echo "\\copy rg_stage (ord, id, name, country, kind, geojson) FROM $(sqlq "$TMP/$l.csv") WITH (FORMAT csv)"
    echo "UPDATE rg_stage SET layer = '$l' WHERE layer IS NULL;"
  done
  cat <<'SQL'
-- Whole features, in file order.
CREATE TABLE rg_country AS SELECT ord, id, ST_GeomFromGeoJSON(geojson) AS geom FROM rg_stage WHERE layer = 'countries';
CREATE TABLE rg_province AS SELECT ord, name, country, ST_GeomFromGeoJSON(geojson) AS geom FROM rg_stage WHERE layer = 'provinces';
CREATE TABLE rg_water AS SELECT ord, name, kind, ST_GeomFromGeoJSON(geojson) AS geom FROM rg_stage WHERE layer = 'sea';
CREATE TABLE rg_border AS SELECT ord, name, country AS neighbour, ST_GeomFromGeoJSON(geojson) AS geom FROM rg_stage WHERE layer = 'borders';
CREATE TABLE rg_coast AS SELECT ord, ST_GeomFromGeoJSON(geojson) AS geom FROM rg_stage WHERE layer = 'coast';
-- Pieces for the indexes. Polygons: 256 vertices (containment is a point-in-polygon test on
-- geometry: lon/lat on a plane, as sightmap's even-odd test is). Lines: 16 vertices, measured
-- fastest for the nearest-distance lookups (an exact spheroid distance to a 256-vertex piece
-- costs ~0.3 ms; at 16 vertices the relation ran ~4x faster than at 256).
CREATE TABLE rg_country_part AS SELECT c.ord, c.id, s.geom, s.geom::geography AS geog FROM rg_country c, ST_Subdivide(c.geom, 256) s(geom);
CREATE TABLE rg_province_part AS SELECT p.ord, p.country, s.geom FROM rg_province p, ST_Subdivide(p.geom, 256) s(geom);
CREATE TABLE rg_water_part AS SELECT w.ord, s.geom FROM rg_water w, ST_Subdivide(w.geom, 256) s(geom);
CREATE TABLE rg_border_part AS SELECT b.ord, s.geom::geography AS geog FROM rg_border b, ST_Subdivide(b.geom, 16) s(geom);
CREATE TABLE rg_coast_part AS SELECT s.geom::geography AS geog FROM rg_coast c, ST_Subdivide(c.geom, 16) s(geom);
CREATE INDEX ON rg_country_part USING gist (geom);
CREATE INDEX ON rg_province_part USING gist (geom);
CREATE INDEX ON rg_water_part USING gist (geom);
-- (line, geog): a nearest-piece search within one line (btree_gist for the int column).
CREATE INDEX ON rg_border_part USING gist (ord, geog);
CREATE INDEX ON rg_coast_part USING gist (geog);
ANALYZE rg_country, rg_province, rg_water, rg_border, rg_coast,
  rg_country_part, rg_province_part, rg_water_part, rg_border_part, rg_coast_part;
SQL
} >"$TMP/outlines.sql"
log "stage 2: the region's outlines"
t0=$(now)
psql_db -f "$TMP/outlines.sql"
t1=$(now)
outlines_s=$(elapsed "$t0" "$t1")
pieces=$(psql_db -c "SELECT (SELECT count(*) FROM rg_country_part) + (SELECT count(*) FROM rg_province_part)
  + (SELECT count(*) FROM rg_water_part) + (SELECT count(*) FROM rg_border_part) + (SELECT count(*) FROM rg_coast_part)")

# --- 3. the relation -------------------------------------------------------------------------------
# The subset (if any) is chosen before the clock starts: the first RELATE_N ids (file order).
subset=rel_pts
if [ "$relate_n" -lt "$n" ]; then
  psql_db -c "CREATE TABLE rel_subset AS SELECT * FROM rel_pts ORDER BY id LIMIT $relate_n"
  subset=rel_subset
fi
# What sightmap computes (crates/core/src/geospatial/region/mod.rs, geography/mod.rs), column by
# column:
#  country   the first country (file order) whose outline holds the point (even-odd on lon/lat:
#            ST_Intersects on geometry); else the nearest country within 5 km, where sightmap
#            measures on a local plane at the point (PolygonBands::distance_within: x = Δlon ·
#            111,195 m · cos lat, y = Δlat · 111,195 m), so PostGIS measures the same way (scaled
#            geometry). On the spheroid, 4 in 100,000 points within ±5 m of 5 km came out the
#            other way.
#  province  the same, among the provinces of that country (all provinces if none); its name.
#            With no country, the province's country stands for it.
#  in_sea    the first water body (file order) that holds the point has no kind (not a lagoon).
#  border    the nearest point of any land border line (no cap), geodesic metres on WGS84, and
#            that line's neighbour. Per line: the nearest 16-vertex piece by the GiST KNN
#            (`<->` on geography is a sphere distance), then its exact ST_Distance (spheroid); the
#            least over the 6 lines. Per line rather than one KNN over all pieces: points about
#            equally far from two lines (two neighbours) got the wrong one when the sphere
#            ranks them differently from the spheroid (0.3 % apart here).
#  coast     the nearest point of any coast line (no cap), geodesic metres: the 4 nearest
#            pieces by KNN, the least exact ST_Distance of those.
# Remaining difference by construction: a KNN on the sphere picks a piece whose spheroid distance
# may be up to ~0.3 % above the true least where two parts of a line lie about equally far in
# different directions; sightmap ranks by the spheroid. Measured: at most 0.31 % (border), 0.23 %
# (coast) over 100,000 points; the agreement tolerance is 0.5 %.
cat >"$TMP/relate.sql" <<SQL
SET jit = off;  -- compiling this plan cost more than it saved
CREATE TABLE rel_out AS
SELECT p.id, coalesce(c.code, pr.country) AS country, pr.name AS province,
       coalesce(w.sea, false) AS in_sea,
       b.m AS border_distance_m, b.neighbour AS border_country, co.m AS coast_distance_m
FROM $subset p
-- The point as geometry, and sightmap's local plane at it (metres per degree east, north).
CROSS JOIN LATERAL (SELECT pt, ST_Scale(pt, kx, 111195) AS pxy, kx,
    5000 / kx AS dlon, 5000 / 111195.0 AS dlat
  FROM (SELECT p.geog::geometry AS pt, 111195 * greatest(cos(radians(p.lat)), 0.01) AS kx) q OFFSET 0) g
CROSS JOIN LATERAL (SELECT coalesce(
    (SELECT cp.id FROM rg_country_part cp WHERE ST_Intersects(cp.geom, g.pt) ORDER BY cp.ord LIMIT 1),
    (SELECT id FROM (SELECT cp.id, ST_Distance(ST_Scale(cp.geom, g.kx, 111195), g.pxy) AS d
       FROM rg_country_part cp WHERE cp.geom && ST_Expand(g.pt, g.dlon, g.dlat)
       ORDER BY d LIMIT 1) near WHERE d <= 5000)) AS code OFFSET 0) c
CROSS JOIN LATERAL (SELECT coalesce(
    (SELECT pp.ord FROM rg_province_part pp WHERE ST_Intersects(pp.geom, g.pt)
       AND (c.code IS NULL OR pp.country = c.code) ORDER BY pp.ord LIMIT 1),
    (SELECT ord FROM (SELECT pp.ord, ST_Distance(ST_Scale(pp.geom, g.kx, 111195), g.pxy) AS d
       FROM rg_province_part pp WHERE pp.geom && ST_Expand(g.pt, g.dlon, g.dlat)
         AND (c.code IS NULL OR pp.country = c.code)
       ORDER BY d LIMIT 1) near WHERE d <= 5000)) AS ord OFFSET 0) pq
LEFT JOIN rg_province pr ON pr.ord = pq.ord
LEFT JOIN LATERAL (SELECT w.kind IS NULL AS sea FROM rg_water_part wp JOIN rg_water w USING (ord)
    WHERE ST_Intersects(wp.geom, g.pt) ORDER BY wp.ord LIMIT 1) w ON true
LEFT JOIN LATERAL (
    SELECT l.neighbour, ST_Distance(k.geog, p.geog) AS m
    FROM rg_border l
    CROSS JOIN LATERAL (SELECT bp.geog FROM rg_border_part bp WHERE bp.ord = l.ord
                        ORDER BY bp.geog <-> p.geog LIMIT 1) k
    ORDER BY m LIMIT 1) b ON true
LEFT JOIN LATERAL (
    SELECT ST_Distance(k.geog, p.geog) AS m
    FROM (SELECT cp.geog FROM rg_coast_part cp ORDER BY cp.geog <-> p.geog LIMIT 4) k
    ORDER BY m LIMIT 1) co ON true;
SQL
log "stage 3: relating $relate_n points"
t0=$(now)
psql_db -f "$TMP/relate.sql"
t1=$(now)
relate_s=$(elapsed "$t0" "$t1")
related=$(psql_db -c "SELECT count(*) FROM rel_out")
[ "$related" = "$relate_n" ] || { echo "postgis-relate.sh: related $related of $relate_n points" >&2; exit 1; }

# --- results -------------------------------------------------------------------------------------
# The whole: COPY + outlines + the relation, scaled from the subset to all n points if need be.
read -r whole_s copy_rate relate_rate whole_rate < <(awk -v n="$n" -v r="$relate_n" \
  -v c="$copy_s" -v o="$outlines_s" -v t="$relate_s" 'BEGIN {
    w = c + o + t * n / r; printf "%.3f %.0f %.0f %.0f\n", w, n / c, r / t, n / w }')
log "COPY+GiST ${copy_s} s ($copy_rate/s); outlines ${outlines_s} s ($pieces pieces); relation ${relate_s} s for $relate_n ($relate_rate/s); whole ${whole_s} s ($whole_rate/s)"
emit "{\"system\":\"postgis\",\"measure\":\"pipeline_copy\",\"seconds\":$copy_s,\"n\":$n}"
emit "{\"system\":\"postgis\",\"measure\":\"pipeline_outlines\",\"seconds\":$outlines_s,\"pieces\":$pieces}"
emit "{\"system\":\"postgis\",\"measure\":\"pipeline_relate\",\"seconds\":$relate_s,\"n\":$relate_n}"
emit "{\"system\":\"postgis\",\"measure\":\"pipeline\",\"seconds\":$whole_s,\"n\":$n,\"relate_n\":$relate_n}"

# --- agreement with sightmap's import ------------------------------------------------------------
if [ ! -s "$WORKDIR/data/sightmap.db" ]; then
  log "no $WORKDIR/data/sightmap.db: agreement not checked"
  exit 0
fi
# The sample, with each neighbour's border distance (same per-line method) so that a different
# neighbour can be told from a tie: at a point where two neighbours' borders meet, both are
# equally near and either answer is right. Not timed.
log "exporting $SAMPLE related points for the agreement check"
psql_db >/dev/null <<SQL
CREATE TEMP TABLE sample AS
  SELECT * FROM (SELECT r.*, row_number() OVER (ORDER BY id) - 1 AS i FROM rel_out r) q
  WHERE i % greatest($related / $SAMPLE, 1) = 0 LIMIT $SAMPLE;
\\copy (SELECT s.id, s.country, s.province, s.in_sea, s.border_distance_m, s.border_country, s.coast_distance_m, (SELECT string_agg(neighbour || ':' || m, ' ') FROM (SELECT l.neighbour, min(ST_Distance(k.geog, p.geog)) AS m FROM rg_border l CROSS JOIN LATERAL (SELECT bp.geog FROM rg_border_part bp WHERE bp.ord = l.ord ORDER BY bp.geog <-> p.geog LIMIT 1) k GROUP BY l.neighbour) nb) FROM sample s JOIN rel_pts p USING (id) ORDER BY s.id) TO $(sqlq "$WORKDIR/postgis-relate.csv") WITH (FORMAT csv)
SQL
status=0
agreement=$(python3 "$root/bench/agree-relate.py" "$WORKDIR") || status=$?
[ -n "$agreement" ] && emit "$agreement"
exit "$status"
