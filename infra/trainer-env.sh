#!/usr/bin/env bash
# Installs the LoRA trainer's Python environment (torch + transformers + peft + tokenizers, pinned in
# python/trainer/requirements.txt) into a cached venv, idempotently:
#   ${EGCFG_TRAINER_VENV:-${EGCFG_CACHE:-~/.cache/egcfg}/trainer-venv}
# The venv is stamped with the hash of the requirements file; a second run with the same file does nothing.
# Cost (measured on a 2-core machine): ~3.5 GB downloaded, ~5.6 GB installed, ~2 minutes; PyPI's Linux torch is
# the CUDA build, and its nvidia-* libraries are required even to import it on CPU.
# Prints the venv's python path as its last line.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"
root="$(cd "$here/.." && pwd)"
req="$root/python/trainer/requirements.txt"
venv="${EGCFG_TRAINER_VENV:-$EGCFG_CACHE/trainer-venv}"

say() { printf '[trainer-env] %s\n' "$*" >&2; }

[ -f "$req" ] || { echo "[trainer-env] ERROR: $req is missing" >&2; exit 1; }
hash="$(sha256sum "$req" | cut -c1-12)"
stamp="$venv/.trainer-req-$hash"

if [ -f "$stamp" ] && [ -x "$venv/bin/python" ]; then
  say "up to date ($venv, requirements $hash)"
else
  start=$(date +%s)
  mkdir -p "$(dirname "$venv")"
  if [ ! -x "$venv/bin/python" ]; then
    say "creating venv at $venv"
    python3 -m venv "$venv" || { echo "[trainer-env] ERROR: python3 -m venv failed (install python3-venv)" >&2; exit 1; }
  fi
  say "installing pinned trainer requirements (~3.5 GB download)"
  "$venv/bin/pip" install -q --disable-pip-version-check --progress-bar off -r "$req" \
    || { echo "[trainer-env] ERROR: pip could not install python/trainer/requirements.txt into $venv" >&2; exit 1; }
  HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "$venv/bin/python" -c 'import torch, transformers, peft, tokenizers' \
    || { echo "[trainer-env] ERROR: the trainer venv at $venv cannot import torch/transformers/peft/tokenizers" >&2; exit 1; }
  rm -f "$venv"/.trainer-req-*
  touch "$stamp"
  say "installed in $(( $(date +%s) - start )) s, $(du -sh "$venv" | cut -f1) on disk"
fi
echo "$venv/bin/python"
