import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng } from '../../core/btp/prng.ts';
import { SumTree } from '../../core/btp/sumtree.ts';

describe('SumTree', { timeout: 60_000 }, () => {
  it('totals, prefix sums and finds by prefix sum', () => {
    const t = SumTree.from([1, 2, 0, 3, 4]);
    assert.equal(t.total(), 10);
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => t.prefixSum(i)), [0, 1, 3, 3, 6, 10]);
    // leaf i owns [prefix(i), prefix(i+1))
    assert.equal(t.find(0), 0);
    assert.equal(t.find(0.999), 0);
    assert.equal(t.find(1), 1);
    assert.equal(t.find(2.999), 1);
    assert.equal(t.find(3), 3); // leaf 2 has weight 0 and is skipped
    assert.equal(t.find(6), 4);
    assert.equal(t.find(9.9999), 4);
  });
  it('never returns a zero-weight leaf, even at u = total or across rounding', () => {
    const t = SumTree.from([0, 0.1, 0, 0.2, 0, 0, 0.3, 0]);
    assert.equal(t.find(t.total()), 6);
    const rng = createRng(7);
    for (let k = 0; k < 20000; k++) {
      const i = t.find(rng.nextFloat() * t.total());
      assert.ok(t.get(i) > 0, `leaf ${i}`);
    }
    const z = new SumTree(5);
    assert.throws(() => z.find(0), /total weight is 0/);
  });
  it('matches a naive array under random updates, and its sums do not drift', () => {
    const n = 1000;
    const rng = createRng('sumtree');
    const naive = new Float64Array(n);
    const t = new SumTree(n);
    for (let step = 0; step < 50000; step++) {
      const i = rng.nextInt(n);
      const w = rng.nextFloat() < 0.1 ? 0 : rng.nextFloat() * 10;
      naive[i] = w;
      t.update(i, w);
    }
    let s = 0;
    for (let i = 0; i < n; i++) {
      assert.ok(Math.abs(t.prefixSum(i) - s) < 1e-9 * (1 + s), `prefix ${i}`);
      s += naive[i]!;
    }
    assert.ok(Math.abs(t.total() - s) < 1e-9 * s);
    // Parents are recomputed, not incremented: the tree equals one built afresh from its leaves, bit for bit.
    assert.equal(t.total(), SumTree.from(t.leaves()).total());
    for (let k = 0; k < 2000; k++) {
      const u = rng.nextFloat() * t.total();
      const i = t.find(u);
      assert.ok(t.prefixSum(i) <= u + 1e-9 && u < t.prefixSum(i + 1) + 1e-9, `u=${u} i=${i}`);
    }
  });
  it('works for capacities that are not powers of two, including 1', () => {
    for (const n of [1, 2, 3, 5, 17, 1000]) {
      const t = new SumTree(n);
      t.update(n - 1, 2);
      assert.equal(t.total(), 2);
      assert.equal(t.find(1.5), n - 1);
    }
  });
  it('rejects bad indices and weights, naming them', () => {
    const t = new SumTree(4);
    assert.throws(() => t.update(4, 1), /leaf index must be an integer in \[0, 3\], got 4/);
    assert.throws(() => t.update(0, -1), /weight of leaf 0 must be a finite number ≥ 0, got -1/);
    assert.throws(() => t.update(1, Number.NaN), /weight of leaf 1/);
    assert.throws(() => t.update(1, Infinity), /weight of leaf 1/);
    assert.throws(() => new SumTree(0), /capacity must be an integer ≥ 1/);
    assert.throws(() => SumTree.from([1, -2]), /weight of leaf 1/);
    assert.throws(() => SumTree.from([1]).find(-1), /u must be in/);
    assert.throws(() => SumTree.from([1]).find(1.5), /u must be in/);
  });
});
