// The per-γ decoding paths (spec §1.3, §1.4). PURE and deterministic: safe in Temporal workflows.
//
// γ = 0  ('single_completion'): no execution feedback at all. One reasoning-style completion of the raw prompt
//        (temperature t, top_p 0.95, max_tokens 2048, up to 10 tries, temperature t·0.9^(r(r+1)/2) on try r: see
//        `reasoningRequest`); the answer is the last ```python block defining the entry point (`lastBlockDefining`;
//        for HumanEval the caller appends the raw completion to the HumanEval prompt instead). No candidates, no
//        signal, no CFG. Because γ=0 is tried first for every agent, easy tasks are usually solved here.
// γ = 1  ('line_shortcut'): the CFG result equals the conditional distribution, so the unconditional side is skipped
//        and decoding goes a whole line at a time: one greedy completions call on the CONDITIONAL prompt
//        (`gamma1LineRequest`), keep only its first line (`gamma1Step`), append it, refresh the signal (the usual
//        line-boundary rule, gate.ts), repeat. Stop conditions as for token decoding. As in the authors' code
//        (inference_endpoint_eg_cfg_gamma_1_optimization): the max_new_tokens budget is charged with the tokens of the
//        APPENDED line only, not the up-to-64 tokens the call produced (`gamma1AppendedTokens`), and while the
//        generated text has no newline yet (just `def f(` was forced) the step appends "\n" without calling the
//        model (`gamma1NewlineOnly`), so the model writes the parameters on the next line.
// other γ ('token_cfg'): strictly token by token; two one-token top-k calls per guided token, merged by cfg.ts.

import { EOS_MARKERS, GAMMA1_LINE_MAX_TOKENS, RETRIES_PER_GAMMA, TOP_P } from './constants.ts';

export { lastBlockDefining as gamma0Answer, reasoningRequest as gamma0Request } from './reasoning.ts';

export type DecodePath = 'single_completion' | 'line_shortcut' | 'token_cfg';

export function decodePathFor(gamma: number): DecodePath {
  if (!Number.isFinite(gamma) || gamma < 0) throw new RangeError(`decodePathFor: gamma must be a finite number >= 0, got ${String(gamma)}`);
  if (gamma === 0) return 'single_completion';
  if (gamma === 1) return 'line_shortcut';
  return 'token_cfg';
}

/**
 * Attempts for one (agent, task, γ): γ=0 is never retried (1 attempt); other γ get `retriesCount` attempts, read as
 * "retry_idx in range(retries_count)" (the paper's setting retries_count = 1 means one attempt each). The attempt
 * index is the retryIdx of the seed (seed.ts).
 */
export function attemptsFor(gamma: number, retriesCount: number = RETRIES_PER_GAMMA): number {
  if (!Number.isInteger(retriesCount) || retriesCount < 1) throw new RangeError(`attemptsFor: retriesCount must be an integer >= 1, got ${String(retriesCount)}`);
  return decodePathFor(gamma) === 'single_completion' ? 1 : retriesCount;
}

export interface LineRequest {
  temperature: number;
  topP: number;
  maxTokens: number;
  stop: string[];
}

/** The γ=1 line step request: temperature 0, top_p 0.95, max_tokens 64, stop at the EOS markers. */
export function gamma1LineRequest(): LineRequest {
  return { temperature: 0, topP: TOP_P, maxTokens: GAMMA1_LINE_MAX_TOKENS, stop: [...EOS_MARKERS] };
}

export interface Gamma1Step {
  /** Text to append: the completion's first line including its newline, or the whole (EOS-cut) text when it has none. */
  append: string;
  /** The appended text ends a line (contains the newline). */
  lineComplete: boolean;
  /** Nothing to append (the model ended immediately / only an EOS marker): the generation is over. */
  ended: boolean;
}

/** Keeps only the first line of a γ=1 line completion (after cutting at any EOS marker). */
export function gamma1Step(completion: string): Gamma1Step {
  let text = completion;
  for (const m of EOS_MARKERS) {
    const i = text.indexOf(m);
    if (i !== -1) text = text.slice(0, i);
  }
  const nl = text.indexOf('\n');
  const append = nl === -1 ? text : text.slice(0, nl + 1);
  return { append, lineComplete: nl !== -1, ended: append === '' };
}

/**
 * The authors' first γ=1 step: while the generated text (which starts with the forced `def <entry_point>(`) holds no
 * newline, the line step appends "\n" without a model call (their loop asks the model for a line only once
 * `new_text.count("\n") > 0`). `def f(\n    a, b):` is valid Python: the parameters continue on the next line.
 */
export function gamma1NewlineOnly(generated: string): boolean {
  return !generated.includes('\n');
}

/**
 * What one γ=1 line step charges to the max_new_tokens budget: the tokens of the text it appended (the authors
 * re-encode the kept line and count what they append), at least 1 so that the loop always progresses. The completion
 * tokens of the call (up to 64) are a cost, recorded separately, not budget.
 */
export function gamma1AppendedTokens(appendedTokenCount: number): number {
  if (!Number.isInteger(appendedTokenCount) || appendedTokenCount < 0) {
    throw new RangeError(`gamma1AppendedTokens: appendedTokenCount must be an integer >= 0, got ${String(appendedTokenCount)}`);
  }
  return Math.max(1, appendedTokenCount);
}
