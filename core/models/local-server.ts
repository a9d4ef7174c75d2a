// A local llama.cpp server for a catalogue model, owned by one data folder: started on first use, reused by later
// runs from the same folder while it is alive and serves the same verified file, stopped by `egcfg down`.
// State: <dataDir>/model-servers/<name>.json (pid, port, file, sha256); its log next to it.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { freePort, localPortRange } from '../ports.ts';
import { modelFile, type CatalogueModel } from './catalogue.ts';
import { ensureLlamaServer, pullModel } from './pull.ts';

const StateSchema = z.object({
  name: z.string(), pid: z.number().int().positive(), port: z.number().int().positive(), url: z.string(),
  file: z.string(), sha256: z.string(), binary: z.string(), slots: z.number().int().positive(),
  contextPerSlot: z.number().int().positive(), startedAt: z.string(),
  /** A LoRA adapter (GGUF) the server applies to every request: a BTP iteration's model. */
  lora: z.object({ name: z.string(), file: z.string() }).optional(),
  /** 'local-infer': the EG-CFG local-path inference service (core/models/local-infer.ts); absent: llama-server. */
  kind: z.literal('local-infer').optional(),
});
export type LocalServerState = z.infer<typeof StateSchema>;

type Log = (line: string) => void;

export const serversDir = (dataDir: string): string => join(dataDir, 'model-servers');
export const stateFile = (dataDir: string, name: string): string => join(serversDir(dataDir), `${name}.json`);

export function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

export function readState(path: string): LocalServerState | undefined {
  try { return StateSchema.parse(JSON.parse(readFileSync(path, 'utf8'))); } catch { return undefined; }
}

