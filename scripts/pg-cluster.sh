#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster on a loopback port, for tests and benchmarks.
#
#   scripts/pg-cluster.sh start DIR   -> prints DATABASE_URL (postgres://postgres@127.0.0.1:PORT/ces_test)
#   scripts/pg-cluster.sh stop DIR
#
# As root, initdb/pg_ctl run as the `postgres` OS user (initdb refuses root). The database is
# UTF8 with LC_CTYPE C.UTF-8, the configuration pg_trgm parity is specified for, and has the
# pg_trgm extension created.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?directory}
bindir=${PG_BINDIR:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
[ -x "$bindir/initdb" ] || bindir=/usr/lib/postgresql/15/bin
if [ ! -x "$bindir/initdb" ]; then
  echo "pg-cluster: no initdb found (install postgresql-15 and postgresql-contrib)" >&2
  exit 1
fi
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
start)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; chmod 700 "$dir"; fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg "$bindir/initdb" -D "$dir/data" --auth=trust -E UTF8 --locale=C.UTF-8 -U postgres >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  port=${PGPORT_TEST:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
  as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
    -c "CREATE DATABASE ces_test TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" >/dev/null
  psql -h 127.0.0.1 -p "$port" -U postgres -d ces_test -qAt -v ON_ERROR_STOP=1 \
    -c "CREATE EXTENSION IF NOT EXISTS pg_trgm" >/dev/null
  echo "postgres://postgres@127.0.0.1:$port/ces_test"
  ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2
  exit 2
  ;;
esac
