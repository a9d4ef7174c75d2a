// The forced function name (issue 11 item 6): the authors force `def <name>(` with the first def of the reference
// solution when the record has no entry_point (their MBPP), and the entry point otherwise.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadDataset } from '../../core/datasets/index.ts';
import { firstDefName, forcedFunctionName } from '../../core/egcfg/forced-name.ts';

const mbppLike = (code: string, entryPoint: string, raw: Record<string, unknown> = {}) => ({ dataset: 'mbpp', entryPoint, canonicalSolution: code, raw });

describe('forced function name', { timeout: 60_000 }, () => {
  it("first def of the reference, found as their regexes find it (one-line signature, helpers and methods count)", () => {
    assert.equal(firstDefName('import math\ndef helper(a, b) :\n  return a\ndef target(x):\n  return helper(x, 1)'), 'helper');
    assert.equal(firstDefName('class Node:\n    def __init__(self, v):\n        self.v = v\ndef is_ok(root):\n    return True'), '__init__');
    assert.equal(firstDefName('def multi(a,\n          b):\n    return a\ndef one(x): return x'), 'one', 'a multi-line signature does not match');
    assert.equal(firstDefName('x = 1'), null);
  });

  it("'reference' forces the reference's first def for MBPP only; 'entry-point' the tested function", () => {
    const p = mbppLike('def gcd(a, b):\n  return a\ndef is_coprime(x, y):\n  return gcd(x, y) == 1', 'is_coprime');
    assert.equal(forcedFunctionName('reference', p), 'gcd');
    assert.equal(forcedFunctionName('entry-point', p), 'is_coprime');
    assert.equal(forcedFunctionName('reference', { ...p, dataset: 'humaneval' }), 'is_coprime', 'their HumanEval records carry entry_point');
    assert.equal(forcedFunctionName('reference', { ...p, raw: { entry_point: 'is_coprime' } }), 'is_coprime');
    assert.equal(forcedFunctionName('reference', mbppLike('x = 1', 'f')), 'f', 'no def: the entry point');
  });

  it('MBPP test split: 20 of 500 tasks force another name than the entry point', async () => {
    const test = await loadDataset('mbpp', { split: 'test' });
    const differ = test.filter((p) => forcedFunctionName('reference', p) !== p.entryPoint).map((p) => `${p.taskId}:${forcedFunctionName('reference', p)}`);
    assert.equal(test.length, 500);
    assert.deepEqual(differ, [
      '18:str_to_list', '30:check_Equality', '45:find_gcd', '56:rev', '70:find_equal_tuple', '148:sum_digits_single', '151:gcd', '152:merge',
      '164:divSum', '181:common_prefix_util', '323:right_rotate', '338:check_Equality', '342:__init__', '348:bin_coff', '364:make_flip',
      '367:__init__', '466:find_peak_util', '485:is_palindrome', '486:nCr', '501:ngcd',
    ]);
  });
});
