import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attemptsFor, decodePathFor, gamma0Answer, gamma0Request, gamma1AppendedTokens, gamma1LineRequest, gamma1NewlineOnly, gamma1Step } from '../../core/egcfg/gamma1.ts';

describe('decodePathFor', { timeout: 60_000 }, () => {
  it('γ=0 single completion, γ=1 line shortcut, others token CFG', () => {
    assert.equal(decodePathFor(0), 'single_completion');
    assert.equal(decodePathFor(1), 'line_shortcut');
    assert.equal(decodePathFor(0.5), 'token_cfg');
    assert.equal(decodePathFor(3), 'token_cfg');
    assert.throws(() => decodePathFor(-1), /gamma must be/);
    assert.throws(() => decodePathFor(Number.NaN), /gamma must be/);
  });
  it('attemptsFor: γ=0 never retried', () => {
    assert.equal(attemptsFor(0), 1);
    assert.equal(attemptsFor(0, 3), 1);
    assert.equal(attemptsFor(3), 1);
    assert.equal(attemptsFor(0.5, 2), 2);
    assert.throws(() => attemptsFor(1, 0), /retriesCount/);
  });
});

describe('γ=1 line step', { timeout: 60_000 }, () => {
  it('request: greedy, 64 tokens, stop at EOS markers', () => {
    const r = gamma1LineRequest();
    assert.equal(r.temperature, 0);
    assert.equal(r.maxTokens, 64);
    assert.equal(r.topP, 0.95);
    assert.ok(r.stop.includes('<|EOT|>'));
  });
  it('keeps only the first line, with its newline', () => {
    assert.deepEqual(gamma1Step('a, b):\n    return a + b\n```'), { append: 'a, b):\n', lineComplete: true, ended: false });
    assert.deepEqual(gamma1Step('\n    x = 1\n'), { append: '\n', lineComplete: true, ended: false });
  });
  it('keeps a partial line when there is no newline (max_tokens hit)', () => {
    assert.deepEqual(gamma1Step('    result = some_long_call(a'), { append: '    result = some_long_call(a', lineComplete: false, ended: false });
  });
  it('the authors\' first step: no model call while the generated text has no newline (only def f( so far)', () => {
    assert.equal(gamma1NewlineOnly('def add('), true);
    assert.equal(gamma1NewlineOnly('def solve():'), true);
    assert.equal(gamma1NewlineOnly('def add(\n'), false);
    assert.equal(gamma1NewlineOnly('def add(a, b):\n    return'), false);
  });
  it('charges the appended tokens to the budget (at least 1)', () => {
    assert.equal(gamma1AppendedTokens(6), 6);
    assert.equal(gamma1AppendedTokens(0), 1);
    assert.throws(() => gamma1AppendedTokens(-1), /appendedTokenCount/);
  });
  it('cuts at EOS markers and reports the end when nothing is left', () => {
    assert.deepEqual(gamma1Step('    return x<|EOT|>\nmore'), { append: '    return x', lineComplete: false, ended: false });
    assert.deepEqual(gamma1Step('<|EOT|>'), { append: '', lineComplete: false, ended: true });
    assert.deepEqual(gamma1Step(''), { append: '', lineComplete: false, ended: true });
  });
});

describe('γ=0 helpers', { timeout: 60_000 }, () => {
  it('re-exports the reasoning-style request and answer extraction', () => {
    assert.equal(gamma0Request(0.7, 0)!.maxTokens, 2048);
    assert.equal(gamma0Answer('```python\ndef f():\n    return 1\n```', 'f'), 'def f():\n    return 1');
  });
});
