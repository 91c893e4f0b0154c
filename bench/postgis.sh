#!/usr/bin/env bash
# PostGIS side of the sightmap benchmark.
#
# Usage: bench/postgis.sh WORKDIR [SECONDS_PER_RUN]     (default 10 s per pgbench run)
#
# WORKDIR holds bench/gen.py's output (points.csv, centres.csv). The script
#   1. installs PostGIS (postgresql-<server major>-postgis-3) and pgbench if missing,
#      and (re)creates database sightmap_bench on 127.0.0.1:5432 as user postgres;
#   2. loads pts(id uuid PRIMARY KEY, geog geography(Point,4326)) with a GiST index, timed
#      (COPY to a temp table, INSERT as geography, primary key, GiST, ANALYZE),
#      and centres(i, lon, lat, geog) numbered 1..M in file order;
#   3. writes WORKDIR/postgis-10km.txt: "i<TAB>id,id,..." per centre, ids within 10 km on the
#      spheroid (ST_DWithin(..., 10000, true)), sorted ascending as text, lines ordered by i;
#   4. runs pgbench (-n -M prepared) for variants ids / geojson, radii 1 5 10 25 50 km,
#      1 client everywhere and 2 clients at 10 km; qps is pgbench's tps, p50/p99 come from
#      the per-transaction log without each client's first transaction (a fresh backend
#      loading the PostGIS library); mean_results is over the first 200 centres;
#   5. prints one JSON object per run (plus load and version objects) on stdout and appends
#      them to WORKDIR/results.jsonl.
# Progress goes to stderr. The database is left in place.
set -euo pipefail
# shellcheck source=bench/pg-copy.sh
source "$(dirname "$0")/pg-copy.sh"   # sqlq, copy_points_sql

