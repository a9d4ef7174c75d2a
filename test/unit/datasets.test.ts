import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  datasetCoverage,
  DatasetFormatError,
  etTestsFor,
  knownDatasets,
  loadDataset,
  loadDatasetSync,
  mbppEntryPoint,
  mbppSplitOf,
  parseDatasetName,
  shippedFiles,
} from '../../core/datasets/index.ts';
import { repoPath } from '../../core/repo.ts';

const tmp = mkdtempSync(join(tmpdir(), 'egcfg-datasets-'));
after(() => rmSync(tmp, { recursive: true, force: true }), { timeout: 60_000 });

const mbppLine = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({
    text: 'Write a function to add two numbers.',
    code: 'def add(a, b):\r\n  return a + b',
    task_id: 11,
    test_setup_code: '',
    test_list: ['assert add(1, 2) == 3', 'assert add(0, 0) == 0', 'assert add(-1, 1) == 0'],
    challenge_test_list: [],
    ...over,
  });

function writeTmp(name: string, content: string | Buffer): string {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
}

describe('shipped benchmark files', { timeout: 60_000 }, () => {
  it('are byte-identical copies of shared/data (sha256 of the .gz as in the data README)', () => {
    const expected: Record<string, string> = {
      'data/humaneval.jsonl.gz': 'b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef',
      'data/mbpp.jsonl.gz': '2809de2a637dffecb4bd58128bcfe1250d0a335779b019956b7f3c28f646e4a6',
      'data/humaneval_et.jsonl.gz': '197b746cb007754b7327a5942b1197353cae66a76baa85801a6b43bc9fce4323',
      'data/mbpp_et_subset397.jsonl.gz': 'a58cb7eaca8d98e2d9d01efc02a97b9e7fafa8044ff8eea7e905ba2240dbb072',
    };
    for (const [file, sha] of Object.entries(expected)) {
      assert.equal(createHash('sha256').update(readFileSync(repoPath(file))).digest('hex'), sha, file);
    }
    assert.deepEqual(Object.values(shippedFiles).sort(), Object.keys(expected).sort());
  });
});

