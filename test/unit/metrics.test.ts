import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meanPassAtK, passAt1, passAtK, round, rsr } from '../../core/metrics.ts';

/** Reference: 1 - C(n-c, k) / C(n, k) with exact BigInt binomials. */
function exactPassAtK(n: number, c: number, k: number): number {
  const binom = (a: number, b: number): bigint => {
    if (b < 0 || b > a) return 0n;
    let r = 1n;
    for (let i = 1; i <= b; i++) r = (r * BigInt(a - b + i)) / BigInt(i);
    return r;
  };
  const num = binom(n - c, k);
  const den = binom(n, k);
  // Scale to keep 15 significant digits.
  return 1 - Number((num * 10n ** 15n) / den) / 1e15;
}

describe('passAtK', { timeout: 60_000 }, () => {
  it('matches the exact combinatorial formula', () => {
    for (const [n, c, k] of [[10, 3, 1], [10, 3, 5], [20, 0, 5], [20, 20, 1], [200, 13, 10], [100, 1, 100], [7, 2, 6]] as const) {
      assert.ok(Math.abs(passAtK(n, c, k) - exactPassAtK(n, c, k)) < 1e-12, `n=${n} c=${c} k=${k}`);
    }
  });

  it('pass@1 is c/n; edge cases give exactly 0 and 1', () => {
    assert.ok(Math.abs(passAtK(10, 3, 1) - 0.3) < 1e-15);
    assert.equal(passAtK(10, 0, 5), 0);
    assert.equal(passAtK(10, 10, 1), 1);
    assert.equal(passAtK(10, 6, 5), 1); // n - c < k: every k-subset contains a pass
    assert.equal(passAtK(1, 1, 1), 1);
  });

  it('stays finite and in [0, 1] for large n (no factorial overflow)', () => {
    const v = passAtK(100000, 3, 1000);
    assert.ok(Number.isFinite(v) && v > 0 && v < 1);
    assert.ok(Math.abs(v - (1 - ((100000 - 1000) / 100000) * ((99999 - 1000) / 99999) * ((99998 - 1000) / 99998))) < 1e-12);
  });

  it('rejects impossible arguments', () => {
    assert.throws(() => passAtK(5, 6, 1), /c \(6\) must not exceed n \(5\)/);
    assert.throws(() => passAtK(5, 1, 0), /k \(0\) must be between 1 and n \(5\)/);
    assert.throws(() => passAtK(5, 1, 6), /k \(6\) must be between 1 and n \(5\)/);
    assert.throws(() => passAtK(5.5, 1, 1), /n must be a non-negative integer/);
    assert.throws(() => passAtK(5, -1, 1), /c must be a non-negative integer/);
  });

  it('meanPassAtK averages over problems', () => {
    assert.equal(meanPassAtK([], 1), null);
    assert.ok(Math.abs(meanPassAtK([{ n: 4, c: 1 }, { n: 4, c: 4 }], 1)! - (0.25 + 1) / 2) < 1e-15);
  });
});

describe('passAt1', { timeout: 60_000 }, () => {
  it('counts passed problems, as a percentage', () => {
    assert.deepEqual(passAt1([true, false, true, true]), { problems: 4, passed: 3, passAt1: 75 });
    assert.deepEqual(passAt1([{ passed: true }, { passed: false }]), { problems: 2, passed: 1, passAt1: 50 });
    assert.deepEqual(passAt1([]), { problems: 0, passed: 0, passAt1: null });
  });
});

describe('rsr', { timeout: 60_000 }, () => {
  it('reproduces the RSR values of §5 from the formula', () => {
    const cases: Array<[number, number, number]> = [
      [83.2, 49.4, 66.8], // README prints 66.79 (truncated)
      [96.6, 82.8, 80.23],
      [59.8, 42.6, 29.97], // §5 lists 29.96 (truncated); 29.965... rounds to 29.97
      [73.0, 64.8, 23.3],
      [89.02, 79.2, 47.21],
      [60.6, 41.81, 32.29],
      [69.9, 38.9, 50.74], // README 50.73
      [99.4, 82.92, 96.49], // README prints 94.04: the table's RSR used other accuracies
    ];
    for (const [acc, base, want] of cases) assert.equal(round(rsr(acc, base)), want, `${acc} vs ${base}`);
    assert.ok(Math.abs(rsr(83.2, 49.4)! - 66.79841897233202) < 1e-9);
  });

  it('edge cases: baseline 100 → null, no change → 0, perfect → 100, worse → negative', () => {
    assert.equal(rsr(100, 100), null);
    assert.equal(rsr(50, 50), 0);
    assert.equal(rsr(100, 37.5), 100);
    assert.equal(rsr(0, 0), 0);
    assert.equal(rsr(40, 50), -20);
    assert.throws(() => rsr(101, 50), /acc must be a percentage in \[0, 100\], got 101/);
    assert.throws(() => rsr(50, Number.NaN), /baselineAcc must be a percentage/);
  });

  it('round keeps null', () => {
    assert.equal(round(null), null);
    assert.equal(round(1.23456, 3), 1.235);
  });
});
