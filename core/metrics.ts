// Metrics of the evaluation protocol: pass@k (unbiased estimator), pass@1 over problems, RSR.
import { z } from 'zod';

/** A pass@k result's detail (results.detail jsonb): the problem's samples and how many passed. */
export const SampleCountsSchema = z.object({ samples: z.number().int().min(1), correct: z.number().int().min(0) });

function checkCount(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
}

/**
 * Unbiased pass@k for one problem with n samples of which c passed (Chen et al. 2021):
 * 1 - C(n-c, k) / C(n, k), computed as 1 - prod_{i=n-c+1}^{n} (1 - k/i) so that it stays stable for large n.
 * Requires 0 <= c <= n and 1 <= k <= n.
 */
export function passAtK(n: number, c: number, k: number): number {
  checkCount('n', n);
  checkCount('c', c);
  checkCount('k', k);
  if (c > n) throw new RangeError(`c (${c}) must not exceed n (${n})`);
  if (k < 1 || k > n) throw new RangeError(`k (${k}) must be between 1 and n (${n})`);
  if (n - c < k) return 1;
  let notPass = 1;
  for (let i = n - c + 1; i <= n; i++) notPass *= 1 - k / i;
  return 1 - notPass;
}

/** Mean pass@k over problems, each given as { n, c }; 0 problems → null. */
export function meanPassAtK(problems: readonly { n: number; c: number }[], k: number): number | null {
  if (problems.length === 0) return null;
  let sum = 0;
  for (const p of problems) sum += passAtK(p.n, p.c, k);
  return sum / problems.length;
}

export interface PassAt1Summary {
  problems: number;
  passed: number;
  /** Percentage, 0-100 (null when there are no problems). */
  passAt1: number | null;
}

/**
 * pass@1 as the paper reports it: one final program per problem, passed or not.
 * Accepts booleans or objects with a `passed` field.
 */
export function passAt1(results: readonly (boolean | { passed: boolean })[]): PassAt1Summary {
  const passed = results.filter((r) => (typeof r === 'boolean' ? r : r.passed)).length;
  return { problems: results.length, passed, passAt1: results.length === 0 ? null : (100 * passed) / results.length };
}

/**
 * Relative Success Rate (§5): the share of the baseline's failures that the method fixes,
 * (acc - baseline) / (100 - baseline) * 100, both in percent. Null when the baseline is already 100.
 * Negative when the method is worse than the baseline. Accuracies must lie in [0, 100].
 */
export function rsr(acc: number, baselineAcc: number): number | null {
  for (const [name, v] of [['acc', acc], ['baselineAcc', baselineAcc]] as const) {
    if (!Number.isFinite(v) || v < 0 || v > 100) throw new RangeError(`${name} must be a percentage in [0, 100], got ${v}`);
  }
  if (baselineAcc === 100) return null;
  return ((acc - baselineAcc) / (100 - baselineAcc)) * 100;
}

/** Round for tables (default 2 decimals), keeping null. */
export function round(v: number | null, decimals = 2): number | null {
  if (v === null) return null;
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}

/** What an RSR is computed on: the problems both campaigns scored, and each one's pass@1 there. */
export interface RsrOnCommon {
  /** Problems scored by both campaigns. */
  problems: number;
  /** The method's pass@1 (fraction) on those problems. */
  passAt1: number;
  /** The baseline's pass@1 (fraction) on those problems. */
  baselinePassAt1: number;
  rsr: number | null;
}

/**
 * RSR on the intersection of the two campaigns' problems (verdicts keyed by problem id). A baseline over all of MBPP
 * against an EG-CFG run on 10 problems compared two different problem sets; here both accuracies are over the same
 * problems. null when they share none.
 */
export function rsrOnCommonProblems(method: ReadonlyMap<number, boolean>, baseline: ReadonlyMap<number, boolean>): RsrOnCommon | null {
  let n = 0;
  let m = 0;
  let b = 0;
  for (const [id, passed] of method) {
    const base = baseline.get(id);
    if (base === undefined) continue;
    n++;
    if (passed) m++;
    if (base) b++;
  }
  if (n === 0) return null;
  return { problems: n, passAt1: m / n, baselinePassAt1: b / n, rsr: rsr((100 * m) / n, (100 * b) / n) };
}

/**
 * Why a baseline campaign cannot be an RSR baseline for a campaign, or null when it can: RSR compares one model's
 * method against the SAME model's baseline on the SAME dataset.
 */
export function baselineMismatch(campaign: { dataset: string; model: string }, baseline: { id: string; dataset: string; model: string }): string | null {
  const why: string[] = [];
  if (baseline.dataset !== campaign.dataset) why.push(`its dataset is ${baseline.dataset}, not ${campaign.dataset}`);
  if (baseline.model !== campaign.model) why.push(`its model is ${JSON.stringify(baseline.model)}, not ${JSON.stringify(campaign.model)}`);
  return why.length === 0 ? null : `baseline campaign ${baseline.id} cannot be the RSR baseline: ${why.join(' and ')} (RSR compares a method with the same model's baseline on the same dataset)`;
}
