#!/usr/bin/env bash
# The project's test command: every *.test.ts under test/, with node's test runner (tsx for TypeScript).
# Usage: bash test/run.sh [unit|integration|e2e|chaos ...]   (default: all)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
suites=("$@"); [ ${#suites[@]} -gt 0 ] || suites=(unit integration e2e)
files=()
for s in "${suites[@]}"; do
  [ -d "test/$s" ] && while IFS= read -r f; do files+=("$f"); done < <(find "test/$s" -name '*.test.ts' | sort)
done
[ ${#files[@]} -gt 0 ] || { echo "no test files found"; exit 1; }
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
