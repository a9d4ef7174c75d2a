// A deterministic SIMULATED model server speaking the vLLM OpenAI-compatible HTTP subset this project uses.
// It simulates nothing about real model quality: see ./sim-model.ts for exactly what it does. Every reply says it
// is simulated: header `x-simulated-model: true`, and `system_fingerprint: "simulated-model"` (completions, chat) or
// `simulated: true` (other JSON bodies).
//
// Endpoints: POST /v1/completions, POST /v1/chat/completions, GET /v1/models, POST /tokenize, POST /detokenize,
// POST /v1/load_lora_adapter, POST /v1/unload_lora_adapter, GET /health.
// Faults (for tests): the first N requests (any path) answer 429 / 500 / hang / malformed JSON, in that order of
// precedence; `down: true` returns the URL of a port nobody listens on.
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { z } from 'zod';
import {
  ChatRequestSchema, CompletionRequestSchema, DetokenizeRequestSchema, LoadLoraRequestSchema, TokenizeRequestSchema,
  UnloadLoraRequestSchema,
} from './protocol.ts';
import {
  RESPONSE_MARKER, buildProblems, findProblem, generate, knowledgeTexts, unknownProblem, viewPrompt,
  type Generation, type Problem, type SimulatedKnowledge,
} from './sim-model.ts';
import { freePort } from '../../core/ports.ts';
import { SimTokenizer } from './sim-tokenizer.ts';

export { KnowledgeSchema, type KnowledgeEntry, type SimulatedKnowledge } from './sim-model.ts';

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

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly type = status === 404 ? 'NotFoundError' : 'BadRequestError') {
    super(message);
  }
}

