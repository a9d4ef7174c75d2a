import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyCondCandidates,
  applyLine,
  applySignal,
  applyToken,
  currentCode,
  nextAction,
  problemCapReached,
  promptsFor,
  startGeneration,
  type GenerationAction,
  type GenerationSpec,
  type GenerationState,
} from '../../core/egcfg/generation.ts';
import { lineGuidanceAllowed, problemTokensLeft } from '../../core/egcfg/cost-caps.ts';

const PREFIX = 'Plan: add.\n```python\n';
const BASE = 'Sys.\n### Instruction:\nWrite add.\n### Response:\n';
const CTX = { elapsedMs: 0, solvedElsewhere: false };
const spec = (over: Partial<GenerationSpec> = {}): GenerationSpec => ({ entryPoint: 'add', gamma: 3, k: 1, maxNewTokens: 512, ...over });

/** Drives a generation with scripted token texts; candidates/signals are scripted per refresh. */
function drive(
  sp: GenerationSpec,
  tokens: string[],
  signalFor: (code: string, i: number) => { signal: string; uniqueExecutables: string[] },
  condFor: (code: string) => string[] = () => [],
): { state: GenerationState; actions: GenerationAction['kind'][] } {
  let st = startGeneration(PREFIX, 'def add(');
  const actions: GenerationAction['kind'][] = [];
  let t = 0;
  let refreshes = 0;
  for (let guard = 0; guard < 1000; guard++) {
    const a = nextAction(sp, st, CTX);
    actions.push(a.kind);
    if (a.kind === 'done') return { state: st, actions };
    if (a.kind === 'build_signal') st = applySignal(sp, st, signalFor(a.codeSoFar, refreshes++));
    else if (a.kind === 'sample_cond_candidates') st = applyCondCandidates(sp, st, condFor(a.codeSoFar));
    else if (a.kind === 'next_token') {
      const text = tokens[t++];
      st = text === undefined ? applyToken(sp, st, { text: '', eos: true }) : applyToken(sp, st, { text, guided: a.guided });
    } else throw new Error(`unexpected ${a.kind}`);
  }
  throw new Error('no end');
}

