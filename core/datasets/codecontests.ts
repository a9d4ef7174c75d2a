// DeepMind CodeContests (Li et al., 2022): stdin/stdout problems, from JSONL exports or Hugging Face parquet shards.
// Nothing is shipped: users supply the files (`--dataset codecontests --dataset-file a.parquet,b.parquet`).
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { z } from 'zod';
import { DatasetFormatError, readJsonlText } from './jsonl.ts';
import type { IoProblem, IoTest, Problem, Split } from './types.ts';

const DATASET = 'codecontests';
/** CodeContests' language enum (solutions.language): 3 = PYTHON3 (1 = Python 2, 2 = C++, 4 = Java). */
export const PYTHON3 = 3;
/** The authors keep the first three public tests for the prompt and for selection (TESTS_COUNT_THRESHOLD). */
export const VISIBLE_TESTS = 3;

// Parquet int64 columns arrive as BigInt; JSONL exports hold numbers.
const num = z.union([z.number(), z.bigint()]).transform(Number);
const tests = z.object({ input: z.array(z.string()), output: z.array(z.string()) })
  .refine((t) => t.input.length === t.output.length, { message: 'input and output must have the same length' });
const noTests = { input: [] as string[], output: [] as string[] };
const solutions = z.object({ language: z.array(num), solution: z.array(z.string()) })
  .refine((s) => s.language.length === s.solution.length, { message: 'language and solution must have the same length' });

export const codeContestsRecordSchema = z.object({
  name: z.string().refine((s) => s.trim() !== '', { message: 'must not be empty' }),
  description: z.string(),
  public_tests: tests.nullish().transform((t) => t ?? noTests),
  private_tests: tests.nullish().transform((t) => t ?? noTests),
  generated_tests: tests.nullish().transform((t) => t ?? noTests),
  /** google.protobuf.Duration as {seconds, nanos}, or seconds as a number; null/absent = unknown. */
  time_limit: z.union([z.object({ seconds: num.nullish(), nanos: num.nullish() }), num]).nullish(),
  memory_limit_bytes: num.nullish(),
  solutions: solutions.nullish(),
  incorrect_solutions: solutions.nullish(),
  difficulty: num.nullish(),
  source: num.nullish(),
});
export type CodeContestsRecord = z.output<typeof codeContestsRecordSchema>;

/** One validated record with where it came from (1-based row; JSONL: the line). */
export interface CodeContestsRow { file: string; row: number; split: Split; record: CodeContestsRecord; raw: Record<string, unknown> }

/** The split of a file from its name, as the Hugging Face shards are named (train-*, valid-*, test-*); default test. */
export function splitOfFile(file: string): Split {
  const b = basename(file).toLowerCase();
  if (/(^|[^a-z])train/.test(b)) return 'train';
  if (/(^|[^a-z])valid/.test(b)) return 'validation';
  return 'test';
}

/** `--dataset-file a,b` → the files (resolved against the working directory). */
export function codeContestsFiles(spec: string): string[] {
  const files = spec.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (files.length === 0) throw new DatasetFormatError(DATASET, spec, undefined, undefined, 'no file given (--dataset-file FILE[,FILE...])');
  return files.map((f) => resolve(f));
}

function isParquet(file: string, buf: Buffer): boolean {
  return file.toLowerCase().endsWith('.parquet') || (buf.length >= 4 && buf.subarray(0, 4).toString('latin1') === 'PAR1');
}

function fieldOf(issue: z.core.$ZodIssue): string {
  return issue.path.length > 0 ? issue.path.map(String).join('.') : '(record)';
}

function validate(file: string, row: number, split: Split, value: unknown): CodeContestsRow {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DatasetFormatError(DATASET, file, row, undefined, 'is not a JSON object');
  }
  const r = codeContestsRecordSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new DatasetFormatError(DATASET, file, row, fieldOf(issue), issue.message);
  }
  return { file, row, split, record: r.data, raw: value as Record<string, unknown> };
}

function readJsonlRecords(file: string, split: Split): CodeContestsRow[] {
  const lines = readJsonlText(DATASET, file).split('\n');
  const rows: CodeContestsRow[] = [];
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new DatasetFormatError(DATASET, file, i + 1, undefined, `is not valid JSON: ${(e as Error).message}`);
    }
    rows.push(validate(file, i + 1, split, value));
  });
  return rows;
}

