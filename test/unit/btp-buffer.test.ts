import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  assertTrainingProblems, codeHash, dedupeKey, ExperienceBuffer, normaliseCode, trainingJsonl, trainingPairs, TrainEvalLeakError, type BufferEntry,
} from '../../core/btp/buffer.ts';
import { createRng } from '../../core/btp/prng.ts';
import { sha256Hex } from '../../core/btp/sha256.ts';

const entry = (problemId: number, code: string, p2value: number, over: Partial<BufferEntry> = {}): BufferEntry => ({
  problemId, code, possibility: p2value, passRate: p2value, p2value, sourceModel: 'base', iteration: 0, ...over,
});

describe('code normalisation and dedupe key', { timeout: 60_000 }, () => {
  it('ignores line endings, trailing whitespace, blank lines and outer whitespace, but not indentation', () => {
    const a = 'def f(x):\n    return x + 1\n';
    assert.equal(normaliseCode('\n\ndef f(x):   \r\n\r\n    return x + 1\t\r\n\n'), normaliseCode(a));
    assert.equal(codeHash('def f(x):\r\n    return x + 1   '), codeHash(a));
    assert.notEqual(codeHash('def f(x):\n  return x + 1'), codeHash(a));
    assert.notEqual(dedupeKey(1, a), dedupeKey(2, a));
    assert.equal(dedupeKey(7, a), `7:${codeHash(a)}`);
  });
  it('codeHash is the sha256 of the normalised code (same as node:crypto, UTF-8 included)', () => {
    for (const s of ['', 'abc', 'x'.repeat(55), 'x'.repeat(64), 'print("héllo ✓ 😀")', 'a\n'.repeat(500)]) {
      assert.equal(sha256Hex(s), createHash('sha256').update(s, 'utf8').digest('hex'));
    }
    assert.equal(codeHash('print(1)  \r\n'), createHash('sha256').update('print(1)').digest('hex'));
  });
});

