// EG-CFG constants (spec §1.1, §1.3, §1.5, §1.7, §4, §7). Pure data: safe to import from Temporal workflows.
// Values mirror the authors' configuration as described in the method notes (docs/eg-cfg-method.md of the shared
// research folder; clean-room, no code copied).

/** CFG strengths, tried in this order for every agent (§1.1, §1.2). */
export const DEFAULT_GAMMAS: readonly number[] = Object.freeze([0, 0.5, 1, 3]);
/** Smoothing constant of the CFG ratio (§4). */
export const CFG_EPSILON = 1e-8;
/** Top-k logprobs requested per one-token call for CFG (`LOGPROBS_COUNT`). */
export const LOGPROBS_COUNT = 5;
/** top_p of every sampled call (candidates, reasoning prefix, γ=0). */
export const TOP_P = 0.95;
/** Max new tokens of the guided decode (`MAX_NEW_TOKENS`); CodeContests uses 3×. */
export const MAX_NEW_TOKENS = 512;
export const CODECONTESTS_MAX_NEW_TOKENS_FACTOR = 3;
/** max_tokens of one candidate-sampling request (stopped earlier by the fence stop string). */
export const CANDIDATE_MAX_TOKENS = 512;
/**
 * Tokens allowed per kept candidate line when candidate max_tokens is derived from the horizon (`--candidate-tokens
 * horizon`): (d + 1) lines are kept, so (d + 1) × 64 tokens (the γ = 1 line budget) instead of 512. Not the authors'.
 */
export const CANDIDATE_TOKENS_PER_LINE = 64;
/** Stop strings of the candidate-sampling requests. */
export const CANDIDATE_STOP: readonly string[] = Object.freeze(['```\n']);
/** At least this many completions are requested per candidate-sampling request: n = max(MIN, s). */
export const CANDIDATE_MIN_REQUEST_N = 5;
/** At most this many candidate-sampling requests per refresh. */
export const CANDIDATE_MAX_REQUESTS = 2;
/** Temperature factor of the second candidate-sampling request. */
export const CANDIDATE_RETRY_TEMPERATURE_FACTOR = 1.2;
/** max_tokens of the reasoning-prefix call and of the γ=0 completion (`REASONING_TOKENS_QUERY_MAX_TOKENS`). */
export const REASONING_MAX_TOKENS = 2048;
/** Tries of the reasoning-prefix call / γ=0 completion; the temperature is multiplied by the decay on each retry. */
export const REASONING_MAX_TRIES = 10;
export const REASONING_TEMPERATURE_DECAY = 0.9;
/** max_tokens of one γ=1 line step (§1.3, `GAMMA_1_OPTIMIZATION_VALUE` path). */
export const GAMMA1_LINE_MAX_TOKENS = 64;
/** Timeout of one traced run of one test case, seconds (`EXECUTION_TIMEOUT_SEC`). */
export const EXECUTION_TIMEOUT_SEC = 40;
/** Wall-clock cap of one (task, γ) generation, minutes (`TIMEOUT_DELTA_MIN`); checked at each signal refresh. */
export const GENERATION_TIMEOUT_MIN = 40;
/** Early stop (§1.6): a side is ready at this counter value; a loop is declared at 1.5× (= 6). */
export const EARLY_STOP_THRESHOLD = 4;
export const EARLY_STOP_LOOP_THRESHOLD = Math.floor(EARLY_STOP_THRESHOLD * 1.5);
/** Retries per γ (`retries_count`); γ=0 is never retried. */
export const RETRIES_PER_GAMMA = 1;
/** Base random seed (`random_seed`) added to the per-config sha256 residue (§1.2). */
export const BASE_SEED = 40;
/** Baseline LLM sampling temperature (`BASELINE_LLM_SAMPLING_TEMPERATURE`, §5). */
export const BASELINE_SAMPLING_TEMPERATURE = 0.7;
/** HTTP: retries per request, and timeout = base × (2·retry + 1) seconds (§1.7). */
export const HTTP_RETRIES = 5;
export const HTTP_TIMEOUT_BASE_SEC = 30;

/**
 * End-of-sentence / end-of-text markers that may appear as text in a completion (when special tokens are not
 * skipped). Used as stop strings and as cut points. DeepSeek-Coder instruct (`<|EOT|>`), DeepSeek-V3 (full-width bars
 * `<｜end▁of▁sentence｜>`, plus an ASCII-bar spelling), Qwen / GPT-style (`<|im_end|>`, `<|endoftext|>`).
 */
export const EOS_MARKERS: readonly string[] = Object.freeze([
  '<|EOT|>',
  '<｜end▁of▁sentence｜>',
  '<|end▁of▁sentence|>',
  '<|endoftext|>',
  '<|im_end|>',
]);

/** The Markdown code fence, and the opening fence of a Python block. */
export const FENCE = '```';
export const PYTHON_FENCE = '```python';

/** HTTP timeout (seconds) of the given 0-based retry: base × (2·retry + 1). */
export function httpTimeoutSec(retryIdx: number): number {
  if (!Number.isInteger(retryIdx) || retryIdx < 0) throw new RangeError(`httpTimeoutSec: retryIdx must be an integer >= 0, got ${retryIdx}`);
  return HTTP_TIMEOUT_BASE_SEC * (2 * retryIdx + 1);
}

/** Max new tokens of the guided decode for a dataset (CodeContests gets 3×). */
export function maxNewTokensFor(dataset: string): number {
  return dataset.toLowerCase() === 'codecontests' ? MAX_NEW_TOKENS * CODECONTESTS_MAX_NEW_TOKENS_FACTOR : MAX_NEW_TOKENS;
}
