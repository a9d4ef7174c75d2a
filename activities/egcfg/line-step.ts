// One γ = 1 line step (spec §1.3 shortcut): one greedy line call on the conditional prompt (the unconditional one when
// unguided or overflowed), of which only the first line is kept, cut on the reply's own token boundaries
// (core/egcfg/token-line.ts): the kept ids are the model's, so the next prompt continues its token sequence. The
// authors' first step after `def f(` appends "\n" with no call. The budget is charged the appended tokens (applyLine).
import { applyLine, gamma1LineRequest, gamma1Step, type GenerationSpec, type GenerationState } from '../../core/egcfg/index.ts';
import { lineOnTokenBoundary, type TokenPiece } from '../../core/egcfg/token-line.ts';
import { parseTokenKey, type CompletionResponse } from '../model/openai-client.ts';
import type { EgcfgModel } from './model.ts';
import { contextOverflow } from './step-store.ts';
import type { Side } from './prompt-ids.ts';

/** What a γ=1 line step needs from its decode activity. */
export interface LineStepIo {
  model: EgcfgModel;
  timed: <T>(p: Promise<T>) => Promise<T>;
  /** Token ids of the fixed part (base prompt, with the signal for 'cond', + reasoning prefix). */
  fixedIds: (side: Side) => Promise<number[]>;
  /** Token ids of the text generated so far. */
  ids: readonly number[];
  /** Set once the conditional prompt overflowed the model's context (guidance is then off for this step). */
  overflow: string | null;
}

/** The reply's tokens with their texts (token_id:N keys of return_tokens_as_token_ids; texts from /detokenize, cached). */
async function replyTokens(io: LineStepIo, reply: CompletionResponse): Promise<TokenPiece[] | null> {
  const keys = reply.choices[0]?.logprobs?.tokens;
  if (!keys) return null;
  const ids = keys.map((k) => parseTokenKey(k).tokenId);
  if (ids.some((id) => id === undefined)) return null;
  return Promise.all((ids as number[]).map(async (id) => ({ id, text: await io.timed(io.model.tokenText(id)) })));
}

/** The kept line on token boundaries, else (tokens that do not spell the reply) its text re-tokenized, as before. */
async function keptLine(io: LineStepIo, reply: CompletionResponse | null, completion: string) {
  const pieces = reply === null ? null : await replyTokens(io, reply);
  const line = pieces === null ? null : lineOnTokenBoundary(completion, pieces);
  if (line !== null) return { append: line.append, ids: line.ids, retokenized: false };
  const append = gamma1Step(completion).append;
  return { append, ids: append === '' ? [] : await io.timed(io.model.tokenize(append, false)), retokenized: reply !== null };
}

export async function gamma1LineStep(io: LineStepIo, spec: GenerationSpec, s: GenerationState, a: { guided: boolean; newlineOnly: boolean }) {
  let overflow = io.overflow;
  let guided = a.guided && overflow === null;
  let completion = '\n';
  let completionTokens = 0;
  let reply: CompletionResponse | null = null;
  if (!a.newlineOnly) {
    const req = gamma1LineRequest();
    const lineCall = async (side: Side) => io.model.completions({
      prompt: [...await io.fixedIds(side), ...io.ids], temperature: req.temperature, top_p: req.topP, max_tokens: req.maxTokens, stop: req.stop,
      logprobs: 1, return_tokens_as_token_ids: true,
    });
    let r = guided
      ? await io.timed(lineCall('cond').catch((e: unknown) => { overflow = contextOverflow(e); if (overflow === null) throw e; return null; }))
      : null;
    if (r === null) { guided = false; r = await io.timed(lineCall('uncond')); }
    reply = r;
    completion = r.choices[0]?.text ?? '';
    completionTokens = r.usage?.completion_tokens ?? 0;
  } else {
    guided = false;
  }
  const kept = await keptLine(io, reply, completion);
  const state = applyLine(spec, s, { completion, appendedTokens: kept.ids.length, guided, append: kept.append });
  return {
    state, overflow, guided, added: kept.append, appendedIds: kept.ids,
    row: {
      line: kept.append, guided, completionTokens, appendedTokens: kept.ids.length,
      ...(a.newlineOnly ? { newlineOnly: true } : {}), ...(kept.retokenized ? { retokenized: true } : {}),
    },
  };
}
