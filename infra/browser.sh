#!/usr/bin/env bash
# Debian's Chromium for the dashboard's browser test (test/e2e/dashboard-browser.test.ts drives it headless with
# playwright-core; no browser download from the internet). Idempotent: does nothing when /usr/bin/chromium exists.
# Usage: bash infra/browser.sh
set -euo pipefail
say() { printf '[browser] %s\n' "$*" >&2; }
if [ -x /usr/bin/chromium ]; then
  say "chromium present: $(/usr/bin/chromium --version 2>/dev/null | head -n1)"
  exit 0
fi
command -v apt-get >/dev/null || { say "no apt-get: install Chromium at /usr/bin/chromium by hand (the browser test skips without it)"; exit 0; }
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
say "installing chromium with apt-get"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
say "chromium installed: $(/usr/bin/chromium --version 2>/dev/null | head -n1)"
