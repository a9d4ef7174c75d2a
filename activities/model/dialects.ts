// Server dialects behind one ModelClient. The rest of the project speaks vLLM's shapes (protocol.ts); a llama.cpp
// server is asked in its own words and its replies are turned into those shapes here, so that EG-CFG, BTP and the
// baseline never see the difference. Pure functions: unit-tested on recorded replies.
import { z } from 'zod';
import type { CompletionRequest, CompletionResponse } from './protocol.ts';

/** vllm: vLLM (and the simulated server); llamacpp: llama.cpp's llama-server; openai: a generic endpoint (no tokenizer routes). */
export const dialects = ['vllm', 'llamacpp', 'openai'] as const;
export type Dialect = (typeof dialects)[number];

/** vLLM refuses more stop strings than VLLM_MAX_STOP_STRINGS (default 4) with HTTP 400. */
export const VLLM_MAX_STOP_STRINGS = 4;

/** The stop list a dialect accepts: vLLM keeps the first four (callers list the most important first). */
export function stopsFor(dialect: Dialect, stop: CompletionRequest['stop']): CompletionRequest['stop'] {
  if (stop === undefined || typeof stop === 'string') return stop;
  return dialect === 'vllm' ? stop.slice(0, VLLM_MAX_STOP_STRINGS) : stop;
}

/** llama.cpp: the request in its dialect (same route; vLLM-only fields dropped, prompt caching asked for). */
export function llamaCompletionBody(req: CompletionRequest): Record<string, unknown> {
  const {
    return_tokens_as_token_ids: _ids, stop_token_ids: _sti, skip_special_tokens: _sst, include_stop_str_in_output: _isio,
    prompt_logprobs: _pl, add_special_tokens: _ast, allowed_token_ids: _ati, ...rest
  } = req;
  return { ...rest, cache_prompt: true };
}

const LlamaTop = z.looseObject({ id: z.number().int().nonnegative(), token: z.string(), logprob: z.number() });
const LlamaLogprobEntry = LlamaTop.extend({ top_logprobs: z.array(LlamaTop).default([]) });
export const LlamaCompletionResponseSchema = z.looseObject({
  id: z.string().default('llamacpp'),
  object: z.string().default('text_completion'),
  created: z.number().default(0),
  model: z.string().default(''),
  choices: z.array(z.looseObject({
    index: z.number().int().nonnegative(),
    text: z.string(),
    logprobs: z.looseObject({ content: z.array(LlamaLogprobEntry).nullable() }).nullish(),
    finish_reason: z.string().nullable(),
  })).min(1),
  usage: z.looseObject({
    prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative(), total_tokens: z.number().int().nonnegative(),
  }).nullish(),
});
export type LlamaCompletionResponse = z.infer<typeof LlamaCompletionResponseSchema>;

/**
 * A llama.cpp completion in vLLM's shape: `logprobs.content[]` ({id, token, logprob, top_logprobs[]}) becomes
 * `tokens` / `token_logprobs` / `top_logprobs` maps / `text_offset`; keys are `token_id:<n>` when the request asked
 * for token ids (as vLLM's return_tokens_as_token_ids does), else the token text.
 */
export function fromLlamaCompletion(reply: LlamaCompletionResponse, req: CompletionRequest): CompletionResponse {
  const asIds = req.return_tokens_as_token_ids === true;
  const key = (t: { id: number; token: string }) => (asIds ? `token_id:${t.id}` : t.token);
  return {
    id: reply.id, object: reply.object, created: reply.created, model: reply.model || req.model,
    choices: reply.choices.map((c) => {
      const content = c.logprobs?.content ?? null;
      let logprobs: CompletionResponse['choices'][number]['logprobs'] = null;
      if (content && req.logprobs !== undefined) {
        let offset = 0;
        const textOffset: number[] = [];
        for (const e of content) { textOffset.push(offset); offset += e.token.length; }
        logprobs = {
          text_offset: textOffset,
          tokens: content.map(key),
          token_logprobs: content.map((e) => e.logprob),
          top_logprobs: content.map((e) => {
            const map: Record<string, number> = {};
            // The sampled token is always in vLLM's map; llama.cpp lists the top n only.
            for (const t of [...e.top_logprobs, e]) if (!(key(t) in map)) map[key(t)] = t.logprob;
            return map;
          }),
        };
      }
      return { index: c.index, text: c.text, logprobs, finish_reason: c.finish_reason };
    }),
    usage: reply.usage ? { prompt_tokens: reply.usage.prompt_tokens, completion_tokens: reply.usage.completion_tokens, total_tokens: reply.usage.total_tokens } : null,
  };
}

export const LlamaTokenizeResponseSchema = z.looseObject({ tokens: z.array(z.number().int().nonnegative()) });
export const LlamaDetokenizeResponseSchema = z.looseObject({ content: z.string() });
export const LlamaApplyTemplateResponseSchema = z.looseObject({ prompt: z.string() });
/** GET /props of llama-server: how the dialect is recognised. */
export const LlamaPropsSchema = z.looseObject({
  default_generation_settings: z.unknown().optional(),
  build_info: z.string().optional(),
  model_path: z.string().optional(),
  total_slots: z.number().int().optional(),
}).refine((p) => p.default_generation_settings !== undefined || p.build_info !== undefined, 'not llama-server /props');

/** `default_generation_settings` of /props: `n_ctx` is one slot's context (the whole context / --parallel). */
export const LlamaSlotContextSchema = z.looseObject({ n_ctx: z.number().int().positive() });

/** llama-server refuses n above 4 (HTTP 400 "Field 'n': Value must be between 1 <= value <= 4"). */
export const LLAMA_MAX_N = 4;

/**
 * One request for n choices as several of at most `max` each; part i is seeded seed + i (reproducible, and the parts
 * are independent samples rather than copies of one another).
 */
export function splitN(req: CompletionRequest, max: number): CompletionRequest[] {
  const n = req.n ?? 1;
  const parts: CompletionRequest[] = [];
  for (let i = 0, done = 0; done < n; i++, done += max) {
    parts.push({ ...req, n: Math.min(max, n - done), ...(req.seed === undefined ? {} : { seed: req.seed + i }) });
  }
  return parts;
}

/** The replies of splitN's parts as one: choices in order, re-indexed; token counts summed. */
export function mergeChoices(replies: CompletionResponse[]): CompletionResponse {
  const first = replies[0]!;
  const choices = replies.flatMap((r) => r.choices).map((c, index) => ({ ...c, index }));
  const sum = (f: (u: NonNullable<CompletionResponse['usage']>) => number) => replies.reduce((a, r) => a + (r.usage ? f(r.usage) : 0), 0);
  return {
    ...first, choices,
    usage: { prompt_tokens: sum((u) => u.prompt_tokens), completion_tokens: sum((u) => u.completion_tokens ?? 0), total_tokens: sum((u) => u.total_tokens) },
  };
}