/** The model file the server at `url` has loaded (llama.cpp GET /props → model_path), or undefined. */
async function servedFile(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${url}/props`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return undefined;
    const body = z.looseObject({ model_path: z.string().optional() }).safeParse(await res.json());
    return body.success ? body.data.model_path : undefined;
  } catch { return undefined; }
}

export async function waitHealthy(url: string, pid: number, exited: () => boolean, deadlineMs: number, logFile: string, what = 'llama-server'): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (let delay = 100; ; delay = Math.min(1000, delay * 2)) {
    if (exited()) {
      const tail = (() => { try { return readFileSync(logFile, 'utf8').split('\n').slice(-8).join('\n'); } catch { return ''; } })();
      throw new Error(`${what} (pid ${pid}) exited while loading; its log ${logFile} ends:\n${tail}`);
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
    } catch { /* still starting */ }
    if (Date.now() > until) throw new Error(`${what} at ${url} did not become healthy within ${deadlineMs / 1000} s (log: ${logFile})`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Serializes starts within one data folder (two CLIs starting the same model wait for each other). */
export async function withLock<T>(dir: string, name: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, `${name}.lock`);
  const until = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(readFileSync(lock, 'utf8'));
      if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) { rmSync(lock, { force: true }); continue; }
      if (Date.now() > until) throw new Error(`${lock} is held by pid ${holder} (starting the same model server); stop it or remove the file`, { cause: e });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try { return await fn(); } finally { rmSync(lock, { force: true }); }
}

/** Parallel slots of a local llama-server (continuous batching; 4 measured best on 2 cores). */
export const LOCAL_SLOTS = 4;

export interface EnsureOptions {
  log?: Log; slots?: number; threads?: number;
  /**
   * Serve the model with this LoRA adapter applied (scale 1) to every request, as a server of its own named after the
   * adapter: llama.cpp loads adapters only at start, so each BTP iteration's adapter gets its own server.
   */
  lora?: { name: string; file: string };
}

/** The registry name of a server: the model's, or model + adapter (file-name safe). */
export const serverKey = (m: CatalogueModel, lora?: { name: string }): string => keyOf(m.name, lora);
const keyOf = (name: string, lora?: { name: string }): string =>
  lora ? `${name}--${lora.name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120)}` : name;

/**
 * llama-server's compute threads: EGCFG_LLAMA_THREADS, else one per core. Its threads meet at a barrier after every
 * layer, so when other processes want the same cores (the sandbox, another campaign, a build) a preempted thread stalls
 * all of them: measured on 2 busy cores (load ~10), one thread decoded 6.9 tokens/s and two 1.5. Set 1 (or cores − 1)
 * on a shared machine.
 */
export function localThreads(): number {
  const env = process.env.EGCFG_LLAMA_THREADS;
  if (env === undefined || env === '') return Math.max(1, cpus().length);
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new Error(`EGCFG_LLAMA_THREADS must be a whole number of threads ≥ 1, not ${JSON.stringify(env.slice(0, 20))}`);
  return n;
}

/**
 * A healthy llama-server for the catalogue model, in this data folder: reused when its recorded pid is alive and it
 * serves the same file; else the model is pulled (verified), llama-server built if needed, and a server started on a
 * free loopback port, detached (it outlives this process until `egcfg down`).
 */
export async function ensureLocalServer(dataDir: string, m: CatalogueModel, opts: EnsureOptions = {}): Promise<LocalServerState> {
  const log = opts.log ?? ((l) => console.error(l));
  const dir = serversDir(dataDir);
  mkdirSync(dir, { recursive: true });
  const key = serverKey(m, opts.lora);
  return withLock(dir, key, async () => {
    const prev = readState(stateFile(dataDir, key));
    if (prev && alive(prev.pid) && prev.lora?.file === opts.lora?.file && (await servedFile(prev.url)) === prev.file) return prev;
    if (prev && alive(prev.pid)) process.kill(prev.pid, 'SIGTERM');
    const pulled = await pullModel(m, { log });
    const binary = await ensureLlamaServer({ log });
    const port = await freePort(localPortRange());
    const url = `http://127.0.0.1:${port}`;
    const slots = opts.slots ?? LOCAL_SLOTS;
    const contextPerSlot = m.servedContext;
    const threads = opts.threads ?? localThreads();
    const logFile = join(dir, `${key}.log`);
    const out = openSync(logFile, 'a');
    const args = ['-m', modelFile(m), '--host', '127.0.0.1', '--port', String(port), '-c', String(contextPerSlot * slots),
      '-np', String(slots), '--threads', String(threads), '--alias', opts.lora?.name ?? m.name, '--no-webui',
      // Flash attention: measured ~4× faster batched decoding with 4 slots on 2 cores.
      '-fa', 'on', ...(opts.lora ? ['--lora', opts.lora.file] : [])];
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${binary}`);
    let exited = false;
    child.once('exit', () => { exited = true; });
    log(`[egcfg] starting llama-server for ${m.name}${opts.lora ? ` with LoRA adapter ${opts.lora.name}` : ''} on ${url} (pid ${child.pid}, ${slots} slots × ${contextPerSlot} tokens, ${threads} threads; log ${logFile})`);
    await waitHealthy(url, child.pid, () => exited, 180_000, logFile);
    const state: LocalServerState = { name: m.name, pid: child.pid, port, url, file: modelFile(m), sha256: pulled.sha256, binary,
      slots, contextPerSlot, startedAt: new Date().toISOString(), ...(opts.lora ? { lora: opts.lora } : {}) };
    writeFileSync(stateFile(dataDir, key), `${JSON.stringify(state, null, 2)}\n`);
    return state;
  });
}

const serverKeyOf = (s: LocalServerState): string => (s.kind === 'local-infer' ? localInferKey(s.name) : keyOf(s.name, s.lora));
/** The registry name of a model's local inference service (EG-CFG's local path). */
export const localInferKey = (name: string): string => `${name}--local-infer`;

/** Every local model server recorded in this data folder, with whether it is still running. */
export function listLocalServers(dataDir: string): Array<LocalServerState & { running: boolean }> {
  let files: string[];
  try { files = readdirSync(serversDir(dataDir)).filter((f) => f.endsWith('.json')); } catch { return []; }
  return files.flatMap((f) => {
    const s = readState(join(serversDir(dataDir), f));
    return s ? [{ ...s, running: alive(s.pid) }] : [];
  });
}

/** Stops this data folder's local model servers (SIGTERM, then SIGKILL after 10 s); returns what was stopped. */
export async function stopLocalServers(dataDir: string): Promise<LocalServerState[]> {
  const stopped: LocalServerState[] = [];
  for (const s of listLocalServers(dataDir)) {
    if (s.running) {
      process.kill(s.pid, 'SIGTERM');
      const until = Date.now() + 10_000;
      while (alive(s.pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      if (alive(s.pid)) process.kill(s.pid, 'SIGKILL');
      stopped.push(s);
    }
    rmSync(stateFile(dataDir, serverKeyOf(s)), { force: true });
  }
  return stopped;
}
