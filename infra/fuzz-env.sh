#!/usr/bin/env bash
# schemathesis (PyPI, pinned) in a cached venv, for the API fuzz test (test/integration/api-fuzz.test.ts).
# Idempotent: does nothing when the pinned version is already installed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
venv="$EGCFG_CACHE/fuzz-venv"
version=4.32.5
if [ -x "$venv/bin/schemathesis" ] && "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  echo "[fuzz] schemathesis $version present" >&2; exit 0
fi
echo "[fuzz] installing schemathesis==$version into $venv" >&2
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$version" \
  || { echo "[fuzz] ERROR: pip could not install schemathesis==$version" >&2; exit 1; }
