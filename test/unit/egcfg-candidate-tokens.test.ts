// Issue 11 item 9: candidate sampling paid for 512 tokens per completion although only d + 1 lines are kept;
// `--candidate-tokens horizon` derives max_tokens from the horizon, 'paper' (default) keeps the authors' 512.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { candidateMaxTokens, candidateRequestPlan, cutCandidate } from '../../core/egcfg/candidates.ts';
import { runOptionsSchema } from '../../campaigns/options.ts';

describe('candidate max_tokens', { timeout: 60_000 }, () => {
  it('paper: 512 for every horizon (the authors)', () => {
    for (const d of [0, 2, 8, null]) assert.equal(candidateMaxTokens(d), 512);
    assert.equal(candidateMaxTokens(2, 'paper'), 512);
  });
  it('horizon: (d + 1) × 64, at most 512, 512 when unbounded', () => {
    assert.equal(candidateMaxTokens(2, 'horizon'), 192);
    assert.equal(candidateMaxTokens(3, 'horizon'), 256);
    assert.equal(candidateMaxTokens(8, 'horizon'), 512);
    assert.equal(candidateMaxTokens(null, 'horizon'), 512);
    assert.throws(() => candidateMaxTokens(-1, 'horizon'), /d must be/);
  });
  it('the request plan carries it; the kept candidate is the same d + 1 lines', () => {
    assert.deepEqual(candidateRequestPlan(3, 0.7, 192).map((p) => p.maxTokens), [192, 192]);
    assert.deepEqual(candidateRequestPlan(3, 0.7).map((p) => p.maxTokens), [512, 512]);
    const sample = 'a, b):\n    s = a + b\n    return s\n\nprint(add(1, 2))\n';
    assert.equal(cutCandidate('def add(', sample, 2), 'def add(a, b):\n    s = a + b\n    return s\n');
  });
  it('the option defaults to paper', () => {
    const base = { dataset: 'mbpp', method: 'eg-cfg', modelName: 'm' };
    assert.equal(runOptionsSchema.parse(base).candidateTokens, 'paper');
    assert.equal(runOptionsSchema.parse({ ...base, candidateTokens: 'horizon' }).candidateTokens, 'horizon');
  });
});