describe('guided generation step machine (γ ≠ 1)', { timeout: 60_000 }, () => {
  it('refreshes the signal once per line and stops at the closing fence with the final code', () => {
    const tokens = ['a, b', '):', '\n', '    s = a', ' + b', '\n', '    return s', '\n', '```'];
    const { state, actions } = drive(spec(), tokens, () => ({ signal: 'SIG', uniqueExecutables: ['p1', 'p2'] }));
    assert.deepEqual(actions, [
      'build_signal', 'next_token', 'next_token', 'next_token', // 'def add(' → first signal; then the rest of line 1
      'build_signal', 'next_token', 'next_token', 'next_token',
      'build_signal', 'next_token', 'next_token',
      'build_signal', 'next_token',
      'done',
    ]);
    assert.deepEqual(state.end, { reason: 'closing_fence', code: 'def add(a, b):\n    s = a + b\n    return s' });
    assert.equal(state.stats.refreshes, 4);
    assert.equal(state.stats.guidedSteps, 9);
    assert.equal(state.newTokens, 9);
  });

  it('an empty signal means unguided tokens until the next refresh', () => {
    const tokens = ['a):', '\n', '    return a', '\n', '```'];
    let st = startGeneration(PREFIX, 'def add(');
    let a = nextAction(spec(), st, CTX);
    assert.equal(a.kind, 'build_signal');
    st = applySignal(spec(), st, { signal: '', uniqueExecutables: [] });
    a = nextAction(spec(), st, CTX);
    assert.deepEqual(a, { kind: 'next_token', guided: false });
    st = applyToken(spec(), st, { text: tokens[0]! });
    assert.deepEqual(nextAction(spec(), st, CTX), { kind: 'next_token', guided: false }, 'same line: the empty signal is reused');
    assert.equal(st.stats.emptySignals, 1);
  });

  it('stops on EOS and on max_new_tokens', () => {
    const eos = drive(spec(), ['a):', '\n', '    return a'], () => ({ signal: 'S', uniqueExecutables: [] }));
    assert.deepEqual(eos.state.end, { reason: 'eos', code: 'def add(a):\n    return a' });
    const capped = drive(spec({ maxNewTokens: 2 }), ['a):', '\n', '    return a'], () => ({ signal: 'S', uniqueExecutables: [] }));
    assert.equal(capped.state.end!.reason, 'max_new_tokens');
    assert.equal(capped.state.newTokens, 2);
  });

  it('checks the wall clock and the solved cache at refreshes only', () => {
    let st = startGeneration(PREFIX, 'def add(');
    assert.deepEqual(nextAction(spec(), st, { elapsedMs: 0, solvedElsewhere: true }), { kind: 'done', end: { reason: 'solved_elsewhere', code: 'def add(' } });
    assert.equal(nextAction(spec({ wallCapMs: 10 }), st, { elapsedMs: 10, solvedElsewhere: false }).kind, 'done');
    st = applySignal(spec(), st, { signal: 'S', uniqueExecutables: [] });
    assert.deepEqual(nextAction(spec({ wallCapMs: 10 }), st, { elapsedMs: 99, solvedElsewhere: true }), { kind: 'next_token', guided: true }, 'mid-line: no check');
  });

  it('the problem token cap ends the generation at any step, mid-line too (cost_cap); no cap or no count never does', () => {
    let st = startGeneration(PREFIX, 'def add(');
    st = applySignal(spec(), st, { signal: 'S', uniqueExecutables: [] });
    const at = (cap: number | undefined, spent: number | undefined) =>
      nextAction(spec(cap === undefined ? {} : { problemTokenCap: cap }), st, { ...CTX, ...(spent === undefined ? {} : { problemTokens: spent }) });
    assert.deepEqual(at(100, 100), { kind: 'done', end: { reason: 'cost_cap', code: 'def add(' } });
    assert.equal(at(100, 250).kind, 'done');
    assert.deepEqual(at(100, 99), { kind: 'next_token', guided: true });
    assert.deepEqual(at(undefined, 10 ** 9), { kind: 'next_token', guided: true });
    assert.deepEqual(at(100, undefined), { kind: 'next_token', guided: true });
    assert.ok(problemCapReached(spec({ problemTokenCap: 5 }), { ...CTX, problemTokens: 5 }));
  });

  it('line and problem caps: guidance allowed below the line cap; the tokens a problem has left', () => {
    assert.ok(lineGuidanceAllowed(undefined, 10 ** 9));
    assert.ok(lineGuidanceAllowed({ problemTokens: 5 }, 10 ** 9));
    assert.ok(lineGuidanceAllowed({ lineTokens: 100 }, 99));
    assert.ok(!lineGuidanceAllowed({ lineTokens: 100 }, 100));
    assert.equal(problemTokensLeft(undefined, 50), Infinity);
    assert.equal(problemTokensLeft({ problemTokens: 100 }, 30), 70);
    assert.equal(problemTokensLeft({ problemTokens: 100 }, 300), 0);
  });

  it('early stop: conditional sampling while a program is detected, then stop on agreement with the detected program', () => {
    const P = 'def add(a, b):\n    return a + b';
    const line = ['x', '\n'];
    const tokens = Array.from({ length: 20 }, () => line).flat();
    const { state, actions } = drive(spec({ gamma: 0.5 }), tokens, () => ({ signal: 'S', uniqueExecutables: [P] }), () => [P]);
    assert.deepEqual(state.end, { reason: 'early_stop', code: P, earlyStop: 'agreement', side: 'uncond' });
    // 4 identical refreshes on both sides, as the authors (their counter starts at 1 and stops at 4).
    assert.equal(actions.filter((a) => a === 'build_signal').length, 4);
    assert.equal(actions.filter((a) => a === 'sample_cond_candidates').length, 4);
  });

  it('early stop can be disabled', () => {
    const P = 'def add(a, b):\n    return a + b';
    const tokens = ['x', '\n', 'x', '\n', 'x', '\n', 'x', '\n', 'x', '\n', 'x', '\n', 'x', '\n', '```'];
    const { state, actions } = drive(spec({ earlyStop: false }), tokens, () => ({ signal: 'S', uniqueExecutables: [P] }));
    assert.equal(state.end!.reason, 'closing_fence');
    assert.ok(!actions.includes('sample_cond_candidates'));
  });

  it('rejects out-of-order results and bad specs', () => {
    const st = startGeneration(PREFIX, 'def add(');
    assert.throws(() => applyCondCandidates(spec(), st, []), /no conditional sampling is pending/);
    const st2 = applySignal(spec(), st, { signal: 'S', uniqueExecutables: [] });
    assert.throws(() => applySignal(spec(), st2, { signal: 'S', uniqueExecutables: [] }), /no signal refresh is due/);
    const pending = applySignal(spec(), st, { signal: 'S', uniqueExecutables: ['def add(a):\n    return a'] });
    assert.equal(pending.pendingCond, true);
    assert.deepEqual(nextAction(spec(), pending, CTX), { kind: 'sample_cond_candidates', codeSoFar: 'def add(' });
    assert.throws(() => applyToken(spec(), pending, { text: 'x' }), /pending/);
    assert.throws(() => nextAction(spec({ gamma: 0 }), st, CTX), /γ=0 is a single completion/);
    assert.throws(() => nextAction(spec({ k: 0 }), st, CTX), /k must be/);
    assert.throws(() => nextAction(spec({ entryPoint: '' }), st, CTX), /entryPoint is empty/);
  });

  it('is pure: states are JSON data and are not mutated', () => {
    const st = startGeneration(PREFIX, 'def add(');
    const snap = JSON.stringify(st);
    const st2 = applySignal(spec(), st, { signal: 'S', uniqueExecutables: [] });
    applyToken(spec(), st2, { text: 'a' });
    assert.equal(JSON.stringify(st), snap);
    assert.deepEqual(JSON.parse(JSON.stringify(st2)), st2);
  });
});

