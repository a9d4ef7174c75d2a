// A client for OpenAI-compatible model servers (vLLM; also the simulated server in ./simulated-server.ts).
// Every request and every reply is validated with zod (./protocol.ts). Transient failures (429, 5xx, timeouts,
// refused or reset connections) are retried with exponential backoff; everything else fails at once with a
// ModelServerError whose `retryable` flag tells a Temporal activity how to map it (see toApplicationFailure).
import { streamCompletion } from './stream.ts';
import { ApplicationFailure } from '@temporalio/common';
import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import {
  ChatRequestSchema, ChatResponseSchema, CompletionRequestSchema, CompletionResponseSchema,
  ErrorBodySchema, ModelListSchema, TokenizeResponseSchema,
  type ChatRequest, type ChatResponse, type CompletionRequest, type CompletionResponse, type ModelList,
  type TokenizeResponse,
} from './protocol.ts';
import {
  LlamaApplyTemplateResponseSchema, LlamaCompletionResponseSchema, LlamaPropsSchema, LlamaSlotContextSchema, fromLlamaCompletion, llamaCompletionBody,
  LLAMA_MAX_N, mergeChoices, splitN, stopsFor, type Dialect,
} from './dialects.ts';
import type { ChatMessage } from './protocol.ts';

const AnyJson = z.unknown();
const AnyTokenizeResponseSchema = TokenizeResponseSchema.partial({ count: true });
const AnyDetokenizeResponseSchema = z.looseObject({ prompt: z.string().optional(), content: z.string().optional() })
  .refine((r) => r.prompt !== undefined || r.content !== undefined, 'a detokenize reply needs prompt (vLLM) or content (llama.cpp)');

export * from './protocol.ts';
export { dialects, type Dialect } from './dialects.ts';

export type ModelErrorKind =
  | 'http' // the server answered with a non-2xx status
  | 'timeout' // no complete reply within timeoutMs
  | 'connection' // refused, reset, DNS, ...: no HTTP exchange happened
  | 'malformed' // a 2xx reply that is not JSON or does not match the expected shape
  | 'invalid-request' // the request failed validation before it was sent
  | 'aborted'; // the caller's AbortSignal fired

export class ModelServerError extends Error {
  override readonly name = 'ModelServerError';
  readonly retryable: boolean;
  readonly status?: number;
  readonly kind: ModelErrorKind;
  /** The full URL of the request that failed. */
  readonly url: string;
  /** How many HTTP attempts were made (0 for invalid-request). */
  readonly attempts: number;
  /** The server's own error message, when it sent one. */
  readonly serverMessage?: string;

  constructor(message: string, init: {
    retryable: boolean; kind: ModelErrorKind; url: string; attempts: number; status?: number; serverMessage?: string;
    cause?: unknown;
  }) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.retryable = init.retryable;
    this.kind = init.kind;
    this.url = init.url;
    this.attempts = init.attempts;
    if (init.status !== undefined) this.status = init.status;
    if (init.serverMessage !== undefined) this.serverMessage = init.serverMessage;
  }
}

/**
 * Maps an error from this client onto a Temporal ApplicationFailure: non-retryable ModelServerErrors become
 * nonRetryable failures (type 'ModelServerError'), retryable ones stay retryable so the activity's retry policy
 * applies. Anything else is returned unchanged.
 */
export function toApplicationFailure(err: unknown): unknown {
  if (!(err instanceof ModelServerError)) return err;
  return ApplicationFailure.create({
    message: err.message,
    type: 'ModelServerError',
    nonRetryable: !err.retryable,
    details: [{ kind: err.kind, status: err.status ?? null, url: err.url, attempts: err.attempts }],
    cause: err,
  });
}

export interface RetryInfo {
  /** The attempt that failed (1-based); the next one is attempt + 1. */
  attempt: number;
  /** What went wrong, as one line. */
  error: string;
  kind: ModelErrorKind;
  status?: number;
  url: string;
  /** How long the client waits before the next attempt. */
  delayMs: number;
}

