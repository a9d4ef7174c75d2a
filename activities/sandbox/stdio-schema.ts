// zod schemas of contest judging (stdin/stdout programs): what callers ask for, what the fork server answers (its
// "stdio" op, python/sandbox/server.py + checker.py), and what callers get back.
import { z } from 'zod';
import { ContestVerdict, ServerError, StdioTestResult } from '../../core/stored/per-test.ts';
import { LIMITS } from './schema.ts';

// The verdict schemas are stored shapes (executions.per_test): they live in core/stored/per-test.ts.
export { CONTEST_VERDICTS, ContestVerdict, StdioTestResult } from '../../core/stored/per-test.ts';

/** The largest input or expected output of one test (the child's RLIMIT_FSIZE is 16 MiB; the input is a memfd). */
export const STDIO_TEST_CHARS = 15 * 1024 * 1024;

const int = (name: string, lim: { min: number; max: number }) =>
  z.number().int(`${name} must be an integer`).min(lim.min, `${name} must be >= ${lim.min}`).max(lim.max, `${name} must be <= ${lim.max}`);

export const StdioTest = z.object({
  id: z.string().min(1, 'test id must not be empty').max(200, 'test id longer than 200 characters'),
  input: z.string().max(STDIO_TEST_CHARS, `input longer than ${STDIO_TEST_CHARS} characters`),
  /** The expected output, compared token by token (checker.py). */
  output: z.string().max(STDIO_TEST_CHARS, `output longer than ${STDIO_TEST_CHARS} characters`),
}).strict();
export type StdioTest = z.infer<typeof StdioTest>;

export const StdioRequest = z.object({
  /** The whole program; each test runs it afresh with the test's input on stdin. */
  program: z.string().max(LIMITS.programChars, `program longer than ${LIMITS.programChars} characters`),
  tests: z.array(StdioTest).min(1, 'tests must hold at least one test').max(LIMITS.tests, `more than ${LIMITS.tests} tests`),
  /** CPU-time limit per test (ms): the problem's limit, already scaled for this host by the caller. */
  timeoutMs: int('timeoutMs', LIMITS.timeoutMs).optional(),
  memoryMb: int('memoryMb', LIMITS.memoryMb).optional(),
  wallTimeoutMs: int('wallTimeoutMs', LIMITS.wallTimeoutMs).optional(),
  /** Absolute-or-relative tolerance for tokens whose expected value is a float (default 1e-6). */
  floatTolerance: z.number().min(0).lt(1).optional(),
  /** Stop at the first test not accepted; the rest are `skipped` (default true, like a judge). */
  stopOnFirstFailure: z.boolean().optional(),
}).strict().superRefine((req, ctx) => {
  const seen = new Set<string>();
  for (const [i, t] of req.tests.entries()) {
    if (seen.has(t.id)) ctx.addIssue({ code: 'custom', path: ['tests', i, 'id'], message: `duplicate test id ${JSON.stringify(t.id)}` });
    seen.add(t.id);
  }
});
export type StdioRequest = z.input<typeof StdioRequest>;

export const ServerStdioResult = z.object({
  id: z.string(),
  verdict: ContestVerdict,
  /** The harness status of the run (passed = the program completed; then the checker decided). */
  status: z.string(),
  error: ServerError.nullable(),
  stdout: z.string(),
  stderr: z.string(),
  stdout_truncated: z.boolean(),
  stderr_truncated: z.boolean(),
  duration_ms: z.number(),
  cpu_ms: z.number(),
  exit_code: z.number().int(),
  checker: z.string(),
});
export type ServerStdioResult = z.infer<typeof ServerStdioResult>;


export const StdioResult = z.object({
  /** accepted only if every test was accepted; else the verdict of the first test that was not. */
  verdict: ContestVerdict,
  passed: z.boolean(),
  testsPassed: z.number().int(),
  testsTotal: z.number().int(),
  tests: z.array(StdioTestResult),
  stdout: z.string(),
  stderr: z.string(),
  durationMs: z.number(),
  queuedMs: z.number(),
  isolation: z.enum(['nsjail', 'none']),
});
export type StdioResult = z.infer<typeof StdioResult>;
