// The HTTP subset of an OpenAI-compatible server (vLLM) that this project uses, as zod schemas.
// One source of truth for both sides: the client validates its requests and every reply with these, and the
// simulated server parses incoming requests with the same request schemas.
// Reply schemas are loose (unknown fields pass through): vLLM adds fields between versions.
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------- requests

const tokenId = z.number().int().nonnegative();
/** A token-id list; checked with one loop (a per-element zod schema costs ~0.1 µs × thousands of ids per call). */
const tokenIdList = z.custom<number[]>(
  (v) => Array.isArray(v) && v.length > 0 && v.every((x) => Number.isSafeInteger(x) && x >= 0),
  { error: 'must be a non-empty array of non-negative integer token ids' },
);

export const CompletionRequestSchema = z.object({
  model: z.string().min(1),
  /** Raw prompt text, or the prompt as token ids (vLLM: the client controls tokenization exactly). */
  prompt: z.union([z.string(), tokenIdList], { error: 'prompt must be a string or a non-empty array of non-negative integer token ids' }),
  max_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  n: z.number().int().positive().optional(),
  seed: z.number().int().optional(),
  stop: z.union([z.string(), z.array(z.string())]).optional(),
  /** Top-k logprobs per generated token (an integer, as on /v1/completions). 0 = only the sampled token's. */
  logprobs: z.number().int().nonnegative().optional(),
  echo: z.boolean().optional(),
  presence_penalty: z.number().optional(),
  frequency_penalty: z.number().optional(),
  // vLLM extras
  return_tokens_as_token_ids: z.boolean().optional(),
  stop_token_ids: z.array(tokenId).optional(),
  top_k: z.number().int().optional(),
  min_p: z.number().min(0).max(1).optional(),
  repetition_penalty: z.number().positive().optional(),
  skip_special_tokens: z.boolean().optional(),
  include_stop_str_in_output: z.boolean().optional(),
  prompt_logprobs: z.number().int().nonnegative().optional(),
  /** vLLM: add BOS etc. to a text prompt (default true); token-id prompts are used as given. */
  add_special_tokens: z.boolean().optional(),
  ignore_eos: z.boolean().optional(),
  min_tokens: z.number().int().nonnegative().optional(),
  logit_bias: z.record(z.string(), z.number()).optional(),
  allowed_token_ids: z.array(tokenId).optional(),
});
export type CompletionRequest = z.input<typeof CompletionRequestSchema>;

export const ChatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export const ChatRequestSchema = z.object({
  model: z.string().min(1),
  messages: z.array(ChatMessageSchema).min(1),
  max_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  n: z.number().int().positive().optional(),
  seed: z.number().int().optional(),
  stop: z.union([z.string(), z.array(z.string())]).optional(),
  /** Chat API style: a boolean, with the count in top_logprobs. */
  logprobs: z.boolean().optional(),
  top_logprobs: z.number().int().nonnegative().optional(),
  presence_penalty: z.number().optional(),
  frequency_penalty: z.number().optional(),
  return_tokens_as_token_ids: z.boolean().optional(),
  top_k: z.number().int().optional(),
  min_p: z.number().min(0).max(1).optional(),
});
export type ChatRequest = z.input<typeof ChatRequestSchema>;

export const TokenizeRequestSchema = z.object({
  model: z.string().min(1),
  prompt: z.string(),
  add_special_tokens: z.boolean().optional(),
});
export type TokenizeRequest = z.input<typeof TokenizeRequestSchema>;

export const DetokenizeRequestSchema = z.object({
  model: z.string().min(1),
  tokens: z.array(tokenId),
});
export type DetokenizeRequest = z.input<typeof DetokenizeRequestSchema>;

export const LoadLoraRequestSchema = z.object({
  lora_name: z.string().min(1),
  lora_path: z.string().min(1),
  /** vLLM: replace an adapter already loaded under this name (e.g. the next BTP cycle's weights). */
  load_inplace: z.boolean().optional(),
});
export const UnloadLoraRequestSchema = z.object({
  lora_name: z.string().min(1),
  lora_int_id: z.number().int().optional(),
});

// ---------------------------------------------------------------------------------------------- replies

export const UsageSchema = z.looseObject({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative().nullish(),
  total_tokens: z.number().int().nonnegative(),
});
export type Usage = z.infer<typeof UsageSchema>;

/** `{token: logprob}`; vLLM gives `token_id:<n>` keys with return_tokens_as_token_ids. Logprobs may be -9999 for -inf. */
const TopLogprobMap = z.record(z.string(), z.number());

export const CompletionLogprobsSchema = z.looseObject({
  text_offset: z.array(z.number().int()),
  /** null for the first prompt token when echo is on. */
  token_logprobs: z.array(z.number().nullable()),
  tokens: z.array(z.string()),
  top_logprobs: z.array(TopLogprobMap.nullable()).nullable(),
});
export type CompletionLogprobs = z.infer<typeof CompletionLogprobsSchema>;

export const CompletionChoiceSchema = z.looseObject({
  index: z.number().int().nonnegative(),
  text: z.string(),
  logprobs: CompletionLogprobsSchema.nullish(),
  finish_reason: z.string().nullable(),
  /** vLLM: the stop string or stop token id that ended generation (null for EOS). */
  stop_reason: z.union([z.string(), z.number(), z.null()]).optional(),
});
export type CompletionChoice = z.infer<typeof CompletionChoiceSchema>;

