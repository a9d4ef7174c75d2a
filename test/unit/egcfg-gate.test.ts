import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  codeSinceLastFence,
  countNewlines,
  decodeStopReason,
  DEFAULT_WALL_CAP_MS,
  entryPointDefRegex,
  finalCode,
  hasClosingFence,
  initialRefreshState,
  isGuidanceActive,
  refreshDecision,
  type RefreshState,
} from '../../core/egcfg/gate.ts';

describe('guidance gate', { timeout: 60_000 }, () => {
  it('is off before the def line and on from it (a partial def line counts)', () => {
    assert.equal(isGuidanceActive('Some reasoning.\n```python\n', 'add'), false);
    assert.equal(isGuidanceActive('```python\ndef add(', 'add'), true);
    assert.equal(isGuidanceActive('```python\ndef add (a, b):\n    return a', 'add'), true);
    assert.equal(isGuidanceActive('```python\ndef add\t(a):', 'add'), true);
  });

  it('needs the exact entry point at the start of the line', () => {
    assert.equal(isGuidanceActive('def add_two(a):\n', 'add'), false);
    assert.equal(isGuidanceActive('    def add(a):\n', 'add'), false);
    assert.equal(isGuidanceActive('def helper(a):\n', 'add'), false);
    assert.equal(isGuidanceActive('def add', 'add'), false, 'no parenthesis yet');
  });

  it('switches off at a line starting with ``` and back on at a later def', () => {
    assert.equal(isGuidanceActive('def add(a):\n    return a\n```', 'add'), false);
    assert.equal(isGuidanceActive('def add(a):\n    return a\n```\nText\n```python\ndef add(a, b):\n', 'add'), true);
    assert.equal(isGuidanceActive('def add(a):\n    s = "```"\n', 'add'), true, 'a fence inside a line does not count');
  });

  it('escapes regex characters in the entry point', () => {
    assert.ok(entryPointDefRegex('a.b').test('def a.b('));
    assert.ok(!entryPointDefRegex('a.b').test('def axb('));
    assert.throws(() => entryPointDefRegex(''), /entryPoint is empty/);
  });

  it('works for stdin/stdout tasks (def solve():)', () => {
    assert.equal(isGuidanceActive('```python\ndef solve():\n    n = int(input())', 'solve'), true);
  });
});

describe('codeSinceLastFence', { timeout: 60_000 }, () => {
  it('returns the text after the last ```python fence line', () => {
    assert.equal(codeSinceLastFence('Plan.\n```python\nx = 1\n```\nMore.\n```python\ndef f(a):\n    r'), 'def f(a):\n    r');
  });
  it('drops anything else on the fence line', () => {
    assert.equal(codeSinceLastFence('```python  # final\ndef f('), 'def f(');
  });
  it('is empty when the fence line is not finished', () => {
    assert.equal(codeSinceLastFence('text ```python'), '');
  });
  it('is the whole text without a fence', () => {
    assert.equal(codeSinceLastFence('def f(a):\n    return a'), 'def f(a):\n    return a');
  });
});

describe('refreshDecision (line guidance)', { timeout: 60_000 }, () => {
  it('builds a signal when none exists yet, then only at new line boundaries (k = 1)', () => {
    let st: RefreshState = initialRefreshState();
    const steps: Array<[string, boolean]> = [
      ['def f(', true], // no signal yet
      ['def f(a', false],
      ['def f(a):', false],
      ['def f(a):\n', true], // 1 newline > 0
      ['def f(a):\n    r', false],
      ['def f(a):\n    return a\n', true],
      ['def f(a):\n    return a\n', false], // same count
    ];
    for (const [code, want] of steps) {
      const r = refreshDecision(st, code, 1);
      assert.equal(r.refresh, want, JSON.stringify(code));
      st = r.state;
    }
    assert.deepEqual(st, { lastRefreshNewlines: 2 });
  });

  it('with k > 1 refreshes only when the count is divisible by k', () => {
    let st = refreshDecision(initialRefreshState(), 'a\n', 2).state; // first signal at 1 newline
    const seq: Array<[number, boolean]> = [[2, true], [3, false], [5, false], [6, true], [6, false], [8, true]];
    for (const [n, want] of seq) {
      const r = refreshDecision(st, 'x\n'.repeat(n), 2);
      assert.equal(r.refresh, want, `n=${n}`);
      st = r.state;
    }
  });

  it('a token with two newlines still refreshes when k = 1', () => {
    const st = refreshDecision(initialRefreshState(), 'a\n', 1).state;
    assert.equal(refreshDecision(st, 'a\n\n\n', 1).refresh, true);
  });

  it('does not mutate the state and validates k', () => {
    const st = initialRefreshState();
    refreshDecision(st, 'a\n', 1);
    assert.deepEqual(st, { lastRefreshNewlines: null });
    assert.throws(() => refreshDecision(st, '', 0), /k must be an integer >= 1/);
  });

  it('countNewlines counts \\n only', () => {
    assert.equal(countNewlines('a\r\nb\nc'), 2);
    assert.equal(countNewlines(''), 0);
  });
});