export interface ModelClientOptions {
  /** Server root, e.g. http://127.0.0.1:8000 (a trailing /v1 is accepted and removed: /tokenize lives at the root). */
  baseUrl: string;
  apiKey?: string;
  /**
   * Per attempt, including reading the body. Default: derived per request from its size and the server's measured
   * speed (see requestTimeoutMs); EGCFG_MODEL_TIMEOUT_MS fixes it for every request.
   */
  timeoutMs?: number;
  /** The server's dialect; 'auto' (default) detects it once (GET /props → llama.cpp, GET /version → vLLM, else generic). */
  dialect?: Dialect | 'auto';
  /** Retries after the first attempt for retryable failures. Default 4. */
  maxRetries?: number;
  /** First backoff delay; doubles on every retry (capped at maxBackoffMs). Default 500. */
  backoffMs?: number;
  /** Default 30000. A server's Retry-After (on 429/503) is honoured up to this cap. */
  maxBackoffMs?: number;
  /** Called before each retry; awaited if it returns a promise. */
  onRetry?: (info: RetryInfo) => void | Promise<void>;
  /** Concurrent connections to the server. Default 256. */
  maxSockets?: number;
}

export interface CallOptions {
  /** Cancels the call (e.g. a Temporal activity's cancellationSignal): the error is kind 'aborted', not retryable. */
  signal?: AbortSignal;
  timeoutMs?: number;
  maxRetries?: number;
  /** Called before each retry of this call, after the client-wide onRetry. */
  onRetry?: ((info: RetryInfo) => void | Promise<void>) | undefined;
}

/** The context a request gets (ModelClient.contextLength). */
export interface ModelContext { tokens: number; countsCompletion: boolean }

export interface LoraLoadResult { name: string; alreadyLoaded: boolean; message: string }
export interface LoraUnloadResult { name: string; wasLoaded: boolean; message: string }

const SNIPPET = 200;
function snippet(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(one.length > SNIPPET ? `${one.slice(0, SNIPPET)}…` : one);
}