export const CompletionResponseSchema = z.looseObject({
  id: z.string(),
  object: z.string(),
  created: z.number(),
  model: z.string(),
  choices: z.array(CompletionChoiceSchema).min(1),
  usage: UsageSchema.nullish(),
  system_fingerprint: z.string().nullish(),
});
export type CompletionResponse = z.infer<typeof CompletionResponseSchema>;

const ChatTopLogprobSchema = z.looseObject({
  token: z.string(),
  logprob: z.number(),
  bytes: z.array(z.number().int()).nullish(),
});
export const ChatLogprobEntrySchema = ChatTopLogprobSchema.extend({
  top_logprobs: z.array(ChatTopLogprobSchema),
});

export const ChatChoiceSchema = z.looseObject({
  index: z.number().int().nonnegative(),
  message: z.looseObject({
    role: z.string(),
    content: z.string().nullable(),
    reasoning_content: z.string().nullish(),
  }),
  logprobs: z.looseObject({ content: z.array(ChatLogprobEntrySchema).nullable() }).nullish(),
  finish_reason: z.string().nullable(),
  stop_reason: z.union([z.string(), z.number(), z.null()]).optional(),
});

export const ChatResponseSchema = z.looseObject({
  id: z.string(),
  object: z.string(),
  created: z.number(),
  model: z.string(),
  choices: z.array(ChatChoiceSchema).min(1),
  usage: UsageSchema.nullish(),
  system_fingerprint: z.string().nullish(),
});
export type ChatResponse = z.infer<typeof ChatResponseSchema>;

export const TokenizeResponseSchema = z.looseObject({
  count: z.number().int().nonnegative(),
  tokens: z.array(tokenId),
  max_model_len: z.number().int().nullish(),
  token_strs: z.array(z.string()).nullish(),
});
export type TokenizeResponse = z.infer<typeof TokenizeResponseSchema>;

export const DetokenizeResponseSchema = z.looseObject({ prompt: z.string() });

export const ModelCardSchema = z.looseObject({
  id: z.string(),
  object: z.string().optional(),
  created: z.number().optional(),
  owned_by: z.string().nullish(),
  /** vLLM: for a LoRA adapter, its path; for the base model, the model path. */
  root: z.string().nullish(),
  /** vLLM: for a LoRA adapter, the base model's id. */
  parent: z.string().nullish(),
  max_model_len: z.number().int().nullish(),
});
export const ModelListSchema = z.looseObject({
  object: z.string().optional(),
  data: z.array(ModelCardSchema),
});
export type ModelList = z.infer<typeof ModelListSchema>;
export type ModelCard = z.infer<typeof ModelCardSchema>;

/** vLLM's error body: old `{object:"error", message, type, code}` and new `{error:{message, type, code}}`; OpenAI's is the latter. */
export const ErrorBodySchema = z.union([
  z.looseObject({ error: z.looseObject({ message: z.string() }) }),
  z.looseObject({ message: z.string() }),
  z.looseObject({ detail: z.unknown() }),
]);

// ---------------------------------------------------------------------------------------------- logprob keys

export interface TopLogprob {
  /** The key exactly as the server sent it. */
  key: string;
  /** Set when the key had the `token_id:<n>` form (vLLM return_tokens_as_token_ids). */
  tokenId?: number;
  /** The token's text; '' when the server sent only the id (detokenize the id to get it). */
  text: string;
  logprob: number;
}

const TOKEN_ID_KEY = /^token_id:(\d+)$/;

/** Splits one logprobs key: `token_id:17` → `{ tokenId: 17, text: '' }`; anything else is token text. */
export function parseTokenKey(key: string): { tokenId?: number; text: string } {
  const m = TOKEN_ID_KEY.exec(key);
  if (m) {
    const id = Number(m[1]);
    if (Number.isSafeInteger(id)) return { tokenId: id, text: '' };
  }
  return { text: key };
}

/** A vLLM `top_logprobs` map as a list, most likely first (ties: by key, so the order is deterministic). */
export function parseTopLogprobs(map: Record<string, number> | null | undefined): TopLogprob[] {
  if (!map) return [];
  const out: TopLogprob[] = [];
  for (const [key, logprob] of Object.entries(map)) {
    if (typeof logprob !== 'number' || Number.isNaN(logprob)) {
      throw new Error(`top_logprobs entry ${JSON.stringify(key)} has a non-numeric logprob ${JSON.stringify(logprob)}`);
    }
    out.push({ key, ...parseTokenKey(key), logprob });
  }
  out.sort((a, b) => (b.logprob - a.logprob) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return out;
}

/** The top-k list of one generated position of a completion choice (position 0 = the first generated token). */
export function choiceTopLogprobs(choice: CompletionChoice, position = 0): TopLogprob[] {
  const lp = choice.logprobs;
  if (!lp) throw new Error(`choice ${choice.index} has no logprobs: request them with logprobs: <k>`);
  const tops = lp.top_logprobs;
  if (!tops) throw new Error(`choice ${choice.index} has logprobs but no top_logprobs`);
  if (position < 0 || position >= tops.length) {
    throw new Error(`choice ${choice.index} has ${tops.length} logprob positions, asked for position ${position}`);
  }
  return parseTopLogprobs(tops[position]);
}
