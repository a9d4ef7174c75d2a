// The EG-CFG local-path inference service (python/local_infer/server.py) for a catalogue model, owned by one data
// folder like its llama-server (core/models/local-server.ts): the model's Hugging Face folder (made by `pull --hf`
// when missing) served by transformers in the trainer's venv, on a free loopback port, with EGCFG_LLAMA_THREADS
// threads; reused while alive, stopped by `egcfg down`. State: <data>/model-servers/<name>--local-infer.json.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { freePort, localPortRange } from '../ports.ts';
import { repoPath } from '../repo.ts';
import { trainerEnvStatus, trainerSpawnEnv } from '../trainer-env.ts';
import { modelHfDir, type CatalogueModel } from './catalogue.ts';
import { alive, localInferKey, localThreads, readState, serversDir, stateFile, waitHealthy, withLock, type LocalServerState } from './local-server.ts';
import { pullHf } from './pull.ts';

type Log = (line: string) => void;

/** What GET /version of the service answers (how a server at a URL is recognised as one). */
export const LOCAL_INFER_VERSION_PREFIX = 'egcfg-local-infer';

/** The folder's running local inference service for this model, if any (no start). */
export function runningLocalInfer(dataDir: string, name: string): LocalServerState | undefined {
  const s = readState(stateFile(dataDir, localInferKey(name)));
  return s && alive(s.pid) ? s : undefined;
}

/** True when the server at `url` is a local inference service (GET /version). */
export async function isLocalInferUrl(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url.replace(/\/+$/, '').replace(/\/v1$/, '')}/version`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return false;
    const body = z.looseObject({ version: z.string() }).safeParse(await res.json());
    return body.success && body.data.version.startsWith(LOCAL_INFER_VERSION_PREFIX);
  } catch { return false; }
}

/** The Hugging Face folder's GGUF stamp (written by python/models/to_hf.py), or '' when it has none. */
function hfStamp(dir: string): string {
  try {
    const j = z.looseObject({ sha256: z.string() }).safeParse(JSON.parse(readFileSync(join(dir, 'egcfg-source.json'), 'utf8')));
    return j.success ? j.data.sha256 : '';
  } catch { return ''; }
}

/**
 * A healthy local inference service for the catalogue model in this data folder, started (detached) when none is
 * running; `lora`: a PEFT adapter folder merged into the model at start (a BTP iteration's model).
 */
export async function ensureLocalInfer(dataDir: string, m: CatalogueModel, opts: { log?: Log; threads?: number; lora?: string } = {}): Promise<LocalServerState> {
  const log = opts.log ?? ((l) => console.error(l));
  const dir = serversDir(dataDir);
  mkdirSync(dir, { recursive: true });
  const key = localInferKey(m.name);
  return withLock(dir, key, async () => {
    const prev = readState(stateFile(dataDir, key));
    if (prev && alive(prev.pid) && prev.lora?.file === opts.lora && await isLocalInferUrl(prev.url)) return prev;
    if (prev && alive(prev.pid)) process.kill(prev.pid, 'SIGTERM');
    const env = trainerEnvStatus();
    if (!env.installed) throw new Error(`the EG-CFG local path needs the trainer's Python environment: ${env.reason}`);
    const hf = modelHfDir(m);
    if (!existsSync(join(hf, 'config.json')) || hfStamp(hf) !== m.sha256) await pullHf(m, { log });
    const port = await freePort(localPortRange());
    const url = `http://127.0.0.1:${port}`;
    const threads = opts.threads ?? localThreads();
    const logFile = join(dir, `${key}.log`);
    const out = openSync(logFile, 'a');
    const args = [repoPath('python', 'local_infer', 'server.py'), '--hf-dir', hf, '--port', String(port), '--threads', String(threads),
      '--name', m.name, ...(opts.lora ? ['--lora', opts.lora] : [])];
    const child = spawn(env.python, args, { detached: true, stdio: ['ignore', out, out], env: trainerSpawnEnv({ OMP_NUM_THREADS: String(threads) }) });
    closeSync(out);
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${env.python} ${args[0]}`);
    let exited = false;
    child.once('exit', () => { exited = true; });
    log(`[egcfg] starting the local inference service for ${m.name} on ${url} (pid ${child.pid}, ${threads} threads, ${hf}; log ${logFile})`);
    await waitHealthy(url, child.pid, () => exited, 180_000, logFile, 'the local inference service');
    const state: LocalServerState = {
      name: m.name, pid: child.pid, port, url, file: hf, sha256: m.sha256, binary: env.python, slots: 1,
      contextPerSlot: m.servedContext, startedAt: new Date().toISOString(), kind: 'local-infer',
      ...(opts.lora ? { lora: { name: opts.lora, file: opts.lora } } : {}),
    };
    writeFileSync(stateFile(dataDir, key), `${JSON.stringify(state, null, 2)}\n`);
    return state;
  });
}
