// Loading the four benchmarks (shipped files in data/, or a user-supplied file in the same format) into Problems.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { repoPath } from '../repo.ts';
import { codeContestsProblem, readCodeContests } from './codecontests.ts';
import { docstringExamples, parseEntryFunction } from './humaneval.ts';
import { DatasetFormatError, readJsonl, type JsonlRow } from './jsonl.ts';
import { findCalls } from './pyscan.ts';
import {
  knownDatasets,
  type DatasetCoverage,
  type DatasetName,
  type EvalTest,
  type LoadOptions,
  type Problem,
  type Split,
  type SplitSelector,
} from './types.ts';


/** A dataset or split that does not exist was asked for: the caller's input, naming the field at fault. */
export class DatasetSelectionError extends Error {
  constructor(readonly field: 'dataset' | 'split', message: string) {
    super(message);
    this.name = 'DatasetSelectionError';
  }
}
export { knownDatasets };

/** The shipped file of each dataset, relative to the repository root (CodeContests ships none: --dataset-file). */
export const shippedFiles: Record<Exclude<DatasetName, 'codecontests'>, string> = {
  mbpp: 'data/mbpp.jsonl.gz',
  'mbpp-et': 'data/mbpp_et_subset397.jsonl.gz',
  humaneval: 'data/humaneval.jsonl.gz',
  'humaneval-et': 'data/humaneval_et.jsonl.gz',
};

/** Validate a dataset name (CLI / API input); the error lists the known names. */
export function parseDatasetName(s: string): DatasetName {
  const v = s.trim().toLowerCase().replace(/_/g, '-');
  if ((knownDatasets as readonly string[]).includes(v)) return v as DatasetName;
  throw new DatasetSelectionError('dataset', `unknown dataset '${s}'; known datasets: ${knownDatasets.join(', ')}`);
}

export const splitSelectors = ['test', 'train', 'validation', 'prompt', 'all'] as const satisfies readonly SplitSelector[];

export function parseSplit(s: string): SplitSelector {
  if ((splitSelectors as readonly string[]).includes(s)) return s as SplitSelector;
  throw new DatasetSelectionError('split', `unknown split '${s}'; known splits: ${splitSelectors.join(', ')}`);
}

/** MBPP's standard split of task ids: 1-10 prompt, 11-510 test, 511-600 validation, 601 and above train. */
export function mbppSplitOf(taskId: number): Split {
  if (taskId <= 10) return 'prompt';
  if (taskId <= 510) return 'test';
  if (taskId <= 600) return 'validation';
  return 'train';
}

export const MBPP_TEST_SPLIT_SIZE = 500;
export const HUMANEVAL_SIZE = 164;
/** Problems in CodeContests' published test split. */
export const CODECONTESTS_TEST_SIZE = 165;

// ---------------------------------------------------------------------------------------------------------------
// Record schemas (exactly the publishers' field names).

const assertString = z.string().refine((s) => /^\s*assert\b/.test(s), { message: "must be an assert statement (start with 'assert')" });
const nonEmpty = z.string().refine((s) => s.trim() !== '', { message: 'must not be empty' });

export const mbppRecordSchema = z.object({
  task_id: z.number().int().positive(),
  text: nonEmpty,
  code: nonEmpty,
  test_setup_code: z.string(),
  test_list: z.array(assertString).min(1),
  challenge_test_list: z.array(z.string()),
});

export const mbppEtRecordSchema = z.object({
  task_id: z.union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]*$/, { message: 'must be a positive integer id' })]),
  text: nonEmpty,
  code: nonEmpty,
  test_setup_code: z.string().optional(),
  test_list: z.array(assertString).min(3),
  challenge_test_list: z.array(z.string()).optional(),
  entry_point: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be a Python identifier' }).optional(),
});

