import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng, rngFromState } from '../../core/btp/prng.ts';
import { PrioritizedSampler, ranks, samplingProbabilities } from '../../core/btp/samplers.ts';
import { chiSquare, chiSquareCritical001 } from './btp-stats.ts';

const PRIORITIES = [0.1, 0.5, 0.9, 0.3, 0.7, 0.05, 1.0, 0.2, 0.6, 0.45];
const DRAWS = 200_000;

function counts(sampler: PrioritizedSampler, seed: number, draws = DRAWS): Float64Array {
  const rng = createRng(seed);
  const c = new Float64Array(sampler.size);
  for (let k = 0; k < draws; k++) c[sampler.draw(rng)]! += 1;
  return c;
}

function assertFits(observed: Float64Array, expected: ArrayLike<number>, draws: number, what: string): void {
  const { stat, df } = chiSquare(observed, expected, draws);
  const crit = chiSquareCritical001(df);
  assert.ok(stat < crit, `${what}: chi-square ${stat.toFixed(2)} ≥ ${crit.toFixed(2)} (df ${df})`);
}

/** The formulas, written out independently of the implementation. */
const powerFormula = (p: number[], alpha: number) => {
  const w = p.map((x) => x ** alpha);
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / s);
};
const rankFormula = (r: number[], alpha: number) => {
  const w = r.map((x) => (1 / x) ** alpha);
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / s);
};

describe('power sampling P(i) = p_i^α / Σ p_k^α', { timeout: 60_000 }, () => {
  for (const alpha of [0.6, 1, 2]) {
    it(`empirical frequencies over ${DRAWS} seeded draws fit the formula (α=${alpha}, chi-square p=0.001)`, () => {
      const expected = powerFormula(PRIORITIES, alpha);
      const s = PrioritizedSampler.build(PRIORITIES, { kind: 'power', alpha });
      const exact = samplingProbabilities(PRIORITIES, { kind: 'power', alpha });
      expected.forEach((e, i) => assert.ok(Math.abs(e - exact[i]!) < 1e-12 && Math.abs(e - s.probability(i)) < 1e-12));
      assertFits(counts(s, 1000 + alpha * 10), expected, DRAWS, `power α=${alpha}`);
    });
  }
  it('an entry of priority 0 is never drawn for α > 0, unless ε > 0', () => {
    const p = [0, 0.5, 0, 1];
    const s = PrioritizedSampler.build(p, { kind: 'power', alpha: 1 });
    const c = counts(s, 3, 20000);
    assert.equal(c[0], 0);
    assert.equal(c[2], 0);
    assert.equal(s.drawable, 2);
    const eps = PrioritizedSampler.build(p, { kind: 'power', alpha: 1, epsilon: 0.25 });
    const expected = [0.25, 0.75, 0.25, 1.25].map((x) => x / 2.5);
    assertFits(counts(eps, 4), expected, DRAWS, 'power with epsilon');
  });
  it('updatePriority changes the distribution in place', () => {
    const p = [...PRIORITIES];
    const s = PrioritizedSampler.build(p, { kind: 'power', alpha: 1 });
    s.updatePriority(0, 5);
    p[0] = 5;
    s.updatePriority(6, 0);
    p[6] = 0;
    const expected = powerFormula(p, 1);
    expected.forEach((e, i) => assert.ok(Math.abs(e - s.probability(i)) < 1e-12));
    assertFits(counts(s, 5), expected, DRAWS, 'power after updates');
    assert.equal(s.drawable, PRIORITIES.length - 1);
  });
});

