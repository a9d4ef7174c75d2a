import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitSignal, lastTraceLines } from '../../core/egcfg/signal-fit.ts';
import type { SignalEntry } from '../../core/egcfg/signal.ts';

const entry = (i: number, lines: number): SignalEntry => ({
  candidate: `def f(x):\n    return ${i}`, invocation: `f(${i})`,
  trace: Array.from({ length: lines }, (_, j) => `# line ${j}`).join('\n'),
});
/** A hand-made measure: the entries' characters against a budget, counting calls. */
const budget = (chars: number) => {
  const m = { calls: 0, fits: async (es: SignalEntry[]) => { m.calls++; return es.reduce((a, e) => a + e.candidate.length + e.invocation.length + e.trace.length, 0) <= chars; } };
  return m;
};

describe('fitting the signal to the context (issue 11 item 10)', { timeout: 60_000 }, () => {
  const entries = [entry(1, 10), entry(2, 10), entry(3, 10), entry(4, 10)];
  const size = (e: SignalEntry) => e.candidate.length + e.invocation.length + e.trace.length;
  it('all entries when they fit (one measurement)', async () => {
    const m = budget(10_000);
    assert.deepEqual(await fitSignal(entries, m.fits), { entries, dropped: 0, shortened: 0, linesOmitted: 0 });
    assert.equal(m.calls, 1);
  });
  it('drops whole entries last-first, keeping the longest leading run that fits', async () => {
    const m = budget(size(entries[0]!) * 2 + 5);
    const f = await fitSignal(entries, m.fits);
    assert.deepEqual(f.entries, entries.slice(0, 2));
    assert.equal(f.dropped, 2);
    assert.equal(f.shortened, 0);
  });
  it('then shortens the first entry to its most recent trace lines, marked', async () => {
    const big = [entry(1, 200), entry(2, 10)];
    const m = budget(size(entry(1, 0)) + 400);
    const f = await fitSignal(big, m.fits);
    assert.equal(f.dropped, 1);
    assert.equal(f.shortened, 1);
    assert.equal(f.entries.length, 1);
    const trace = f.entries[0]!.trace.split('\n');
    assert.match(trace[0]!, /^# \.\.\. \d+ earlier trace lines omitted$/);
    assert.equal(trace.at(-1), '# line 199', 'the most recent steps are kept');
    assert.equal(f.linesOmitted + trace.length - 1, 200);
    assert.ok(await m.fits(f.entries));
    assert.ok(m.calls < 20, `binary search: ${m.calls} measurements`);
  });
  it('nothing fits: an empty signal, every entry counted as dropped', async () => {
    const f = await fitSignal(entries, budget(5).fits);
    assert.deepEqual(f, { entries: [], dropped: 4, shortened: 0, linesOmitted: 0 });
  });
  it('lastTraceLines keeps a trace that is short enough as it is', () => {
    const e = entry(1, 3);
    assert.equal(lastTraceLines(e, 3), e);
    assert.equal(lastTraceLines(e, 1).trace, '# ... 2 earlier trace lines omitted\n# line 2');
  });
});
