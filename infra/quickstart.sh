#!/usr/bin/env bash
# The README's first command: install everything (idempotent, cached) and run the main job — a baseline campaign on
# the MBPP test split with the simulated model, the embedded database and a local Temporal dev server.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules/@temporalio/worker ] || npm ci --no-audit --no-fund --loglevel=error
bash infra/setup.sh
exec npx egcfg run --dataset mbpp --method baseline --model-name simulated-deepseek "$@"
