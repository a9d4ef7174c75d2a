// One token-by-token guided step (γ ∉ {0, 1}, spec §1.3): two concurrent one-token calls with top-k logprobs on the
// unconditional and conditional prompts (token ids), merged by CFG (core/egcfg/cfg.ts); unguided: the greedy token.
import { ApplicationFailure } from '@temporalio/common';
import { applyToken, cfgArgmax, greedyArgmax, topKFromTokenIdMap, type GenerationSpec, type GenerationState, type TopK } from '../../core/egcfg/index.ts';
import type { CompletionResponse } from '../model/openai-client.ts';
import { isEosText } from './model.ts';
import type { LineStepIo } from './line-step.ts';
import { contextOverflow } from './step-store.ts';
import type { Side } from './prompt-ids.ts';

function topOf(r: CompletionResponse): TopK {
  const map = r.choices[0]?.logprobs?.top_logprobs?.[0];
  if (!map) throw ApplicationFailure.nonRetryable('the model server returned no top_logprobs (EG-CFG needs logprobs on /v1/completions)', 'EgcfgNoLogprobs');
  try { return topKFromTokenIdMap(map); } catch (e) {
    throw ApplicationFailure.nonRetryable(`${(e as Error).message}: the server must support return_tokens_as_token_ids`, 'EgcfgTokenIds');
  }
}

/** One guided (or greedy) token: the new state, the token's row, and whether the conditional side overflowed. */
export async function cfgTokenStep(io: LineStepIo, spec: GenerationSpec, s: GenerationState, a: { guided: boolean }, topLogprobs: number) {
  let overflow = io.overflow;
  const one = (side: Side) => io.fixedIds(side).then((f) => io.model.completions({
    prompt: [...f, ...io.ids], max_tokens: 1, temperature: 0, logprobs: topLogprobs, return_tokens_as_token_ids: true,
  }));
  const condOrSkip = () => one('cond').catch((e: unknown) => {
    overflow = contextOverflow(e);
    if (overflow === null) throw e;
    return null;
  });
  const [u, c] = await io.timed(Promise.all([one('uncond'), a.guided && overflow === null ? condOrSkip() : Promise.resolve(null)]));
  const guided = c !== null;
  const uTop = topOf(u);
  const cTop = c === null ? null : topOf(c);
  const choice = cTop === null ? { tokenId: greedyArgmax(uTop).tokenId, changed: false } : cfgArgmax(uTop, cTop, spec.gamma);
  const text = await io.timed(io.model.tokenText(choice.tokenId));
  const eos = isEosText(text);
  return {
    state: applyToken(spec, s, { text, eos, guided, changed: choice.changed }),
    overflow, guided, changed: choice.changed, eos, text, tokenId: choice.tokenId,
    row: {
      id: choice.tokenId, text, guided, changed: choice.changed,
      uncond: uTop.map((t): [number, number] => [t.tokenId, t.logprob]), cond: cTop?.map((t): [number, number] => [t.tokenId, t.logprob]) ?? null,
    },
  };
}
