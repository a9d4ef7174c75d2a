// Where the LoRA trainer's Python environment lives (installed by infra/trainer-env.sh); mirrors that script.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseTrainerLine, type TrainerEvent } from './btp/trainer-protocol.ts';
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

export interface TrainerRunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: TrainerEvent[];
  /** Last 64 KiB of stderr. */
  stderr: string;
}

export interface TrainerProcess {
  child: ChildProcess;
  done: Promise<TrainerRunResult>;
}

/**
 * Spawns `python -m trainer.<module> ...args` from the trainer venv (cwd python/), offline. Every stdout line is
 * parsed with parseTrainerLine and handed to onEvent as it arrives (heartbeat here); a line that breaks the
 * protocol rejects `done`. `done` resolves when the process exits, whatever its code or signal.
 */
export function spawnTrainer(
  module: 'train' | 'tiny_model' | 'evaluate' | 'gpu_check',
  args: readonly string[],
  opts: { onEvent?: (e: TrainerEvent) => void; env?: Record<string, string>; python?: string } = {},
): TrainerProcess {
  const child = spawn(opts.python ?? trainerPython(), ['-m', `trainer.${module}`, ...args], {
    cwd: trainerPackageRoot(),
    env: trainerSpawnEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: TrainerEvent[] = [];
  let stderr = '';
  let protocolError: Error | null = null;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr = (stderr + d).slice(-65536);
  });
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (!line.trim() || protocolError) return;
    try {
      const e = parseTrainerLine(line);
      events.push(e);
      opts.onEvent?.(e);
    } catch (err) {
      protocolError = err as Error;
    }
  });
  const done = new Promise<TrainerRunResult>((resolve, reject) => {
    child.on('error', (err) => reject(new Error(`could not start the trainer (${opts.python ?? trainerPython()}): ${err.message}`)));
    child.on('close', (code, signal) => {
      if (protocolError) reject(protocolError);
      else resolve({ code, signal, events, stderr });
    });
  });
  return { child, done };
}