describe('loadDataset: record counts and splits', { timeout: 60_000 }, () => {
  it('MBPP: 974 records, default split = test = task ids 11..510', async () => {
    const all = await loadDataset('mbpp', { split: 'all' });
    assert.equal(all.length, 974);
    const test = await loadDataset('mbpp');
    assert.equal(test.length, 500);
    assert.deepEqual(test.map((p) => Number(p.taskId)), Array.from({ length: 500 }, (_, i) => i + 11));
    assert.equal((await loadDataset('mbpp', { split: 'prompt' })).length, 10);
    assert.equal((await loadDataset('mbpp', { split: 'validation' })).length, 90);
    assert.equal((await loadDataset('mbpp', { split: 'train' })).length, 374);
    assert.ok(all.every((p) => p.visibleTests.length === 3 && p.evalProgramTests.length === 3 && p.etTests === undefined));
  });

  it('MBPP problems carry statement, entry point, tests and an LF reference solution', async () => {
    const p = (await loadDataset('mbpp')).find((q) => q.taskId === '11')!;
    assert.equal(p.dataset, 'mbpp');
    assert.equal(p.split, 'test');
    assert.equal(p.entryPoint, 'remove_Occ');
    assert.match(p.statement, /^Write a python function to remove first and last occurrence/);
    assert.deepEqual(p.visibleTests, p.raw.test_list);
    assert.deepEqual(p.evalProgramTests.map((t) => t.id), ['eval/0', 'eval/1', 'eval/2']);
    assert.equal(p.evalProgramTests[0]!.code, 'assert remove_Occ("hello","l") == "heo"');
    assert.ok(!p.canonicalSolution.includes('\r'));
    assert.equal(p.testSetupCode, '');
    assert.equal(p.raw.task_id, 11);
  });

  it('MBPP entry points come from the first assert, also for wrapped calls and builtin-named functions', async () => {
    const all = await loadDataset('mbpp', { split: 'all' });
    const byId = new Map(all.map((p) => [p.taskId, p]));
    assert.equal(byId.get('126')!.entryPoint, 'sum'); // def sum(a,b) -- a builtin name defined by the task
    assert.equal(byId.get('912')!.entryPoint, 'lobb_num'); // assert int(lobb_num(5, 3)) == 35
    assert.equal(byId.get('367')!.testSetupCode!.includes('root = Node(1)'), true);
    for (const p of all) assert.match(String(p.raw.code), new RegExp(`def\\s+${p.entryPoint}\\s*\\(`), `task ${p.taskId}`);
    assert.equal(mbppEntryPoint('assert math.isclose(area(2), 12.56, rel_tol=0.001)', 'def area(r): pass'), 'area');
    assert.equal(mbppEntryPoint('assert set(f(1)) == {1}', ''), 'f');
  });

  it('mbppSplitOf follows the standard MBPP split', () => {
    assert.deepEqual([1, 10, 11, 510, 511, 600, 601, 974].map(mbppSplitOf), ['prompt', 'prompt', 'test', 'test', 'validation', 'validation', 'train', 'train']);
  });

  it('MBPP-ET subset: 397 records (235 in the test split), visible = first 3 asserts, eval = all 102', async () => {
    const all = await loadDataset('mbpp-et', { split: 'all' });
    assert.equal(all.length, 397);
    const test = await loadDataset('mbpp-et');
    assert.equal(test.length, 235);
    const mbpp = new Map((await loadDataset('mbpp', { split: 'all' })).map((p) => [p.taskId, p]));
    for (const p of all) {
      assert.equal(p.evalProgramTests.length, 102);
      assert.equal(p.etTests!.length, 102);
      assert.deepEqual(p.visibleTests, mbpp.get(p.taskId)!.visibleTests, `task ${p.taskId}`);
      assert.equal(p.entryPoint, p.raw.entry_point);
      assert.equal(p.statement, mbpp.get(p.taskId)!.statement);
    }
  });

  it('HumanEval: 164 problems, eval = the check program as one test, canonical = prompt + body', async () => {
    const all = await loadDataset('humaneval');
    assert.equal(all.length, 164);
    assert.deepEqual(await loadDataset('humaneval', { split: 'all' }), all);
    const p = all[0]!;
    assert.equal(p.taskId, 'HumanEval/0');
    assert.equal(p.entryPoint, 'has_close_elements');
    assert.equal(p.promptCode, p.raw.prompt);
    assert.equal(p.canonicalSolution, String(p.raw.prompt) + String(p.raw.canonical_solution));
    assert.equal(p.evalProgramTests.length, 1);
    assert.equal(p.evalProgramTests[0]!.id, 'eval/check');
    assert.ok(p.evalProgramTests[0]!.code.startsWith(String(p.raw.test)));
    assert.ok(p.evalProgramTests[0]!.code.trimEnd().endsWith('check(has_close_elements)'));
    assert.match(p.statement, /^Check if in given list of numbers/);
    await assert.rejects(loadDataset('humaneval', { split: 'train' }), /humaneval has only a 'test' split/);
  });

  it('HumanEval-ET: 164 problems, eval = the test_case_list asserts (17,628 in total)', async () => {
    const all = await loadDataset('humaneval-et');
    assert.equal(all.length, 164);
    let total = 0;
    for (const p of all) {
      assert.deepEqual(p.evalProgramTests.map((t) => t.code), p.raw.test_case_list);
      assert.deepEqual(p.etTests!.map((t) => t.code), p.raw.test_case_list);
      assert.ok(p.evalProgramTests.length >= 12 && p.evalProgramTests.length <= 143);
      total += p.evalProgramTests.length;
    }
    assert.equal(total, 17628);
  });

  it('etTestsFor maps base-benchmark task ids to their ET asserts', async () => {
    const he = etTestsFor('humaneval');
    assert.equal(he.size, 164);
    assert.equal(he.get('HumanEval/0')![0]!.code.startsWith('assert has_close_elements('), true);
    const mb = etTestsFor('mbpp');
    assert.equal(mb.size, 397);
    const covered = (await loadDataset('mbpp')).filter((p) => mb.has(p.taskId));
    assert.equal(covered.length, 235);
    assert.equal(mb.get(covered[0]!.taskId)!.length, 102);
  });

  it('loadDatasetSync gives the same problems', async () => {
    assert.deepEqual(loadDatasetSync('mbpp-et'), await loadDataset('mbpp-et'));
  });
});

