import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOGPROB_TOLERANCE, P2ValueConfigSchema, p2value, passRate, possibility, scoreCandidate } from '../../core/btp/p2value.ts';

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps, `${a} ≉ ${b}`);

describe('possibility', { timeout: 60_000 }, () => {
  it("'mean' is exp(mean logprob), the geometric mean of token probabilities", () => {
    const probs = [0.9, 0.5, 0.8, 0.99];
    const lps = probs.map(Math.log);
    close(possibility(lps), Math.pow(probs.reduce((a, b) => a * b, 1), 1 / probs.length));
    close(possibility(lps, 'mean'), Math.exp(lps.reduce((a, b) => a + b, 0) / lps.length));
  });
  it("'sum' is the sequence probability (not length-normalised)", () => {
    const lps = [Math.log(0.5), Math.log(0.5), Math.log(0.5)];
    close(possibility(lps, 'sum'), 0.125);
    close(possibility(lps, 'mean'), 0.5);
    // Doubling the length halves nothing for 'mean' but squares 'sum'.
    close(possibility([...lps, ...lps], 'mean'), 0.5);
    close(possibility([...lps, ...lps], 'sum'), 0.125 ** 2);
  });
  it('is in [0, 1]: all-zero logprobs give 1, a -Infinity token gives 0', () => {
    assert.equal(possibility([0, 0, 0]), 1);
    assert.equal(possibility([-0.1, -Infinity, -0.2]), 0);
    assert.equal(possibility([-1e6]), 0);
  });
  it('reads tiny positive logprobs (softmax noise) as 0 but rejects real ones, naming the index', () => {
    assert.equal(possibility([LOGPROB_TOLERANCE / 2]), 1);
    assert.throws(() => possibility([-0.1, 0.5]), /tokenLogprobs\[1\] = 0\.5 is a log-probability above 0/);
    assert.throws(() => possibility([-0.1, -0.2, Number.NaN]), /tokenLogprobs\[2\] is not a number/);
    assert.throws(() => possibility([Infinity]), /tokenLogprobs\[0\] = Infinity/);
  });
  it('rejects an empty list and an unknown mode', () => {
    assert.throws(() => possibility([]), /tokenLogprobs is empty/);
    assert.throws(() => possibility([-1], 'max' as never), /mode must be 'mean' or 'sum'/);
  });
});

describe('p2value', { timeout: 60_000 }, () => {
  it('is α·possibility + (1−α)·passRate', () => {
    close(p2value(0.8, 0.5, 0.3), 0.3 * 0.8 + 0.7 * 0.5);
    assert.equal(p2value(0.8, 0.5, 1), 0.8);
    assert.equal(p2value(0.8, 0.5, 0), 0.5);
    for (let k = 0; k <= 10; k++) {
      const a = k / 10;
      const v = p2value(0.37, 0.91, a);
      assert.ok(v >= 0.37 - 1e-15 && v <= 0.91 + 1e-15);
    }
  });
  it('validates every argument, naming it', () => {
    assert.throws(() => p2value(1.2, 0.5, 0.5), /possibility must be in \[0, 1\], got 1.2/);
    assert.throws(() => p2value(0.5, -0.1, 0.5), /passRate must be in \[0, 1\], got -0.1/);
    assert.throws(() => p2value(0.5, 0.5, 2), /alpha must be in \[0, 1\], got 2/);
    assert.throws(() => p2value(Number.NaN, 0.5, 0.5), /possibility must be a number/);
  });
  it('passRate and scoreCandidate combine counts and logprobs', () => {
    assert.equal(passRate(2, 3), 2 / 3);
    assert.throws(() => passRate(4, 3), /passed must be an integer in \[0, 3\], got 4/);
    assert.throws(() => passRate(0, 0), /total must be an integer ≥ 1/);
    const s = scoreCandidate([Math.log(0.5), Math.log(0.5)], 1, 2, { alpha: 0.5 });
    close(s.possibility, 0.5);
    assert.equal(s.passRate, 0.5);
    close(s.p2value, 0.5);
    assert.throws(() => scoreCandidate([-1], 1, 1, { alpha: 1.5 }), /alpha/);
    assert.equal(P2ValueConfigSchema.parse({ alpha: 0.2 }).possibility, 'mean');
  });
});