async function readParquetRecords(file: string, buf: Buffer, split: Split): Promise<CodeContestsRow[]> {
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  let objects: Record<string, unknown>[];
  try {
    objects = await parquetReadObjects({ file: ab, utf8: true });
  } catch (e) {
    throw new DatasetFormatError(DATASET, file, undefined, undefined, `cannot read parquet: ${(e as Error).message}`);
  }
  return objects.map((o, i) => validate(file, i + 1, split, o));
}

/** Every record of the files, validated, in file order (errors name the file, the row and the field). */
export async function readCodeContests(spec: string): Promise<CodeContestsRow[]> {
  const out: CodeContestsRow[] = [];
  for (const file of codeContestsFiles(spec)) {
    let buf: Buffer;
    try {
      buf = readFileSync(file);
    } catch (e) {
      throw new DatasetFormatError(DATASET, file, undefined, undefined, `cannot read file: ${(e as Error).message}`);
    }
    const split = splitOfFile(file);
    out.push(...(isParquet(file, buf) ? await readParquetRecords(file, buf, split) : readJsonlRecords(file, split)));
  }
  const seen = new Map<string, CodeContestsRow>();
  for (const r of out) {
    const first = seen.get(r.record.name);
    if (first) throw new DatasetFormatError(DATASET, r.file, r.row, 'name', `duplicate value ${JSON.stringify(r.record.name)} (first in ${first.file} row ${first.row})`);
    seen.set(r.record.name, r);
  }
  return out;
}

const ioTests = (prefix: string, t: { input: string[]; output: string[] }): IoTest[] =>
  t.input.map((input, i) => ({ id: `${prefix}/${i}`, input, output: t.output[i]! }));

function timeLimitMs(t: CodeContestsRecord['time_limit']): number | null {
  if (t === null || t === undefined) return null;
  const ms = typeof t === 'number' ? t * 1000 : (t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6;
  return ms > 0 ? ms : null;
}

/** The examples as the prompt shows them (and `visibleTests` holds them, for the dashboard and `egcfg show`). */
export function renderExample(t: IoTest): string {
  return `Input:\n${t.input.replace(/\s+$/, '')}\nOutput:\n${t.output.replace(/\s+$/, '')}`;
}

/** A record as a Problem. `raw` keeps the record without its bulky fields (tests and solutions: only their counts). */
export function codeContestsProblem(r: CodeContestsRow): Problem {
  const v = r.record;
  const pub = ioTests('public', v.public_tests);
  const io: IoProblem = {
    publicTests: pub,
    privateTests: ioTests('private', v.private_tests),
    generatedTests: ioTests('generated', v.generated_tests),
    timeLimitMs: timeLimitMs(v.time_limit),
    memoryLimitBytes: v.memory_limit_bytes && v.memory_limit_bytes > 0 ? v.memory_limit_bytes : null,
    difficulty: v.difficulty ?? null,
  };
  const bulky = new Set(['public_tests', 'private_tests', 'generated_tests', 'solutions', 'incorrect_solutions']);
  const raw: Record<string, unknown> = Object.fromEntries(Object.entries(r.raw).filter(([k]) => !bulky.has(k))
    .map(([k, x]) => [k, typeof x === 'bigint' ? Number(x) : x]));
  raw.counts = {
    public_tests: pub.length, private_tests: io.privateTests.length, generated_tests: io.generatedTests.length,
    solutions: v.solutions?.solution.length ?? 0, incorrect_solutions: v.incorrect_solutions?.solution.length ?? 0,
  };
  raw.source_file = r.file;
  raw.source_row = r.row;
  return {
    dataset: 'codecontests', taskId: v.name, split: r.split, entryPoint: 'solve', statement: v.description.trim(),
    visibleTests: pub.slice(0, VISIBLE_TESTS).map(renderExample), evalProgramTests: [],
    canonicalSolution: pythonSolutions(v.solutions)[0] ?? '', raw, io,
  };
}

/** The Python 3 programs of a solutions list (correct or incorrect ones). */
export function pythonSolutions(s: CodeContestsRecord['solutions']): string[] {
  if (!s) return [];
  return s.solution.filter((_, i) => s.language[i] === PYTHON3);
}
