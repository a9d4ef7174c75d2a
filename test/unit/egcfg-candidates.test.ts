import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addCandidates,
  candidateRequestPlan,
  cutCandidate,
  dedupeCandidates,
  emptyCandidatePool,
  isNewRaw,
  needsAnotherRequest,
  newRawCandidates,
} from '../../core/egcfg/candidates.ts';

const SO_FAR = 'def add(a, b):\n    total = a';

describe('cutCandidate', { timeout: 60_000 }, () => {
  it('prepends the code so far and keeps the rest of the line plus d more lines', () => {
    const sample = ' + b\n    total = total * 1\n    x = 2\n    y = 3\n    return total\n';
    assert.equal(cutCandidate(SO_FAR, sample, 2), 'def add(a, b):\n    total = a + b\n    total = total * 1\n    x = 2\n');
    assert.equal(cutCandidate(SO_FAR, sample, 0), 'def add(a, b):\n    total = a + b\n');
    assert.equal(cutCandidate(SO_FAR, sample, 4), SO_FAR + sample);
    assert.equal(cutCandidate(SO_FAR, sample, 10), SO_FAR + sample);
  });

  it('null horizon (d = inf) keeps everything up to a stop marker', () => {
    const sample = ' + b\n    a = 1\n    b = 2\n    c = 3\n    return total\n';
    assert.equal(cutCandidate(SO_FAR, sample, null), SO_FAR + sample);
  });

  it('a sample with exactly d+1 lines and no trailing newline is kept as is', () => {
    assert.equal(cutCandidate(SO_FAR, ' + b\n    return total', 1), SO_FAR + ' + b\n    return total');
  });

  it('cuts at the first ``` fence', () => {
    const sample = ' + b\n    return total\n```\n\nThis function adds.';
    assert.equal(cutCandidate(SO_FAR, sample, null), SO_FAR + ' + b\n    return total\n');
    assert.equal(cutCandidate(SO_FAR, ' + b```python\nx', null), SO_FAR + ' + b');
  });

  it('cuts at end-of-sentence / end-of-text markers', () => {
    assert.equal(cutCandidate(SO_FAR, ' + b\n    return total<|EOT|>junk', null), SO_FAR + ' + b\n    return total');
    assert.equal(cutCandidate(SO_FAR, ' + b<｜end▁of▁sentence｜>\nmore', null), SO_FAR + ' + b');
    assert.equal(cutCandidate(SO_FAR, ' + b<|endoftext|>', 3), SO_FAR + ' + b');
    assert.equal(cutCandidate(SO_FAR, ' + b<|im_end|>', 3), SO_FAR + ' + b');
  });

  it('the horizon counts lines after the stop cut', () => {
    // fence on the second line: only one line of the sample survives anyway
    assert.equal(cutCandidate(SO_FAR, ' + b\n```\n    x = 1\n    y = 2\n', 5), SO_FAR + ' + b\n');
  });

  it('accepts programs whose first non-empty line starts with def / import / from / #', () => {
    assert.notEqual(cutCandidate('\n\ndef f(', 'x):\n    return x\n', 2), null);
    assert.notEqual(cutCandidate('import math\ndef f(', 'x):\n', 2), null);
    assert.notEqual(cutCandidate('from math import sqrt\n', 'def f(x):\n', 2), null);
    assert.notEqual(cutCandidate('# helper\n', 'def f(x):\n', 2), null);
    assert.notEqual(cutCandidate('', 'def f(x):\n    return x\n', 2), null, 'the sample itself may supply the def line');
  });

  it('rejects everything else, including indented or prose starts', () => {
    assert.equal(cutCandidate('', 'Here is the code:\ndef f(x):\n', 2), null);
    assert.equal(cutCandidate('    return x\n', '', 2), null);
    assert.equal(cutCandidate('', '  def f(x):\n', 2), null, 'plain prefix test: leading spaces are not stripped');
    assert.equal(cutCandidate('', '', 2), null, 'nothing at all');
    assert.equal(cutCandidate('\n  \n', '\n', null), null, 'only blank lines');
    assert.equal(cutCandidate('', '```python\ndef f(): pass', null), null, 'a sample that starts with a fence is empty');
  });

  it('an empty continuation yields the code so far (when it is a valid start)', () => {
    assert.equal(cutCandidate(SO_FAR, '', 2), SO_FAR);
    assert.equal(cutCandidate(SO_FAR, '```\n', 2), SO_FAR);
  });

  it('validates the horizon', () => {
    assert.throws(() => cutCandidate(SO_FAR, '', -1), /horizonLines must be an integer >= 0 or null/);
    assert.throws(() => cutCandidate(SO_FAR, '', 1.5), /horizonLines/);
  });
});

