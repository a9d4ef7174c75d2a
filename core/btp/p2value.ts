// P2Value: the BTP priority of one candidate program (pure, deterministic).
//
//   possibility  = how likely the model itself found the program, from its token logprobs
//   pass_rate    = fraction of the tests it passes
//   P2Value      = α · possibility + (1 − α) · pass_rate          (α ∈ [0, 1])
//
// Possibility variants (PossibilityMode):
//   'mean' (default): exp(mean token logprob) — the geometric mean of the per-token probabilities.
//                     Length-normalised: a long program is not punished for its length. In [0, 1].
//   'sum':            exp(sum of token logprobs) — the probability of the whole sequence. Not
//                     length-normalised: it decays geometrically with length, so it favours short programs.
import { z } from 'zod';

export const PossibilityModeSchema = z.enum(['mean', 'sum']);
export type PossibilityMode = z.infer<typeof PossibilityModeSchema>;

/** Logprobs above 0 by at most this much are floating-point noise (e.g. 1e-9 from a softmax) and are read as 0. */
export const LOGPROB_TOLERANCE = 1e-6;

export const P2ValueConfigSchema = z.object({
  /** Weight of possibility against pass rate. 1 → model confidence only, 0 → tests only. */
  alpha: z.number().min(0).max(1),
  possibility: PossibilityModeSchema.default('mean'),
});
export type P2ValueConfig = z.infer<typeof P2ValueConfigSchema>;
export type P2ValueConfigInput = z.input<typeof P2ValueConfigSchema>;

function checkUnit(name: string, x: number): void {
  if (typeof x !== 'number' || Number.isNaN(x)) throw new RangeError(`${name} must be a number in [0, 1], got ${String(x)}`);
  if (x < 0 || x > 1) throw new RangeError(`${name} must be in [0, 1], got ${x}`);
}

/**
 * The model's possibility of a program from its token logprobs (natural log).
 * Throws on an empty list, a NaN, +Infinity or a logprob above 0 (beyond LOGPROB_TOLERANCE), naming the index.
 * −Infinity (a token of probability 0) is allowed and gives 0.
 */
export function possibility(tokenLogprobs: readonly number[], mode: PossibilityMode = 'mean'): number {
  if (!Array.isArray(tokenLogprobs)) throw new TypeError('possibility: tokenLogprobs must be an array of numbers');
  if (mode !== 'mean' && mode !== 'sum') throw new RangeError(`possibility: mode must be 'mean' or 'sum', got ${String(mode)}`);
  const n = tokenLogprobs.length;
  if (n === 0) throw new RangeError('possibility: tokenLogprobs is empty (a completion with no tokens has no possibility)');
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const lp: unknown = tokenLogprobs[i];
    if (typeof lp !== 'number' || Number.isNaN(lp)) {
      throw new RangeError(`possibility: tokenLogprobs[${i}] is not a number (${String(lp)})`);
    }
    if (lp > LOGPROB_TOLERANCE) {
      throw new RangeError(`possibility: tokenLogprobs[${i}] = ${lp} is a log-probability above 0 (probability > 1)`);
    }
    sum += lp > 0 ? 0 : lp;
  }
  const value = Math.exp(mode === 'mean' ? sum / n : sum);
  return value > 1 ? 1 : value;
}

/** Fraction of tests passed; throws unless 0 ≤ passed ≤ total and total ≥ 1 (integers). */
export function passRate(passed: number, total: number): number {
  if (!Number.isInteger(total) || total < 1) throw new RangeError(`passRate: total must be an integer ≥ 1, got ${total}`);
  if (!Number.isInteger(passed) || passed < 0 || passed > total) {
    throw new RangeError(`passRate: passed must be an integer in [0, ${total}], got ${passed}`);
  }
  return passed / total;
}

/** P2Value = α·possibility + (1−α)·passRate; every argument must be in [0, 1]. */
export function p2value(possibilityValue: number, passRateValue: number, alpha: number): number {
  checkUnit('p2value: possibility', possibilityValue);
  checkUnit('p2value: passRate', passRateValue);
  checkUnit('p2value: alpha', alpha);
  const v = alpha * possibilityValue + (1 - alpha) * passRateValue;
  // Convex combination of values in [0, 1]: clamp only the last-ulp rounding.
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** Both steps at once, from raw logprobs and test counts, under a validated config. */
export function scoreCandidate(
  tokenLogprobs: readonly number[],
  testsPassed: number,
  testsTotal: number,
  config: P2ValueConfigInput,
): { possibility: number; passRate: number; p2value: number } {
  const cfg = P2ValueConfigSchema.parse(config);
  const pos = possibility(tokenLogprobs, cfg.possibility);
  const pr = passRate(testsPassed, testsTotal);
  return { possibility: pos, passRate: pr, p2value: p2value(pos, pr, cfg.alpha) };
}
