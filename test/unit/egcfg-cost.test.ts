import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addCost, sumCosts, zeroCost, type GenerationCost } from '../../core/egcfg/cost.ts';

const A: GenerationCost = { modelCalls: 2, promptTokens: 100, completionTokens: 2, sandboxExecutions: 9, sandboxMs: 450, wallMs: 1200 };

describe('GenerationCost', { timeout: 60_000 }, () => {
  it('zeroCost is all zeros and fresh each time', () => {
    const z = zeroCost();
    assert.deepEqual(z, { modelCalls: 0, promptTokens: 0, completionTokens: 0, sandboxExecutions: 0, sandboxMs: 0, wallMs: 0 });
    z.modelCalls = 5;
    assert.equal(zeroCost().modelCalls, 0);
  });
  it('addCost adds field-wise, missing fields count as 0, inputs untouched', () => {
    const b = { modelCalls: 1, completionTokens: 5 };
    const r = addCost(A, b);
    assert.deepEqual(r, { modelCalls: 3, promptTokens: 100, completionTokens: 7, sandboxExecutions: 9, sandboxMs: 450, wallMs: 1200 });
    assert.equal(A.modelCalls, 2);
    assert.deepEqual(addCost(zeroCost(), A), A);
  });
  it('sumCosts folds a list', () => {
    assert.deepEqual(sumCosts([A, A, {}]), addCost(A, A));
    assert.deepEqual(sumCosts([]), zeroCost());
  });
  it('rejects negative or non-finite values with the field name', () => {
    assert.throws(() => addCost(A, { sandboxMs: -1 }), /addCost: b\.sandboxMs must be a finite number >= 0/);
    assert.throws(() => addCost({ ...A, wallMs: Number.NaN }, {}), /addCost: a\.wallMs/);
  });
});

import { addPhaseCost, totalCost, zeroPhaseCosts } from '../../core/egcfg/cost.ts';

describe('PhaseCosts', { timeout: 60_000 }, () => {
  it('adds per phase and totals', () => {
    let pc = zeroPhaseCosts();
    pc = addPhaseCost(pc, 'guidance', { modelCalls: 2, promptTokens: 300 });
    pc = addPhaseCost(pc, 'candidates', { modelCalls: 1, completionTokens: 50, sandboxExecutions: 9 });
    pc = addPhaseCost(pc, 'reasoning', { modelCalls: 1, wallMs: 10 });
    assert.equal(pc.guidance.promptTokens, 300);
    assert.equal(pc.candidates.sandboxExecutions, 9);
    assert.deepEqual(totalCost(pc), { modelCalls: 4, promptTokens: 300, completionTokens: 50, sandboxExecutions: 9, sandboxMs: 0, wallMs: 10 });
    assert.throws(() => addPhaseCost(pc, 'other' as never, {}), /unknown phase/);
  });
});
