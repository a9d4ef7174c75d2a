import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cfgArgmax, cfgMerge, greedyArgmax, topKFromTokenIdMap, type TopK } from '../../core/egcfg/cfg.ts';
import { CFG_EPSILON } from '../../core/egcfg/constants.ts';

const L = Math.log;
const EPS = CFG_EPSILON;
const tk = (pairs: Array<[number, number, string?]>): TopK =>
  pairs.map(([tokenId, p, text]) => (text === undefined ? { tokenId, logprob: L(p) } : { tokenId, logprob: L(p), text }));

/** Reference: the formula computed directly in probability space on a dense "vocabulary" (ids 0..99). */
function reference(u: TopK, c: TopK, gamma: number, variant: 'smoothed' | 'literal'): Map<number, number> {
  const pu = new Map(u.map((e) => [e.tokenId, Math.exp(e.logprob)]));
  const pc = new Map(c.map((e) => [e.tokenId, Math.exp(e.logprob)]));
  const out = new Map<number, number>();
  for (let id = 0; id < 100; id++) {
    const P = pu.get(id) ?? 0;
    const Pc = pc.get(id) ?? 0;
    const base = variant === 'smoothed' ? P + EPS : P;
    out.set(id, base * Math.pow((Pc + EPS) / (P + EPS), gamma));
  }
  return out;
}

function refArgmax(m: Map<number, number>): number {
  let best = -1;
  let bestV = -Infinity;
  for (const [id, v] of m) if (v > bestV) { best = id; bestV = v; }
  return best;
}

// A has the highest unconditional probability, B gains under the signal.
const U1 = tk([[10, 0.6, 'A'], [20, 0.3, 'B'], [30, 0.05, 'C']]);
const C1 = tk([[10, 0.5, 'A'], [20, 0.45, 'B'], [30, 0.03, 'C']]);

