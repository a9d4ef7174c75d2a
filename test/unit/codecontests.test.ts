// CodeContests loader (JSONL and parquet), its validation errors, and the pure contest helpers (suites, limits,
// program, extraction, prompt).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  contestLimits, contestProgram, contestSuite, DatasetFormatError, extractProgram, loadDataset, readCodeContests,
  splitOfFile, type Problem,
} from '../../core/datasets/index.ts';
import { buildPrompt } from '../../core/prompts/index.ts';
import { runOptionsSchema } from '../../campaigns/options.ts';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'codecontests');
const JSONL = join(DIR, 'test.jsonl');
const PARQUET = join(DIR, 'test-00000-of-00001.parquet');
const T = { timeout: 60_000 };

function byName(ps: Problem[], prefix: string): Problem {
  const p = ps.find((q) => q.taskId.startsWith(prefix));
  assert.ok(p, `problem ${prefix} missing`);
  return p;
}

describe('CodeContests loader', T, () => {
  test('JSONL: fields, tests, limits, split, raw without the bulky fields', T, async () => {
    const ps = await loadDataset('codecontests', { file: JSONL });
    assert.equal(ps.length, 6);
    const sum = byName(ps, '1_A');
    assert.equal(sum.taskId, '1_A. Sum Pair');
    assert.equal(sum.split, 'test');
    assert.equal(sum.io!.publicTests.length, 1);
    assert.equal(sum.io!.privateTests.length, 2);
    assert.equal(sum.io!.generatedTests.length, 1);
    assert.equal(sum.io!.timeLimitMs, 1000);
    assert.equal(sum.io!.memoryLimitBytes, 256 * 1024 * 1024);
    assert.deepEqual(sum.visibleTests, ['Input:\n1 2\nOutput:\n3']);
    assert.equal(sum.evalProgramTests.length, 0);
    assert.match(sum.canonicalSolution, /print\(a \+ b\)/);
    assert.equal((sum.raw.counts as Record<string, number>).solutions, 2);
    assert.equal(sum.raw.solutions, undefined);
    assert.equal(byName(ps, '2_B').io!.timeLimitMs, 2500);
    assert.equal(byName(ps, '3_C').io!.timeLimitMs, 1000); // a plain number (seconds)
    assert.equal(byName(ps, '4_D').io!.timeLimitMs, null);
    assert.equal(byName(ps, '4_D').io!.memoryLimitBytes, null); // 0 = unknown
  });

  test('parquet shard (snappy, int64 as BigInt) gives the same problems as the JSONL', T, async () => {
    const a = await loadDataset('codecontests', { file: JSONL });
    const b = await loadDataset('codecontests', { file: PARQUET });
    assert.equal(b.length, a.length);
    for (const [i, p] of a.entries()) {
      assert.equal(b[i]!.taskId, p.taskId);
      assert.deepEqual(b[i]!.io!.privateTests, p.io!.privateTests);
      assert.deepEqual({ ...b[i]!.io, timeLimitMs: null }, { ...p.io, timeLimitMs: null });
      assert.equal(b[i]!.canonicalSolution, p.canonicalSolution);
    }
  });

  test('several files, comma-separated; duplicates and bad fields named by file, row and field', T, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-'));
    const rec = { name: 'X', description: 'd', public_tests: { input: ['1'], output: ['1'] } };
    const f1 = join(dir, 'valid.jsonl');
    const f2 = join(dir, 'train-0.jsonl');
    writeFileSync(f1, `${JSON.stringify(rec)}\n`);
    writeFileSync(f2, `${JSON.stringify({ ...rec, name: 'Y' })}\n`);
    const all = await loadDataset('codecontests', { file: `${f1},${f2}`, split: 'all' });
    assert.deepEqual(all.map((p) => [p.taskId, p.split]), [['X', 'validation'], ['Y', 'train']]);
    assert.equal((await loadDataset('codecontests', { file: `${f1},${f2}` })).length, 0); // test split by default
    await assert.rejects(readCodeContests(`${f1},${f1}`), (e: unknown) => e instanceof DatasetFormatError && e.field === 'name' && /duplicate/.test(e.message));
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, `${JSON.stringify(rec)}\n${JSON.stringify({ ...rec, name: 'Z', private_tests: { input: ['1', '2'], output: ['1'] } })}\n`);
    await assert.rejects(readCodeContests(bad), (e: unknown) => e instanceof DatasetFormatError && e.line === 2 && e.field === 'private_tests'
      && e.message.includes(bad) && /same length/.test(e.message));
    writeFileSync(bad, `${JSON.stringify({ ...rec, time_limit: 'soon' })}\n`);
    await assert.rejects(readCodeContests(bad), (e: unknown) => e instanceof DatasetFormatError && e.line === 1 && e.field === 'time_limit');
    writeFileSync(bad, 'PAR1 not really parquet');
    await assert.rejects(readCodeContests(bad), /cannot read parquet/);
    await assert.rejects(loadDataset('codecontests'), /no data is shipped/);
    assert.equal(splitOfFile('/x/test-00000-of-00001.parquet'), 'test');
    assert.equal(runOptionsSchema.parse({ dataset: 'codecontests', modelName: 'm' }).dataset, 'codecontests');
  });
});

