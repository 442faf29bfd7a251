#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: `start` prints shell exports (eval them), `stop DIR`
# stops it and removes it. Runs the server as an unprivileged user when called as root (initdb
# refuses root), on a free port on 127.0.0.1, with trust authentication: it lives only for one run.
#   eval "$(bash .ci/postgres.sh start)"    # sets VIGIE_TEST_POSTGRES_URL and VIGIE_TEST_POSTGRES_DIR
#   bash .ci/postgres.sh stop "$VIGIE_TEST_POSTGRES_DIR"
set -euo pipefail

bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$dir" ] && command -v initdb >/dev/null; then dir=$(dirname "$(command -v initdb)"); fi
  [ -n "$dir" ] || { echo "PostgreSQL is missing: apt-get install -y postgresql" >&2; exit 1; }
  echo "$dir"
}

as_owner() {  # run a command as the cluster's owner
  if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    bin=$(bindir)
    dir=$(mktemp -d /tmp/vigie-pg.XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown nobody "$dir"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$dir/data" -U vigie --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -F" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U vigie vigie
    echo "export VIGIE_TEST_POSTGRES_URL=postgresql+psycopg://vigie@127.0.0.1:$port/vigie"
    echo "export VIGIE_TEST_POSTGRES_DIR=$dir"
    ;;
  stop)
    dir=${2:?usage: postgres.sh stop DIR}
    [ -d "$dir/data" ] && as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: postgres.sh start | stop DIR" >&2
    exit 2
    ;;
esac
