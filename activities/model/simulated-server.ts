// A deterministic SIMULATED model server speaking the vLLM OpenAI-compatible HTTP subset this project uses.
// It simulates nothing about real model quality: see ./sim-model.ts for exactly what it does. Every reply says it
// is simulated: header `x-simulated-model: true`, and `system_fingerprint: "simulated-model"` (completions, chat) or
// `simulated: true` (other JSON bodies).
//
// Endpoints: POST /v1/completions, POST /v1/chat/completions, GET /v1/models, POST /tokenize, POST /detokenize,
// POST /v1/load_lora_adapter, POST /v1/unload_lora_adapter, GET /health.
// Faults (for tests): the first N requests (any path) answer 429 / 500 / hang / malformed JSON, in that order of
// precedence; `down: true` returns the URL of a port nobody listens on.
import { freePort } from '../../core/ports.ts';
import { SimEngine } from './sim-engine.ts';
import { FaultSchedule } from './sim-faults.ts';
import { serve } from './sim-http.ts';
import { route } from './sim-routes.ts';
import type { SimulatedFaults, SimulatedServer, SimulatedServerOptions, SimulatedServerStats } from './sim-server-types.ts';

export { KnowledgeSchema, type KnowledgeEntry, type SimulatedKnowledge } from './sim-model.ts';
export {
  SIMULATED_FINGERPRINT, type SimulatedFaults, type SimulatedServer, type SimulatedServerOptions, type SimulatedServerStats,
} from './sim-server-types.ts';

/** The skills of the base model, of a prompt with an execution trace, and of a loaded adapter (each within [0, 1]). */
function skillsOf(opts: SimulatedServerOptions): { skill: number; signalSkill: number; adapterSkill: number } {
  const skill = opts.skill ?? 0.6;
  for (const [k, v] of Object.entries({ skill, signalSkill: opts.signalSkill, adapterSkill: opts.adapterSkill })) {
    if (v !== undefined && !(v >= 0 && v <= 1)) throw new RangeError(`${k} must be within [0, 1], got ${v}`);
  }
  return { skill, signalSkill: opts.signalSkill ?? skill + (1 - skill) / 2, adapterSkill: opts.adapterSkill ?? skill };
}

/**
 * Starts a simulated server (the model: sim-engine.ts, its endpoints: sim-routes.ts and sim-replies.ts, faults:
 * sim-faults.ts, HTTP: sim-http.ts). With faults.down it listens nowhere and its url refuses connections.
 */
export async function startSimulatedModelServer(opts: SimulatedServerOptions): Promise<SimulatedServer> {
  const host = opts.host ?? '127.0.0.1';
  const modelName = opts.modelName ?? 'simulated-model';
  const st: SimulatedServerStats = {
    requests: 0, byPath: {}, faultsInjected: { error429: 0, error500: 0, hang: 0, malformed: 0 },
    promptTokens: 0, completionTokens: 0, serverMs: 0, handlerMs: 0, loraAdapters: {},
  };
  const maxModelLen = opts.maxModelLen ?? 16384;
  const engine = new SimEngine({
    knowledge: opts.knowledge, modelName, ...skillsOf(opts), maxModelLen, advertisedLen: opts.advertiseContext === false ? null : maxModelLen,
    maxLogprobs: opts.maxLogprobs ?? 20,
  }, st);
  const faults = new FaultSchedule(opts.faults ?? {}, st.faultsInjected);
  const setFaults = (f: Omit<SimulatedFaults, 'down'>) => faults.set(f);
  const stats = (): SimulatedServerStats => structuredClone({ ...st, loraAdapters: Object.fromEntries(engine.adapters) });
  const tokenizer = engine.tok;

  if (opts.faults?.down) {
    const port = opts.port && opts.port > 0 ? opts.port : await freePort(undefined, [], host);
    const setDown = async (down: boolean) => { if (!down) throw new Error('a server started with faults.down never listens'); };
    return { url: `http://${host}:${port}`, port, modelName, close: async () => {}, stats, setFaults, setDown, tokenizer };
  }

  const checkLoraPath = opts.checkLoraPath ?? false;
  const server = await serve({
    stats: st, faults, latencyMs: opts.latencyMs ?? 0, route: (method, path, body) => route(engine, { checkLoraPath }, method, path, body),
  }, host, opts.port ?? 0);
  return {
    url: `http://${host}:${server.port}`,
    port: server.port,
    modelName,
    tokenizer,
    stats,
    setFaults,
    setDown: (down: boolean) => server.setDown(down),
    close: () => server.close(),
  };
}
