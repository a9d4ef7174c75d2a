// The per-test verdicts of a sandboxed run (executions.per_test) as zod schemas: a function-call problem's TestResult
// or a contest's StdioTestResult, exactly what the sandbox returns (activities/sandbox/schema.ts, stdio-schema.ts
// re-export these: core/ cannot import activities/). The column's type is inferred from perTestSchema and every
// read goes through parseStored, so a row that is not a list of verdicts fails naming the row.
import { z } from 'zod';
import { parseStored } from './parse.ts';
import type { Same } from './same.ts';

/** Per-test verdicts.  `passed` only when the harness itself saw the test code complete. */
export const TEST_STATUSES = [
  'passed', 'failed', 'error', 'timeout', 'memory_limit', 'output_limit', 'killed', 'syntax_error',
  /** An equality assert passed only because the returned object claims equality (python/sandbox/equality.py). */
  'suspicious_eq',
] as const;
export const TestStatus = z.enum(TEST_STATUSES);
export type TestStatus = z.infer<typeof TestStatus>;

export const ServerError = z.object({ type: z.string(), message: z.string() });

/** What every sandboxed test reports of its run, whatever kind of problem it belongs to. */
const runFields = {
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  /** Wall time of this test's own phase (measured inside the child; for a test that ended the child: by the server). */
  durationMs: z.number(),
  cpuMs: z.number(),
  exitCode: z.number().int(),
};

export const TestResult = z.object({
  id: z.string(),
  status: TestStatus,
  error: ServerError.optional(),
  ...runFields,
  trace: z.string().optional(),
  traceTruncated: z.boolean().optional(),
});
export type TestResult = z.infer<typeof TestResult>;

/** Contest verdicts. `skipped`: not run, because an earlier test already failed (stopOnFirstFailure). */
export const CONTEST_VERDICTS = ['accepted', 'wrong_answer', 'time_limit', 'memory_limit', 'runtime_error', 'skipped'] as const;
export const ContestVerdict = z.enum(CONTEST_VERDICTS);
export type ContestVerdict = z.infer<typeof ContestVerdict>;

export const StdioTestResult = z.object({
  id: z.string(),
  verdict: ContestVerdict,
  status: z.string(),
  error: ServerError.optional(),
  /** The checker's message for a wrong answer (first differing token), else ''. */
  checker: z.string(),
  ...runFields,
});
export type StdioTestResult = z.infer<typeof StdioTestResult>;

const hasVerdict = (v: unknown): boolean => typeof v === 'object' && v !== null && 'verdict' in v;

/**
 * executions.per_test: the run's tests in order, each a contest verdict (it has `verdict`) or a function-call
 * problem's. Each test is checked against its own shape (not a union), so a bad one names its bad field.
 */
export const perTestSchema = z.array(z.unknown()).transform((tests, ctx) => tests.map((t, i) => {
  const parsed = hasVerdict(t) ? StdioTestResult.safeParse(t) : TestResult.safeParse(t);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: [i, ...issue.path], message: issue.message });
  return z.NEVER;
}));
export type PerTest = Array<StdioTestResult | TestResult>;

/** Compile-time: the schema's output is the column's type. */
export const PER_TEST_SCHEMA_IS_TYPE: Same<z.output<typeof perTestSchema>, PerTest> = true;

/** An executions row with its per-test verdicts validated (throws StoredShapeError naming the row). */
export function executionOfRow<R extends { id: number; perTest: unknown }>(row: R): R & { perTest: PerTest } {
  return { ...row, perTest: parseStored(perTestSchema, row.perTest, { table: 'executions', column: 'per_test', id: row.id }) };
}