describe('dataset names and coverage', { timeout: 60_000 }, () => {
  it('parseDatasetName accepts the known names and lists them otherwise', () => {
    assert.deepEqual([...knownDatasets], ['mbpp', 'mbpp-et', 'humaneval', 'humaneval-et', 'codecontests']);
    assert.equal(parseDatasetName('mbpp'), 'mbpp');
    assert.equal(parseDatasetName('HumanEval_ET'), 'humaneval-et');
    assert.throws(() => parseDatasetName('apps'), { message: "unknown dataset 'apps'; known datasets: mbpp, mbpp-et, humaneval, humaneval-et, codecontests" });
  });

  it('reports MBPP-ET as partial and the others as full', () => {
    const et = datasetCoverage('mbpp-et');
    assert.equal(et.records, 397);
    assert.equal(et.testSplitRecords, 235);
    assert.equal(et.expectedTestSplitRecords, 500);
    assert.equal(et.full, false);
    assert.match(et.note, /^PARTIAL MBPP-ET: 235 of 500 MBPP test-split tasks/);
    const mbpp = datasetCoverage('mbpp');
    assert.deepEqual([mbpp.records, mbpp.testSplitRecords, mbpp.full], [974, 500, true]);
    const he = datasetCoverage('humaneval');
    assert.deepEqual([he.records, he.testSplitRecords, he.full], [164, 164, true]);
    assert.equal(he.testSplitWithVisibleTests, 154);
    assert.match(he.note, /154 have docstring examples used as visible tests, 10 have none/);
    assert.equal(datasetCoverage('humaneval-et').full, true);
  });
});

describe('user-supplied files', { timeout: 60_000 }, () => {
  it('loads a full MBPP-ET file (plain JSONL or gzipped, with or without entry_point) and reports it as full', async () => {
    const mbpp = await loadDataset('mbpp', { split: 'all' });
    const lines = mbpp.map((p, i) => {
      const r = { ...p.raw, test_list: [...(p.raw.test_list as string[]), ...(p.raw.test_list as string[])] } as Record<string, unknown>;
      if (i % 2 === 0) r.entry_point = p.entryPoint;
      return JSON.stringify(r);
    });
    const plain = writeTmp('mbpp_et_full.jsonl', lines.join('\n') + '\n');
    const gz = writeTmp('mbpp_et_full.data', gzipSync(lines.join('\n'))); // gzip detected by content, not by name
    for (const file of [plain, gz]) {
      const test = await loadDataset('mbpp-et', { file });
      assert.equal(test.length, 500);
      assert.equal(test[0]!.evalProgramTests.length, 6);
      assert.deepEqual(test[0]!.visibleTests, mbpp[10]!.visibleTests);
      assert.equal(test[1]!.entryPoint, mbpp[11]!.entryPoint);
      const cov = datasetCoverage('mbpp-et', { file });
      assert.deepEqual([cov.records, cov.testSplitRecords, cov.full], [974, 500, true]);
      assert.equal(cov.file, file);
    }
  });

  it('accepts string task ids in MBPP-ET files', async () => {
    const file = writeTmp('et_string_ids.jsonl', mbppLine({ task_id: '42' }) + '\n');
    const [p] = await loadDataset('mbpp-et', { file, split: 'all' });
    assert.equal(p!.taskId, '42');
    assert.equal(p!.entryPoint, 'add');
  });
});

