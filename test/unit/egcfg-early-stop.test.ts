import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  detectedProgram,
  earlyStopDecision,
  initialEarlyStop,
  needsCondSampling,
  observeCond,
  observeUncond,
  type EarlyStopState,
} from '../../core/egcfg/early-stop.ts';

const P = 'def f(a):\n    return a + 1';
const Q = 'def f(a):\n    return a + 2';
const NORET = 'def f(a):\n    x = a';

/** Feed `n` identical refreshes on both sides. */
function feed(state: EarlyStopState, uncond: string[], cond: string[] | null, n: number): EarlyStopState {
  let s = state;
  for (let i = 0; i < n; i++) {
    s = observeUncond(s, uncond);
    if (cond !== null && needsCondSampling(s)) s = observeCond(s, cond);
  }
  return s;
}

describe('detectedProgram', { timeout: 60_000 }, () => {
  it('needs exactly one unique candidate whose last line contains return', () => {
    assert.equal(detectedProgram([P]), P);
    assert.equal(detectedProgram([P, P]), P, 'duplicates count once');
    assert.equal(detectedProgram([P, Q]), null);
    assert.equal(detectedProgram([]), null);
    assert.equal(detectedProgram([NORET]), null);
    assert.equal(detectedProgram(['def f(a):\n    return a\n    x = 1']), null, 'return not on the last line');
    assert.equal(detectedProgram([P + '\n\n  ']), P + '\n\n  ', 'trailing blank lines are ignored');
  });
});

describe('early stop state machine', { timeout: 60_000 }, () => {
  it('starts empty and does not stop', () => {
    const s = initialEarlyStop();
    assert.deepEqual(s, { uncond: { program: null, count: 0 }, cond: { program: null, count: 0 } });
    assert.equal(needsCondSampling(s), false);
    assert.deepEqual(earlyStopDecision(s, 0.5), { stop: false });
  });

  it('counts detections as the authors (the first one is 1); anything else resets', () => {
    let s = observeUncond(initialEarlyStop(), [P]);
    assert.deepEqual(s.uncond, { program: P, count: 1 });
    s = observeUncond(s, [P]);
    assert.deepEqual(s.uncond, { program: P, count: 2 });
    s = observeUncond(s, [Q]);
    assert.deepEqual(s.uncond, { program: Q, count: 1 }, 'a different single program restarts the count');
    s = observeUncond(s, [Q, P]);
    assert.deepEqual(s.uncond, { program: null, count: 0 });
  });

  it('conditional sampling is due only while the unconditional side holds a detection', () => {
    let s = observeUncond(initialEarlyStop(), [P]);
    assert.equal(needsCondSampling(s), true);
    s = observeCond(s, [P]);
    assert.deepEqual(s.cond, { program: P, count: 1 });
    s = observeUncond(s, [NORET]);
    assert.equal(needsCondSampling(s), false);
    assert.deepEqual(s.cond, { program: null, count: 0 }, 'the conditional side is reset with it');
    assert.throws(() => observeCond(s, [P]), /only due while/);
  });

  it('stops on agreement once both counters reach 4: after 4 identical refreshes, as the authors (issue 11 item 6)', () => {
    let s = feed(initialEarlyStop(), [P], [P], 3);
    assert.deepEqual(s.uncond, { program: P, count: 3 });
    assert.deepEqual(earlyStopDecision(s, 0.5), { stop: false });
    s = feed(s, [P], [P], 1);
    assert.deepEqual(earlyStopDecision(s, 0.5), { stop: true, reason: 'agreement', side: 'uncond', program: P });
    assert.deepEqual(earlyStopDecision(s, 1), { stop: true, reason: 'agreement', side: 'cond', program: P });
  });

  it('does not stop at 4 when the sides disagree, but declares a loop at 6', () => {
    let s = feed(initialEarlyStop(), [P], [Q], 4);
    assert.equal(s.uncond.count, 4);
    assert.equal(s.cond.count, 4);
    assert.deepEqual(earlyStopDecision(s, 3), { stop: false });
    s = feed(s, [P], [Q], 2);
    assert.equal(s.uncond.count, 6);
    // γ ≠ 1 returns the unconditional side's program, γ = 1 the conditional side's
    assert.deepEqual(earlyStopDecision(s, 3), { stop: true, reason: 'loop', side: 'uncond', program: P });
    assert.deepEqual(earlyStopDecision(s, 0.5), { stop: true, reason: 'loop', side: 'uncond', program: P });
    assert.deepEqual(earlyStopDecision(s, 1), { stop: true, reason: 'loop', side: 'cond', program: Q });
  });

  it('a loop on the unconditional side alone stops too; γ=1 falls back to it when the conditional side holds nothing', () => {
    const s = feed(initialEarlyStop(), [P], [P, Q], 6);
    assert.equal(s.uncond.count, 6);
    assert.deepEqual(s.cond, { program: null, count: 0 });
    assert.deepEqual(earlyStopDecision(s, 1), { stop: true, reason: 'loop', side: 'uncond', program: P });
  });

  it('a loop on the conditional side alone stops', () => {
    // the unconditional side keeps changing between two single programs; the conditional side is stable
    let s: EarlyStopState = initialEarlyStop();
    for (let i = 0; i < 6; i++) {
      s = observeUncond(s, [i % 2 === 0 ? P : Q]);
      s = observeCond(s, [Q]);
    }
    assert.equal(s.cond.count, 6);
    assert.ok(s.uncond.count < 4);
    const d = earlyStopDecision(s, 0.5);
    assert.deepEqual(d, { stop: true, reason: 'loop', side: 'uncond', program: s.uncond.program! });
    assert.deepEqual(earlyStopDecision(s, 1), { stop: true, reason: 'loop', side: 'cond', program: Q });
  });

  it('accepts a custom configuration and validates it', () => {
    const s = feed(initialEarlyStop(), [P], [P], 2);
    assert.equal(earlyStopDecision(s, 0.5, { threshold: 1, loopThreshold: 3 }).stop, true);
    assert.throws(() => earlyStopDecision(s, 0.5, { threshold: 4, loopThreshold: 3 }), /loopThreshold/);
    assert.throws(() => earlyStopDecision(s, 0.5, { threshold: -1, loopThreshold: 3 }), /threshold/);
  });

  it('is pure data: inputs are not modified and states survive JSON round trips', () => {
    const s0 = observeUncond(initialEarlyStop(), [P]);
    const snap = JSON.stringify(s0);
    const s1 = observeCond(JSON.parse(snap) as EarlyStopState, [P]);
    observeUncond(s0, [Q]);
    assert.equal(JSON.stringify(s0), snap);
    assert.deepEqual(JSON.parse(JSON.stringify(s1)), s1);
  });
});