describe('contest helpers', T, () => {
  test('suites: visible = first three public tests; eval = private + generated (public when none)', T, async () => {
    const ps = await loadDataset('codecontests', { file: JSONL });
    const sum = byName(ps, '1_A');
    assert.deepEqual(contestSuite(sum, 'visible').map((t) => t.id), ['public/0']);
    assert.deepEqual(contestSuite(sum, 'eval').map((t) => t.id), ['private/0', 'private/1', 'generated/0']);
    const none = { ...sum, io: { ...sum.io!, privateTests: [], generatedTests: [] } };
    assert.deepEqual(contestSuite(none, 'eval').map((t) => t.id), ['public/0']);
    assert.throws(() => contestSuite(sum, 'et'), /no 'et' suite/);
  });

  test('limits: strict = the problem limit x host factor (min 1 s), memory + 64 MB; paper = 15 s per test', T, async () => {
    const ps = await loadDataset('codecontests', { file: JSONL });
    assert.deepEqual(contestLimits(byName(ps, '2_B'), 'strict', 2), { timeoutMs: 5000, memoryMb: 320 });
    assert.deepEqual(contestLimits(byName(ps, '4_D'), 'strict', 1), { timeoutMs: 2000, memoryMb: 320 });
    assert.deepEqual(contestLimits(byName(ps, '6_F'), 'strict', 0.1), { timeoutMs: 1000, memoryMb: 128 });
    assert.equal(contestLimits(byName(ps, '2_B'), 'paper').timeoutMs, 15_000);
  });

  test('program: solve() appended only when defined and never called; extraction keeps top-level code', T, () => {
    assert.equal(contestProgram('def solve():\n    print(1)\n'), 'def solve():\n    print(1)\n\nsolve()\n');
    // Any signature gets the call, as the authors run it (a `def solve(a, b):` then fails visibly, with a TypeError).
    assert.equal(contestProgram('def solve(a, b):\n    print(a + b)\n'), 'def solve(a, b):\n    print(a + b)\n\nsolve()\n');
    for (const code of ['def solve():\n    print(1)\nsolve()\n', 'def solve():\n    pass\nif __name__ == "__main__":\n    solve()\n', 'print(1)\n']) {
      assert.equal(contestProgram(code), code);
    }
    const completion = 'Idea.\n```python\nimport sys\ndef main():\n    print(sum(map(int, sys.stdin.read().split())))\nmain()\n```\nDone.<|EOT|>';
    assert.equal(extractProgram(completion), 'import sys\ndef main():\n    print(sum(map(int, sys.stdin.read().split())))\nmain()\n');
    assert.equal(extractProgram('```python\nprint(1)\n```\n```python\nprint(2)'), 'print(1)\n');
    assert.equal(extractProgram('print(3)'), 'print(3)\n');
  });

  test('prompt: the statement, the public examples, a whole-program request, for both prompt types', T, async () => {
    const ps = await loadDataset('codecontests', { file: JSONL });
    for (const type of ['deepseek_instruct', 'long_code'] as const) {
      const p = buildPrompt(byName(ps, '1_A'), type);
      assert.match(p, /Given two integers a and b/);
      assert.match(p, /Input:\n1 2\nOutput:\n3/);
      assert.match(p, /standard input/);
      assert.match(p, /one function defined as\n`def solve\(\):`, without parameters/, 'the solve() structure the authors ask for');
      assert.ok(p.endsWith('### Response:\n'));
    }
  });
});
