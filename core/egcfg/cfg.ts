// The CFG step of EG-CFG on top-k logprobs (spec §4). PURE and deterministic: safe in Temporal workflows.
//
// P  = unconditional next-token distribution (prompt without the dynamic signal)
// Pc = conditional next-token distribution   (prompt with the dynamic signal before `### Response:`)
// Only the top-k of each is known (an OpenAI-compatible API returns top-k logprobs). As the authors did, a token's
// probability on one side is exp(logprob) when the token is in that side's top-k and 0 otherwise (no renormalisation),
// and the guided score is computed on the UNION of the two top-k sets (every other vocabulary entry has P = Pc = 0 and
// can never win).
//
//   P_guided(w) ∝ P(w) · ((Pc(w) + ε) / (P(w) + ε))^γ        ε = CFG_EPSILON = 1e-8
//
// Two variants of the first factor are offered. They differ only for tokens missing from the unconditional top-k
// (P = 0); for every token with P > 0 they agree to within a factor (1 + ε/P), i.e. numerically identical for any P
// the API returns:
//  - 'literal' (DEFAULT): P · ((Pc + ε)/(P + ε))^γ exactly as the spec's formula, with P = 0 outside the unconditional
//      top-k, so a token missing there always has weight 0 (score −∞) whatever γ is. γ=0 gives the unconditional
//      argmax; γ=1 gives the conditional argmax among the tokens of the unconditional top-k (P·(Pc+ε)/(P+ε) ≈ Pc);
//      γ>1 extrapolates; a token only in the unconditional top-k keeps weight ≈ P·(ε/P)^γ (§4).
//  - 'smoothed': (P + ε) · ((Pc + ε)/(P + ε))^γ = (P + ε)^(1−γ) · (Pc + ε)^γ. Under this reading γ=1 is exactly the
//      conditional distribution, and a token only in the conditional top-k gets weight ε·((Pc+ε)/ε)^γ, i.e. for γ>1 it
//      is "strongly boosted" as the spec's prose in §4 says — so strongly that at γ=3 ANY conditional-only token
//      (even Pc = 0.001) beats every shared token.
// The spec's formula and its prose disagree on that one case. The default follows the formula (what the spec says
// the authors' code computes on the top-k vectors: exp(logprob) in the top-k, 0 elsewhere, then the formula), which
// also keeps γ=3 from picking tail tokens that merely fell out of the other side's top-k. Pick 'smoothed' per call
// to reproduce the prose reading.
//
// Ties (equal scores; in practice only equal probabilities) are broken deterministically, in this order:
//   higher unconditional logprob (missing = −∞), then higher conditional logprob (missing = −∞), then lower token id.
// The unconditional argmax used for `changed` is ranked with the same chain (unconditional logprob first), so γ=0
// never reports a change.

import { CFG_EPSILON } from './constants.ts';

export type TopK = Array<{ tokenId: number; logprob: number; text?: string }>;

export type CfgVariant = 'smoothed' | 'literal';

export interface CfgOptions {
  /** How a token missing from the unconditional top-k is weighted; default 'literal' (see the file comment). */
  variant?: CfgVariant;
}

export interface GuidedToken {
  tokenId: number;
  /** Token text when either side supplied it (unconditional side preferred). */
  text?: string;
  /** log P_guided(w), unnormalised (the normalising constant is common to all tokens). −∞ = weight 0. */
  score: number;
  /** exp(logprob) on the unconditional side, 0 when outside its top-k. */
  pUncond: number;
  /** exp(logprob) on the conditional side, 0 when outside its top-k. */
  pCond: number;
}

export interface CfgChoice extends GuidedToken {
  /** True when the guided choice differs from the unconditional argmax. */
  changed: boolean;
  /** The unconditional argmax (what plain greedy decoding would have chosen). */
  uncondTokenId: number;
  /** The conditional argmax (what greedy decoding of the signal prompt would have chosen). */
  condTokenId: number;
}

interface Row {
  tokenId: number;
  text?: string;
  lpU: number; // −∞ when missing
  lpC: number; // −∞ when missing
  score: number;
  pU: number;
  pC: number;
}

const LOGPROB_TOLERANCE = 1e-6; // logprobs a hair above 0 (rounding) are clamped to 0

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

function checkTopK(side: string, list: TopK): Map<number, { logprob: number; text?: string }> {
  if (!Array.isArray(list)) throw new TypeError(`cfg: ${side} top-k must be an array`);
  const out = new Map<number, { logprob: number; text?: string }>();
  list.forEach((e, i) => {
    if (e === null || typeof e !== 'object') throw new TypeError(`cfg: ${side}[${i}] must be an object`);
    if (!Number.isInteger(e.tokenId) || e.tokenId < 0) throw new RangeError(`cfg: ${side}[${i}].tokenId must be an integer >= 0, got ${String(e.tokenId)}`);
    if (typeof e.logprob !== 'number' || Number.isNaN(e.logprob) || e.logprob > LOGPROB_TOLERANCE) {
      throw new RangeError(`cfg: ${side}[${i}].logprob must be a log-probability (<= 0, not NaN), got ${String(e.logprob)} for token ${e.tokenId}`);
    }
    if (out.has(e.tokenId)) throw new RangeError(`cfg: ${side} top-k lists token ${e.tokenId} twice`);
    const entry: { logprob: number; text?: string } = { logprob: Math.min(0, e.logprob) };
    if (e.text !== undefined) entry.text = e.text;
    out.set(e.tokenId, entry);
  });
  return out;
}

