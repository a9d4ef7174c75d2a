// The authors' conditional prompt for fence-instruction models (--cond-prompt authors-quirk, core/egcfg/cond-quirk.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { quirkConditionalIds, quirkConditionalText } from '../../core/egcfg/cond-quirk.ts';
import { insertSignal } from '../../core/egcfg/signal.ts';

describe('authors-quirk conditional prompt', { timeout: 60_000 }, () => {
  it('the base without the instruction, with the signal, then the sent sequence from the base length on (a repeated tail)', () => {
    // Tokens as letters: base B = [1 2 3 R] (R = "### Response:"), the sent prompt has the instruction U = [9 9]
    // inserted after token 1: [1 9 9 2 3 R], then the reasoning prefix [7] and code [8].
    const base = [1, 2, 3, 50];
    const signalled = [1, 2, 3, 40, 41, 50];
    const sent = [1, 9, 9, 2, 3, 50, 7, 8];
    assert.deepEqual(quirkConditionalIds(signalled, sent, base.length), [1, 2, 3, 40, 41, 50, 3, 50, 7, 8]);
    assert.throws(() => quirkConditionalIds(signalled, sent, -1), /bad base length/);
  });

  it('in text: the instruction is missing and the end of the sent prompt appears twice', () => {
    const base = 'Examples:\nTASK\n### Response:\n';
    const sent = 'Examples:\nUSE FENCES\nTASK\n### Response:\n```python\ndef f(';
    const out = quirkConditionalText(insertSignal(base, 'SIG'), sent, base.length);
    assert.equal(out, 'Examples:\nTASK\nSIG\n### Response:\n Response:\n```python\ndef f(');
    assert.ok(!out.includes('USE FENCES'));
  });
});