usage() { echo "usage: $0 WORKDIR [SECONDS_PER_RUN]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
WORKDIR=$1
SECS=${2:-10}
[[ $SECS =~ ^[1-9][0-9]*$ ]] || { echo "postgis.sh: SECONDS_PER_RUN must be a positive integer" >&2; exit 2; }
[ -d "$WORKDIR" ] || { echo "postgis.sh: no such directory: $WORKDIR" >&2; exit 2; }
WORKDIR=$(cd "$WORKDIR" && pwd)
for f in points.csv centres.csv; do
  [ -s "$WORKDIR/$f" ] || { echo "postgis.sh: missing $WORKDIR/$f (run bench/gen.py N WORKDIR)" >&2; exit 2; }
done

export PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres
unset PGDATABASE PGPASSWORD
export PGOPTIONS="-c client_min_messages=warning"
DB=sightmap_bench
RADII_KM=(1 5 10 25 50)
AGREE_KM=10
SAMPLE_CENTRES=200

log() { echo "postgis.sh: $*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
psql_db() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/postgis-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}
apt_install() {
  log "installing $*"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >"$TMP/apt.log" 2>&1; then
    as_root apt-get update -q >>"$TMP/apt.log" 2>&1 || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >>"$TMP/apt.log" 2>&1 \
      || { cat "$TMP/apt.log" >&2; echo "postgis.sh: apt-get install $* failed" >&2; exit 1; }
  fi
}

# --- 1. prerequisites --------------------------------------------------------------------------
psql_db -d postgres -c 'SELECT 1' >/dev/null \
  || { echo "postgis.sh: cannot reach PostgreSQL at $PGHOST:$PGPORT as $PGUSER" >&2; exit 1; }
server_num=$(psql_db -d postgres -c 'SHOW server_version_num')
major=$((server_num / 10000))
if [ "$(psql_db -d postgres -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")" = 0 ]; then
  apt_install "postgresql-$major-postgis-3"
fi
if ! pgbench --version >/dev/null 2>&1; then
  apt_install "postgresql-client-$major"   # pgbench ships in the client package
fi

log "recreating database $DB"
psql_db -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
psql_db -d postgres -c "CREATE DATABASE $DB"
psql_db -d "$DB" -c 'CREATE EXTENSION postgis'

pg_version=$(psql_db -d "$DB" -c "SELECT split_part(current_setting('server_version'), ' ', 1)")
postgis_version=$(psql_db -d "$DB" -c 'SELECT postgis_lib_version()')
log "$(psql_db -d "$DB" -c 'SELECT postgis_full_version()')"

# --- 2. load -----------------------------------------------------------------------------------
n=$(wc -l <"$WORKDIR/points.csv")
log "loading $n points"
stamp() { echo "SELECT extract(epoch FROM clock_timestamp()) AS t_$1 \\gset"; }
cat >"$TMP/load.sql" <<SQL
SET maintenance_work_mem = '1GB';
CREATE TEMP TABLE staging (id uuid, lon float8, lat float8);
$(stamp start)
\\copy staging FROM $(sqlq "$WORKDIR/points.csv") WITH (FORMAT csv)
$(stamp copy)
CREATE TABLE pts (id uuid NOT NULL, geog geography(Point,4326));
INSERT INTO pts SELECT id, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography FROM staging;
$(stamp insert)
ALTER TABLE pts ADD PRIMARY KEY (id);
$(stamp pkey)
CREATE INDEX pts_geog_gist ON pts USING gist (geog);
$(stamp gist)
ANALYZE pts;
$(stamp analyze)
\\echo :t_start :t_copy :t_insert :t_pkey :t_gist :t_analyze
SQL
t0=$(now)
psql_db -d "$DB" -f "$TMP/load.sql" >"$TMP/load.out"
t1=$(now)
load_s=$(elapsed "$t0" "$t1")
# Server-side step times in ms (the total also counts psql's start and the temp table).
steps=$(awk '{ printf "copy %.0f, to geography %.0f, primary key %.0f, gist %.0f, analyze %.0f",
  ($2-$1)*1000, ($3-$2)*1000, ($4-$3)*1000, ($5-$4)*1000, ($6-$5)*1000 }' "$TMP/load.out")
log "load ${load_s} s (ms: $steps)"

# The fastest plain load (the field notes' form): COPY straight into a table whose geography
# column is generated from lon/lat, then the GiST index. No validation, no relations; the
# figure sightmap's import is compared with.
copy_points_sql pts_copy "$WORKDIR/points.csv" >"$TMP/load_copy.sql"
t0=$(now)
psql_db -d "$DB" -f "$TMP/load_copy.sql" >/dev/null
t1=$(now)
load_copy_s=$(elapsed "$t0" "$t1")
psql_db -d "$DB" -c "DROP TABLE pts_copy" >/dev/null
log "COPY into a generated geography column + GiST: ${load_copy_s} s"

psql_db -d "$DB" >/dev/null <<SQL
CREATE TEMP TABLE cstage (i int GENERATED ALWAYS AS IDENTITY, lon float8, lat float8);
\\copy cstage (lon, lat) FROM $(sqlq "$WORKDIR/centres.csv") WITH (FORMAT csv)
CREATE TABLE centres (i int PRIMARY KEY, lon float8, lat float8, geog geography(Point,4326));
INSERT INTO centres SELECT i, lon, lat, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography FROM cstage;
ANALYZE centres;
SQL
n_centres=$(psql_db -d "$DB" -c 'SELECT count(*) FROM centres')
[ "$n_centres" = "$(wc -l <"$WORKDIR/centres.csv")" ] \
  || { echo "postgis.sh: centres: loaded $n_centres rows" >&2; exit 1; }

# --- 3. agreement ------------------------------------------------------------------------------
log "writing postgis-${AGREE_KM}km.txt"
t0=$(now)
psql_db -d "$DB" -c "COPY (
  SELECT c.i, coalesce(string_agg(p.id::text, ',' ORDER BY p.id::text COLLATE \"C\"), '')
  FROM centres c LEFT JOIN pts p ON ST_DWithin(p.geog, c.geog, $((AGREE_KM * 1000)), true)
  GROUP BY c.i ORDER BY c.i) TO STDOUT" >"$TMP/agree.txt"
mv "$TMP/agree.txt" "$WORKDIR/postgis-${AGREE_KM}km.txt"
log "agreement join $(elapsed "$t0" "$(now)") s"

# --- 4. throughput -----------------------------------------------------------------------------
declare -A mean_results
for r in "${RADII_KM[@]}"; do
  mean_results[$r]=$(psql_db -d "$DB" -c "SELECT round(avg(n), 3) FROM (
    SELECT (SELECT count(*) FROM pts p WHERE ST_DWithin(p.geog, c.geog, $((r * 1000)), true)) AS n
    FROM centres c WHERE c.i <= $SAMPLE_CENTRES) s")
  log "mean results at $r km over the first $SAMPLE_CENTRES centres: ${mean_results[$r]}"
done

write_script() { # variant radius_km file
  local m=$(($2 * 1000))
  {
    echo "\\set i random(1, $n_centres)"
    case $1 in
      ids)
        echo "SELECT p.id FROM pts p, centres c WHERE c.i = :i AND ST_DWithin(p.geog, c.geog, $m, true);" ;;
      geojson)
        echo "SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(ST_AsGeoJSON(p.*)::json), '[]'::json)) FROM (SELECT p.id, p.geog FROM pts p, centres c WHERE c.i = :i AND ST_DWithin(p.geog, c.geog, $m, true)) p;" ;;
    esac
  } >"$3"
}

