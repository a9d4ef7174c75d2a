import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderSignal } from '../../core/egcfg/signal.ts';
import { emptyTraceCache, pendingRuns, recordRuns, signalEntriesFromCache } from '../../core/egcfg/trace-cache.ts';

const P1 = 'def f(a):\n    return a';
const P2 = 'def f(a):\n    return a + 1';
const INV = ['f(1)', 'f(2)'];

describe('trace cache', { timeout: 60_000 }, () => {
  it('lists pending runs program-major, without duplicates', () => {
    assert.deepEqual(pendingRuns(emptyTraceCache(), [P1, P2, P1], INV), [
      { program: P1, invocation: 'f(1)' },
      { program: P1, invocation: 'f(2)' },
      { program: P2, invocation: 'f(1)' },
      { program: P2, invocation: 'f(2)' },
    ]);
  });

  it('runs each program once per test case for the whole generation (null traces are cached too)', () => {
    let cache = recordRuns(emptyTraceCache(), [
      { program: P1, invocation: 'f(1)', trace: 'T11' },
      { program: P1, invocation: 'f(2)', trace: null },
    ]);
    assert.deepEqual(pendingRuns(cache, [P1, P2], INV), [
      { program: P2, invocation: 'f(1)' },
      { program: P2, invocation: 'f(2)' },
    ]);
    cache = recordRuns(cache, [{ program: P2, invocation: 'f(1)', trace: 'T21' }, { program: P2, invocation: 'f(2)', trace: 'T22' }]);
    assert.deepEqual(pendingRuns(cache, [P2, P1], INV), []);
  });

  it('does not modify the input cache and survives JSON', () => {
    const c0 = recordRuns(emptyTraceCache(), [{ program: P1, invocation: 'f(1)', trace: 'x' }]);
    const snap = JSON.stringify(c0);
    recordRuns(c0, [{ program: P1, invocation: 'f(2)', trace: 'y' }]);
    assert.equal(JSON.stringify(c0), snap);
    assert.deepEqual(JSON.parse(snap), c0);
  });

  it('is safe with program text such as __proto__', () => {
    const c = recordRuns(emptyTraceCache(), [{ program: '__proto__', invocation: 'constructor', trace: 't' }]);
    assert.deepEqual(pendingRuns(c, ['__proto__', 'toString'], ['constructor']), [{ program: 'toString', invocation: 'constructor' }]);
  });

  it('assembles signal entries candidate-major, leaving out runs without a trace', () => {
    const cache = recordRuns(emptyTraceCache(), [
      { program: P1, invocation: 'f(1)', trace: 'T11' },
      { program: P1, invocation: 'f(2)', trace: null },
      { program: P2, invocation: 'f(1)', trace: 'T21' },
      { program: P2, invocation: 'f(2)', trace: 'T22' },
    ]);
    const entries = signalEntriesFromCache(cache, [P2, P1], INV);
    assert.deepEqual(entries, [
      { candidate: P2, invocation: 'f(1)', trace: 'T21' },
      { candidate: P2, invocation: 'f(2)', trace: 'T22' },
      { candidate: P1, invocation: 'f(1)', trace: 'T11' },
    ]);
    const labelled = signalEntriesFromCache(cache, [P1], INV, (inv, i) => `${inv}  # test ${i}`);
    assert.deepEqual(labelled, [{ candidate: P1, invocation: 'f(1)  # test 0', trace: 'T11' }]);
    assert.equal(renderSignal(signalEntriesFromCache(emptyTraceCache(), [P1], INV)), '');
  });
});
