// Which of a dataset's problems a campaign runs: all of them, the first N (--max-problems N), or a seeded random
// subset of N (--max-problems N --subset-seed S) — fixed by the seed and the task ids alone, so a documented subset
// (e.g. "MBPP test, 100 problems, subset seed 1") is the same on every machine and with any worker count. The subset
// keeps dataset order.
import { createHash } from 'node:crypto';

export interface Selection { maxProblems?: number | undefined; subsetSeed?: number | undefined }

export function selectProblems<T extends { taskId: string }>(all: readonly T[], sel: Selection): T[] {
  const n = sel.maxProblems;
  if (n === undefined) return [...all];
  if (sel.subsetSeed === undefined) return all.slice(0, n);
  const rank = (p: T) => createHash('sha256').update(`${sel.subsetSeed}\u0000${p.taskId}`).digest('hex');
  const keep = new Set([...all].map((p) => ({ p, r: rank(p) })).sort((a, b) => (a.r < b.r ? -1 : a.r > b.r ? 1 : 0)).slice(0, n).map((x) => x.p));
  return all.filter((p) => keep.has(p));
}
