// Issue 11 item 11: RSR is computed on the problems both campaigns scored, and a baseline of another model or dataset
// is refused with a message that says which.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baselineMismatch, rsr, rsrOnCommonProblems } from '../../core/metrics.ts';

describe('RSR on common problems', { timeout: 60_000 }, () => {
  it('uses only the problems both campaigns scored', () => {
    // EG-CFG on problems 1-4 (3 passed); the baseline on 1-10, passing 1 and 5-10 (7/10 overall, 1/4 on 1-4).
    const method = new Map([[1, true], [2, true], [3, true], [4, false]]);
    const baseline = new Map<number, boolean>([[1, true], [2, false], [3, false], [4, false], ...[5, 6, 7, 8, 9, 10].map((i) => [i, true] as [number, boolean])]);
    const r = rsrOnCommonProblems(method, baseline)!;
    assert.deepEqual({ n: r.problems, acc: r.passAt1, base: r.baselinePassAt1 }, { n: 4, acc: 0.75, base: 0.25 });
    assert.equal(r.rsr, rsr(75, 25)); // (75 − 25) / 75 · 100 = 66.67; against the baseline's 70 % overall it was 16.7
    assert.ok(Math.abs(r.rsr! - 66.6667) < 1e-3);
  });
  it('is null when the campaigns share no problem, and null RSR when the baseline solved all', () => {
    assert.equal(rsrOnCommonProblems(new Map([[1, true]]), new Map([[2, true]])), null);
    assert.equal(rsrOnCommonProblems(new Map([[1, true]]), new Map([[1, true]]))!.rsr, null);
  });
});

describe('baseline campaign check', { timeout: 60_000 }, () => {
  it('accepts the same model and dataset', () => {
    assert.equal(baselineMismatch({ dataset: 'mbpp', model: 'm' }, { id: 'b', dataset: 'mbpp', model: 'm' }), null);
  });
  it('names the other dataset and the other model', () => {
    const why = baselineMismatch({ dataset: 'humaneval', model: 'qwen' }, { id: 'b1', dataset: 'mbpp', model: 'smollm' })!;
    assert.match(why, /baseline campaign b1 cannot be the RSR baseline/);
    assert.match(why, /its dataset is mbpp, not humaneval/);
    assert.match(why, /its model is "smollm", not "qwen"/);
  });
});
