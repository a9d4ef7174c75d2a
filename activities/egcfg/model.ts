// The model side of EG-CFG: an OpenAI-compatible (vLLM) client per server, with per-step metering (calls, tokens
// sent/received, time waiting for the server) and a per-process cache of token texts (/detokenize of one id).
import { performance } from 'node:perf_hooks';
import { ApplicationFailure } from '@temporalio/common';
import { EOS_MARKERS } from '../../core/egcfg/index.ts';
import type { ModelSpec } from '../../core/contracts.ts';
import { apiKeyFor } from '../../core/model-servers.ts';
import type { ChatMessage } from '../model/protocol.ts';
import { ModelClient, toApplicationFailure, type ModelContext, type CompletionRequest, type CompletionResponse, type RetryInfo } from '../model/openai-client.ts';

/** Counters of one step; written to its `egcfg_steps` row. */
export interface Meter {
  modelCalls: number;
  tokenizerCalls: number;
  promptTokens: number;
  completionTokens: number;
  modelMs: number;
}

export const newMeter = (): Meter => ({ modelCalls: 0, tokenizerCalls: 0, promptTokens: 0, completionTokens: 0, modelMs: 0 });

const clients = new Map<string, ModelClient>();
const tokenTexts = new Map<string, string>();
const TOKEN_TEXT_CACHE_MAX = 200_000;

export interface EgcfgModelOptions {
  signal?: AbortSignal | undefined;
  onRetry?: ((info: RetryInfo) => void) | undefined;
}

/** A metered view of one model for one step. */
export class EgcfgModel {
  readonly meter: Meter = newMeter();
  private readonly client: ModelClient;
  readonly name: string;

  constructor(spec: ModelSpec, private readonly opts: EgcfgModelOptions = {}) {
    if (spec.kind !== 'openai') {
      throw ApplicationFailure.nonRetryable('EG-CFG needs an OpenAI-compatible model server (vLLM or the simulated one), not a replayed samples file', 'EgcfgModelKind');
    }
    let c = clients.get(spec.baseUrl);
    if (!c) {
      const apiKey = apiKeyFor(spec.baseUrl);
      c = new ModelClient({ baseUrl: spec.baseUrl, ...(apiKey ? { apiKey } : {}), ...(spec.dialect ? { dialect: spec.dialect } : {}) });
      clients.set(spec.baseUrl, c);
    }
    this.client = c;
    this.name = spec.model;
  }

  private callOpts() {
    return { ...(this.opts.signal ? { signal: this.opts.signal } : {}), onRetry: this.opts.onRetry };
  }

  /** One metered model request: its calls (`calls` of the reply), prompt/completion tokens and wall time. */
  private async metered<R extends CompletionResponse>(request: () => Promise<R>, calls: (reply: R) => number): Promise<R> {
    const t0 = performance.now();
    try {
      const reply = await request();
      this.meter.modelCalls += calls(reply);
      this.meter.promptTokens += reply.usage?.prompt_tokens ?? 0;
      this.meter.completionTokens += reply.usage?.completion_tokens ?? 0;
      return reply;
    } catch (err) {
      throw toApplicationFailure(err);
    } finally {
      this.meter.modelMs += performance.now() - t0;
    }
  }

  completions(req: Omit<CompletionRequest, 'model'>): Promise<CompletionResponse> {
    return this.metered(() => this.client.completions({ ...req, model: this.name }, this.callOpts()), () => 1);
  }

  /** Streamed completions cut by the client once `isDone(text)` (ModelClient.completionsUntil); metered as n calls. */
  completionsUntil(req: Omit<CompletionRequest, 'model'>, isDone: (text: string) => boolean): Promise<CompletionResponse & { cut: number }> {
    return this.metered(
      () => this.client.completionsUntil({ ...req, model: this.name }, isDone, this.opts.signal ? { signal: this.opts.signal } : {}),
      (reply) => reply.choices.length,
    );
  }

  async tokenize(text: string, addSpecialTokens: boolean): Promise<number[]> {
    const t0 = performance.now();
    try {
      const r = await this.client.tokenize(this.name, text, { ...this.callOpts(), addSpecialTokens });
      this.meter.tokenizerCalls++;
      return r.tokens;
    } catch (err) {
      throw toApplicationFailure(err);
    } finally {
      this.meter.modelMs += performance.now() - t0;
    }
  }

  /** The model's context in tokens per request (asked once per server), or undefined when the server does not say. */
  async contextLength(): Promise<ModelContext | undefined> {
    try {
      return await this.client.contextLength(this.name, this.callOpts());
    } catch (err) {
      throw toApplicationFailure(err);
    }
  }

  /**
   * The model's chat template applied to `messages`, the assistant turn opened (llama.cpp /apply-template, vLLM
   * /tokenize with messages); undefined on a server without such a route. Metered as a tokenizer call.
   */
  async renderChat(messages: ChatMessage[]): Promise<string | undefined> {
    const t0 = performance.now();
    try {
      const r = await this.client.renderChat(this.name, messages, this.callOpts());
      this.meter.tokenizerCalls++;
      return r;
    } catch (err) {
      throw toApplicationFailure(err);
    } finally {
      this.meter.modelMs += performance.now() - t0;
    }
  }

  /** The text of one token id (cached per server and model for the life of the process). */
  async tokenText(id: number): Promise<string> {
    const key = `${this.client.baseUrl}\u0000${this.name}\u0000${id}`;
    const hit = tokenTexts.get(key);
    if (hit !== undefined) return hit;
    const t0 = performance.now();
    let text: string;
    try {
      text = await this.client.detokenize(this.name, [id], this.callOpts());
      this.meter.tokenizerCalls++;
    } catch (err) {
      throw toApplicationFailure(err);
    } finally {
      this.meter.modelMs += performance.now() - t0;
    }
    if (tokenTexts.size >= TOKEN_TEXT_CACHE_MAX) tokenTexts.clear();
    tokenTexts.set(key, text);
    return text;
  }
}

/** A chosen token ends the answer when its text is empty (a special token skipped by the server) or an EOS marker. */
export function isEosText(text: string): boolean {
  return text === '' || EOS_MARKERS.some((m) => text.includes(m));
}
