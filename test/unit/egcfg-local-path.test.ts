// The local-model path's pure logic (core/egcfg/local-path.ts): the start state, the line request, and folding a
// line's tokens into the step machine. Hand-made inputs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applySignal, nextAction, type GenerationSpec } from '../../core/egcfg/generation.ts';
import { applyLocalLine, currentLine, LOCAL_PATH_PREFIX, localLineRequest, startLocalGeneration, type LocalLineToken } from '../../core/egcfg/local-path.ts';

const spec = (over: Partial<GenerationSpec> = {}): GenerationSpec => ({ entryPoint: 'add', gamma: 3, k: 1, maxNewTokens: 512, ...over });
const CTX = { elapsedMs: 0, solvedElsewhere: false };
const tok = (text: string, over: Partial<LocalLineToken> = {}): LocalLineToken => ({
  id: text.length, text, eos: false, changed: false, uncond_argmax: 1, cond_argmax: 1, uncond: [], cond: null, ...over,
});

describe('EG-CFG local path (pure)', { timeout: 10_000 }, () => {
  it('starts with the code block opened and nothing forced: no reasoning prefix, no def', () => {
    const s = startLocalGeneration();
    assert.equal(s.prefix, LOCAL_PATH_PREFIX);
    assert.equal(s.generated, '');
    assert.equal(nextAction(spec(), s, CTX).kind, 'next_token');
    // γ = 1's next_line is decoded like any other line on the local path (its newlineOnly quirk is the endpoint's).
    assert.equal(nextAction(spec({ gamma: 1 }), s, CTX).kind, 'next_line');
  });

  it('an unguided line outside the gate stops at the entry point def and asks for the budget left', () => {
    const s = { ...startLocalGeneration(), generated: 'import math\n', newTokens: 4 };
    const r = localLineRequest(spec({ maxNewTokens: 10 }), s, false, 5);
    assert.equal(r.gamma, 0);
    assert.equal(r.max_tokens, 6);
    assert.equal(r.line_so_far, '');
    assert.ok(r.stop_line_regex !== undefined && new RegExp(r.stop_line_regex).test('def add('));
    assert.ok(!new RegExp(r.stop_line_regex).test('def adder('));
  });

  it('a guided line inside the gate sends γ and the partial line, and no stop pattern', () => {
    const s = { ...startLocalGeneration(), generated: 'def add(a, b):\n    ret' };
    const r = localLineRequest(spec(), s, true, 7);
    assert.equal(r.gamma, 3);
    assert.equal(r.line_so_far, '    ret');
    assert.equal(r.top_logprobs, 7);
    assert.equal(r.stop_line_regex, undefined);
    assert.equal(currentLine(s), '    ret');
    assert.throws(() => localLineRequest(spec({ maxNewTokens: 3 }), { ...s, newTokens: 3 }, true, 5), /budget/);
  });

  it('folding a line: the gate opens at the def, so the next action builds the first signal', () => {
    const sp = spec();
    const { state, kept } = applyLocalLine(sp, startLocalGeneration(), [tok('def'), tok(' add'), tok('(')], false);
    assert.equal(kept.length, 3);
    assert.equal(state.generated, 'def add(');
    assert.equal(state.newTokens, 3);
    assert.equal(nextAction(sp, state, CTX).kind, 'build_signal');
    const signalled = applySignal(sp, state, { signal: '### Runtime Behavior\n...', uniqueExecutables: [] });
    assert.deepEqual(nextAction(sp, signalled, CTX), { kind: 'next_token', guided: true });
  });

  it('guided tokens count their changes; tokens after the closing fence are not applied', () => {
    const sp = spec();
    const s = { ...startLocalGeneration(), generated: 'def add(a, b):\n    return a + b\n' };
    const { state, kept } = applyLocalLine(sp, s, [tok('```', { changed: true }), tok('\n'), tok('extra')], true);
    assert.equal(state.end?.reason, 'closing_fence');
    assert.equal(kept.length, 1);
    assert.equal(state.stats.changedTokens, 1);
    assert.equal(state.stats.guidedSteps, 1);
    assert.equal(state.end?.code, 'def add(a, b):\n    return a + b');
  });

  it('EOS ends the generation without appending its text; the budget ends it too', () => {
    const s = { ...startLocalGeneration(), generated: 'def add(a, b):\n    return a + b\n' };
    const eos = applyLocalLine(spec(), s, [tok('<|im_end|>', { eos: true })], false);
    assert.equal(eos.state.end?.reason, 'eos');
    assert.equal(eos.state.generated, s.generated);
    const budget = applyLocalLine(spec({ maxNewTokens: 2 }), startLocalGeneration(), [tok('def'), tok(' add'), tok('(')], false);
    assert.equal(budget.state.end?.reason, 'max_new_tokens');
    assert.equal(budget.kept.length, 2);
  });
});