emit() { # one JSON line to stdout and results.jsonl
  echo "$1"
  echo "$1" >>"$WORKDIR/results.jsonl"
}

summarise() { # variant clients radius_km tps mean_results logfiles...
  python3 - "$@" <<'PY'
import json, math, sys
variant, clients, radius, tps, mean = sys.argv[1:6]
lat = []
first = []
seen = set()
for path in sys.argv[6:]:
    with open(path) as f:
        for line in f:
            fields = line.split()
            # client_id transaction_no latency_us script_no epoch_s epoch_us
            if not fields[2].isdigit():  # "failed" / "skipped"
                sys.exit(f"postgis.sh: pgbench logged a {fields[2]} transaction in {path}")
            # Each client's first transaction runs in a fresh backend that loads PostGIS's
            # shared library (~70 ms here): left out of the percentiles, kept in qps.
            if fields[0] in seen:
                lat.append(int(fields[2]))
            else:
                seen.add(fields[0])
                first.append(int(fields[2]))
if not lat:  # every client ran a single transaction
    lat = first
if not lat:
    sys.exit("postgis.sh: empty pgbench log")
lat.sort()
def pct(p):  # nearest rank
    return lat[max(0, math.ceil(p * len(lat)) - 1)] / 1000.0
print(json.dumps({
    "system": "postgis", "variant": variant, "clients": int(clients), "radius_km": int(radius),
    "qps": round(float(tps), 1), "p50_ms": round(pct(0.50), 3), "p99_ms": round(pct(0.99), 3),
    "mean_results": float(mean),
}, separators=(",", ":")))
PY
}

run_lines=()
for variant in ids geojson; do
  for r in "${RADII_KM[@]}"; do
    clients=(1)
    [ "$r" = "$AGREE_KM" ] && clients=(1 2)
    for c in "${clients[@]}"; do
      name="${variant}_${r}km_c${c}"
      write_script "$variant" "$r" "$TMP/$name.sql"
      log "pgbench $name (${SECS} s)"
      if ! pgbench -n -M prepared -c "$c" -j "$c" -T "$SECS" -f "$TMP/$name.sql" \
          -l --log-prefix="$TMP/log_$name" "$DB" >"$TMP/$name.out" 2>"$TMP/$name.err"; then
        cat "$TMP/$name.out" "$TMP/$name.err" >&2
        echo "postgis.sh: pgbench $name failed" >&2
        exit 1
      fi
      tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$TMP/$name.out" | head -1)
      [ -n "$tps" ] || { cat "$TMP/$name.out" >&2; echo "postgis.sh: no tps in pgbench output" >&2; exit 1; }
      run_lines+=("$(summarise "$variant" "$c" "$r" "$tps" "${mean_results[$r]}" "$TMP/log_$name".*)")
      rm -f "$TMP/log_$name".*
    done
  done
done

# --- 5. results --------------------------------------------------------------------------------
emit "{\"system\":\"postgis\",\"measure\":\"version\",\"postgresql\":\"$pg_version\",\"postgis\":\"$postgis_version\"}"
emit "{\"system\":\"postgis\",\"measure\":\"load\",\"seconds\":$load_s,\"n\":$n}"
emit "{\"system\":\"postgis\",\"measure\":\"load_copy\",\"seconds\":$load_copy_s,\"n\":$n}"
for line in "${run_lines[@]}"; do emit "$line"; done
