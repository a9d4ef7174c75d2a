// The one route of the local inference service (python/local_infer/server.py) beyond the OpenAI-compatible subset:
// POST /v1/egcfg/line decodes a whole guided line server-side with full-vocabulary CFG and returns its tokens with
// their audit data. One zod schema per side; the reply is validated before use.
import { z } from 'zod';
import { ModelServerError } from './openai-client.ts';

const tokenIds = z.array(z.number().int().nonnegative());

export const LocalLineRequestSchema = z.object({
  uncond_ids: tokenIds.min(1),
  /** Empty or absent: unguided (plain greedy on the unconditional prompt). */
  cond_ids: tokenIds.optional(),
  gamma: z.number().min(0).max(100),
  max_tokens: z.number().int().positive().max(32768),
  line_so_far: z.string().optional(),
  stop_line_regex: z.string().max(1000).optional(),
  top_logprobs: z.number().int().nonnegative().max(100).optional(),
  /** false: every token from a forward over the whole sequence, no KV cache (the reference path). */
  cache: z.boolean().optional(),
  /** Per token, the two full next-token logprob vectors (for tests; large). */
  full_logprobs: z.boolean().optional(),
});
export type LocalLineRequest = z.input<typeof LocalLineRequestSchema>;

const pair = z.tuple([z.number().int().nonnegative(), z.number()]);
export const LocalLineTokenSchema = z.object({
  id: z.number().int().nonnegative(),
  text: z.string(),
  eos: z.boolean(),
  changed: z.boolean(),
  uncond_argmax: z.number().int().nonnegative(),
  cond_argmax: z.number().int().nonnegative(),
  uncond: z.array(pair),
  cond: z.array(pair).nullable(),
  uncond_full: z.array(z.number()).optional(),
  cond_full: z.array(z.number()).nullable().optional(),
});
export const LocalLineResponseSchema = z.object({
  tokens: z.array(LocalLineTokenSchema),
  guided: z.boolean(),
  /** Set when the conditional prompt did not fit the model's context: the line was decoded unguided. */
  context_overflow: z.string().optional(),
  seconds: z.number().nonnegative(),
});
export type LocalLineResponse = z.infer<typeof LocalLineResponseSchema>;

/** Timeout of one line call: generous, a line is at most max_tokens forwards (CPU, a loaded machine). */
const timeoutMs = (maxTokens: number): number => 60_000 + Math.min(maxTokens, 512) * 2_000;

/** POST /v1/egcfg/line. Throws ModelServerError (retryable for refused connections, timeouts and 5xx). */
export async function guidedLine(baseUrl: string, req: LocalLineRequest, signal?: AbortSignal): Promise<LocalLineResponse> {
  const body = LocalLineRequestSchema.parse(req);
  const url = `${baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '')}/v1/egcfg/line`;
  const signals = [AbortSignal.timeout(timeoutMs(body.max_tokens)), ...(signal ? [signal] : [])];
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.any(signals) });
  } catch (e) {
    throw new ModelServerError(`local inference service unreachable at ${url}: ${(e as Error).message}`, { retryable: true, kind: 'connection', url, attempts: 1, cause: e });
  }
  const text = await res.text();
  if (!res.ok) {
    throw new ModelServerError(`local inference service answered ${res.status} on /v1/egcfg/line: ${text.slice(0, 500)}`, {
      retryable: res.status >= 500, kind: 'http', url, attempts: 1, status: res.status, serverMessage: text.slice(0, 500),
    });
  }
  let json: unknown;
  try { json = JSON.parse(text); } catch (e) {
    throw new ModelServerError(`local inference service sent malformed JSON on /v1/egcfg/line`, { retryable: true, kind: 'malformed', url, attempts: 1, cause: e });
  }
  const parsed = LocalLineResponseSchema.safeParse(json);
  if (!parsed.success) {
    throw new ModelServerError(`local inference service reply does not match its schema: ${parsed.error.message.slice(0, 500)}`, { retryable: false, kind: 'malformed', url, attempts: 1 });
  }
  return parsed.data;
}
