import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  forcedFunctionStart,
  lastBlockDefining,
  normalizePythonTags,
  pythonBlocks,
  reasoningRequest,
  splitReasoningPrefix,
} from '../../core/egcfg/reasoning.ts';

const OUT = [
  'Let me think about it.',
  '```python',
  'def add(a, b):',
  '    return a - b',
  '```',
  'That is wrong; final answer:',
  '```python',
  'import math',
  '',
  'def add(a, b):',
  '    return a + b',
  '```',
  'Explanation follows.',
].join('\n');

describe('pythonBlocks', { timeout: 60_000 }, () => {
  it('finds closed and unclosed blocks with their offsets', () => {
    const b = pythonBlocks(OUT);
    assert.equal(b.length, 2);
    assert.equal(b[0]!.content, 'def add(a, b):\n    return a - b\n');
    assert.equal(b[1]!.content, 'import math\n\ndef add(a, b):\n    return a + b\n');
    assert.ok(b.every((x) => x.closed));
    assert.equal(OUT.slice(b[1]!.contentStart, b[1]!.contentEnd), b[1]!.content);
    const open = pythonBlocks('x\n```python\ndef f():\n    pass');
    assert.equal(open.length, 1);
    assert.equal(open[0]!.closed, false);
    assert.equal(open[0]!.content, 'def f():\n    pass');
    assert.deepEqual(pythonBlocks('no code'), []);
    assert.equal(pythonBlocks('```python')[0]!.content, '');
  });
  it('ignores plain ``` blocks that are not python', () => {
    assert.equal(pythonBlocks('```\nplain\n```\n```python\ncode\n```').length, 1);
  });
});

describe('splitReasoningPrefix', { timeout: 60_000 }, () => {
  it('cuts before the def line of the last block that defines the entry point', () => {
    const r = splitReasoningPrefix(OUT, 'add');
    assert.ok(r);
    assert.ok(r.prefix.endsWith('```python\nimport math\n\n'), 'keeps the fence and lines above the def (imports)');
    assert.ok(r.prefix.includes('return a - b'), 'keeps the earlier draft');
    assert.ok(!r.prefix.includes('return a + b'));
    assert.equal(OUT.startsWith(r.prefix), true);
  });
  it('handles <python> tags', () => {
    const r = splitReasoningPrefix('Plan.\n<python>\ndef add(a, b):\n    return a + b\n</python>', 'add');
    assert.deepEqual(r, { prefix: 'Plan.\n```python\n' });
  });
  it('returns null when no block defines the entry point', () => {
    assert.equal(splitReasoningPrefix('```python\ndef other():\n    pass\n```', 'add'), null);
    assert.equal(splitReasoningPrefix('def add(a, b): return a + b', 'add'), null, 'code outside a block does not count');
  });
  it('ignores anything after an EOS marker', () => {
    assert.equal(splitReasoningPrefix('text<|EOT|>```python\ndef add(a):\n```', 'add'), null);
  });
});

describe('lastBlockDefining (γ=0 answer)', { timeout: 60_000 }, () => {
  it('returns the last block defining the entry point, trailing whitespace removed', () => {
    assert.equal(lastBlockDefining(OUT, 'add'), 'import math\n\ndef add(a, b):\n    return a + b');
  });
  it('skips later blocks that do not define it', () => {
    assert.equal(lastBlockDefining(OUT + '\n```python\nprint(add(1, 2))\n```', 'add'), 'import math\n\ndef add(a, b):\n    return a + b');
  });
  it('null when none', () => {
    assert.equal(lastBlockDefining('no code', 'add'), null);
  });
});

describe('forcedFunctionStart and normalizePythonTags', { timeout: 60_000 }, () => {
  it('forces def <entry>( or def solve():', () => {
    assert.equal(forcedFunctionStart('add'), 'def add(');
    assert.equal(forcedFunctionStart('ignored', true), 'def solve():');
    assert.throws(() => forcedFunctionStart(''), /entryPoint is empty/);
  });
  it('replaces python tags with fences', () => {
    assert.equal(normalizePythonTags('<python>\nx\n</python>'), '```python\nx\n```');
  });
});

describe('reasoningRequest', { timeout: 60_000 }, () => {
  it('decays the temperature as the authors, t·0.9^(r(r+1)/2) on try r (issue 11 item 6), and stops after 10 tries', () => {
    const r0 = reasoningRequest(0.7, 0)!;
    assert.equal(r0.temperature, 0.7);
    assert.equal(r0.maxTokens, 2048);
    assert.equal(r0.topP, 0.95);
    assert.ok(r0.stop.includes('<|EOT|>'));
    assert.equal(reasoningRequest(1, 1)!.temperature, 0.9);
    assert.equal(reasoningRequest(1, 2)!.temperature, 0.729); // 0.9^3: their running temperature ×0.9^1 then ×0.9^2
    assert.equal(reasoningRequest(1, 3)!.temperature, Number((0.9 ** 6).toFixed(10)));
    assert.equal(reasoningRequest(0.7, 9)!.attempt, 9);
    assert.equal(reasoningRequest(0.7, 10), null);
  });
  it('validates inputs', () => {
    assert.throws(() => reasoningRequest(-1, 0), /t must be/);
    assert.throws(() => reasoningRequest(1, -1), /attempt must be/);
  });
});
