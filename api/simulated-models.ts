// The simulated model servers an API process starts for campaigns created without a modelUrl: one per dataset
// and model name, started on first use, each knowing that dataset's reference solutions (activities/model/simulated-knowledge.ts). Their numbers exercise
// the pipeline and say nothing about any real model.
//
// Bounded (issue 13): at most `maxServers` at once. A server that no running campaign uses and that nobody asked for
// within `idleMs` is stopped (checked every `reapEveryMs`, and at once when the cap is reached); beyond the cap with
// every server in use, urlFor throws SimulatedCapacityError (the API answers 503). The API asks for a server only
// after a request passed validation, so a rejected request starts none.
import { startSimulatedModelServer, type SimulatedServer } from '../activities/model/simulated-server.ts';
import type { DatasetName } from '../core/datasets/index.ts';
import { loadDataset } from '../core/datasets/index.ts';
import { knowledgeFor } from '../activities/model/simulated-knowledge.ts';

export interface SimulatedModels {
  /** The URL of the simulated server for this dataset and model name, starting it if needed. */
  urlFor(dataset: DatasetName, modelName: string): Promise<string>;
  /** URLs of the servers started so far, by `dataset/model`. */
  running(): Record<string, string>;
  /** Stop the servers that are idle now (no running campaign uses them, none asked for within idleMs); their keys. */
  reap(): Promise<string[]>;
  /** Tell the servers which base URLs running campaigns use (the API does, from the database). */
  setInUse?(f: () => Promise<Set<string>>): void;
  close(): Promise<void>;
}

export class SimulatedCapacityError extends Error {
  constructor(readonly max: number) {
    super(`this API server already runs ${max} simulated model servers, all in use; try again when a campaign has finished`);
    this.name = 'SimulatedCapacityError';
  }
}

export interface SimulatedModelsOptions {
  skill?: number;
  latencyMs?: number;
  host?: string;
  /** At most this many servers at once (default 16). */
  maxServers?: number;
  /** A server nobody asked for within this long, and no running campaign uses, is stopped (default 10 min). */
  idleMs?: number;
  /** How often idle servers are looked for (default 60 s; 0: only when the cap is reached). */
  reapEveryMs?: number;
  /** A server handed out this recently is never stopped, even at the cap (its campaign may not be recorded yet; default 5 s). */
  graceMs?: number;
  /** The base URLs running campaigns use (set by the API: a server in use is never stopped). */
  inUse?: () => Promise<Set<string>>;
}

interface Entry { server: Promise<SimulatedServer>; started?: SimulatedServer; lastUsed: number }

export function simulatedModels(opts: SimulatedModelsOptions = {}): SimulatedModels {
  const entries = new Map<string, Entry>();
  const maxServers = opts.maxServers ?? 16;
  const idleMs = opts.idleMs ?? 10 * 60_000;
  const graceMs = opts.graceMs ?? 5_000;
  let inUse = opts.inUse ?? (async () => new Set<string>());
  let closed = false;

  async function reap(force = false): Promise<string[]> {
    const used = await inUse().catch(() => null);
    if (used === null) return []; // cannot tell what is in use: stop nothing
    const now = Date.now();
    const stopped: string[] = [];
    for (const [key, e] of entries) {
      if (!e.started || used.has(e.started.url) || (!force && now - e.lastUsed < idleMs)) continue;
      if (force && now - e.lastUsed < graceMs) continue; // just handed out: its campaign may not be recorded yet
      entries.delete(key);
      stopped.push(key);
      await e.started.close().catch(() => {});
    }
    return stopped;
  }

  const timer = (opts.reapEveryMs ?? 60_000) > 0 ? setInterval(() => { void reap(); }, opts.reapEveryMs ?? 60_000) : null;
  timer?.unref();

  return {
    setInUse(f) { inUse = f; },
    async urlFor(dataset, modelName) {
      if (closed) throw new Error('the simulated model servers are closed');
      // A simulated server serves one model name (others get vLLM's 404), so there is one per dataset and name.
      const key = `${dataset}/${modelName}`;
      let entry = entries.get(key);
      if (!entry) {
        if (entries.size >= maxServers) await reap(true);
        if (entries.size >= maxServers) throw new SimulatedCapacityError(maxServers);
        const e: Entry = {
          lastUsed: Date.now(),
          server: loadDataset(dataset, { split: 'all' }).then((problems) => startSimulatedModelServer({
            knowledge: knowledgeFor(problems), modelName,
            ...(opts.skill !== undefined ? { skill: opts.skill } : {}),
            ...(opts.latencyMs !== undefined ? { latencyMs: opts.latencyMs } : {}),
            ...(opts.host !== undefined ? { host: opts.host } : {}),
          })),
        };
        e.server.then((s) => { e.started = s; }, () => { if (entries.get(key) === e) entries.delete(key); });
        entries.set(key, e);
        entry = e;
      }
      entry.lastUsed = Date.now();
      return entry.server.then((s) => s.url);
    },
    running: () => Object.fromEntries([...entries].flatMap(([k, e]) => (e.started ? [[k, e.started.url]] : []))),
    reap: () => reap(false),
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      const all = [...entries.values()];
      entries.clear();
      await Promise.all(all.map((e) => e.server.then((s) => s.close(), () => {})));
    },
  };
}
