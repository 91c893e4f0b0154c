# shellcheck shell=bash
# Shared by bench/postgis.sh and bench/postgis-relate.sh (sourced, not run): the fastest plain
# PostGIS load of bench/gen.py's points, so that both scripts time the very same statements.

# Quotes a path for psql's \copy.
sqlq() { printf "'%s'" "${1//\'/\'\'}"; }

# copy_points_sql TABLE CSV: the SQL (for psql -f) that (re)creates TABLE as
# (id uuid, lon, lat, geog geography(Point,4326) generated from lon/lat), COPYs CSV
# (id,lon,lat, no header) into it and builds the GiST index TABLE_gist on geog. No validation,
# no primary key, no ANALYZE: the field notes' form of the load.
copy_points_sql() {
  cat <<SQL
SET maintenance_work_mem = '1GB';
DROP TABLE IF EXISTS $1;
CREATE TABLE $1 (id uuid NOT NULL, lon float8 NOT NULL, lat float8 NOT NULL,
  geog geography(Point,4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography) STORED);
\\copy $1 (id, lon, lat) FROM $(sqlq "$2") WITH (FORMAT csv)
CREATE INDEX $1_gist ON $1 USING gist (geog);
SQL
}
