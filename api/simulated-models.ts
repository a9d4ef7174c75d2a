// The simulated model servers an API process starts for campaigns created without a modelUrl: one per dataset
// and model name, started on first use, each knowing that dataset's reference solutions (cli/simulated.ts). Their numbers exercise
// the pipeline and say nothing about any real model.
import { startSimulatedModelServer, type SimulatedServer } from '../activities/model/simulated-server.ts';
import type { DatasetName } from '../core/datasets/index.ts';
import { loadDataset } from '../core/datasets/index.ts';
import { knowledgeFor } from '../cli/simulated.ts';

export interface SimulatedModels {
  /** The URL of the simulated server for this dataset and model name, starting it if needed. */
  urlFor(dataset: DatasetName, modelName: string): Promise<string>;
  /** URLs of the servers started so far, by `dataset/model`. */
  running(): Record<string, string>;
  close(): Promise<void>;
}

export function simulatedModels(opts: { skill?: number; latencyMs?: number; host?: string } = {}): SimulatedModels {
  const servers = new Map<string, Promise<SimulatedServer>>();
  const started = new Map<string, SimulatedServer>();
  return {
    urlFor(dataset, modelName) {
      // A simulated server serves one model name (others get vLLM's 404), so there is one per dataset and name.
      const key = `${dataset}/${modelName}`;
      let server = servers.get(key);
      if (!server) {
        server = loadDataset(dataset, { split: 'all' }).then((problems) => startSimulatedModelServer({
          knowledge: knowledgeFor(problems), modelName,
          ...(opts.skill !== undefined ? { skill: opts.skill } : {}),
          ...(opts.latencyMs !== undefined ? { latencyMs: opts.latencyMs } : {}),
          ...(opts.host !== undefined ? { host: opts.host } : {}),
        })).then((s) => { started.set(key, s); return s; });
        server.catch(() => servers.delete(key));
        servers.set(key, server);
      }
      return server.then((s) => s.url);
    },
    running: () => Object.fromEntries([...started].map(([d, s]) => [d, s.url])),
    async close() {
      await Promise.all([...started.values()].map((s) => s.close()));
      started.clear();
      servers.clear();
    },
  };
}