export const humanEvalRecordSchema = z.object({
  task_id: z.string().regex(/^HumanEval\/[0-9]+$/, { message: "must look like 'HumanEval/<n>'" }),
  prompt: nonEmpty,
  canonical_solution: z.string(),
  test: z.string().refine((s) => /\bdef\s+check\s*\(/.test(s), { message: 'must define check(candidate)' }),
  entry_point: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be a Python identifier' }),
});

export const humanEvalEtRecordSchema = humanEvalRecordSchema.extend({
  test_case_list: z.array(assertString).min(1),
});

// ---------------------------------------------------------------------------------------------------------------

const WRAPPERS = new Set([
  'set', 'sorted', 'list', 'tuple', 'int', 'float', 'str', 'round', 'abs', 'len', 'frozenset', 'dict', 'bool', 'isinstance',
  'math.isclose', 'isclose', 'all', 'any', 'sum', 'max', 'min', 'type', 'repr', 'print', 'next', 'iter', 'map', 'filter', 'reversed',
  'enumerate', 'zip', 'range', 'callable',
]);

/** The function an MBPP assert tests: the first called name that the reference code defines, else the first non-builtin call. */
export function mbppEntryPoint(firstAssert: string, code: string): string | null {
  const calls = findCalls(firstAssert).filter((c) => !c.name.includes('.') || c.name === 'math.isclose');
  const defined = calls.find((c) => new RegExp(`^\\s*def\\s+${c.name.replace(/\./g, "\\.")}\\s*\\(`, 'm').test(code));
  if (defined) return defined.name;
  const other = calls.find((c) => !WRAPPERS.has(c.name) && !c.name.includes('.'));
  return other?.name ?? null;
}

const lf = (s: string): string => s.replace(/\r\n?/g, '\n');
const tests = (prefix: string, list: readonly string[]): EvalTest[] => list.map((code, i) => ({ id: `${prefix}/${i}`, code }));

function checkUnique<T>(dataset: string, file: string, rows: JsonlRow<T>[], idOf: (v: T) => string): void {
  const seen = new Map<string, number>();
  for (const r of rows) {
    const id = idOf(r.value);
    const first = seen.get(id);
    if (first !== undefined) throw new DatasetFormatError(dataset, file, r.line, 'task_id', `duplicate value ${JSON.stringify(id)} (first on line ${first})`);
    seen.set(id, r.line);
  }
}

function mbppProblem(
  dataset: 'mbpp' | 'mbpp-et',
  file: string,
  row: JsonlRow<{ task_id: number | string; text: string; code: string; test_setup_code?: string | undefined; test_list: string[]; entry_point?: string | undefined }>,
): Problem {
  const v = row.value;
  const id = Number(v.task_id);
  const entryPoint = v.entry_point ?? mbppEntryPoint(v.test_list[0]!, v.code);
  if (entryPoint === null) throw new DatasetFormatError(dataset, file, row.line, 'test_list.0', 'does not call a function (cannot derive the entry point)');
  const visible = dataset === 'mbpp' ? v.test_list : v.test_list.slice(0, 3);
  const p: Problem = {
    dataset,
    taskId: String(id),
    split: mbppSplitOf(id),
    entryPoint,
    statement: v.text.trim(),
    testSetupCode: v.test_setup_code ?? '',
    visibleTests: [...visible],
    evalProgramTests: tests('eval', v.test_list),
    canonicalSolution: lf(v.code),
    raw: row.raw,
  };
  if (dataset === 'mbpp-et') p.etTests = tests('et', v.test_list);
  return p;
}

function humanEvalProblem(
  dataset: 'humaneval' | 'humaneval-et',
  file: string,
  row: JsonlRow<{ task_id: string; prompt: string; canonical_solution: string; test: string; entry_point: string; test_case_list?: string[] }>,
): Problem {
  const v = row.value;
  if (!parseEntryFunction(v.prompt, v.entry_point)) {
    throw new DatasetFormatError(dataset, file, row.line, 'prompt', `does not define the entry point '${v.entry_point}'`);
  }
  const check: EvalTest = { id: 'eval/check', code: `${v.test}\n\ncheck(${v.entry_point})\n` };
  const p: Problem = {
    dataset,
    taskId: v.task_id,
    split: 'test',
    entryPoint: v.entry_point,
    statement: parseEntryFunction(v.prompt, v.entry_point)!.docstring,
    promptCode: v.prompt,
    visibleTests: docstringExamples(v.prompt, v.entry_point),
    evalProgramTests: [check],
    canonicalSolution: v.prompt + v.canonical_solution,
    raw: row.raw,
  };
  if (dataset === 'humaneval-et') {
    p.etTests = tests('et', v.test_case_list!);
    p.evalProgramTests = tests('eval', v.test_case_list!);
  }
  return p;
}

/** The file a dataset is read from: the user's file (resolved against the working directory) or the shipped one. */
export function datasetFile(name: DatasetName, file?: string): string {
  if (name === 'codecontests') {
    if (file === undefined) throw noCodeContestsFile();
    return file.split(',').map((f) => resolve(f.trim())).join(',');
  }
  if (file !== undefined && file.includes(',') && !existsSync(file)) {
    throw new DatasetFormatError(name, file, undefined, undefined, `${name} reads one --dataset-file (several files are for codecontests)`);
  }
  return file !== undefined ? resolve(file) : repoPath(shippedFiles[name]);
}

function noCodeContestsFile(): DatasetFormatError {
  return new DatasetFormatError('codecontests', '(no file)', undefined, undefined,
    'no data is shipped: supply the DeepMind CodeContests JSONL or parquet files with --dataset-file FILE[,FILE...]');
}

/** Every record of the file as a Problem, in file order (no split filtering). */
function loadAll(name: DatasetName, file: string): Problem[] {
  switch (name) {
    case 'codecontests':
      throw new Error('codecontests is read asynchronously (parquet): use loadDataset, not loadDatasetSync');
    case 'mbpp': {
      const rows = readJsonl(name, file, mbppRecordSchema);
      checkUnique(name, file, rows, (v) => String(v.task_id));
      return rows.map((r) => mbppProblem(name, file, r));
    }
    case 'mbpp-et': {
      const rows = readJsonl(name, file, mbppEtRecordSchema);
      checkUnique(name, file, rows, (v) => String(Number(v.task_id)));
      return rows.map((r) => mbppProblem(name, file, r));
    }
    case 'humaneval': {
      const rows = readJsonl(name, file, humanEvalRecordSchema);
      checkUnique(name, file, rows, (v) => v.task_id);
      return rows.map((r) => humanEvalProblem(name, file, r));
    }
    case 'humaneval-et': {
      const rows = readJsonl(name, file, humanEvalEtRecordSchema);
      checkUnique(name, file, rows, (v) => v.task_id);
      return rows.map((r) => humanEvalProblem(name, file, r));
    }
  }
}

/**
 * Load a benchmark as Problems. MBPP / MBPP-ET default to the test split (task ids 11-510); HumanEval(-ET) is one
 * 164-problem test split (asking it for another split is an error). `file` loads a user-supplied JSONL(.GZ) file
 * with the same validation (e.g. the full MBPP-ET).
 */
export async function loadDataset(name: DatasetName, opts: LoadOptions = {}): Promise<Problem[]> {
  if (parseDatasetName(name) === 'codecontests') {
    const split = opts.split ?? 'test';
    if (split === 'prompt') throw new DatasetSelectionError('split', "codecontests has no 'prompt' split (test, train, validation)");
    const all = (await readCodeContests(datasetFile('codecontests', opts.file))).map(codeContestsProblem);
    return split === 'all' ? all : all.filter((p) => p.split === split);
  }
  return loadDatasetSync(name, opts);
}

/** Synchronous form of loadDataset (same validation, same result). */
export function loadDatasetSync(name: DatasetName, opts: LoadOptions = {}): Problem[] {
  const dataset = parseDatasetName(name);
  const file = datasetFile(dataset, opts.file);
  const split = opts.split ?? 'test';
  if (dataset.startsWith('humaneval') && split !== 'test' && split !== 'all') {
    throw new DatasetSelectionError('split', `${dataset} has only a 'test' split (asked for '${split}')`);
  }
  const all = loadAll(dataset, file);
  return split === 'all' ? all : all.filter((p) => p.split === split);
}

/** How much of the benchmark a file covers, for the note under every results table (MBPP-ET ships as a partial subset). */
export function datasetCoverage(name: DatasetName, opts: { file?: string } = {}): DatasetCoverage {
  const dataset = parseDatasetName(name);
  if (dataset === 'codecontests') {
    // User-supplied files only (their split is read from the file names); the results table counts the problems.
    return {
      dataset, file: opts.file ?? '(user-supplied)', records: 0, testSplitRecords: 0, expectedTestSplitRecords: CODECONTESTS_TEST_SIZE,
      full: true, testSplitWithVisibleTests: 0,
      note: `codecontests: user-supplied file(s); the published test split has ${CODECONTESTS_TEST_SIZE} problems.`,
    };
  }
  const file = datasetFile(dataset, opts.file);
  const all = loadAll(dataset, file);
  const testSplit = all.filter((p) => p.split === 'test');
  const expected = dataset.startsWith('mbpp') ? MBPP_TEST_SPLIT_SIZE : HUMANEVAL_SIZE;
  const full = testSplit.length >= expected;
  const withVisible = testSplit.filter((p) => p.visibleTests.length > 0).length;
  let note: string;
  if (dataset === 'mbpp-et' && !full) {
    const ids = testSplit.map((p) => Number(p.taskId));
    note = `PARTIAL MBPP-ET: ${testSplit.length} of ${expected} MBPP test-split tasks have ET tests in this file (${all.length} records, task ids ${Math.min(...all.map((p) => Number(p.taskId)))}-${Math.max(...all.map((p) => Number(p.taskId)))}; test-split ids ${ids.length > 0 ? `${Math.min(...ids)}-${Math.max(...ids)}` : 'none'}); numbers are not comparable with full MBPP-ET results. Supply the full file with --dataset-file.`;
  } else if (!full) {
    note = `PARTIAL ${dataset}: ${testSplit.length} of ${expected} test-split tasks present (${all.length} records).`;
  } else if (dataset.startsWith('humaneval')) {
    note = `${dataset}: all ${expected} tasks; ${withVisible} have docstring examples used as visible tests, ${expected - withVisible} have none.`;
  } else {
    note = `${dataset}: full test split (${testSplit.length} tasks, ids 11-510).`;
  }
  return {
    dataset,
    file,
    records: all.length,
    testSplitRecords: testSplit.length,
    expectedTestSplitRecords: expected,
    full,
    testSplitWithVisibleTests: withVisible,
    note,
  };
}

/**
 * The ET asserts of the base benchmark's tasks, keyed by task id, for re-running solutions of an `mbpp` or `humaneval`
 * campaign on the extended tests after generation (§5). MBPP uses the MBPP-ET file (`file` for the full one); tasks
 * missing from it are absent from the map.
 */
export function etTestsFor(base: 'mbpp' | 'humaneval', opts: { file?: string } = {}): Map<string, EvalTest[]> {
  const et = loadAll(base === 'mbpp' ? 'mbpp-et' : 'humaneval-et', datasetFile(base === 'mbpp' ? 'mbpp-et' : 'humaneval-et', opts.file));
  return new Map(et.map((p) => [p.taskId, p.etTests ?? []]));
}