function checkParams(gamma: number, eps: number): void {
  if (typeof gamma !== 'number' || !Number.isFinite(gamma)) throw new RangeError(`cfg: gamma must be a finite number, got ${String(gamma)}`);
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps <= 0) throw new RangeError(`cfg: eps must be a finite number > 0, got ${String(eps)}`);
}

/** Strict "a ranks before b" for the deterministic order described in the file comment, on a given primary key. */
function compareRows(a: Row, b: Row, primary: (r: Row) => number): number {
  const pa = primary(a), pb = primary(b);
  if (pa !== pb) return pa > pb ? -1 : 1;
  if (a.lpU !== b.lpU) return a.lpU > b.lpU ? -1 : 1;
  if (a.lpC !== b.lpC) return a.lpC > b.lpC ? -1 : 1;
  return a.tokenId - b.tokenId;
}

function buildRows(uncond: TopK, cond: TopK, gamma: number, eps: number, variant: CfgVariant): Row[] {
  checkParams(gamma, eps);
  if (variant !== 'smoothed' && variant !== 'literal') throw new RangeError(`cfg: unknown variant ${String(variant)}`);
  const u = checkTopK('uncond', uncond);
  const c = checkTopK('cond', cond);
  const ids: number[] = [];
  for (const id of u.keys()) ids.push(id);
  for (const id of c.keys()) if (!u.has(id)) ids.push(id);
  const logEps = Math.log(eps);
  return ids.map((tokenId) => {
    const ue = u.get(tokenId);
    const ce = c.get(tokenId);
    const lpU = ue ? ue.logprob : -Infinity;
    const lpC = ce ? ce.logprob : -Infinity;
    const lU = logAddExp(lpU, logEps); // log(P + ε)
    const lC = logAddExp(lpC, logEps); // log(Pc + ε)
    let score: number;
    if (variant === 'smoothed') {
      score = (1 - gamma) * lU + gamma * lC; // exact at γ=0 (= log(P+ε)) and γ=1 (= log(Pc+ε))
    } else {
      score = lpU === -Infinity ? -Infinity : lpU + gamma * (lC - lU);
    }
    const row: Row = { tokenId, lpU, lpC, score, pU: Math.exp(lpU), pC: Math.exp(lpC) };
    const text = ue?.text ?? ce?.text;
    if (text !== undefined) row.text = text;
    return row;
  });
}

function toGuided(r: Row): GuidedToken {
  const g: GuidedToken = { tokenId: r.tokenId, score: r.score, pUncond: r.pU, pCond: r.pC };
  if (r.text !== undefined) g.text = r.text;
  return g;
}

/**
 * Guided scores on the union of the two top-k sets, best first (deterministic order, see the file comment).
 * Throws on malformed input (non-integer / duplicate token ids, logprob > 0 or NaN, non-finite γ, ε <= 0).
 */
export function cfgMerge(uncond: TopK, cond: TopK, gamma: number, eps: number = CFG_EPSILON, options: CfgOptions = {}): GuidedToken[] {
  const rows = buildRows(uncond, cond, gamma, eps, options.variant ?? 'literal');
  rows.sort((a, b) => compareRows(a, b, (r) => r.score));
  return rows.map(toGuided);
}

/**
 * The guided argmax (the token EG-CFG appends), plus whether it differs from the unconditional argmax.
 * Both top-k lists must be non-empty (when the signal is empty, guidance is skipped and this is not called).
 */
export function cfgArgmax(uncond: TopK, cond: TopK, gamma: number, eps: number = CFG_EPSILON, options: CfgOptions = {}): CfgChoice {
  if (uncond.length === 0) throw new RangeError('cfgArgmax: the unconditional top-k is empty');
  if (cond.length === 0) throw new RangeError('cfgArgmax: the conditional top-k is empty');
  const rows = buildRows(uncond, cond, gamma, eps, options.variant ?? 'literal');
  const best = (key: (r: Row) => number): Row => rows.reduce((a, b) => (compareRows(a, b, key) <= 0 ? a : b));
  const chosen = best((r) => r.score);
  const uncondBest = best((r) => r.lpU);
  const condBest = best((r) => r.lpC);
  return {
    ...toGuided(chosen),
    changed: chosen.tokenId !== uncondBest.tokenId,
    uncondTokenId: uncondBest.tokenId,
    condTokenId: condBest.tokenId,
  };
}

/** Greedy choice on one side only (used when guidance is off or the signal is empty). Same tie rule: lower id wins. */
export function greedyArgmax(topk: TopK): { tokenId: number; logprob: number; text?: string } {
  const m = checkTopK('topk', topk);
  let best: { tokenId: number; logprob: number; text?: string } | null = null;
  for (const [tokenId, e] of m) {
    if (best === null || e.logprob > best.logprob || (e.logprob === best.logprob && tokenId < best.tokenId)) {
      best = { tokenId, logprob: e.logprob };
      if (e.text !== undefined) best.text = e.text;
    }
  }
  if (best === null) throw new RangeError('greedyArgmax: the top-k is empty');
  return best;
}

/**
 * Converts an OpenAI-style `top_logprobs` map whose keys are `token_id:<n>` (vLLM `return_tokens_as_token_ids`)
 * into a TopK. Throws on any other key shape, because text keys can collide and CFG needs token ids.
 */
export function topKFromTokenIdMap(map: Record<string, number>): TopK {
  const out: TopK = [];
  for (const [key, logprob] of Object.entries(map)) {
    const m = /^token_id:(\d+)$/.exec(key);
    if (!m) throw new RangeError(`topKFromTokenIdMap: key ${JSON.stringify(key)} is not of the form token_id:<n>`);
    out.push({ tokenId: Number(m[1]), logprob });
  }
  return out;
}