describe('guided generation step machine (γ = 1 line shortcut)', { timeout: 60_000 }, () => {
  it('asks for whole lines, appends only the first line of each, refreshes each line; the first step after def f( is the authors\' bare newline', () => {
    const sp = spec({ gamma: 1 });
    let st = startGeneration(PREFIX, 'def add(');
    const lines = ['    a, b):\n    junk\n', '    return a + b\n```', '```\n'];
    const actions: string[] = [];
    let i = 0;
    for (let n = 0; ; n++) {
      assert.ok(n < 100, `no 'done' after 100 actions: ${actions.join(' ')}`);
      const a = nextAction(sp, st, CTX);
      actions.push(a.kind === 'next_line' ? `line:${a.guided}${a.newlineOnly ? ':nl' : ''}` : a.kind);
      if (a.kind === 'done') break;
      if (a.kind === 'build_signal') st = applySignal(sp, st, { signal: i === 0 ? '' : 'S', uniqueExecutables: [] });
      else if (a.kind === 'next_line') st = applyLine(sp, st, { completion: a.newlineOnly ? '\n' : lines[i++]!, appendedTokens: a.newlineOnly ? 1 : 5, guided: a.guided });
    }
    assert.deepEqual(actions, ['build_signal', 'line:false:nl', 'build_signal', 'line:false', 'build_signal', 'line:true', 'build_signal', 'line:true', 'done']);
    assert.deepEqual(st.end, { reason: 'closing_fence', code: 'def add(\n    a, b):\n    return a + b' });
    assert.equal(st.newTokens, 16);
  });

  it('charges the budget with the appended tokens, not the 64 tokens each line call produced (issue 11 item 2)', () => {
    // 512-token budget; each call produced 64 tokens but the kept line is 6 tokens. Charging 64 per line ended the
    // generation after 8 lines; the authors charge what they append, so 40 lines fit.
    const sp = spec({ gamma: 1, maxNewTokens: 512 });
    let st = applySignal(sp, startGeneration(PREFIX, 'def add(\n'), { signal: 'S', uniqueExecutables: [] });
    let lines = 0;
    for (let n = 0; n < 40; n++) {
      const a = nextAction(sp, st, CTX);
      if (a.kind === 'build_signal') { st = applySignal(sp, st, { signal: 'S', uniqueExecutables: [] }); n--; continue; }
      assert.equal(a.kind, 'next_line');
      st = applyLine(sp, st, { completion: '    x = x + 1\n    y = 2\n    z = 3\n', appendedTokens: 6, guided: true });
      lines++;
    }
    assert.equal(lines, 40);
    assert.equal(st.end, null);
    assert.equal(st.newTokens, 240);
  });

  it('an empty line completion ends the generation (EOS)', () => {
    const sp = spec({ gamma: 1 });
    let st = applySignal(sp, startGeneration(PREFIX, 'def add(\n'), { signal: 'S', uniqueExecutables: [] });
    st = applyLine(sp, st, { completion: '<|EOT|>', appendedTokens: 0 });
    assert.deepEqual(st.end, { reason: 'eos', code: 'def add(' });
    assert.equal(st.newTokens, 1);
    assert.throws(() => applyLine(sp, st, { completion: 'x', appendedTokens: 1 }), /has ended/);
  });
});

describe('prompts and code', { timeout: 60_000 }, () => {
  it('builds the unconditional and conditional prompts around the signal', () => {
    let st = startGeneration(PREFIX, 'def add(');
    assert.deepEqual(promptsFor(BASE, st), { unconditional: BASE + PREFIX + 'def add(', conditional: BASE + PREFIX + 'def add(' });
    st = applySignal(spec(), st, { signal: 'SIG', uniqueExecutables: [] });
    const p = promptsFor(BASE, st);
    assert.equal(p.unconditional, BASE + PREFIX + 'def add(');
    assert.equal(p.conditional, 'Sys.\n### Instruction:\nWrite add.\nSIG\n### Response:\n' + PREFIX + 'def add(');
    assert.equal(currentCode(st), 'def add(');
  });
});