describe('decodeStopReason', { timeout: 60_000 }, () => {
  const base = { codeSinceFence: 'def f(a):\n    return a', newTokens: 10, maxNewTokens: 512 };
  it('continues by default', () => {
    assert.equal(decodeStopReason(base), null);
  });
  it('stops at the closing fence, EOS, max tokens, wall clock and solved-elsewhere', () => {
    assert.equal(decodeStopReason({ ...base, codeSinceFence: 'def f(a):\n    return a\n```' }), 'closing_fence');
    assert.equal(decodeStopReason({ ...base, eos: true }), 'eos');
    assert.equal(decodeStopReason({ ...base, codeSinceFence: 'def f(a):\n    return a<|EOT|>' }), 'eos');
    assert.equal(decodeStopReason({ ...base, newTokens: 512 }), 'max_new_tokens');
    assert.equal(decodeStopReason({ ...base, elapsedMs: DEFAULT_WALL_CAP_MS }), 'wall_clock');
    assert.equal(decodeStopReason({ ...base, elapsedMs: DEFAULT_WALL_CAP_MS - 1 }), null);
    assert.equal(decodeStopReason({ ...base, elapsedMs: 5, wallCapMs: 5 }), 'wall_clock');
    assert.equal(decodeStopReason({ ...base, solvedElsewhere: true }), 'solved_elsewhere');
  });
  it('applies the documented precedence', () => {
    const all = { codeSinceFence: 'x\n```', newTokens: 600, maxNewTokens: 512, eos: true, elapsedMs: DEFAULT_WALL_CAP_MS, solvedElsewhere: true };
    assert.equal(decodeStopReason(all), 'solved_elsewhere');
    assert.equal(decodeStopReason({ ...all, solvedElsewhere: false }), 'wall_clock');
    assert.equal(decodeStopReason({ ...all, solvedElsewhere: false, elapsedMs: 0 }), 'eos');
    assert.equal(decodeStopReason({ ...all, solvedElsewhere: false, elapsedMs: 0, eos: false }), 'closing_fence');
  });
  it('the wall cap default is 40 minutes', () => {
    assert.equal(DEFAULT_WALL_CAP_MS, 40 * 60 * 1000);
  });
  it('hasClosingFence looks at line starts only', () => {
    assert.equal(hasClosingFence('s = "```"'), false);
    assert.equal(hasClosingFence('x\n``'), false);
    assert.equal(hasClosingFence('x\n```'), true);
  });
});

describe('finalCode', { timeout: 60_000 }, () => {
  it('takes the last ```python block', () => {
    const t = 'Plan\n```python\ndef g():\n    pass\n```\nThen:\n```python\ndef f(a):\n    return a\n```\nDone.';
    assert.equal(finalCode(t), 'def f(a):\n    return a');
  });
  it('takes an unclosed last block to the end (e.g. after max_new_tokens)', () => {
    assert.equal(finalCode('```python\ndef f(a):\n    return a\n'), 'def f(a):\n    return a');
  });
  it('falls back to the whole text without a python fence', () => {
    assert.equal(finalCode('\n\ndef f(a):\n    return a\n\n'), 'def f(a):\n    return a');
  });
  it('cuts at EOS markers', () => {
    assert.equal(finalCode('```python\ndef f(a):\n    return a<|EOT|>\n```'), 'def f(a):\n    return a');
    assert.equal(finalCode('def f(a):\n    return a\n<｜end▁of▁sentence｜>'), 'def f(a):\n    return a');
  });
  it('keeps indentation and inner blank lines', () => {
    assert.equal(finalCode('```python\nimport os\n\ndef f(a):\n\n    return a\n```'), 'import os\n\ndef f(a):\n\n    return a');
  });
});
