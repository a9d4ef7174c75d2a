// Where the LoRA trainer's Python environment lives (installed by infra/trainer-env.sh); mirrors that script.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from './repo.ts';
import { cacheDir } from './tools.ts';

export const trainerVenv = (): string => process.env.EGCFG_TRAINER_VENV ?? join(cacheDir(), 'trainer-venv');
export const trainerPython = (): string => join(trainerVenv(), 'bin', 'python');
/** The working directory for `python -m trainer.<module>`. */
export const trainerPackageRoot = (): string => repoPath('python');
export const trainerRequirements = (): string => repoPath('python', 'trainer', 'requirements.txt');

/** Environment for spawning the trainer: offline Hugging Face, unbuffered output. */
export function trainerSpawnEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HF_HUB_OFFLINE: '1',
    TRANSFORMERS_OFFLINE: '1',
    HF_DATASETS_OFFLINE: '1',
    PYTHONUNBUFFERED: '1',
    TOKENIZERS_PARALLELISM: 'false',
    ...extra,
  };
}

/** Whether infra/trainer-env.sh has installed the current requirements (its stamp file is present). */
export function trainerEnvStatus(): { installed: boolean; python: string; reason: string | null } {
  const python = trainerPython();
  if (!existsSync(python)) return { installed: false, python, reason: `no trainer venv at ${trainerVenv()} (run: bash infra/trainer-env.sh)` };
  const hash = createHash('sha256').update(readFileSync(trainerRequirements())).digest('hex').slice(0, 12);
  if (!existsSync(join(trainerVenv(), `.trainer-req-${hash}`))) {
    return { installed: false, python, reason: `trainer venv at ${trainerVenv()} is not stamped for requirements ${hash} (run: bash infra/trainer-env.sh)` };
  }
  return { installed: true, python, reason: null };
}