describe('malformed records', { timeout: 60_000 }, () => {
  const expectError = async (dataset: 'mbpp' | 'mbpp-et' | 'humaneval' | 'humaneval-et', name: string, content: string, message: string | RegExp) => {
    const file = writeTmp(name, content);
    const want = typeof message === 'string' ? `${dataset} (${file}) ${message}` : message;
    await assert.rejects(loadDataset(dataset, { file, split: 'all' }), (err: unknown) => {
      assert.ok(err instanceof DatasetFormatError);
      assert.ok(err instanceof Error);
      if (typeof want === 'string') assert.equal(err.message, want);
      else assert.match(err.message, want);
      assert.equal(String(err), `Error: ${err.message}`);
      assert.equal(err.file, file);
      return true;
    });
  };

  it('bad JSON names the line', async () => {
    await expectError('mbpp', 'bad-json.jsonl', `${mbppLine()}\n{"text": "x",\n`, /^mbpp \(.*bad-json\.jsonl\) line 2: invalid JSON: /);
  });

  it('a missing field names the line and the field', async () => {
    const rec = JSON.parse(mbppLine()) as Record<string, unknown>;
    delete rec.test_list;
    await expectError('mbpp', 'missing.jsonl', `${mbppLine()}\n\n${JSON.stringify(rec)}\n`, "line 3: field 'test_list' is missing (expected array)");
  });

  it('a wrong type names the field and both types', async () => {
    await expectError('mbpp', 'wrong-type.jsonl', mbppLine({ task_id: 'eleven' }), "line 1: field 'task_id' must be number, got string");
    await expectError('mbpp', 'wrong-nested.jsonl', mbppLine({ test_list: ['assert add(1, 2) == 3', 5] }), "line 1: field 'test_list.1' must be string, got number");
    await expectError('humaneval', 'he-null.jsonl', JSON.stringify({ task_id: 'HumanEval/0', prompt: 'def f():\n    pass\n', canonical_solution: '', test: 'def check(c): pass', entry_point: null }), "line 1: field 'entry_point' must be string, got null");
  });

  it('content rules: asserts, ids, entry point, duplicates, non-objects, empty files', async () => {
    await expectError('mbpp', 'not-assert.jsonl', mbppLine({ test_list: ['print(1)'] }), "line 1: field 'test_list.0' must be an assert statement (start with 'assert')");
    await expectError('mbpp', 'no-call.jsonl', mbppLine({ test_list: ['assert True'] }), "line 1: field 'test_list.0' does not call a function (cannot derive the entry point)");
    await expectError('mbpp', 'dup.jsonl', `${mbppLine()}\n${mbppLine()}\n`, "line 2: field 'task_id' duplicate value \"11\" (first on line 1)");
    await expectError('mbpp', 'array.jsonl', '[1, 2]\n', 'line 1: expected a JSON object, got array');
    await expectError('mbpp', 'empty.jsonl', '\n\n', /^mbpp \(.*empty\.jsonl\): file holds no records$/);
    await expectError('mbpp-et', 'et-short.jsonl', mbppLine({ test_list: ['assert add(1, 2) == 3'] }), /line 1: field 'test_list' /);
    await expectError('humaneval', 'he-id.jsonl', JSON.stringify({ task_id: 'HE/0', prompt: 'def f():\n    pass\n', canonical_solution: '', test: 'def check(c): pass', entry_point: 'f' }), "line 1: field 'task_id' must look like 'HumanEval/<n>'");
    await expectError('humaneval', 'he-entry.jsonl', JSON.stringify({ task_id: 'HumanEval/0', prompt: 'def g():\n    pass\n', canonical_solution: '', test: 'def check(c): pass', entry_point: 'f' }), "line 1: field 'prompt' does not define the entry point 'f'");
    await expectError('humaneval-et', 'het-missing.jsonl', JSON.stringify({ task_id: 'HumanEval/0', prompt: 'def f():\n    pass\n', canonical_solution: '', test: 'def check(c): pass', entry_point: 'f' }), "line 1: field 'test_case_list' is missing (expected array)");
  });

  it('an unreadable file or corrupt gzip is an error naming the dataset and file', async () => {
    const missing = join(tmp, 'nope.jsonl');
    await assert.rejects(loadDataset('mbpp', { file: missing }), { message: new RegExp(`^mbpp \\(${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\): cannot read file: ENOENT`) });
    const corrupt = writeTmp('corrupt.jsonl.gz', Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    await assert.rejects(loadDataset('mbpp', { file: corrupt }), /^Error: mbpp \(.*corrupt\.jsonl\.gz\): corrupt gzip data/);
  });
});
