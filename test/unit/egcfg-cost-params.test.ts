// The cost options of EG-CFG (issue 11 items 8 and 9): --reasoning-tries / --reasoning-tokens (the budget per γ),
// --line-token-cap / --problem-token-cap and --step-timeout-min, from CLI flags to the workflow's params.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { egcfgParams } from '../../campaigns/egcfg.ts';
import { OptionsError, parseRunOptions } from '../../campaigns/options.ts';
import { optionsFromFlags } from '../../cli/flags.ts';
import { runGroups } from '../../cli/spec.ts';

const base = { dataset: 'mbpp', method: 'eg-cfg', modelName: 'm' } as const;

describe('EG-CFG cost options', { timeout: 60_000 }, () => {
  test('flags become the options', () => {
    const o = optionsFromFlags({ 'reasoning-tries': '3', 'reasoning-tokens': '5000', 'line-token-cap': '20000', 'problem-token-cap': '300000', 'step-timeout-min': '30' }, runGroups.egcfg);
    assert.deepEqual(o, { reasoningTries: 3, reasoningTokens: 5000, lineTokenCap: 20000, problemTokenCap: 300000, stepTimeoutMin: 30 });
  });

  test('none set: the authors\' behaviour, nothing recorded (10 tries x max tokens, no caps, 15-minute steps)', () => {
    const p = egcfgParams(parseRunOptions(base));
    assert.equal(p.reasoningBudget, undefined);
    assert.equal(p.costCaps, undefined);
    assert.equal(p.stepTimeoutMs, undefined);
  });

  test('the reasoning budget: tries alone gives tries x --reasoning-max-tokens; tokens alone keeps 10 tries', () => {
    assert.deepEqual(egcfgParams(parseRunOptions({ ...base, reasoningTries: 3 })).reasoningBudget, { tries: 3, tokens: 3 * 2048 });
    assert.deepEqual(egcfgParams(parseRunOptions({ ...base, reasoningTries: 2, reasoningMaxTokens: 512 })).reasoningBudget, { tries: 2, tokens: 1024 });
    assert.deepEqual(egcfgParams(parseRunOptions({ ...base, reasoningTokens: 4000 })).reasoningBudget, { tries: 10, tokens: 4000 });
  });

  test('caps and the step timeout', () => {
    const p = egcfgParams(parseRunOptions({ ...base, lineTokenCap: 20_000, problemTokenCap: 300_000, stepTimeoutMin: 0.5 }));
    assert.deepEqual(p.costCaps, { lineTokens: 20_000, problemTokens: 300_000 });
    assert.equal(p.stepTimeoutMs, 30_000);
    assert.deepEqual(egcfgParams(parseRunOptions({ ...base, lineTokenCap: 7 })).costCaps, { lineTokens: 7 });
  });

  test('out-of-range values are refused, naming the option', () => {
    for (const bad of [{ reasoningTries: 0 }, { reasoningTries: 11 }, { lineTokenCap: 0 }, { problemTokenCap: -1 }, { stepTimeoutMin: 0 }, { reasoningTokens: 1.5 }]) {
      assert.throws(() => parseRunOptions({ ...base, ...bad }), (e: unknown) => e instanceof OptionsError && e.message.includes(Object.keys(bad)[0]!), JSON.stringify(bad));
    }
  });
});
