// The simulated model server's public types (activities/model/simulated-server.ts): options, faults, stats, handle.
import type { SimulatedKnowledge } from './sim-model.ts';
import type { SimTokenizer } from './sim-tokenizer.ts';

export const SIMULATED_FINGERPRINT = 'simulated-model';

export interface SimulatedFaults {
  /** Answer 429 (with Retry-After: 0) to this many requests. */
  error429?: number;
  /** Answer 500 to this many requests. */
  error500?: number;
  /** Never answer this many requests (the socket stays open until close()). */
  hang?: number;
  /** Answer this many requests with status 200 and a truncated JSON body. */
  malformed?: number;
  /** Do not listen at all: the returned url points at a closed port (connection refused). */
  down?: boolean;
}

export interface SimulatedServerOptions {
  /** 0 (default) = a free port. */
  port?: number;
  host?: string;
  knowledge: SimulatedKnowledge;
  /** Probability that a sample's belief is the solution. Default 0.6. */
  skill?: number;
  /** The same with an execution-trace block in the prompt. Default skill + (1 - skill) / 2. */
  signalSkill?: number;
  /** Skill of requests that name a loaded LoRA adapter. Default: the base skill. */
  adapterSkill?: number;
  /** The base model's id. Default 'simulated-model'. */
  modelName?: string;
  maxModelLen?: number;
  /** Whether /v1/models and /tokenize report max_model_len (default true); false acts like a server that does not
   *  say its context, so only its 400 refusal tells (the contextOverflow path). */
  advertiseContext?: boolean;
  /** Added before every answer (faults included). Default 0. */
  latencyMs?: number;
  faults?: SimulatedFaults;
  /** Largest top-k logprobs accepted, like vLLM's --max-logprobs. Default 20. */
  maxLogprobs?: number;
  /** Refuse (404) a LoRA path without adapter_config.json, as vLLM would. Default false: any path is recorded. */
  checkLoraPath?: boolean;
}

export interface SimulatedServerStats {
  requests: number;
  byPath: Record<string, number>;
  faultsInjected: { error429: number; error500: number; hang: number; malformed: number };
  promptTokens: number;
  completionTokens: number;
  /** Sum over answered requests of the time from the request's arrival to the end of its answer (latency included). */
  serverMs: number;
  /** The same without the configured latency: the handler's own time. */
  handlerMs: number;
  loraAdapters: Record<string, string>;
}

export interface SimulatedServer {
  url: string;
  port: number;
  modelName: string;
  close(): Promise<void>;
  stats(): SimulatedServerStats;
  /** Replace the remaining fault counts (down is ignored here; use setDown). */
  setFaults(faults: Omit<SimulatedFaults, 'down'>): void;
  /**
   * true: stop listening and drop every open connection (clients see connection refused); false: listen again on the
   * same port. Knowledge, adapters and stats are kept. For chaos tests. A server started with faults.down cannot come up.
   */
  setDown(down: boolean): Promise<void>;
  tokenizer: SimTokenizer;
}
