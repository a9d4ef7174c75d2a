#!/usr/bin/env bash
# Our own Postgres server: Debian's postgresql, its own data directory and port, started and stopped by this script.
# Usage: bash infra/postgres.sh up|down|status|url      (idempotent; prints what it does)
# Env: EGCFG_PG_PORT (55432), EGCFG_PG_DATA (/var/lib/egcfg/pgdata-PORT as root, else ~/.cache/egcfg/pgdata-PORT), EGCFG_PG_DB (egcfg)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
port="${EGCFG_PG_PORT:-55432}"
# As root the server runs as user 'postgres', which cannot enter root's home: keep the cluster under /var/lib then.
if [ "$(id -u)" = 0 ]; then default_data=/var/lib/egcfg/pgdata-$port; else default_data=$EGCFG_CACHE/pgdata-$port; fi
data="${EGCFG_PG_DATA:-$default_data}"
dbname="${EGCFG_PG_DB:-egcfg}"
url="postgres://egcfg:egcfg@127.0.0.1:$port/$dbname"
say() { printf '[postgres] %s\n' "$*" >&2; }
die() { printf '[postgres] ERROR: %s\n' "$*" >&2; exit 1; }

find_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && { echo "$d"; return; }; done
  return 1
}
ensure_installed() {
  if ! bindir="$(find_bindir)"; then
    say "installing Debian's postgresql (apt-get)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
      || die "could not install the postgresql package with apt-get"
    bindir="$(find_bindir)" || die "postgresql installed but pg_ctl not found under /usr/lib/postgresql/*/bin"
  fi
}
# Postgres refuses to run as root: run its commands as the 'postgres' user when we are root.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

is_up() { as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; }

up() {
  ensure_installed
  mkdir -p "$(dirname "$data")"
  if [ ! -f "$data/PG_VERSION" ]; then
    say "initialising a cluster in $data"
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres: "$data" && chmod 700 "$data"
    as_pg "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null || die "initdb failed for $data"
  fi
  if is_up; then
    say "already running on port $port ($data)"
  else
    say "starting on 127.0.0.1:$port ($data)"
    as_pg "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
      -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
      || die "pg_ctl start failed; see $data/server.log: $(tail -n 5 "$data/server.log" 2>/dev/null)"
  fi
  as_pg psql -h 127.0.0.1 -p "$port" -U postgres -tAc "select 1 from pg_roles where rolname='egcfg'" | grep -q 1 \
    || as_pg psql -q -h 127.0.0.1 -p "$port" -U postgres -c "create role egcfg login password 'egcfg' createdb"
  # Tests drop their throwaway databases with (force), which terminates backends: allow it for our role.
  as_pg psql -q -h 127.0.0.1 -p "$port" -U postgres -c "set client_min_messages = warning; grant pg_signal_backend to egcfg" >/dev/null
  as_pg psql -h 127.0.0.1 -p "$port" -U postgres -tAc "select 1 from pg_database where datname='$dbname'" | grep -q 1 \
    || as_pg psql -q -h 127.0.0.1 -p "$port" -U postgres -c "create database $dbname owner egcfg"
  say "ready: $url"
}

down() {
  bindir="$(find_bindir)" || { say "not installed"; return 0; }
  if [ -f "$data/PG_VERSION" ] && is_up; then
    say "stopping ($data)"; as_pg "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  else
    say "not running"
  fi
}

status() {
  bindir="$(find_bindir)" || { echo "postgres: not installed"; return 1; }
  if [ -f "$data/PG_VERSION" ] && is_up; then echo "postgres: running on 127.0.0.1:$port ($data)"; else echo "postgres: stopped"; return 1; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  url) echo "$url" ;;
  *) echo "usage: $0 up|down|status|url" >&2; exit 2 ;;
esac
