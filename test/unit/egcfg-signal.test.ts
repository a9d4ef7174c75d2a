import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CANDIDATES_SIGNAL_HEADER,
  CANDIDATES_SIGNAL_INTRO,
  insertSignal,
  PARTIAL_SIGNAL_HEADER,
  PARTIAL_SIGNAL_INTRO,
  renderPartialSignal,
  renderSignal,
} from '../../core/egcfg/signal.ts';

const E1 = { candidate: 'def f(x):\n    return x + 1', invocation: 'f(1)', trace: "= {'x': 1} , {'x': 'int'}\nLINE: return x + 1" };
const E2 = { candidate: 'def f(x):\n    return x * 2\n', invocation: 'f(2)\n', trace: "= {'x': 2} , {'x': 'int'}\nRETURN: return x * 2\nReturn Value: 4\n" };

describe('renderSignal', { timeout: 60_000 }, () => {
  it('is empty when there are no entries', () => {
    assert.equal(renderSignal([]), '');
  });

  it('renders header, introduction and the three headed sections per entry', () => {
    const s = renderSignal([E1]);
    assert.equal(
      s,
      `${CANDIDATES_SIGNAL_HEADER}\n${CANDIDATES_SIGNAL_INTRO}\n\n` +
        '# Function:\ndef f(x):\n    return x + 1\n# Invocation:\nf(1)\n# Execution Trace:\n' +
        "= {'x': 1} , {'x': 'int'}\nLINE: return x + 1\n",
    );
    assert.ok(s.startsWith('### Runtime Behavior for Candidate Continuations\n'));
  });

  it('separates entries by a blank line, keeps order, and drops trailing newlines of each part', () => {
    const s = renderSignal([E1, E2]);
    const body = s.slice(`${CANDIDATES_SIGNAL_HEADER}\n${CANDIDATES_SIGNAL_INTRO}\n\n`.length);
    assert.equal(
      body,
      '# Function:\ndef f(x):\n    return x + 1\n# Invocation:\nf(1)\n# Execution Trace:\n' +
        "= {'x': 1} , {'x': 'int'}\nLINE: return x + 1\n" +
        '\n' +
        '# Function:\ndef f(x):\n    return x * 2\n# Invocation:\nf(2)\n# Execution Trace:\n' +
        "= {'x': 2} , {'x': 'int'}\nRETURN: return x * 2\nReturn Value: 4\n",
    );
    assert.equal((body.match(/# Function:/g) ?? []).length, 2);
  });

  it('leaves out entries without a trace, and is empty when none has one', () => {
    assert.equal(renderSignal([{ ...E1, trace: '' }, { ...E2, trace: '  \n' }]), '');
    assert.equal(renderSignal([{ ...E1, trace: '' }, E2]), renderSignal([E2]));
  });

  it('the introduction covers what the spec says it must convey', () => {
    const intro = CANDIDATES_SIGNAL_INTRO.toLowerCase();
    for (const w of ['continuation', 'test input', '# function:', '# invocation:', '# execution trace:', 'correct']) assert.ok(intro.includes(w), w);
  });
});

describe('renderPartialSignal', { timeout: 60_000 }, () => {
  it('uses the PartialExecution header and has no # Function: section', () => {
    const s = renderPartialSignal([{ invocation: 'f(1)', trace: 'LINE: x = 1' }]);
    assert.equal(s, `${PARTIAL_SIGNAL_HEADER}\n${PARTIAL_SIGNAL_INTRO}\n\n# Invocation:\nf(1)\n# Execution Trace:\nLINE: x = 1\n`);
    assert.ok(s.startsWith('### Runtime Behavior up to the Last Valid Line\n'));
    assert.ok(!s.includes('# Function:'));
  });
  it('is empty without traced entries', () => {
    assert.equal(renderPartialSignal([]), '');
    assert.equal(renderPartialSignal([{ invocation: 'f(1)', trace: '' }]), '');
  });
});

describe('insertSignal', { timeout: 60_000 }, () => {
  const base = 'System.\n### Instruction:\nDo it.\n### Response:\n';
  it('inserts the signal and a newline right before ### Response:', () => {
    assert.equal(insertSignal(base, 'SIG'), 'System.\n### Instruction:\nDo it.\nSIG\n### Response:\n');
  });
  it('uses the last marker', () => {
    const p = 'a ### Response: b\n### Response:\n';
    assert.equal(insertSignal(p, 'S'), 'a ### Response: b\nS\n### Response:\n');
  });
  it('an empty signal leaves the prompt unchanged', () => {
    assert.equal(insertSignal(base, ''), base);
  });
  it('throws when the marker is missing', () => {
    assert.throws(() => insertSignal('no marker', 'S'), /has no "### Response:" marker/);
  });
  it('keeps the shared prefix identical (prefix caching)', () => {
    const withSig = insertSignal(base, renderSignal([E1]));
    const i = base.indexOf('### Response:');
    assert.equal(withSig.slice(0, i), base.slice(0, i));
  });
});
