// The simulated model server's model (activities/model/simulated-server.ts): which model names it serves (the base
// model and loaded adapters, each with its skill), the checks vLLM makes on a request (context length, top-k), and
// the samples of one request (./sim-model.ts generates them).
import type { z } from 'zod';
import {
  buildProblems, findProblem, generate, knowledgeTexts, unknownProblem, viewPrompt, type Generation, type Problem, type SimulatedKnowledge,
} from './sim-model.ts';
import type { SimulatedServerStats } from './sim-server-types.ts';
import { SimTokenizer } from './sim-tokenizer.ts';

/** An error answered as vLLM answers it: `{ object: 'error', message, type, code }` with this status. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly type = status === 404 ? 'NotFoundError' : 'BadRequestError') {
    super(message);
  }
}

function issues(e: z.ZodError): string {
  return e.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`).join('; ');
}

/** A request body by its schema, else a 400 naming the first issues. */
export function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse(body);
  if (!r.success) throw new HttpError(400, `invalid request: ${issues(r.error)}`);
  return r.data;
}

export interface SimEngineConfig {
  knowledge: SimulatedKnowledge;
  modelName: string;
  skill: number;
  signalSkill: number;
  adapterSkill: number;
  maxModelLen: number;
  /** The max_model_len /v1/models and /tokenize report (null: the server does not say its context). */
  advertisedLen: number | null;
  maxLogprobs: number;
}

/** The sampling fields of a completions or chat request. */
export interface SampleRequest {
  n?: number | undefined; seed?: number | undefined; temperature?: number | undefined; max_tokens?: number | undefined;
  stop?: string | string[] | undefined; stop_token_ids?: number[] | undefined; include_stop_str_in_output?: boolean | undefined;
}

export class SimEngine {
  readonly tok: SimTokenizer;
  /** Loaded LoRA adapters: name → path. */
  readonly adapters = new Map<string, string>();
  private readonly problems: Problem[];
  private readonly problemCache = new Map<string, Problem>();
  private seq = 0;

  constructor(readonly cfg: SimEngineConfig, readonly stats: SimulatedServerStats) {
    this.problems = buildProblems(cfg.knowledge);
    this.tok = new SimTokenizer(knowledgeTexts(this.problems, cfg.knowledge));
  }

  get modelName(): string { return this.cfg.modelName; }
  get maxModelLen(): number { return this.cfg.maxModelLen; }
  get advertisedLen(): number | null { return this.cfg.advertisedLen; }

  private problemFor(instruction: string): Problem {
    let p = this.problemCache.get(instruction);
    if (!p) {
      p = findProblem(this.problems, this.cfg.knowledge, instruction) ?? unknownProblem(instruction);
      if (this.problemCache.size > 512) this.problemCache.clear();
      this.problemCache.set(instruction, p);
    }
    return p;
  }

  /** The skills of a served model name (404 for any other). */
  checkModel(model: string): { skill: number; signalSkill: number } {
    const { skill, signalSkill, adapterSkill } = this.cfg;
    if (model === this.cfg.modelName) return { skill, signalSkill };
    if (this.adapters.has(model)) return { skill: adapterSkill, signalSkill: Math.max(adapterSkill, adapterSkill + (1 - adapterSkill) / 2) };
    throw new HttpError(404, `The model \`${model}\` does not exist.`);
  }

  decodePrompt(prompt: string | number[]): { text: string; ids: number[] } {
    if (typeof prompt === 'string') return { text: prompt, ids: this.tok.encode(prompt) };
    try { return { text: this.tok.decode(prompt, true), ids: prompt }; } catch (e) { throw new HttpError(400, (e as Error).message); }
  }

  private checkLength(promptLen: number, maxTokens: number): void {
    const { maxModelLen } = this.cfg;
    if (promptLen + maxTokens > maxModelLen) {
      throw new HttpError(400, `This model's maximum context length is ${maxModelLen} tokens. However, you requested ${promptLen + maxTokens} tokens (${promptLen} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`);
    }
  }

  checkTopK(k: number | undefined): void {
    if (k !== undefined && k > this.cfg.maxLogprobs) throw new HttpError(400, `Requested sample logprobs of ${k}, which is greater than max allowed: ${this.cfg.maxLogprobs}`);
  }

  newId(prefix: string): string { return `${prefix}-sim-${(++this.seq).toString(36)}`; }

  /** The n samples of one request (checked: model, context length). */
  runSamples(model: string, promptText: string, r: SampleRequest, topK: number, promptLen: number, defaultMax: number): Generation[] {
    const sk = this.checkModel(model);
    const maxTokens = r.max_tokens ?? defaultMax;
    this.checkLength(promptLen, maxTokens);
    const view = viewPrompt(promptText);
    const problem = this.problemFor(view.instruction);
    const stop = r.stop === undefined ? [] : typeof r.stop === 'string' ? [r.stop] : r.stop;
    const out: Generation[] = [];
    for (let i = 0; i < (r.n ?? 1); i++) {
      out.push(generate({
        tok: this.tok, problem, view, model, skill: sk, seed: r.seed, temperature: r.temperature ?? 1, sampleIndex: i, maxTokens,
        stop, stopTokenIds: r.stop_token_ids ?? [], includeStopStr: r.include_stop_str_in_output ?? false, topK,
      }));
    }
    return out;
  }
}