describe('cfgMerge: formula', { timeout: 60_000 }, () => {
  it('ε defaults to CFG_EPSILON = 1e-8 (§4)', () => {
    assert.equal(CFG_EPSILON, 1e-8);
    const u = tk([[1, 0.6], [2, 0.4]]), c = tk([[2, 0.7], [3, 0.3]]);
    assert.deepEqual(cfgMerge(u, c, 3), cfgMerge(u, c, 3, CFG_EPSILON));
    assert.notDeepEqual(cfgMerge(u, c, 3, 1e-3), cfgMerge(u, c, 3), 'ε changes the scores, so the default is the one in use');
  });
  it('γ=0 gives the unconditional argmax and reports no change', () => {
    const r = cfgArgmax(U1, C1, 0);
    assert.equal(r.tokenId, 10);
    assert.equal(r.changed, false);
    assert.equal(r.uncondTokenId, 10);
  });

  it('γ=1 gives the conditional argmax', () => {
    const u = tk([[1, 0.7], [2, 0.2]]);
    const c = tk([[1, 0.3], [2, 0.6]]);
    const r = cfgArgmax(u, c, 1);
    assert.equal(r.tokenId, 2);
    assert.equal(r.condTokenId, 2);
    assert.equal(r.changed, true);
    // γ=1 score: smoothed is exactly log(Pc + ε); literal is log(Pc + ε) + log(P/(P + ε)) ≈ log Pc
    for (const g of cfgMerge(u, c, 1, EPS, { variant: 'smoothed' })) assert.ok(Math.abs(g.score - Math.log(g.pCond + EPS)) < 1e-12);
    for (const g of cfgMerge(u, c, 1)) assert.ok(Math.abs(g.score - Math.log(g.pCond)) < 1e-6);
  });

  it('γ=3 extrapolates away from the unconditional distribution', () => {
    // γ=1: A (0.5 > 0.45); γ=3: A → 0.6·(0.5/0.6)^3 ≈ 0.347, B → 0.3·(0.45/0.3)^3 ≈ 1.01, so B.
    assert.equal(cfgArgmax(U1, C1, 1).tokenId, 10);
    assert.equal(cfgArgmax(U1, C1, 0.5).tokenId, 10);
    const r = cfgArgmax(U1, C1, 3);
    assert.equal(r.tokenId, 20);
    assert.equal(r.text, 'B');
    assert.equal(r.changed, true);
    assert.equal(r.uncondTokenId, 10);
  });

  it('scores equal log of the dense reference formula (up to a common constant)', () => {
    const cases: Array<[TopK, TopK]> = [
      [U1, C1],
      [tk([[1, 0.4], [2, 0.3], [3, 0.2], [4, 0.05], [5, 0.01]]), tk([[2, 0.5], [6, 0.2], [1, 0.1], [7, 0.1], [3, 0.05]])],
      [tk([[1, 0.99]]), tk([[2, 0.99]])],
    ];
    for (const variant of ['smoothed', 'literal'] as const) {
      for (const [u, c] of cases) {
        for (const gamma of [0, 0.5, 1, 1.7, 3]) {
          const ref = reference(u, c, gamma, variant);
          const merged = cfgMerge(u, c, gamma, EPS, { variant });
          for (const g of merged) {
            const want = Math.log(ref.get(g.tokenId)!);
            if (want === -Infinity) assert.equal(g.score, -Infinity, `${variant} γ=${gamma} id=${g.tokenId}`);
            else assert.ok(Math.abs(g.score - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${variant} γ=${gamma} id=${g.tokenId}: ${g.score} vs ${want}`);
          }
          // argmax agrees with the dense reference over the whole vocabulary
          assert.equal(cfgArgmax(u, c, gamma, EPS, { variant }).tokenId, refArgmax(ref), `${variant} γ=${gamma}`);
        }
      }
    }
  });

  it('works on the union of the two top-k sets, with probability 0 outside each side', () => {
    const u = tk([[1, 0.5], [2, 0.3]]);
    const c = tk([[2, 0.6], [3, 0.2]]);
    const m = cfgMerge(u, c, 0.5);
    assert.deepEqual(m.map((g) => g.tokenId).sort(), [1, 2, 3]);
    const byId = new Map(m.map((g) => [g.tokenId, g]));
    assert.equal(byId.get(1)!.pCond, 0);
    assert.equal(byId.get(3)!.pUncond, 0);
    assert.ok(Math.abs(byId.get(2)!.pUncond - 0.3) < 1e-12);
    assert.ok(Math.abs(byId.get(2)!.pCond - 0.6) < 1e-12);
  });

  it('returns tokens best first', () => {
    const m = cfgMerge(U1, C1, 3);
    for (let i = 1; i < m.length; i++) assert.ok(m[i - 1]!.score >= m[i]!.score);
    assert.deepEqual(m.map((g) => g.tokenId), [20, 10, 30]);
  });

  it('keeps the token text, preferring the unconditional side', () => {
    const m = cfgMerge([{ tokenId: 1, logprob: L(0.5), text: 'u' }], [{ tokenId: 1, logprob: L(0.5), text: 'c' }, { tokenId: 2, logprob: L(0.1), text: 'z' }], 1);
    const byId = new Map(m.map((g) => [g.tokenId, g]));
    assert.equal(byId.get(1)!.text, 'u');
    assert.equal(byId.get(2)!.text, 'z');
    const noText = cfgMerge(tk([[1, 0.5]]), tk([[1, 0.5]]), 1);
    assert.equal('text' in noText[0]!, false);
  });
});

describe('cfgMerge: tokens missing from one side (§4)', { timeout: 60_000 }, () => {
  const SM = { variant: 'smoothed' as const };
  it('smoothed: a token only in the conditional top-k is strongly boosted for γ>1', () => {
    const u = tk([[1, 0.9], [2, 0.05]]);
    const c = tk([[1, 0.9], [3, 0.001]]); // token 3: tiny conditional probability, absent unconditionally
    const r = cfgArgmax(u, c, 3, EPS, SM);
    assert.equal(r.tokenId, 3);
    assert.equal(r.pUncond, 0);
    const s3 = cfgMerge(u, c, 3, EPS, SM).find((g) => g.tokenId === 3)!;
    // ε·((pc+ε)/ε)^γ
    assert.ok(Math.abs(s3.score - (Math.log(EPS) + 3 * Math.log((0.001 + EPS) / EPS))) < 1e-9);
  });

  it('smoothed: γ=1 picks the conditional argmax even when it is outside the unconditional top-k', () => {
    const u = tk([[1, 0.6], [2, 0.3]]);
    const c = tk([[3, 0.7], [1, 0.2]]);
    const r = cfgArgmax(u, c, 1, EPS, SM);
    assert.equal(r.tokenId, 3);
    assert.equal(r.changed, true);
  });

  it('smoothed: for 0<γ<1 a token only in the unconditional top-k keeps weight ≈ p·(ε/p)^γ', () => {
    const u = tk([[1, 0.8], [2, 0.1]]);
    const c = tk([[2, 0.9]]);
    const want = Math.log(0.8 * Math.pow(EPS / 0.8, 0.5));
    for (const opts of [SM, {}]) {
      const s1 = cfgMerge(u, c, 0.5, EPS, opts).find((g) => g.tokenId === 1)!;
      assert.ok(Math.abs(s1.score - want) < 1e-6);
      // and it loses to the shared token
      assert.equal(cfgArgmax(u, c, 0.5, EPS, opts).tokenId, 2);
    }
  });

  it('smoothed: γ=0 never picks a conditional-only token', () => {
    const u = tk([[1, 0.001]]);
    const c = tk([[2, 0.999]]);
    assert.equal(cfgArgmax(u, c, 0, EPS, SM).tokenId, 1);
    assert.equal(cfgArgmax(u, c, 0).tokenId, 1);
  });

  it('literal (default): a token only in the conditional top-k has weight 0 (score −∞) for every γ', () => {
    const u = tk([[1, 0.9], [2, 0.05]]);
    const c = tk([[1, 0.9], [3, 0.5]]);
    for (const gamma of [0, 0.5, 1, 3]) {
      const s3 = cfgMerge(u, c, gamma).find((g) => g.tokenId === 3)!;
      assert.equal(s3.score, -Infinity);
      assert.equal(s3.pCond, 0.5);
      assert.notEqual(cfgArgmax(u, c, gamma).tokenId, 3);
      assert.deepEqual(cfgArgmax(u, c, gamma, EPS, { variant: 'literal' }), cfgArgmax(u, c, gamma));
    }
  });

  it('literal: γ=1 is the conditional argmax among tokens of the unconditional top-k', () => {
    const u = tk([[1, 0.6], [2, 0.3]]);
    const c = tk([[3, 0.7], [2, 0.2], [1, 0.05]]);
    assert.equal(cfgArgmax(u, c, 1).tokenId, 2);
    assert.equal(cfgArgmax(u, c, 1).condTokenId, 3);
  });

  it('the two variants agree whenever every union token is in the unconditional top-k', () => {
    const u = tk([[1, 0.4], [2, 0.3], [3, 0.2]]);
    const c = tk([[3, 0.5], [2, 0.3]]);
    for (const gamma of [0, 0.5, 1, 3]) {
      assert.equal(cfgArgmax(u, c, gamma, EPS, SM).tokenId, cfgArgmax(u, c, gamma).tokenId);
    }
  });

  it('the default variant is literal', () => {
    const u = tk([[1, 0.9]]);
    const c = tk([[2, 0.9]]);
    assert.deepEqual(cfgMerge(u, c, 3), cfgMerge(u, c, 3, EPS, { variant: 'literal' }));
    assert.notDeepEqual(cfgMerge(u, c, 3), cfgMerge(u, c, 3, EPS, { variant: 'smoothed' }));
  });

  it('literal, γ>1, disjoint top-k sets: the formula favours the least likely unconditional token (documented quirk)', () => {
    // every union token is one-sided: weight P·(ε/(P+ε))^γ ≈ P^(1−γ)·ε^γ, decreasing in P for γ>1
    const u = tk([[1, 0.7], [2, 0.2]]);
    const c = tk([[3, 0.9]]);
    assert.equal(cfgArgmax(u, c, 3).tokenId, 2);
    assert.equal(cfgArgmax(u, c, 0.5).tokenId, 1);
  });

  it('honours a custom ε', () => {
    const u = tk([[1, 0.9]]);
    const c = tk([[1, 0.9], [2, 0.1]]);
    const big = cfgMerge(u, c, 3, 1e-2, SM).find((g) => g.tokenId === 2)!;
    assert.ok(Math.abs(big.score - (Math.log(1e-2) + 3 * Math.log((0.1 + 1e-2) / 1e-2))) < 1e-9);
  });
});

describe('cfgMerge: deterministic ties', { timeout: 60_000 }, () => {
  it('equal scores: lower token id wins when both sides are equal too, independent of input order', () => {
    const u = tk([[7, 0.5], [3, 0.5]]);
    const c = tk([[7, 0.5], [3, 0.5]]);
    for (const variant of ['literal', 'smoothed'] as const) {
      for (const gamma of [0, 0.5, 1, 3]) {
        assert.equal(cfgArgmax(u, c, gamma, EPS, { variant }).tokenId, 3);
        assert.equal(cfgArgmax([...u].reverse(), [...c].reverse(), gamma, EPS, { variant }).tokenId, 3);
        assert.equal(cfgArgmax(u, c, gamma, EPS, { variant }).changed, false);
      }
    }
  });

  it('equal scores: higher unconditional logprob wins before token id', () => {
    // smoothed γ=1: score = log(Pc+ε), equal for both; token 9 has the higher unconditional probability.
    const u = tk([[2, 0.2], [9, 0.6]]);
    const c = tk([[2, 0.4], [9, 0.4]]);
    const r = cfgArgmax(u, c, 1, EPS, { variant: 'smoothed' });
    assert.equal(r.tokenId, 9);
    assert.equal(r.changed, false);
  });

  it('equal scores and equal unconditional logprob: higher conditional logprob wins', () => {
    // γ=0: score = log(P+ε), equal; token 8 has the higher conditional probability.
    const u = tk([[4, 0.4], [8, 0.4]]);
    const c = tk([[4, 0.1], [8, 0.3]]);
    const r = cfgArgmax(u, c, 0);
    const rs = cfgArgmax(u, c, 0, EPS, { variant: 'smoothed' });
    assert.deepEqual([rs.tokenId, rs.changed, rs.uncondTokenId], [r.tokenId, r.changed, r.uncondTokenId]);
    assert.equal(r.tokenId, 8);
    assert.equal(r.uncondTokenId, 8, 'the unconditional argmax uses the same tie chain, so γ=0 reports no change');
    assert.equal(r.changed, false);
  });

  it('the merged order is invariant under permutations of the inputs', () => {
    const u = tk([[1, 0.3], [2, 0.3], [3, 0.2], [4, 0.1], [5, 0.1]]);
    const c = tk([[5, 0.3], [2, 0.3], [6, 0.2], [1, 0.1], [7, 0.1]]);
    for (const variant of ['literal', 'smoothed'] as const) {
      const want = cfgMerge(u, c, 3, EPS, { variant });
      const perms = [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 0, 4, 1, 3]];
      for (const p of perms) {
        const got = cfgMerge(p.map((i) => u[i]!), p.map((i) => c[i]!), 3, EPS, { variant });
        assert.deepEqual(got, want);
      }
    }
  });
});

describe('cfgMerge: input validation', { timeout: 60_000 }, () => {
  it('rejects duplicate token ids on one side', () => {
    assert.throws(() => cfgMerge(tk([[1, 0.5], [1, 0.2]]), tk([[1, 0.5]]), 1), /uncond top-k lists token 1 twice/);
  });
  it('rejects non-log-probabilities', () => {
    assert.throws(() => cfgMerge([{ tokenId: 1, logprob: 0.5 }], tk([[1, 0.5]]), 1), /uncond\[0\]\.logprob must be a log-probability/);
    assert.throws(() => cfgMerge(tk([[1, 0.5]]), [{ tokenId: 1, logprob: Number.NaN }], 1), /cond\[0\]\.logprob/);
  });
  it('clamps rounding noise just above 0', () => {
    const m = cfgMerge([{ tokenId: 1, logprob: 1e-9 }], [{ tokenId: 1, logprob: 0 }], 1);
    assert.equal(m[0]!.pUncond, 1);
  });
  it('accepts −∞ logprobs (probability 0)', () => {
    const r = cfgArgmax([{ tokenId: 1, logprob: -Infinity }, { tokenId: 2, logprob: L(0.1) }], tk([[1, 0.9]]), 0);
    assert.equal(r.tokenId, 2);
  });
  it('rejects bad token ids, γ and ε', () => {
    assert.throws(() => cfgMerge([{ tokenId: -1, logprob: -1 }], [], 1), /tokenId must be an integer >= 0/);
    assert.throws(() => cfgMerge([{ tokenId: 1.5, logprob: -1 }], [], 1), /tokenId must be an integer >= 0/);
    assert.throws(() => cfgMerge(U1, C1, Number.NaN), /gamma must be a finite number/);
    assert.throws(() => cfgMerge(U1, C1, Infinity), /gamma must be a finite number/);
    assert.throws(() => cfgMerge(U1, C1, 1, 0), /eps must be a finite number > 0/);
    assert.throws(() => cfgMerge(U1, C1, 1, EPS, { variant: 'other' as never }), /unknown variant/);
  });
  it('cfgArgmax rejects an empty side', () => {
    assert.throws(() => cfgArgmax([], C1, 1), /unconditional top-k is empty/);
    assert.throws(() => cfgArgmax(U1, [], 1), /conditional top-k is empty/);
  });
  it('does not modify its inputs', () => {
    const u = tk([[2, 0.3], [1, 0.6]]);
    const c = tk([[1, 0.5], [2, 0.45]]);
    const before = JSON.stringify([u, c]);
    cfgMerge(u, c, 3);
    cfgArgmax(u, c, 3);
    assert.equal(JSON.stringify([u, c]), before);
  });
});

describe('greedyArgmax and topKFromTokenIdMap', { timeout: 60_000 }, () => {
  it('greedyArgmax picks the highest logprob, lower id on ties', () => {
    assert.deepEqual(greedyArgmax(tk([[5, 0.2], [3, 0.7, 'x']])), { tokenId: 3, logprob: L(0.7), text: 'x' });
    assert.equal(greedyArgmax(tk([[5, 0.5], [3, 0.5]])).tokenId, 3);
    assert.throws(() => greedyArgmax([]), /empty/);
  });
  it('topKFromTokenIdMap parses token_id:<n> keys and rejects text keys', () => {
    assert.deepEqual(topKFromTokenIdMap({ 'token_id:12': -0.1, 'token_id:7': -2 }), [
      { tokenId: 12, logprob: -0.1 },
      { tokenId: 7, logprob: -2 },
    ]);
    assert.throws(() => topKFromTokenIdMap({ ' def': -0.1 }), /is not of the form token_id:<n>/);
  });
});

describe('cfgArgmax agrees with the dense reference on many generated cases', { timeout: 60_000 }, () => {
  it('500 deterministic pseudo-random top-5 pairs × 5 γ × 2 variants', () => {
    let state = 12345;
    const rnd = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    const topk = (): TopK => {
      const ids = new Set<number>();
      while (ids.size < 5) ids.add(Math.floor(rnd() * 12)); // small id space → frequent overlap
      const w = [...ids].map(() => rnd() + 1e-3);
      const z = w.reduce((a, b) => a + b, 0) * (1 + rnd()); // top-5 mass < 1, as from a real vocabulary
      return [...ids].map((tokenId, i) => ({ tokenId, logprob: Math.log(w[i]! / z) }));
    };
    for (let n = 0; n < 500; n++) {
      const u = topk();
      const c = topk();
      for (const variant of ['literal', 'smoothed'] as const) {
        for (const gamma of [0, 0.5, 1, 2, 3]) {
          const ref = reference(u, c, gamma, variant);
          const got = cfgArgmax(u, c, gamma, EPS, { variant });
          const best = Math.max(...ref.values());
          assert.ok(Math.abs(ref.get(got.tokenId)! - best) <= 1e-9 * best, `case ${n} ${variant} γ=${gamma}`);
          if (gamma === 0) assert.equal(got.changed, false);
          if (gamma === 1 && variant === 'smoothed') assert.equal(got.tokenId, got.condTokenId);
        }
      }
    }
  });
});
