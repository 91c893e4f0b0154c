#!/usr/bin/env bash
# Makes a PostGIS database for sightmap's tests: installs the PostGIS package that matches the
# running PostgreSQL server (postgresql-<major>-postgis-3) if it is missing, then drops and
# recreates database NAME with the postgis extension, and prints its URL.
#
# Usage: scripts/postgis-db.sh NAME       (server: PGHOST/PGPORT/PGUSER, default 127.0.0.1:5432, postgres)
set -euo pipefail
[ $# -eq 1 ] && [[ $1 =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "usage: $0 NAME (lower-case letters, digits, _)" >&2; exit 2; }
db=$1
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGOPTIONS="-c client_min_messages=warning"
psql_q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

psql_q -d postgres -c 'SELECT 1' >/dev/null \
  || { echo "postgis-db.sh: cannot reach PostgreSQL at $PGHOST:$PGPORT as $PGUSER" >&2; exit 1; }
major=$(( $(psql_q -d postgres -c 'SHOW server_version_num') / 10000 ))
if [ "$(psql_q -d postgres -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")" = 0 ]; then
  echo "postgis-db.sh: installing postgresql-$major-postgis-3" >&2
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo -n"; fi
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "postgresql-$major-postgis-3" >/dev/null 2>&1; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "postgresql-$major-postgis-3" >/dev/null
  fi
fi
psql_q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
psql_q -d postgres -c "CREATE DATABASE $db"
psql_q -d "$db" -c 'CREATE EXTENSION postgis'
echo "postgres://$PGUSER@$PGHOST:$PGPORT/$db"
