#!/usr/bin/env bash
# Runs a command against a throw-away PostgreSQL cluster (Debian's packages) on a free local port.
# Usage: scripts/with-postgres.sh pytest ...   (DATABASE_URL is set for the command)
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "PostgreSQL is not installed (Debian package: postgresql)." >&2
  exit 1
fi

datadir=$(mktemp -d /tmp/ketacare-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
as_db_user=()
if [ "$(id -u)" = "0" ]; then
  chown postgres:postgres "$datadir"
  as_db_user=(su postgres -s /bin/bash -c)
  run() { su postgres -s /bin/bash -c "$*"; }
else
  run() { bash -c "$*"; }
fi

stop() {
  run "'$bindir/pg_ctl' -D '$datadir' -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$datadir"
}
trap stop EXIT

run "'$bindir/initdb' -D '$datadir' -A trust -U postgres -E UTF8 --no-locale" >/dev/null
run "'$bindir/pg_ctl' -D '$datadir' -o \"-h 127.0.0.1 -p $port -k '$datadir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" -l '$datadir/log' -w start" >/dev/null

export DATABASE_URL="postgres://postgres@127.0.0.1:$port/ketacare"
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on port $port"
"$@"