describe('ExperienceBuffer', { timeout: 60_000 }, () => {
  it('dedupes by (problem, normalised code): a higher P2Value replaces, an equal or lower one is dropped', () => {
    const b = new ExperienceBuffer({ capacity: 10 });
    assert.equal(b.add(entry(1, 'return 1', 0.5)).status, 'added');
    const dup = b.add(entry(1, 'return 1   \r\n', 0.4));
    assert.equal(dup.status, 'duplicate');
    assert.equal(b.add(entry(1, 'return 1', 0.5)).status, 'duplicate');
    const rep = b.add(entry(1, '\nreturn 1\n', 0.9, { iteration: 3, sourceModel: 'adapter-3' }));
    assert.equal(rep.status, 'replaced');
    assert.equal(rep.status === 'replaced' && rep.previous.p2value, 0.5);
    assert.equal(b.size, 1);
    assert.equal(b.get(1, 'return 1')?.p2value, 0.9);
    assert.equal(b.get(1, 'return 1')?.iteration, 3);
    assert.equal(b.add(entry(2, 'return 1', 0.1)).status, 'added'); // same code, other problem
    assert.equal(b.size, 2);
  });
  it("'lowest-p2value' evicts the lowest (oldest first among equals) and rejects entries below the minimum", () => {
    const b = new ExperienceBuffer({ capacity: 3, eviction: 'lowest-p2value' });
    b.add(entry(1, 'a', 0.5));
    b.add(entry(2, 'b', 0.2));
    b.add(entry(3, 'c', 0.2));
    const r = b.add(entry(4, 'd', 0.6));
    assert.equal(r.status, 'added');
    assert.equal(r.status === 'added' && r.evicted?.problemId, 2); // 0.2 twice: the older (problem 2) leaves
    const low = b.add(entry(5, 'e', 0.1));
    assert.equal(low.status, 'rejected');
    assert.match(low.status === 'rejected' ? low.reason : '', /p2value 0.1 is below the lowest stored 0.2/);
    const eq = b.add(entry(6, 'f', 0.2)); // equal to the minimum: admitted, the stored 0.2 (older) leaves
    assert.equal(eq.status === 'added' && eq.evicted?.problemId, 3);
    assert.deepEqual(b.entries().map((e) => e.problemId), [1, 4, 6]);
    assert.equal(b.peekEviction()?.problemId, 6);
  });
  it("'oldest' evicts in insertion order whatever the P2Value; a replacing duplicate counts as new", () => {
    const b = new ExperienceBuffer({ capacity: 3, eviction: 'oldest' });
    b.add(entry(1, 'a', 0.9));
    b.add(entry(2, 'b', 0.1));
    b.add(entry(3, 'c', 0.5));
    b.add(entry(1, 'a', 0.95)); // replaced: now the newest
    const r = b.add(entry(4, 'd', 0.0));
    assert.equal(r.status === 'added' && r.evicted?.problemId, 2);
    const r2 = b.add(entry(5, 'e', 0.0));
    assert.equal(r2.status === 'added' && r2.evicted?.problemId, 3);
    assert.deepEqual(b.entries().map((e) => e.problemId), [1, 4, 5]);
  });
  it('keeps exactly the top-capacity P2Values of a long random stream (lowest-p2value)', () => {
    const rng = createRng(12);
    const cap = 50;
    const b = new ExperienceBuffer({ capacity: cap });
    const all: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const v = rng.nextInt(1000) / 1000;
      all.push(v);
      b.add(entry(i, `code ${i}`, v));
      assert.ok(b.size <= cap);
    }
    const kept = b.entries().map((e) => e.p2value).sort((x, y) => y - x);
    const top = [...all].sort((x, y) => y - x).slice(0, cap);
    assert.deepEqual(kept, top);
  });
  it('remove, snapshot and restore: the restored buffer behaves exactly like the original', () => {
    const rng = createRng(3);
    const b = new ExperienceBuffer({ capacity: 20 });
    for (let i = 0; i < 60; i++) b.add(entry(i % 25, `c${i % 31}`, rng.nextInt(100) / 100, { iteration: i % 3 }));
    assert.ok(b.remove(b.entries()[0]!.problemId, b.entries()[0]!.code));
    const snap = JSON.parse(JSON.stringify(b.snapshot()));
    const c = ExperienceBuffer.restore(snap);
    assert.deepEqual(c.entries(), b.entries());
    for (let i = 0; i < 40; i++) {
      const e = entry(100 + i, `n${i}`, rng.nextInt(100) / 100);
      assert.deepEqual(c.add(e), b.add(e));
    }
    assert.deepEqual(c.sample(createRng(8), 10, { kind: 'power', alpha: 1 }), b.sample(createRng(8), 10, { kind: 'power', alpha: 1 }));
    assert.throws(() => ExperienceBuffer.restore({ ...snap, nextSeq: 0 }), /nextSeq 0 must exceed/);
    const bad = structuredClone(snap);
    bad.entries[0].code = 'tampered';
    assert.throws(() => ExperienceBuffer.restore(bad), /codeHash\/key that do not match its code/);
  });
  it('samples by P2Value, can exclude problems, and is reproducible', () => {
    const b = new ExperienceBuffer({ capacity: 100 });
    for (let i = 0; i < 10; i++) b.add(entry(i, `c${i}`, (i + 1) / 10));
    const s1 = b.sample(createRng(1), 20, { kind: 'rank', alpha: 1 });
    assert.deepEqual(s1, b.sample(createRng(1), 20, { kind: 'rank', alpha: 1 }));
    const ex = b.sample(createRng(2), 500, { kind: 'power', alpha: 1 }, { exclude: [9, 8] });
    assert.ok(ex.every((e) => e.problemId !== 9 && e.problemId !== 8));
    const distinct = b.sample(createRng(3), 10, { kind: 'power', alpha: 1 }, { replacement: false });
    assert.equal(new Set(distinct.map((e) => e.key)).size, 10);
    // Higher P2Value is drawn more often.
    const counts = new Map<number, number>();
    for (const e of b.sample(createRng(4), 20000, { kind: 'power', alpha: 1 })) counts.set(e.problemId, (counts.get(e.problemId) ?? 0) + 1);
    assert.ok((counts.get(9) ?? 0) > (counts.get(0) ?? 0) * 5);
    assert.throws(() => new ExperienceBuffer({ capacity: 5 }).sample(createRng(1), 1, { kind: 'power', alpha: 1 }), /empty pool/);
  });
  it('validates entries and config, naming the field', () => {
    const b = new ExperienceBuffer({ capacity: 2 });
    assert.throws(() => b.add(entry(1, 'x', 0.5, { p2value: 1.5 })), /invalid entry for problem 1: p2value: p2value must be ≤ 1$/);
    assert.throws(() => b.add(entry(1, '   \n', 0.5)), /code: code must not be empty or blank/);
    assert.throws(() => b.add(entry(-1, 'x', 0.5)), /problemId/);
    assert.throws(() => b.add(entry(1, 'x', 0.5, { sourceModel: '' })), /sourceModel must not be empty/);
    assert.throws(() => b.add(entry(1, 'x', 0.5, { iteration: 0.5 })), /iteration/);
    assert.throws(() => new ExperienceBuffer({ capacity: 0 }), /invalid config .*capacity/);
    assert.throws(() => new ExperienceBuffer({ capacity: 3, eviction: 'random' as never }), /eviction/);
  });
});