function issues(e: z.ZodError): string {
  return e.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`).join('; ');
}

export async function startSimulatedModelServer(opts: SimulatedServerOptions): Promise<SimulatedServer> {
  const host = opts.host ?? '127.0.0.1';
  const modelName = opts.modelName ?? 'simulated-model';
  const skill = opts.skill ?? 0.6;
  for (const [k, v] of Object.entries({ skill, signalSkill: opts.signalSkill, adapterSkill: opts.adapterSkill })) {
    if (v !== undefined && !(v >= 0 && v <= 1)) throw new RangeError(`${k} must be within [0, 1], got ${v}`);
  }
  const signalSkill = opts.signalSkill ?? skill + (1 - skill) / 2;
  const adapterSkill = opts.adapterSkill ?? skill;
  const maxModelLen = opts.maxModelLen ?? 16384;
  const advertisedLen = opts.advertiseContext === false ? null : maxModelLen;
  const maxLogprobs = opts.maxLogprobs ?? 20;
  const latencyMs = opts.latencyMs ?? 0;
  const problems = buildProblems(opts.knowledge);
  const tok = new SimTokenizer(knowledgeTexts(problems, opts.knowledge));
  const adapters = new Map<string, string>();
  const faults = { error429: 0, error500: 0, hang: 0, malformed: 0 };
  const setFaults = (f: Omit<SimulatedFaults, 'down'>) => {
    faults.error429 = f.error429 ?? 0; faults.error500 = f.error500 ?? 0; faults.hang = f.hang ?? 0; faults.malformed = f.malformed ?? 0;
  };
  setFaults(opts.faults ?? {});
  const st: SimulatedServerStats = {
    requests: 0, byPath: {}, faultsInjected: { error429: 0, error500: 0, hang: 0, malformed: 0 },
    promptTokens: 0, completionTokens: 0, serverMs: 0, handlerMs: 0, loraAdapters: {},
  };
  const stats = (): SimulatedServerStats => structuredClone({ ...st, loraAdapters: Object.fromEntries(adapters) });

  if (opts.faults?.down) {
    const port = opts.port && opts.port > 0 ? opts.port : await freePort(undefined, [], host);
    const setDown = async (down: boolean) => { if (!down) throw new Error('a server started with faults.down never listens'); };
    return { url: `http://${host}:${port}`, port, modelName, close: async () => {}, stats, setFaults, setDown, tokenizer: tok };
  }

  const problemCache = new Map<string, Problem>();
  const problemFor = (instruction: string): Problem => {
    let p = problemCache.get(instruction);
    if (!p) {
      p = findProblem(problems, opts.knowledge, instruction) ?? unknownProblem(instruction);
      if (problemCache.size > 512) problemCache.clear();
      problemCache.set(instruction, p);
    }
    return p;
  };
  const checkModel = (model: string): { skill: number; signalSkill: number } => {
    if (model === modelName) return { skill, signalSkill };
    if (adapters.has(model)) return { skill: adapterSkill, signalSkill: Math.max(adapterSkill, adapterSkill + (1 - adapterSkill) / 2) };
    throw new HttpError(404, `The model \`${model}\` does not exist.`);
  };
  const parse = <T extends z.ZodType>(schema: T, body: unknown): z.infer<T> => {
    const r = schema.safeParse(body);
    if (!r.success) throw new HttpError(400, `invalid request: ${issues(r.error)}`);
    return r.data;
  };
  const decodePrompt = (prompt: string | number[]): { text: string; ids: number[] } => {
    if (typeof prompt === 'string') return { text: prompt, ids: tok.encode(prompt) };
    try { return { text: tok.decode(prompt, true), ids: prompt }; } catch (e) { throw new HttpError(400, (e as Error).message); }
  };
  const checkLength = (promptLen: number, maxTokens: number) => {
    if (promptLen + maxTokens > maxModelLen) {
      throw new HttpError(400, `This model's maximum context length is ${maxModelLen} tokens. However, you requested ${promptLen + maxTokens} tokens (${promptLen} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`);
    }
  };
  const checkTopK = (k: number | undefined) => {
    if (k !== undefined && k > maxLogprobs) throw new HttpError(400, `Requested sample logprobs of ${k}, which is greater than max allowed: ${maxLogprobs}`);
  };
  const key = (asIds: boolean, id: number, text: string) => (asIds ? `token_id:${id}` : text);
  let seq = 0;
  const newId = (prefix: string) => `${prefix}-sim-${(++seq).toString(36)}`;

  function runSamples(model: string, promptText: string, r: {
    n?: number | undefined; seed?: number | undefined; temperature?: number | undefined; max_tokens?: number | undefined;
    stop?: string | string[] | undefined; stop_token_ids?: number[] | undefined; include_stop_str_in_output?: boolean | undefined;
  }, topK: number, promptLen: number, defaultMax: number): Generation[] {
    const sk = checkModel(model);
    const maxTokens = r.max_tokens ?? defaultMax;
    checkLength(promptLen, maxTokens);
    const view = viewPrompt(promptText);
    const problem = problemFor(view.instruction);
    const stop = r.stop === undefined ? [] : typeof r.stop === 'string' ? [r.stop] : r.stop;
    const out: Generation[] = [];
    for (let i = 0; i < (r.n ?? 1); i++) {
      out.push(generate({
        tok, problem, view, model, skill: sk, seed: r.seed, temperature: r.temperature ?? 1, sampleIndex: i, maxTokens,
        stop, stopTokenIds: r.stop_token_ids ?? [], includeStopStr: r.include_stop_str_in_output ?? false, topK,
      }));
    }
    return out;
  }

  function completions(body: unknown) {
    const r = parse(CompletionRequestSchema, body);
    checkTopK(r.logprobs);
    const prompt = decodePrompt(r.prompt);
    const gens = runSamples(r.model, prompt.text, r, r.logprobs ?? 0, prompt.ids.length, 16);
    const asIds = r.return_tokens_as_token_ids ?? false;
    const completionTokens = gens.reduce((s, g) => s + g.tokens.length, 0);
    st.promptTokens += prompt.ids.length;
    st.completionTokens += completionTokens;
    return {
      id: newId('cmpl'), object: 'text_completion', created: Math.floor(Date.now() / 1000), model: r.model,
      system_fingerprint: SIMULATED_FINGERPRINT,
      choices: gens.map((g, index) => {
        const echoText = r.echo ? prompt.text : '';
        let logprobs = null;
        if (r.logprobs !== undefined) {
          const tokens: string[] = [], token_logprobs: Array<number | null> = [], text_offset: number[] = [];
          const top_logprobs: Array<Record<string, number> | null> = [];
          let off = 0;
          if (r.echo) {
            prompt.ids.forEach((id, j) => {
              const t = tok.tokenText(id);
              tokens.push(key(asIds, id, t));
              const lp = j === 0 ? null : Math.log(0.05 + 0.9 * (hashLp(t, j)));
              token_logprobs.push(lp);
              top_logprobs.push(lp === null ? null : { [key(asIds, id, t)]: lp });
              text_offset.push(off);
              off += t.length;
            });
            off = echoText.length;
          }
          for (const t of g.tokens) {
            tokens.push(key(asIds, t.id, t.text));
            token_logprobs.push(t.logprob);
            top_logprobs.push(Object.fromEntries(t.top.map((c) => [key(asIds, c.id, c.text), c.logprob])));
            text_offset.push(off);
            if (t.id !== 0) off += t.text.length;
          }
          logprobs = { tokens, token_logprobs, top_logprobs, text_offset };
        }
        return { index, text: echoText + g.text, logprobs, finish_reason: g.finishReason, stop_reason: g.stopReason, simulated_variant: g.believed, simulated_problem: g.problem };
      }),
      usage: { prompt_tokens: prompt.ids.length, completion_tokens: completionTokens, total_tokens: prompt.ids.length + completionTokens },
    };
  }

  function chat(body: unknown) {
    const r = parse(ChatRequestSchema, body);
    const topK = r.logprobs ? (r.top_logprobs ?? 0) : 0;
    checkTopK(topK);
    // The DeepSeek-Coder instruct layout; a final assistant message is an answer to continue.
    let text = '';
    const msgs = r.messages;
    msgs.forEach((m, i) => {
      if (m.role === 'system') text += `${m.content}\n`;
      else if (m.role === 'user') text += `### Instruction:\n${m.content}\n`;
      else text += `${RESPONSE_MARKER}\n${m.content}${i === msgs.length - 1 ? '' : '\n'}`;
    });
    if (msgs.at(-1)!.role !== 'assistant') text += `${RESPONSE_MARKER}\n`;
    const ids = tok.encode(text);
    const gens = runSamples(r.model, text, r, topK, ids.length, maxModelLen - ids.length);
    const asIds = r.return_tokens_as_token_ids ?? false;
    const completionTokens = gens.reduce((s, g) => s + g.tokens.length, 0);
    st.promptTokens += ids.length;
    st.completionTokens += completionTokens;
    const enc = new TextEncoder();
    return {
      id: newId('chatcmpl'), object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: r.model,
      system_fingerprint: SIMULATED_FINGERPRINT,
      choices: gens.map((g, index) => ({
        index,
        message: { role: 'assistant', content: g.text },
        logprobs: r.logprobs ? {
          content: g.tokens.map((t) => ({
            token: key(asIds, t.id, t.text), logprob: t.logprob, bytes: [...enc.encode(t.text)],
            top_logprobs: t.top.map((c) => ({ token: key(asIds, c.id, c.text), logprob: c.logprob, bytes: [...enc.encode(c.text)] })),
          })),
        } : null,
        finish_reason: g.finishReason, stop_reason: g.stopReason, simulated_variant: g.believed, simulated_problem: g.problem,
      })),
      usage: { prompt_tokens: ids.length, completion_tokens: completionTokens, total_tokens: ids.length + completionTokens },
    };
  }

  function route(method: string, path: string, body: unknown): { status: number; json?: unknown; text?: string } {
    const want = (m: string) => { if (method !== m) throw new HttpError(405, `Method ${method} not allowed on ${path}`, 'MethodNotAllowed'); };
    switch (path) {
      case '/health': want('GET'); return { status: 200, text: '' };
      case '/v1/models': want('GET'); return {
        status: 200,
        json: {
          object: 'list', simulated: true,
          data: [
            { id: modelName, object: 'model', created: 0, owned_by: 'simulated', root: modelName, parent: null, max_model_len: advertisedLen },
            ...[...adapters].map(([id, path]) => ({ id, object: 'model', created: 0, owned_by: 'simulated', root: path, parent: modelName, max_model_len: null })),
          ],
        },
      };
      case '/v1/completions': want('POST'); return { status: 200, json: completions(body) };
      case '/v1/chat/completions': want('POST'); return { status: 200, json: chat(body) };
      case '/tokenize': {
        want('POST');
        const r = parse(TokenizeRequestSchema, body);
        checkModel(r.model);
        const tokens = tok.encode(r.prompt);
        return { status: 200, json: { count: tokens.length, max_model_len: advertisedLen, tokens, simulated: true } };
      }
      case '/detokenize': {
        want('POST');
        const r = parse(DetokenizeRequestSchema, body);
        checkModel(r.model);
        try { return { status: 200, json: { prompt: tok.decode(r.tokens), simulated: true } }; } catch (e) {
          throw new HttpError(400, (e as Error).message);
        }
      }
      case '/v1/load_lora_adapter': {
        want('POST');
        const r = parse(LoadLoraRequestSchema, body);
        if (r.lora_name === modelName) throw new HttpError(400, `The lora adapter '${r.lora_name}' is the base model's name.`);
        if (adapters.has(r.lora_name) && !r.load_inplace) {
          throw new HttpError(400, `The lora adapter '${r.lora_name}' has already been loaded. If you want to load the adapter in place, set 'load_inplace' to True.`);
        }
        if (opts.checkLoraPath && !existsSync(join(r.lora_path, 'adapter_config.json'))) {
          throw new HttpError(404, `Loading lora ${r.lora_name} failed: No adapter found for ${r.lora_path}`);
        }
        adapters.set(r.lora_name, r.lora_path);
        return { status: 200, text: `Success: LoRA adapter '${r.lora_name}' added successfully.` };
      }
      case '/v1/unload_lora_adapter': {
        want('POST');
        const r = parse(UnloadLoraRequestSchema, body);
        if (!adapters.delete(r.lora_name)) throw new HttpError(404, `The lora adapter '${r.lora_name}' cannot be found.`);
        return { status: 200, text: `Success: LoRA adapter '${r.lora_name}' removed successfully.` };
      }
      default: throw new HttpError(404, 'Not Found');
    }
  }

  const send = (res: ServerResponse, status: number, contentType: string, body: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': contentType, 'x-simulated-model': 'true', 'content-length': Buffer.byteLength(body), ...extra });
    res.end(body);
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const t0 = performance.now();
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    // The client's dialect probe (GET /props: llama.cpp, GET /version: vLLM) is answered as vLLM would, outside the
    // fault schedule and the request counts, so that injected faults hit model calls as the tests intend.
    if (req.method === 'GET' && (path === '/version' || path === '/props')) {
      req.resume();
      return path === '/version' ? send(res, 200, 'application/json', JSON.stringify({ version: 'simulated' }))
        : send(res, 404, 'application/json', JSON.stringify({ object: 'error', message: 'Not Found', type: 'NotFoundError', code: 404 }));
    }
    st.requests++;
    st.byPath[path] = (st.byPath[path] ?? 0) + 1;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (latencyMs > 0) await sleep(latencyMs);
    const t1 = performance.now();
    res.once('finish', () => { const t2 = performance.now(); st.serverMs += t2 - t0; st.handlerMs += t2 - t1; });
    if (faults.error429 > 0) { faults.error429--; st.faultsInjected.error429++; return send(res, 429, 'application/json', JSON.stringify({ object: 'error', message: 'simulated rate limit', type: 'RateLimitError', code: 429, simulated: true }), { 'retry-after': '0' }); }
    if (faults.error500 > 0) { faults.error500--; st.faultsInjected.error500++; return send(res, 500, 'application/json', JSON.stringify({ object: 'error', message: 'simulated internal server error', type: 'InternalServerError', code: 500, simulated: true })); }
    if (faults.hang > 0) { faults.hang--; st.faultsInjected.hang++; return; }
    if (faults.malformed > 0) { faults.malformed--; st.faultsInjected.malformed++; return send(res, 200, 'application/json', '{"id": "cmpl-sim-malformed", "object": "text_completion", "choices": [{"index": 0, "text": "def f('); }
    try {
      let body: unknown;
      if (req.method === 'POST') {
        const raw = Buffer.concat(chunks).toString('utf8');
        try { body = JSON.parse(raw); } catch (e) { throw new HttpError(400, `request body is not valid JSON: ${(e as Error).message}`); }
      }
      const out = route(req.method ?? 'GET', path, body);
      if (out.text !== undefined) send(res, out.status, 'text/plain; charset=utf-8', out.text);
      else send(res, out.status, 'application/json', JSON.stringify(out.json));
    } catch (e) {
      if (e instanceof HttpError) {
        send(res, e.status, 'application/json', JSON.stringify({ object: 'error', message: e.message, type: e.type, param: null, code: e.status, simulated: true }));
      } else {
        send(res, 500, 'application/json', JSON.stringify({ object: 'error', message: `simulated server bug: ${(e as Error).stack ?? String(e)}`, type: 'InternalServerError', param: null, code: 500, simulated: true }));
      }
    }
  }

  // A client that goes away mid-request (an aborted call) must not take the server down.
  const server = createServer((req, res) => { handle(req, res).catch(() => { res.destroy(); }); });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(opts.port ?? 0, host, () => { server.off('error', reject); resolve(); }); });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  let listening = true;
  const stopListening = () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
  return {
    url: `http://${host}:${port}`,
    port,
    modelName,
    tokenizer: tok,
    stats,
    setFaults,
    async setDown(down: boolean) {
      if (closed) throw new Error('the simulated server is closed');
      if (down && listening) { listening = false; await stopListening(); }
      if (!down && !listening) {
        await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, host, () => { server.off('error', reject); resolve(); }); });
        listening = true;
      }
    },
    close: () => {
      closed ??= listening ? stopListening() : Promise.resolve();
      listening = false;
      return closed;
    },
  };
}

function hashLp(text: string, pos: number): number {
  let h = 2166136261;
  const s = `${pos}:${text}`;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h / 2 ** 32;
}
