// Prioritized experience replay samplers (pure, deterministic given an Rng).
//
// Power sampling:  P(i) = (p_i + ε)^α / Σ_k (p_k + ε)^α
//                  ε (default 0) keeps entries of priority 0 drawable; with ε = 0 an entry of priority 0 is
//                  never drawn when α > 0.
// Rank sampling:   P(i) = rank(i)^(−α) / Σ_k rank(k)^(−α), rank 1 = highest priority (so p_i ∝ 1/rank(i) at α = 1).
//                  Ties ('ties' option):
//                    'average' (default): tied entries share the mean of the ranks they span (fractional
//                                          ranking: priorities [5, 3, 3, 1] → ranks [1, 2.5, 2.5, 4]); equal
//                                          priorities get exactly equal probabilities, whatever their order.
//                    'stable':             ordinal ranks, ties broken by index (the earlier entry ranks higher):
//                                          [5, 3, 3, 1] → [1, 2, 3, 4].
// α = 0 gives the uniform distribution under both schemes (0^0 = 1: priority-0 entries are drawn too).
//
// Draws: one uniform u ∈ [0, total) per draw and an O(log n) descent of a SumTree. Without replacement a drawn
// leaf is zeroed for the rest of that call and restored afterwards (O(k log n) for k draws), so successive draws
// follow the renormalised distribution over what is left. Building costs O(n) (power) or O(n log n) (rank: a sort).
import { z } from 'zod';
import type { Rng } from './prng.ts';
import { SumTree } from './sumtree.ts';

export const SamplingSchemeSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('power'),
    alpha: z.number().min(0).finite(),
    epsilon: z.number().min(0).finite().default(0),
  }),
  z.object({
    kind: z.literal('rank'),
    alpha: z.number().min(0).finite(),
    ties: z.enum(['average', 'stable']).default('average'),
  }),
]);
export type SamplingScheme = z.infer<typeof SamplingSchemeSchema>;
export type SamplingSchemeInput = z.input<typeof SamplingSchemeSchema>;

