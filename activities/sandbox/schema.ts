// zod schemas for everything that crosses the sandbox's boundaries: what callers ask for, what the fork server
// (python/sandbox/server.py) answers, and what callers get back.
import { z } from 'zod';
import { ServerError, TestResult, TestStatus } from '../../core/stored/per-test.ts';

// The verdict schemas are stored shapes (executions.per_test): they live in core/stored/per-test.ts.
export { TEST_STATUSES, TestStatus, ServerError, TestResult } from '../../core/stored/per-test.ts';

/** Hard ceilings a request may ask for (the jail's own RLIMIT_AS is the pool's maxMemoryMb). */
export const LIMITS = {
  timeoutMs: { min: 10, max: 600_000 },
  memoryMb: { min: 48, max: 65_536 },
  wallTimeoutMs: { min: 10, max: 1_800_000 },
  traceMaxSteps: { min: 1, max: 10_000_000 },
  traceMaxChars: { min: 1, max: 64 * 1024 * 1024 },
  programChars: 4 * 1024 * 1024,
  testChars: 1024 * 1024,
  tests: 1_000,
} as const;

export const TestCase = z.object({
  id: z.string().min(1, 'test id must not be empty').max(200, 'test id longer than 200 characters'),
  code: z.string().max(LIMITS.testChars, `test code longer than ${LIMITS.testChars} characters`),
  /** What the program reads on stdin (trace mode or isolateTests only: one child per test). */
  stdin: z.string().max(15 * 1024 * 1024, 'stdin longer than 15 MiB').optional(),
}).strict();
export type TestCase = z.infer<typeof TestCase>;

const int = (name: string, lim: { min: number; max: number }) =>
  z.number().int(`${name} must be an integer`).min(lim.min, `${name} must be >= ${lim.min}`)
    .max(lim.max, `${name} must be <= ${lim.max}`);

export const RunRequest = z.object({
  program: z.string().max(LIMITS.programChars, `program longer than ${LIMITS.programChars} characters`),
  tests: z.array(TestCase).min(1, 'tests must hold at least one test case')
    .max(LIMITS.tests, `more than ${LIMITS.tests} test cases`),
  /** verdict: program then each test in one namespace.  trace: EG-CFG traces (program + "\n" + test, traced). */
  mode: z.enum(['verdict', 'trace']).optional(),
  /** CPU-time limit per phase (the program, and each test case), in ms. */
  timeoutMs: int('timeoutMs', LIMITS.timeoutMs).optional(),
  memoryMb: int('memoryMb', LIMITS.memoryMb).optional(),
  /** Wall-clock limit per phase; default 3 * timeoutMs + 1000 (sleeping code; CPU time decides otherwise). */
  wallTimeoutMs: int('wallTimeoutMs', LIMITS.wallTimeoutMs).optional(),
  /** One fresh child (program re-executed) per test case, like `python3 program+test` per assert. */
  isolateTests: z.boolean().optional(),
  traceMaxSteps: int('traceMaxSteps', LIMITS.traceMaxSteps).optional(),
  traceMaxChars: int('traceMaxChars', LIMITS.traceMaxChars).optional(),
  /** How trace values are written: 'python' (repr, default) or 'authors' (as the EG-CFG authors' tracer: python/sandbox/tracer.py). */
  traceFormat: z.enum(['python', 'authors']).optional(),
}).strict().superRefine((req, ctx) => {
  const seen = new Set<string>();
  for (const [i, t] of req.tests.entries()) {
    if (seen.has(t.id)) ctx.addIssue({ code: 'custom', path: ['tests', i, 'id'], message: `duplicate test id ${JSON.stringify(t.id)}` });
    seen.add(t.id);
    if (t.stdin !== undefined && req.mode !== 'trace' && req.isolateTests !== true) {
      ctx.addIssue({ code: 'custom', path: ['tests', i, 'stdin'], message: "stdin needs mode 'trace' or isolateTests (one child per test)" });
    }
  }
});
export type RunRequest = z.input<typeof RunRequest>;

export const RunProgramRequest = z.object({
  code: z.string().max(LIMITS.programChars, `code longer than ${LIMITS.programChars} characters`),
  timeoutMs: int('timeoutMs', LIMITS.timeoutMs).optional(),
  memoryMb: int('memoryMb', LIMITS.memoryMb).optional(),
  wallTimeoutMs: int('wallTimeoutMs', LIMITS.wallTimeoutMs).optional(),
  trace: z.boolean().optional(),
  traceMaxSteps: int('traceMaxSteps', LIMITS.traceMaxSteps).optional(),
  traceMaxChars: int('traceMaxChars', LIMITS.traceMaxChars).optional(),
}).strict();
export type RunProgramRequest = z.input<typeof RunProgramRequest>;