function serverMessageOf(text: string): string | undefined {
  try {
    const json: unknown = JSON.parse(text);
    const parsed = ErrorBodySchema.safeParse(json);
    if (parsed.success) {
      const b = parsed.data as { error?: { message: string }; message?: string; detail?: unknown };
      if (b.error) return b.error.message;
      if (typeof b.message === 'string') return b.message;
      if (b.detail !== undefined) return typeof b.detail === 'string' ? b.detail : JSON.stringify(b.detail);
    }
  } catch { /* not JSON */ }
  const t = text.trim();
  return t.length > 0 ? t.slice(0, 500) : undefined;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function connectionCode(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const reason = (): Error => (signal?.reason instanceof Error ? signal.reason : new Error(String(signal?.reason ?? 'aborted')));
    if (signal?.aborted) return reject(reason());
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(reason()); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function formatIssues(error: z.ZodError): string {
  return error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

type Reply = { kind: 'json'; schema: z.ZodType } | { kind: 'text' };

interface RawReply { status: number; headers: http.IncomingHttpHeaders; text: string }

/** One HTTP exchange over node:http(s) with a keep-alive agent (about 1 ms cheaper per call than fetch here). */
function exchange(url: URL, method: string, headers: Record<string, string>, body: string | undefined,
  signal: AbortSignal, agent: http.Agent): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const h = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const req = mod.request(url, { method, headers: h, agent, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
      res.on('close', () => { if (!res.complete) reject(Object.assign(new Error('connection closed before the reply was complete'), { code: 'ECONNRESET' })); });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Before any reply was timed, assume a slow CPU server: this many generated tokens per second per request. */
const ASSUMED_TOKENS_PER_S = 2;
/** Fixed part of a derived timeout (connection, queueing behind other requests, prompt processing). */
const TIMEOUT_BASE_MS = 60_000;

export class ModelClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number | undefined;
  private readonly dialectOption: Dialect | 'auto';
  private detected: Dialect | undefined;
  /** Each model's context (contextLength), asked once per model. */
  private readonly contexts = new Map<string, Promise<ModelContext | undefined>>();
  /** Slowest recently observed generation speed (tokens/s per request), for derived timeouts. */
  private observedTokensPerS: number | undefined;
  private readonly maxRetries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly onRetry: ModelClientOptions['onRetry'];
  private readonly agent: http.Agent;

  constructor(opts: ModelClientOptions) {
    let url: URL;
    try { url = new URL(opts.baseUrl); } catch {
      throw new ModelServerError(`model server baseUrl ${JSON.stringify(opts.baseUrl)} is not a URL`,
        { retryable: false, kind: 'invalid-request', url: String(opts.baseUrl), attempts: 0 });
    }
    this.baseUrl = url.toString().replace(/\/+$/, '').replace(/\/v1$/, '');
    this.apiKey = opts.apiKey;
    const envTimeout = Number(process.env.EGCFG_MODEL_TIMEOUT_MS);
    this.timeoutMs = opts.timeoutMs ?? (Number.isFinite(envTimeout) && envTimeout > 0 ? envTimeout : undefined);
    this.dialectOption = opts.dialect ?? 'auto';
    this.maxRetries = opts.maxRetries ?? 4;
    this.backoffMs = opts.backoffMs ?? 500;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    this.onRetry = opts.onRetry;
    this.agent = url.protocol === 'https:'
      ? new https.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 256 })
      : new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 256 });
  }

  /** Closes idle keep-alive connections (they never keep the process alive; this just frees them now). */
  close(): void { this.agent.destroy(); }

  /** POST /v1/completions, in the server's dialect; the reply in vLLM's shape. */
  async completions(req: CompletionRequest, opts: CallOptions = {}): Promise<CompletionResponse> {
    this.validate(CompletionRequestSchema, req, '/v1/completions');
    const dialect = await this.dialectForCall();
    const sent = { ...req, ...(req.stop === undefined ? {} : { stop: stopsFor(dialect === 'unknown' ? 'vllm' : dialect, req.stop) }) };
    const callOpts = { ...opts, timeoutMs: opts.timeoutMs ?? this.requestTimeoutMs(req) };
    const t0 = Date.now();
    let reply: CompletionResponse;
    if (dialect === 'llamacpp' && (sent.n ?? 1) > LLAMA_MAX_N) {
      reply = mergeChoices(await Promise.all(splitN(sent, LLAMA_MAX_N).map(async (part) =>
        this.parseCompletion(await this.call('POST', '/v1/completions', llamaCompletionBody(part), { kind: 'json', schema: AnyJson }, callOpts), part))));
    } else {
      const body = dialect === 'llamacpp' ? llamaCompletionBody(sent) : sent;
      reply = this.parseCompletion(await this.call('POST', '/v1/completions', body, { kind: 'json', schema: AnyJson }, callOpts), sent);
    }
    this.observeSpeed(reply.usage?.completion_tokens ?? 0, Date.now() - t0);
    return reply;
  }

  /**
   * Streamed completions that the client cuts off (stream.ts): one request of one choice per sample (part i seeded
   * seed + i, as splitN), each aborted as soon as `isDone(text)` holds, so the server stops generating. Not retried
   * here (a failure is a retryable ModelServerError: the activity is retried). `cut` counts the choices cut off.
   */
  async completionsUntil(req: CompletionRequest, isDone: (text: string) => boolean, opts: CallOptions = {}): Promise<CompletionResponse & { cut: number }> {
    this.validate(CompletionRequestSchema, req, '/v1/completions');
    const dialect = await this.dialectForCall();
    const sent = { ...req, ...(req.stop === undefined ? {} : { stop: stopsFor(dialect === 'unknown' ? 'vllm' : dialect, req.stop) }) };
    const url = `${this.baseUrl}/v1/completions`;
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs({ ...req, n: 1 });
    const t0 = Date.now();
    const parts = await Promise.all(splitN(sent, 1).map(async (part) => {
      const signal = AbortSignal.any([...(opts.signal ? [opts.signal] : []), AbortSignal.timeout(timeoutMs)]);
      const body = dialect === 'llamacpp' ? llamaCompletionBody(part) : { ...part };
      try {
        return await streamCompletion(new URL(url), this.headers(true), body, signal, this.agent, isDone);
      } catch (err) {
        const status = (err as { status?: number }).status;
        const aborted = opts.signal?.aborted === true;
        throw new ModelServerError(`POST ${url} (stream) failed: ${(err as Error).message}`, {
          retryable: !aborted && (status === undefined || status === 408 || status === 429 || status >= 500),
          kind: aborted ? 'aborted' : status === undefined ? 'connection' : 'http', url, attempts: 1,
          ...(status === undefined ? {} : { status, serverMessage: (err as Error).message }), cause: err,
        });
      }
    }));
    const completionTokens = parts.reduce((a, p) => a + (p.completionTokens ?? p.events), 0);
    const promptTokens = parts.reduce((a, p) => a + (p.promptTokens ?? (Array.isArray(req.prompt) ? req.prompt.length : 0)), 0);
    this.observeSpeed(Math.round(completionTokens / Math.max(1, parts.length)), Date.now() - t0);
    return {
      id: 'stream', object: 'text_completion', created: 0, model: req.model,
      choices: parts.map((p, index) => ({ index, text: p.text, logprobs: null, finish_reason: p.finishReason })),
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      cut: parts.filter((p) => p.finishReason === 'client_cut').length,
    };
  }

  /** vLLM's shape as is, or llama.cpp's converted (a server reached before its dialect was known may send either). */
  private parseCompletion(json: unknown, req: CompletionRequest): CompletionResponse {
    const vllm = CompletionResponseSchema.safeParse(json);
    if (vllm.success) return vllm.data;
    const llama = LlamaCompletionResponseSchema.safeParse(json);
    if (llama.success && llama.data.choices.some((c) => c.logprobs?.content)) return fromLlamaCompletion(llama.data, req);
    if (llama.success && req.logprobs === undefined) return fromLlamaCompletion(llama.data, req);
    throw this.malformed('/v1/completions', `unexpected shape: ${formatIssues(vllm.error)}`, JSON.stringify(json), 1);
  }

  /**
   * The timeout of one completion: fixed when configured, else derived from the request size and the slowest speed
   * seen on this server (2 tokens/s before the first reply): 60 s + 3 × max_tokens × n / speed.
   */
  requestTimeoutMs(req: Pick<CompletionRequest, 'max_tokens' | 'n'>): number {
    if (this.timeoutMs !== undefined) return this.timeoutMs;
    const tokens = (req.max_tokens ?? 512) * (req.n ?? 1);
    const speed = this.observedTokensPerS ?? ASSUMED_TOKENS_PER_S;
    return Math.round(TIMEOUT_BASE_MS + (3 * 1000 * tokens) / speed);
  }

  private observeSpeed(tokens: number, ms: number): void {
    if (tokens < 8 || ms <= 0) return; // too short to say anything about speed
    const speed = (1000 * tokens) / ms;
    // Track the slow end: a moving value that drops at once and rises slowly.
    this.observedTokensPerS = this.observedTokensPerS === undefined ? speed : Math.min(speed, 0.8 * this.observedTokensPerS + 0.2 * speed);
  }

  /**
   * The server's dialect, detected once (GET /props → llama.cpp; GET /version or a /tokenize route → vLLM; else a
   * generic endpoint). A server that cannot be reached is a retryable connection error naming the probe's URL.
   */
  async dialect(): Promise<Dialect> {
    const d = await this.dialectForCall();
    if (d !== 'unknown') return d;
    throw new ModelServerError(`GET ${this.baseUrl}/props could not connect: the model server is not reachable`,
      { retryable: true, kind: 'connection', url: `${this.baseUrl}/props`, attempts: 1 });
  }

  /** The dialect, or 'unknown' while the server cannot be reached (then requests are sent in a shape both accept). */
  private async dialectForCall(): Promise<Dialect | 'unknown'> {
    if (this.dialectOption !== 'auto') return this.dialectOption;
    if (this.detected) return this.detected;
    const d = await this.detectDialect();
    if (d !== 'unknown') this.detected = d;
    return d;
  }

  private async detectDialect(): Promise<Dialect | 'unknown'> {
    const probe = async (path: string): Promise<{ status: number; json: unknown } | 'down'> => {
      try {
        const res = await exchange(new URL(`${this.baseUrl}${path}`), 'GET', this.headers(false), undefined,
          AbortSignal.timeout(Math.min(10_000, this.timeoutMs ?? 10_000)), this.agent);
        let json: unknown = null;
        try { json = JSON.parse(res.text); } catch { /* not JSON */ }
        return { status: res.status, json };
      } catch { return 'down'; }
    };
    const props = await probe('/props');
    if (props === 'down') return 'unknown';
    if (props.status === 200 && LlamaPropsSchema.safeParse(props.json).success) return 'llamacpp';
    if (props.status >= 500) return 'unknown'; // a failing server says nothing about its kind: ask again next time
    const version = await probe('/version');
    if (version !== 'down' && version.status === 200) return 'vllm';
    const tok = await probe('/tokenize');
    // vLLM-style servers without /version answer GET /tokenize with 405 (a POST route), not 404.
    return tok !== 'down' && tok.status !== 404 ? 'vllm' : 'openai';
  }

  /**
   * The model's chat template applied to `messages`, with the assistant turn opened (the text a completion continues):
   * llama.cpp POST /apply-template; vLLM POST /tokenize with messages, then /detokenize. A generic endpoint has no
   * such route: undefined (callers then use /v1/chat/completions).
   */
  async renderChat(model: string, messages: ChatMessage[], opts: CallOptions = {}): Promise<string | undefined> {
    const dialect = await this.dialect();
    if (dialect === 'llamacpp') {
      const r = await this.call('POST', '/apply-template', { messages }, { kind: 'json', schema: LlamaApplyTemplateResponseSchema }, opts) as { prompt: string };
      return r.prompt;
    }
    if (dialect === 'vllm') {
      const r = await this.call('POST', '/tokenize', { model, messages, add_generation_prompt: true, add_special_tokens: false },
        { kind: 'json', schema: TokenizeResponseSchema }, opts) as TokenizeResponse;
      return this.detokenize(model, r.tokens, opts);
    }
    return undefined;
  }

  /**
   * POST /tokenize. add_special_tokens defaults to the server's default (true on vLLM: a BOS may be added; false on
   * llama.cpp). llama.cpp's `{content}` → `{tokens}` is answered as vLLM's `{count, tokens}`.
   */
  async tokenize(model: string, prompt: string, opts: CallOptions & { addSpecialTokens?: boolean } = {}): Promise<TokenizeResponse> {
    const dialect = await this.dialectForCall();
    const special = opts.addSpecialTokens;
    const vllmBody = { model, prompt, ...(special === undefined ? {} : { add_special_tokens: special }) };
    const llamaBody = { content: prompt, ...(special === undefined ? {} : { add_special: special }) };
    const body = dialect === 'llamacpp' ? llamaBody : dialect === 'unknown' ? { ...vllmBody, ...llamaBody } : vllmBody;
    const res = await this.call('POST', '/tokenize', body, { kind: 'json', schema: AnyTokenizeResponseSchema }, opts) as z.infer<typeof AnyTokenizeResponseSchema>;
    if (res.count !== undefined && res.count !== res.tokens.length) {
      throw this.malformed('/tokenize', `count ${res.count} differs from tokens.length ${res.tokens.length}`, JSON.stringify(res), 1);
    }
    return { ...res, count: res.tokens.length };
  }

  /** POST /detokenize: the text of the given token ids (vLLM `{prompt}`, llama.cpp `{content}`). */
  async detokenize(model: string, tokens: number[], opts: CallOptions = {}): Promise<string> {
    const dialect = await this.dialectForCall();
    const body = dialect === 'llamacpp' ? { tokens } : { model, tokens };
    const res = await this.call('POST', '/detokenize', body, { kind: 'json', schema: AnyDetokenizeResponseSchema }, opts) as z.infer<typeof AnyDetokenizeResponseSchema>;
    return res.prompt ?? res.content ?? '';
  }

  /** POST /v1/chat/completions. */
  async chat(req: ChatRequest, opts: CallOptions = {}): Promise<ChatResponse> {
    this.validate(ChatRequestSchema, req, '/v1/chat/completions');
    return this.call('POST', '/v1/chat/completions', req, { kind: 'json', schema: ChatResponseSchema }, opts) as Promise<ChatResponse>;
  }

  /** GET /v1/models: the base model and any loaded LoRA adapters. */
  async models(opts: CallOptions = {}): Promise<ModelList> {
    return this.call('GET', '/v1/models', undefined, { kind: 'json', schema: ModelListSchema }, opts) as Promise<ModelList>;
  }

  /**
   * The model's context in tokens per request, asked once per model (issue 11 item 10: the dynamic signal is fitted
   * to it): llama.cpp GET /props `default_generation_settings.n_ctx` (the context of one slot, which is what a request
   * gets); vLLM GET /v1/models `max_model_len` of `model` (else of the first card; an adapter's, its base model's). undefined when the server does not
   * say (a generic endpoint): the caller then relies on the server's own refusal (contextOverflow). `countsCompletion`:
   * whether the server refuses prompt + max_tokens over the context (vLLM) or only a prompt over it (llama.cpp, which
   * ends the completion at the context's end).
   */
  async contextLength(model: string, opts: CallOptions = {}): Promise<ModelContext | undefined> {
    let asked = this.contexts.get(model);
    if (!asked) {
      asked = this.askContextLength(model, opts).catch((err: unknown) => { this.contexts.delete(model); throw err; });
      this.contexts.set(model, asked);
    }
    return asked;
  }

  private async askContextLength(model: string, opts: CallOptions): Promise<ModelContext | undefined> {
    const dialect = await this.dialect();
    if (dialect === 'llamacpp') {
      const props = await this.call('GET', '/props', undefined, { kind: 'json', schema: LlamaPropsSchema }, opts) as z.infer<typeof LlamaPropsSchema>;
      const n = LlamaSlotContextSchema.safeParse(props.default_generation_settings);
      return n.success ? { tokens: n.data.n_ctx, countsCompletion: false } : undefined;
    }
    if (dialect === 'vllm') {
      const list = await this.models(opts);
      const card = list.data.find((m) => m.id === model) ?? list.data[0];
      // A LoRA adapter's card has no max_model_len: it runs in its base model's context.
      const len = card?.max_model_len ?? list.data.find((m) => m.id === card?.parent)?.max_model_len;
      return typeof len === 'number' ? { tokens: len, countsCompletion: true } : undefined;
    }
    return undefined;
  }

  /** GET /health: true when the server answers 200. Never retries; never throws for connection errors. */
  async health(opts: { timeoutMs?: number } = {}): Promise<boolean> {
    try {
      const res = await exchange(new URL(`${this.baseUrl}/health`), 'GET', this.headers(false), undefined, AbortSignal.timeout(opts.timeoutMs ?? 5000), this.agent);
      return res.status === 200;
    } catch { return false; }
  }

  /**
   * POST /v1/load_lora_adapter (vLLM with --enable-lora and VLLM_ALLOW_RUNTIME_LORA_UPDATING=True); then requests
   * with model: name use the adapter. Idempotent: a 400 saying the adapter is already loaded counts as success
   * (alreadyLoaded: true), so a retried activity does not fail. It cannot tell whether that adapter came from the same path;
   * pass loadInplace: true (vLLM's load_inplace) to replace the weights under an existing name.
   */
  async loadLoraAdapter(name: string, path: string, opts: CallOptions & { loadInplace?: boolean } = {}): Promise<LoraLoadResult> {
    const body = { lora_name: name, lora_path: path, ...(opts.loadInplace ? { load_inplace: true } : {}) };
    try {
      const message = await this.call('POST', '/v1/load_lora_adapter', body, { kind: 'text' }, opts) as string;
      return { name, alreadyLoaded: false, message };
    } catch (err) {
      if (err instanceof ModelServerError && err.status === 400 && /already (been )?loaded/i.test(err.serverMessage ?? '')) {
        return { name, alreadyLoaded: true, message: err.serverMessage ?? '' };
      }
      throw err;
    }
  }

  /** POST /v1/unload_lora_adapter. Idempotent: a 404 (not loaded) gives wasLoaded: false. */
  async unloadLoraAdapter(name: string, opts: CallOptions = {}): Promise<LoraUnloadResult> {
    try {
      const message = await this.call('POST', '/v1/unload_lora_adapter', { lora_name: name }, { kind: 'text' }, opts) as string;
      return { name, wasLoaded: true, message };
    } catch (err) {
      if (err instanceof ModelServerError && err.status === 404) return { name, wasLoaded: false, message: err.serverMessage ?? '' };
      throw err;
    }
  }

  // ------------------------------------------------------------------------------------------ internals

  private validate(schema: z.ZodType, req: unknown, path: string): void {
    const r = schema.safeParse(req);
    if (!r.success) {
      throw new ModelServerError(`invalid request for ${path}: ${formatIssues(r.error)}`,
        { retryable: false, kind: 'invalid-request', url: `${this.baseUrl}${path}`, attempts: 0 });
    }
  }

  private headers(json: boolean): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json' };
    if (json) h['content-type'] = 'application/json';
    if (this.apiKey) h.authorization = `Bearer ${this.apiKey}`;
    return h;
  }

  private malformed(path: string, what: string, body: string, attempts: number, status = 200): ModelServerError {
    return new ModelServerError(`malformed reply from ${this.baseUrl}${path} (HTTP ${status}): ${what}; body starts ${snippet(body)}`,
      { retryable: false, kind: 'malformed', url: `${this.baseUrl}${path}`, attempts, status });
  }

  private async call(method: 'GET' | 'POST', path: string, body: unknown, reply: Reply, opts: CallOptions): Promise<unknown> {
    const url = `${this.baseUrl}${path}`;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs ?? 120_000;
    const maxRetries = opts.maxRetries ?? this.maxRetries;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 1; ; attempt++) {
      let failure: ModelServerError;
      let retryAfter: number | undefined;
      if (opts.signal?.aborted) {
        throw new ModelServerError(`${method} ${url} aborted by the caller`, { retryable: false, kind: 'aborted', url, attempts: attempt - 1, cause: opts.signal.reason });
      }
      const ctl = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => { timedOut = true; ctl.abort(new Error(`timeout after ${timeoutMs} ms`)); }, timeoutMs);
      const onAbort = () => ctl.abort(opts.signal?.reason);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const res = await exchange(new URL(url), method, this.headers(payload !== undefined), payload, ctl.signal, this.agent);
        const text = res.text;
        if (res.status >= 200 && res.status < 300) {
          if (reply.kind === 'text') return text;
          let json: unknown;
          try { json = JSON.parse(text); } catch (e) {
            throw this.malformed(path, `not JSON (${(e as Error).message})`, text, attempt, res.status);
          }
          const parsed = reply.schema.safeParse(json);
          if (!parsed.success) throw this.malformed(path, `unexpected shape: ${formatIssues(parsed.error)}`, text, attempt, res.status);
          return parsed.data;
        }
        const serverMessage = serverMessageOf(text);
        const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
        if (res.status === 429 || res.status === 503) {
          const ra = res.headers['retry-after'];
          retryAfter = retryAfterMs(typeof ra === 'string' ? ra : null);
        }
        failure = new ModelServerError(
          `${method} ${url} failed with HTTP ${res.status}${serverMessage ? `: ${serverMessage}` : ''}`,
          { retryable, kind: 'http', url, attempts: attempt, status: res.status, ...(serverMessage === undefined ? {} : { serverMessage }) });
      } catch (err) {
        if (err instanceof ModelServerError) throw err;
        if (opts.signal?.aborted) {
          throw new ModelServerError(`${method} ${url} aborted by the caller`, { retryable: false, kind: 'aborted', url, attempts: attempt, cause: opts.signal.reason });
        }
        failure = timedOut
          ? new ModelServerError(`${method} ${url} timed out after ${timeoutMs} ms`, { retryable: true, kind: 'timeout', url, attempts: attempt, cause: err })
          : new ModelServerError(`${method} ${url} could not connect: ${connectionCode(err)}`, { retryable: true, kind: 'connection', url, attempts: attempt, cause: err });
      } finally {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      }
      if (!failure.retryable) throw failure;
      if (attempt > maxRetries) {
        throw new ModelServerError(`${failure.message} (gave up after ${attempt} attempt${attempt === 1 ? '' : 's'})`, {
          retryable: true, kind: failure.kind, url, attempts: attempt,
          ...(failure.status === undefined ? {} : { status: failure.status }),
          ...(failure.serverMessage === undefined ? {} : { serverMessage: failure.serverMessage }),
          cause: failure.cause ?? failure,
        });
      }
      const backoff = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 1));
      const delayMs = retryAfter === undefined ? backoff : Math.min(Math.max(backoff, retryAfter), this.maxBackoffMs);
      const info: RetryInfo = { attempt, error: failure.message, kind: failure.kind, url, delayMs, ...(failure.status === undefined ? {} : { status: failure.status }) };
      await this.onRetry?.(info);
      await opts.onRetry?.(info);
      try { await sleep(delayMs, opts.signal); } catch (reason) {
        throw new ModelServerError(`${method} ${url} aborted by the caller`, { retryable: false, kind: 'aborted', url, attempts: attempt, cause: reason });
      }
    }
  }
}