function parseScheme(scheme: SamplingSchemeInput): SamplingScheme {
  const r = SamplingSchemeSchema.safeParse(scheme);
  if (!r.success) {
    throw new RangeError(`invalid sampling scheme ${JSON.stringify(scheme)}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return r.data;
}

function checkPriorities(priorities: ArrayLike<number>): void {
  for (let i = 0; i < priorities.length; i++) {
    const p = priorities[i]!;
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0) {
      throw new RangeError(`priority ${i} must be a finite number ≥ 0, got ${String(p)}`);
    }
  }
}

/**
 * Ranks (1 = highest priority) under a tie rule; O(n log n). The sort is made deterministic by breaking
 * ties on the index, so the result never depends on the engine's sort.
 */
export function ranks(priorities: ArrayLike<number>, ties: 'average' | 'stable' = 'average'): Float64Array {
  checkPriorities(priorities);
  const n = priorities.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => priorities[b]! - priorities[a]! || a - b);
  const r = new Float64Array(n);
  if (ties === 'stable') {
    for (let pos = 0; pos < n; pos++) r[order[pos]!] = pos + 1;
    return r;
  }
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && priorities[order[end]!] === priorities[order[start]!]) end++;
    const avg = (start + 1 + end) / 2; // mean of the ordinal ranks start+1 … end
    for (let pos = start; pos < end; pos++) r[order[pos]!] = avg;
    start = end;
  }
  return r;
}

/** Unnormalised sampling weights of each entry under a scheme. */
export function samplingWeights(priorities: ArrayLike<number>, schemeInput: SamplingSchemeInput): Float64Array {
  const scheme = parseScheme(schemeInput);
  checkPriorities(priorities);
  const n = priorities.length;
  const w = new Float64Array(n);
  if (scheme.kind === 'power') {
    for (let i = 0; i < n; i++) w[i] = scheme.alpha === 0 ? 1 : Math.pow(priorities[i]! + scheme.epsilon, scheme.alpha);
  } else {
    const r = ranks(priorities, scheme.ties);
    for (let i = 0; i < n; i++) w[i] = scheme.alpha === 0 ? 1 : Math.pow(r[i]!, -scheme.alpha);
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(w[i]!)) {
      throw new RangeError(`sampling weight of entry ${i} overflowed (priority ${priorities[i]}, alpha ${scheme.alpha})`);
    }
  }
  return w;
}

/** Exact sampling probabilities P(i) (sum 1); throws if every weight is 0. */
export function samplingProbabilities(priorities: ArrayLike<number>, scheme: SamplingSchemeInput): Float64Array {
  const w = samplingWeights(priorities, scheme);
  let total = 0;
  for (let i = 0; i < w.length; i++) total += w[i]!;
  if (!(total > 0)) throw new RangeError('sampling probabilities undefined: every sampling weight is 0');
  for (let i = 0; i < w.length; i++) w[i] = w[i]! / total;
  return w;
}

export interface DrawOptions {
  /** Draw with replacement (default true). Without: k distinct indices, k ≤ number of positive-weight entries. */
  replacement?: boolean;
}

/** A sampler over a fixed set of priorities. */
export class PrioritizedSampler {
  readonly scheme: SamplingScheme;
  private readonly tree: SumTree;
  private readonly priorities: Float64Array;
  private positive: number;

  private constructor(scheme: SamplingScheme, priorities: Float64Array, tree: SumTree) {
    this.scheme = scheme;
    this.priorities = priorities;
    this.tree = tree;
    let positive = 0;
    for (let i = 0; i < priorities.length; i++) if (tree.get(i) > 0) positive++;
    this.positive = priorities.length === 0 ? 0 : positive;
  }

  static build(priorities: ArrayLike<number>, scheme: SamplingSchemeInput): PrioritizedSampler {
    const parsed = parseScheme(scheme);
    const w = samplingWeights(priorities, parsed);
    return new PrioritizedSampler(parsed, Float64Array.from(priorities), SumTree.from(w));
  }

  /** Number of entries. */
  get size(): number {
    return this.priorities.length;
  }

  /** Number of entries that can be drawn (positive weight). */
  get drawable(): number {
    return this.positive;
  }

  /** Exact probability of drawing entry i on one draw. */
  probability(i: number): number {
    const total = this.tree.total();
    return total > 0 ? this.tree.get(i) / total : 0;
  }

  /** One draw: O(log n). */
  draw(rng: Rng): number {
    if (this.positive === 0) throw new RangeError('PrioritizedSampler.draw: no entry has a positive sampling weight');
    return this.tree.find(rng.nextFloat() * this.tree.total());
  }

  /** k draws: O(k log n). */
  sample(rng: Rng, k: number, options: DrawOptions = {}): number[] {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`PrioritizedSampler.sample: k must be an integer ≥ 0, got ${k}`);
    const replacement = options.replacement ?? true;
    if (k === 0) return [];
    if (this.positive === 0) throw new RangeError('PrioritizedSampler.sample: no entry has a positive sampling weight');
    const out: number[] = new Array<number>(k);
    if (replacement) {
      for (let j = 0; j < k; j++) out[j] = this.tree.find(rng.nextFloat() * this.tree.total());
      return out;
    }
    if (k > this.positive) {
      throw new RangeError(`PrioritizedSampler.sample: cannot draw ${k} distinct entries without replacement, only ${this.positive} of ${this.size} have a positive weight`);
    }
    const saved: number[] = new Array<number>(k);
    try {
      for (let j = 0; j < k; j++) {
        const i = this.tree.find(rng.nextFloat() * this.tree.total());
        out[j] = i;
        saved[j] = this.tree.get(i);
        this.tree.update(i, 0);
      }
    } finally {
      for (let j = 0; j < k; j++) if (saved[j] !== undefined) this.tree.update(out[j]!, saved[j]!);
    }
    return out;
  }

  /**
   * Changes the priority of entry i. Power scheme: O(log n). Rank scheme: one priority moves every rank, so
   * the weights are rebuilt in O(n log n).
   */
  updatePriority(i: number, priority: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.priorities.length) {
      throw new RangeError(`PrioritizedSampler.updatePriority: index must be an integer in [0, ${this.priorities.length - 1}], got ${i}`);
    }
    if (typeof priority !== 'number' || !Number.isFinite(priority) || priority < 0) {
      throw new RangeError(`PrioritizedSampler.updatePriority: priority of entry ${i} must be a finite number ≥ 0, got ${String(priority)}`);
    }
    this.priorities[i] = priority;
    if (this.scheme.kind === 'power') {
      const before = this.tree.get(i) > 0;
      const w = this.scheme.alpha === 0 ? 1 : Math.pow(priority + this.scheme.epsilon, this.scheme.alpha);
      if (!Number.isFinite(w)) throw new RangeError(`sampling weight of entry ${i} overflowed (priority ${priority}, alpha ${this.scheme.alpha})`);
      this.tree.update(i, w);
      const after = w > 0;
      if (before !== after) this.positive += after ? 1 : -1;
      return;
    }
    const w = samplingWeights(this.priorities, this.scheme);
    let positive = 0;
    for (let j = 0; j < w.length; j++) {
      this.tree.update(j, w[j]!);
      if (w[j]! > 0) positive++;
    }
    this.positive = positive;
  }
}