describe('assertTrainingProblems (train/eval split guard)', { timeout: 60_000 }, () => {
  it('passes when disjoint', () => {
    assert.doesNotThrow(() => assertTrainingProblems([601, 602, 700], [11, 12, 510]));
    assert.doesNotThrow(() => assertTrainingProblems([], [1]));
  });
  it('throws naming every offending id, unique and sorted, treating 601 and "601" as the same', () => {
    try {
      assertTrainingProblems([700, 11, 12, 11, '510', 601], [11, 12, 510, 13]);
      assert.fail('no throw');
    } catch (e) {
      assert.ok(e instanceof TrainEvalLeakError);
      assert.deepEqual(e.offendingIds, ['11', '12', '510']);
      assert.match(e.message, /3 training problem id\(s\) are evaluation problems: 11, 12, 510$/);
    }
    assert.throws(() => assertTrainingProblems(['HumanEval/3', 'Mbpp/700'], ['HumanEval/3']), /HumanEval\/3/);
  });
  it('lists the first 20 and counts the rest', () => {
    const ids = Array.from({ length: 25 }, (_, i) => i);
    assert.throws(() => assertTrainingProblems(ids, ids), /25 training problem id\(s\).*: 0, 1, .*, 19 and 5 more/);
  });
});

describe('trainingPairs / trainingJsonl', { timeout: 60_000 }, () => {
  const prompts = new Map([[601, 'P601'], [602, 'P602']]);
  it('maps entries to prompt/completion pairs and JSONL lines', () => {
    const pairs = trainingPairs([entry(601, 'a', 0.5), entry(602, 'b', 0.5)], (id) => prompts.get(id), [11, 12]);
    assert.deepEqual(pairs, [{ problemId: 601, prompt: 'P601', completion: 'a' }, { problemId: 602, prompt: 'P602', completion: 'b' }]);
    const lines = trainingJsonl(pairs).trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines[1], { problem_id: 602, prompt: 'P602', completion: 'b' });
    assert.equal(trainingJsonl([]), '');
  });
  it('refuses evaluation problems and problems without a prompt', () => {
    assert.throws(() => trainingPairs([entry(601, 'a', 0.5), entry(11, 'b', 0.5)], (id) => prompts.get(id), [11]), TrainEvalLeakError);
    assert.throws(() => trainingPairs([entry(603, 'a', 0.5)], (id) => prompts.get(id), []), /no prompt for problem 603/);
  });
});
