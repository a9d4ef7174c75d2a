// The budget of one γ's reasoning tries (issue 11 item 8). PURE and deterministic: safe in Temporal workflows.
//
// The reasoning-prefix call (and γ = 0's completion) is retried up to 10 times with max_tokens 2048 until a try
// defines the entry point (reasoning.ts). A model that names the function differently (MBPP 11: `remove_Occ` →
// `remove_occurrence`) burns every try in every γ. The budget caps the tries and their completion tokens per γ; the
// default (10 tries, 10 × reasoning max_tokens) is the authors' behaviour, so it is hit only when set lower.
import { REASONING_MAX_TOKENS, REASONING_MAX_TRIES } from './constants.ts';

export interface ReasoningBudget {
  /** Tries at most (1..10). */
  tries: number;
  /** Completion tokens over all tries at most. */
  tokens: number;
}

export function defaultReasoningBudget(reasoningMaxTokens: number = REASONING_MAX_TOKENS): ReasoningBudget {
  return { tries: REASONING_MAX_TRIES, tokens: REASONING_MAX_TRIES * reasoningMaxTokens };
}

/**
 * Whether try `attempt` (0-based) may run after tries that used `usedTokens`, and its max_tokens (capped by what is
 * left of the token budget); or which budget is exhausted.
 */
export function nextReasoningTry(budget: ReasoningBudget, attempt: number, usedTokens: number, maxTokens: number):
  { maxTokens: number } | { exhausted: 'tries' | 'tokens' } {
  if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`nextReasoningTry: attempt must be an integer >= 0, got ${String(attempt)}`);
  if (attempt >= Math.min(budget.tries, REASONING_MAX_TRIES)) return { exhausted: 'tries' };
  const left = budget.tokens - usedTokens;
  if (left <= 0) return { exhausted: 'tokens' };
  return { maxTokens: Math.min(maxTokens, left) };
}