export const SandboxOptions = z.object({
  /** Warm workers (jails); default: os.availableParallelism(). */
  poolSize: z.number().int().min(1, 'poolSize must be >= 1').max(256, 'poolSize must be <= 256').optional(),
  defaultTimeoutMs: int('defaultTimeoutMs', LIMITS.timeoutMs).optional(),
  defaultMemoryMb: int('defaultMemoryMb', LIMITS.memoryMb).optional(),
  /** The jail's RLIMIT_AS (MB): the largest memoryMb a request may ask for.  Default 4096. */
  maxMemoryMb: int('maxMemoryMb', LIMITS.memoryMb).optional(),
  /** Memory cgroup (v1) per slot, capping ALL processes of a jail together (RLIMIT_AS is per process, and a test may
   *  have up to 31 processes).  'auto' (default): used when running as root with cgroup v1's memory controller, else
   *  a warning is logged; 'off': not used. */
  memoryCgroup: z.enum(['auto', 'off']).optional(),
  /** The per-slot cgroup limit (MB).  Default maxMemoryMb + 256. */
  slotMemoryMb: z.number().int().min(64, 'slotMemoryMb must be >= 64').max(1024 * 1024).optional(),
  /** stdout/stderr kept per stream per phase (bytes).  Default 65536. */
  keepOutputBytes: z.number().int().min(0).max(64 * 1024 * 1024).optional(),
  /** A phase writing more than this to stdout or stderr is killed: status output_limit.  Default 1 MiB. */
  maxOutputBytes: z.number().int().min(0).max(1024 * 1024 * 1024).optional(),
  defaultTraceMaxSteps: int('defaultTraceMaxSteps', LIMITS.traceMaxSteps).optional(),
  defaultTraceMaxChars: int('defaultTraceMaxChars', LIMITS.traceMaxChars).optional(),
  /** Run the fork server WITHOUT nsjail (no namespaces, no mount/network isolation).  Logged loudly. */
  unsafeNoSandbox: z.boolean().optional(),
  /** Where warnings and worker stderr go; default process.stderr. */
  log: z.custom<(line: string) => void>((v) => typeof v === 'function', 'log must be a function').optional(),
}).strict();
export type SandboxOptions = z.input<typeof SandboxOptions>;

// ---- what the fork server answers (validated: it is a process boundary) -----------------------------------------
export const ServerTestResult = z.object({
  id: z.string(),
  status: TestStatus,
  error: ServerError.nullable(),
  stdout: z.string(),
  stderr: z.string(),
  stdout_truncated: z.boolean(),
  stderr_truncated: z.boolean(),
  duration_ms: z.number(),
  cpu_ms: z.number(),
  exit_code: z.number().int(),
  trace: z.string().optional(),
  trace_truncated: z.boolean().optional(),
});
export type ServerTestResult = z.infer<typeof ServerTestResult>;
export const ServerReady = z.object({
  ready: z.literal(true), pid: z.number().int(), python: z.string(), jailed: z.boolean(),
  hashseed: z.string().nullable(),
});
export const ServerReply = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    id: z.number().int(),
    results: z.array(ServerTestResult).optional(),
    /** The "stdio" op's per-test results (validated by stdio-schema.ts's ServerStdioResult). */
    stdio: z.array(z.record(z.string(), z.unknown())).optional(),
    prepare: z.union([
      z.object({ ok: z.literal(true), executable: z.string() }),
      z.object({ ok: z.literal(false), error: z.string() }),
    ]).optional(),
    pong: z.literal(true).optional(),
  }),
  z.object({ ok: z.literal(false), id: z.number().int().nullable(), error: z.string() }),
]);
export type ServerReply = z.infer<typeof ServerReply>;

// ---- what callers get -----------------------------------------------------------------------------------------

export const ExecutionResult = z.object({
  /** passed only if every test passed; else the status of the first test that did not pass. */
  status: TestStatus,
  passed: z.boolean(),
  testsPassed: z.number().int(),
  testsTotal: z.number().int(),
  tests: z.array(TestResult),
  /** Output of the deciding test (the first one that did not pass; the first test when all passed). */
  stdout: z.string(),
  stderr: z.string(),
  /** Wall time on the worker, from dispatch to answer (queue wait excluded; see queuedMs). */
  durationMs: z.number(),
  queuedMs: z.number(),
  /** 'nsjail' normally; 'none' only with unsafeNoSandbox. */
  isolation: z.enum(['nsjail', 'none']),
});
export type ExecutionResult = z.infer<typeof ExecutionResult>;

export const ProgramResult = z.object({
  status: TestStatus,
  exit_code: z.number().int(),
  stdout: z.string(),
  stderr: z.string(),
  duration_ms: z.number(),
  error: ServerError.optional(),
  stdout_truncated: z.boolean(),
  stderr_truncated: z.boolean(),
  trace: z.string().optional(),
  trace_truncated: z.boolean().optional(),
  isolation: z.enum(['nsjail', 'none']),
});
export type ProgramResult = z.infer<typeof ProgramResult>;

export type PrepareResult = { ok: true; executable: string } | { ok: false; error: string };

/** Human-readable list of zod issues: "tests.0.id: test id must not be empty; timeoutMs: ..." */
export function describeZodError(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}