describe('dedupeCandidates / addCandidates', { timeout: 60_000 }, () => {
  it('keeps a candidate only when both its raw and executable forms are new, in input order', () => {
    const items = [
      { raw: 'r1', executable: 'e1' },
      { raw: 'r1', executable: 'e1' }, // raw repeat
      { raw: 'r2', executable: 'e1' }, // same executable (e.g. differs only in a comment)
      { raw: 'r3', executable: null }, // could not be made executable
      { raw: 'r4', executable: 'e4' },
    ];
    assert.deepEqual(dedupeCandidates(items, 3), [
      { raw: 'r1', executable: 'e1' },
      { raw: 'r4', executable: 'e4' },
    ]);
  });

  it('stops at s unique candidates', () => {
    const items = ['a', 'b', 'c', 'd', 'e'].map((x) => ({ raw: `r${x}`, executable: `e${x}` }));
    assert.deepEqual(dedupeCandidates(items, 3).map((c) => c.raw), ['ra', 'rb', 'rc']);
    const pool = addCandidates(emptyCandidatePool(), items, 3);
    assert.deepEqual(pool.rawSeen, ['ra', 'rb', 'rc'], 'items after the s-th acceptance are not examined');
  });

  it('carries the dedupe state across the two requests of a refresh', () => {
    let pool = addCandidates(emptyCandidatePool(), [{ raw: 'r1', executable: 'e1' }, { raw: 'r2', executable: null }], 3);
    assert.equal(pool.accepted.length, 1);
    assert.equal(isNewRaw(pool, 'r2'), false, 'a failed raw is remembered too');
    assert.deepEqual(newRawCandidates(pool, ['r1', 'r2', 'r5', null, 'r5', 'r6']), ['r5', 'r6']);
    pool = addCandidates(pool, [{ raw: 'r1', executable: 'e1' }, { raw: 'r5', executable: 'e1' }, { raw: 'r6', executable: 'e6' }], 3);
    assert.deepEqual(pool.accepted, [
      { raw: 'r1', executable: 'e1' },
      { raw: 'r6', executable: 'e6' },
    ]);
    assert.deepEqual(pool.rawSeen, ['r1', 'r2', 'r5', 'r6']);
    assert.deepEqual(pool.executableSeen, ['e1', 'e6']);
  });

  it('does not modify the input pool and is JSON round-trippable', () => {
    const pool0 = addCandidates(emptyCandidatePool(), [{ raw: 'r1', executable: 'e1' }], 2);
    const frozen = JSON.stringify(pool0);
    const pool1 = addCandidates(JSON.parse(frozen), [{ raw: 'r2', executable: 'e2' }], 2);
    assert.equal(JSON.stringify(pool0), frozen);
    assert.equal(pool1.accepted.length, 2);
  });

  it('does nothing more once the pool already holds s', () => {
    const full = addCandidates(emptyCandidatePool(), [{ raw: 'a', executable: 'a' }], 1);
    assert.deepEqual(addCandidates(full, [{ raw: 'b', executable: 'b' }], 1), full);
  });

  it('validates s', () => {
    assert.throws(() => dedupeCandidates([], 0), /s must be an integer >= 1/);
  });
});

describe('candidateRequestPlan', { timeout: 60_000 }, () => {
  it('first n = max(5, s) at temperature t; second n doubled at t × 1.2; two at most', () => {
    assert.deepEqual(candidateRequestPlan(3, 0.7), [
      { index: 0, n: 5, temperature: 0.7, topP: 0.95, maxTokens: 512, stop: ['```\n'] },
      { index: 1, n: 10, temperature: 0.84, topP: 0.95, maxTokens: 512, stop: ['```\n'] },
    ]);
    const p = candidateRequestPlan(8, 1.5);
    assert.equal(p.length, 2);
    assert.deepEqual(p.map((r) => [r.n, r.temperature]), [[8, 1.5], [16, 1.8]]);
  });

  it('validates s and t', () => {
    assert.throws(() => candidateRequestPlan(0, 0.7), /s must be an integer >= 1/);
    assert.throws(() => candidateRequestPlan(3, -1), /t must be a finite number >= 0/);
  });

  it('needsAnotherRequest: only while fewer than s and fewer than 2 requests', () => {
    assert.equal(needsAnotherRequest(2, 3, 1), true);
    assert.equal(needsAnotherRequest(3, 3, 1), false);
    assert.equal(needsAnotherRequest(0, 3, 2), false);
    assert.equal(needsAnotherRequest(0, 3, 0), true);
  });
});