describe('rank sampling p_i ∝ rank(i)^(−α)', { timeout: 60_000 }, () => {
  it('ranks: average ranks for ties (default), ordinal by index for stable', () => {
    assert.deepEqual([...ranks([5, 3, 3, 1])], [1, 2.5, 2.5, 4]);
    assert.deepEqual([...ranks([5, 3, 3, 1], 'stable')], [1, 2, 3, 4]);
    assert.deepEqual([...ranks([2, 2, 2])], [2, 2, 2]);
    assert.deepEqual([...ranks([1, 2, 2, 3, 3, 3])], [6, 4.5, 4.5, 2, 2, 2]);
    assert.deepEqual([...ranks([1, 2, 2, 3, 3, 3], 'stable')], [6, 4, 5, 1, 2, 3]);
  });
  for (const alpha of [0.7, 1]) {
    it(`empirical frequencies fit the formula (α=${alpha}, no ties)`, () => {
      // ranks of PRIORITIES, by hand: 1.0→1, 0.9→2, 0.7→3, 0.6→4, 0.5→5, 0.45→6, 0.3→7, 0.2→8, 0.1→9, 0.05→10
      const r = [9, 5, 2, 7, 3, 10, 1, 8, 4, 6];
      const expected = rankFormula(r, alpha);
      const s = PrioritizedSampler.build(PRIORITIES, { kind: 'rank', alpha });
      expected.forEach((e, i) => assert.ok(Math.abs(e - s.probability(i)) < 1e-12, `P(${i})`));
      assertFits(counts(s, 2000 + alpha * 10), expected, DRAWS, `rank α=${alpha}`);
    });
  }
  it('tied priorities get exactly equal probabilities whatever their positions (average ranks)', () => {
    const p = [0.9, 0.4, 0.4, 0.4, 0.1, 0.9, 0.0];
    const s = PrioritizedSampler.build(p, { kind: 'rank', alpha: 1 });
    // ranks: 0.9,0.9 → 1.5 each; 0.4 ×3 → 4; 0.1 → 6; 0.0 → 7
    const expected = rankFormula([1.5, 4, 4, 4, 6, 1.5, 7], 1);
    expected.forEach((e, i) => assert.ok(Math.abs(e - s.probability(i)) < 1e-12));
    assert.equal(s.probability(1), s.probability(3));
    assert.equal(s.probability(0), s.probability(5));
    assertFits(counts(s, 9), expected, DRAWS, 'rank with ties');
    // Reordering the entries permutes the probabilities and nothing else.
    const perm = [6, 3, 0, 5, 1, 4, 2];
    const s2 = PrioritizedSampler.build(perm.map((j) => p[j]!), { kind: 'rank', alpha: 1 });
    perm.forEach((j, i) => assert.ok(Math.abs(s2.probability(i) - s.probability(j)) < 1e-15));
  });
  it("'stable' ties rank the earlier entry higher", () => {
    const s = PrioritizedSampler.build([0.4, 0.4, 0.4], { kind: 'rank', alpha: 1, ties: 'stable' });
    const expected = rankFormula([1, 2, 3], 1);
    expected.forEach((e, i) => assert.ok(Math.abs(e - s.probability(i)) < 1e-12));
  });
  it('priority 0 still has a rank, so it is drawable', () => {
    const s = PrioritizedSampler.build([0, 0, 1], { kind: 'rank', alpha: 1 });
    assert.equal(s.drawable, 3);
    assert.ok(s.probability(0) > 0);
  });
  it('updatePriority re-ranks', () => {
    const s = PrioritizedSampler.build([0.1, 0.2, 0.3], { kind: 'rank', alpha: 1 });
    s.updatePriority(0, 0.9);
    const expected = rankFormula([1, 3, 2], 1);
    expected.forEach((e, i) => assert.ok(Math.abs(e - s.probability(i)) < 1e-12));
  });
});

describe('α = 0 is uniform', { timeout: 60_000 }, () => {
  for (const scheme of [{ kind: 'power', alpha: 0 }, { kind: 'rank', alpha: 0 }] as const) {
    it(`${scheme.kind}: exact 1/n, and frequencies fit uniform (zero priorities included)`, () => {
      const p = [...PRIORITIES, 0];
      const s = PrioritizedSampler.build(p, scheme);
      for (let i = 0; i < p.length; i++) assert.equal(s.probability(i), 1 / p.length);
      assertFits(counts(s, 77), new Array<number>(p.length).fill(1 / p.length), DRAWS, `${scheme.kind} α=0`);
    });
  }
});

