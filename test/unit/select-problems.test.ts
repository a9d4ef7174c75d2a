import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { selectProblems } from '../../core/datasets/select.ts';

const all = Array.from({ length: 50 }, (_, i) => ({ taskId: `T/${i}` }));

describe('selectProblems', { timeout: 10_000 }, () => {
  test('all, or the first N', () => {
    assert.equal(selectProblems(all, {}).length, 50);
    assert.deepEqual(selectProblems(all, { maxProblems: 3 }).map((p) => p.taskId), ['T/0', 'T/1', 'T/2']);
  });
  test('a seeded subset: N problems in dataset order, the same for the same seed, another for another seed', () => {
    const a = selectProblems(all, { maxProblems: 10, subsetSeed: 1 });
    assert.equal(a.length, 10);
    const idx = a.map((p) => all.indexOf(p));
    assert.deepEqual(idx, [...idx].sort((x, y) => x - y), 'dataset order kept');
    assert.notDeepEqual(a.map((p) => p.taskId), selectProblems(all, { maxProblems: 10 }).map((p) => p.taskId));
    assert.deepEqual(selectProblems([...all].reverse(), { maxProblems: 10, subsetSeed: 1 }).map((p) => p.taskId).sort(), a.map((p) => p.taskId).sort(), 'input order does not choose the subset');
    assert.notDeepEqual(selectProblems(all, { maxProblems: 10, subsetSeed: 2 }).map((p) => p.taskId), a.map((p) => p.taskId));
    assert.equal(selectProblems(all, { maxProblems: 80, subsetSeed: 1 }).length, 50, 'N above the dataset size takes everything');
  });
});