describe('draws', { timeout: 60_000 }, () => {
  it('are reproducible: same seed → same sequence; another seed → another', () => {
    const s = PrioritizedSampler.build(PRIORITIES, { kind: 'power', alpha: 1 });
    const a = s.sample(createRng(42), 200);
    const b = s.sample(createRng(42), 200);
    const c = s.sample(createRng(43), 200);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.deepEqual(s.sample(createRng('campaign-1/iter-2'), 50), s.sample(createRng('campaign-1/iter-2'), 50));
  });
  it('continue exactly after saving and restoring the RNG state', () => {
    const s = PrioritizedSampler.build(PRIORITIES, { kind: 'rank', alpha: 1 });
    const rng = createRng(5);
    const first = s.sample(rng, 30);
    const saved = rng.getState();
    const rest = s.sample(rng, 30);
    assert.deepEqual(s.sample(rngFromState(saved), 30), rest);
    assert.equal(first.length, 30);
    assert.throws(() => rngFromState([0, 0, 0, 0]), /must not be all zero/);
    assert.throws(() => rngFromState([1, 2, 3]), /four uint32 words/);
  });
  it('without replacement: distinct indices, first draw fits P, inclusion probabilities fit the exact formula', () => {
    const p = [0.1, 0.5, 0.9, 0.3, 0.7];
    const s = PrioritizedSampler.build(p, { kind: 'power', alpha: 1 });
    const P = powerFormula(p, 1);
    // P(i ∈ sample of 2) = P_i + Σ_{j≠i} P_j · P_i / (1 − P_j)
    const incl = P.map((pi, i) => pi + P.reduce((acc, pj, j) => (j === i ? acc : acc + (pj * pi) / (1 - pj)), 0));
    const rng = createRng(11);
    const first = new Float64Array(p.length);
    const inc = new Float64Array(p.length);
    const N = 100_000;
    for (let k = 0; k < N; k++) {
      const [a, b] = s.sample(rng, 2, { replacement: false }) as [number, number];
      assert.notEqual(a, b);
      first[a]! += 1;
      inc[a]! += 1;
      inc[b]! += 1;
    }
    assertFits(first, P, N, 'first draw without replacement');
    // Inclusion counts are not multinomial; compare each with a 5-sigma binomial bound instead.
    incl.forEach((q, i) => {
      const sd = Math.sqrt(N * q * (1 - q));
      assert.ok(Math.abs(inc[i]! - N * q) < 5 * sd, `inclusion of ${i}: ${inc[i]} vs ${N * q}`);
    });
    // The sampler is unchanged by a draw without replacement.
    P.forEach((q, i) => assert.ok(Math.abs(s.probability(i) - q) < 1e-12));
  });
  it('without replacement: k = all drawable gives a permutation; more throws naming the counts', () => {
    const s = PrioritizedSampler.build([0.2, 0, 0.5, 0.1], { kind: 'power', alpha: 1 });
    assert.deepEqual(s.sample(createRng(1), 3, { replacement: false }).sort(), [0, 2, 3]);
    assert.throws(() => s.sample(createRng(1), 4, { replacement: false }), /cannot draw 4 distinct entries without replacement, only 3 of 4 have a positive weight/);
  });
  it('rejects bad schemes and priorities, naming them', () => {
    assert.throws(() => PrioritizedSampler.build([0.1], { kind: 'power', alpha: -1 }), /alpha/);
    assert.throws(() => PrioritizedSampler.build([0.1], { kind: 'softmax', alpha: 1 } as never), /invalid sampling scheme/);
    assert.throws(() => PrioritizedSampler.build([0.1, -0.2], { kind: 'power', alpha: 1 }), /priority 1 must be a finite number ≥ 0, got -0.2/);
    assert.throws(() => PrioritizedSampler.build([0.1, Number.NaN], { kind: 'rank', alpha: 1 }), /priority 1/);
    assert.throws(() => PrioritizedSampler.build([0, 0], { kind: 'power', alpha: 1 }).draw(createRng(1)), /no entry has a positive sampling weight/);
    assert.throws(() => createRng(1.5), /seed must be a safe integer or a string/);
  });
  it('nextInt is in range and nextFloat in [0, 1)', () => {
    const rng = createRng(99);
    for (let k = 0; k < 10000; k++) {
      const f = rng.nextFloat();
      assert.ok(f >= 0 && f < 1);
      const i = rng.nextInt(7);
      assert.ok(Number.isInteger(i) && i >= 0 && i < 7);
    }
    const c = new Float64Array(7);
    for (let k = 0; k < 70000; k++) c[rng.nextInt(7)]! += 1;
    assertFits(c, new Array<number>(7).fill(1 / 7), 70000, 'nextInt uniform');
  });
});
