// The sandbox's requests (createSandbox in index.ts): each validated, given its limits, submitted to the pool, and its
// answer checked; a lost worker (died, or killed for not answering) yields 'killed' verdicts instead of an error.
import type { z } from 'zod';
import { WorkerLostError, type Pool } from './pool.ts';
import {
  ExecutionResult, ProgramResult, RunProgramRequest, RunRequest, describeZodError,
  type PrepareResult, type ServerReply, type ServerTestResult, type TestResult, type TestStatus,
} from './schema.ts';
import { ServerStdioResult, StdioRequest, type StdioResult } from './stdio-schema.ts';
import { stdioResultOf } from './stdio.ts';

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new TypeError(`invalid ${what}: ${describeZodError(r.error)}`);
  return r.data;
}

/** The pool's defaults and bounds for every request (from SandboxOptions). */
export interface RequestDefaults {
  defaultTimeoutMs: number;
  defaultMemoryMb: number;
  maxMemoryMb: number;
  keepOutputBytes: number;
  maxOutputBytes: number;
  defaultTraceMaxSteps: number;
  defaultTraceMaxChars: number;
}

/** What the request handlers work with. */
export interface RequestContext {
  pool: Pool;
  defaults: RequestDefaults;
  isolation: 'nsjail' | 'none';
}

type RequestLimits = { timeoutMs?: number; memoryMb?: number; wallTimeoutMs?: number; traceMaxSteps?: number; traceMaxChars?: number; traceFormat?: 'python' | 'authors' };

/** The fork server's limit fields of one request (its own, else the pool's defaults). */
function limitsFor(d: RequestDefaults, r: RequestLimits) {
  const timeout_ms = r.timeoutMs ?? d.defaultTimeoutMs;
  const memory_mb = r.memoryMb ?? d.defaultMemoryMb;
  if (memory_mb > d.maxMemoryMb) throw new TypeError(`invalid request: memoryMb (${memory_mb}) exceeds the pool's maxMemoryMb (${d.maxMemoryMb})`);
  const wall_ms = r.wallTimeoutMs ?? 3 * timeout_ms + 1000;
  return {
    timeout_ms, memory_mb, wall_ms, keep_output_bytes: d.keepOutputBytes, max_output_bytes: d.maxOutputBytes,
    trace_max_steps: r.traceMaxSteps ?? d.defaultTraceMaxSteps, trace_max_chars: r.traceMaxChars ?? d.defaultTraceMaxChars,
    ...(r.traceFormat === 'authors' ? { trace_format: 'authors' } : {}),
  };
}

/** How long the pool waits for an answer before killing the worker: every phase's wall limit + slack. */
const deadlineFor = (wallMs: number, phases: number) => phases * (wallMs + 2000) + 10_000;

function replyOf(reply: ServerReply): ServerReply & { ok: true } {
  if (!reply.ok) throw new Error(`sandbox worker rejected the request: ${reply.error}`);
  return reply;
}

/** A result for every test of a request whose worker was lost (died or was killed for not answering). */
function lostResults(tests: Array<{ id: string }>, err: WorkerLostError): ServerTestResult[] {
  const type = err.reason === 'unresponsive' ? 'SandboxUnresponsive' : 'SandboxWorkerDied';
  return tests.map((t) => ({
    id: t.id, status: 'killed' as const, error: { type, message: err.message }, stdout: '', stderr: '',
    stdout_truncated: false, stderr_truncated: false, duration_ms: 0, cpu_ms: 0, exit_code: 137,
  }));
}

function toTestResult(r: ServerTestResult): TestResult {
  const out: TestResult = {
    id: r.id, status: r.status, stdout: r.stdout, stderr: r.stderr, stdoutTruncated: r.stdout_truncated,
    stderrTruncated: r.stderr_truncated, durationMs: r.duration_ms, cpuMs: r.cpu_ms, exitCode: r.exit_code,
  };
  if (r.error) out.error = r.error;
  if (r.trace !== undefined) out.trace = r.trace;
  if (r.trace_truncated !== undefined) out.traceTruncated = r.trace_truncated;
  return out;
}

/** A program and its test cases → per-test verdicts (never rejects for anything the code does). */
export async function runTests({ pool, defaults, isolation }: RequestContext, input: RunRequest): Promise<ExecutionResult> {
  const req = parseOrThrow(RunRequest, input, 'run request');
  const limits = limitsFor(defaults, req);
  const mode = req.mode ?? 'verdict';
  const payload = {
    op: 'run', mode: 'verdict', trace: mode === 'trace', isolate: req.isolateTests ?? false,
    program: req.program, tests: req.tests, ...limits,
  };
  let results: ServerTestResult[];
  let durationMs = 0;
  let queuedMs = 0;
  try {
    const out = await pool.submit(payload, deadlineFor(limits.wall_ms, req.tests.length + 1));
    durationMs = out.durationMs;
    queuedMs = out.queuedMs;
    const reply = replyOf(out.reply);
    results = reply.results ?? [];
    if (results.length !== req.tests.length || results.some((r, i) => r.id !== req.tests[i]!.id)) {
      throw new Error(`sandbox worker returned results for [${results.map((r) => r.id).join(', ')}], expected [${req.tests.map((t) => t.id).join(', ')}]`);
    }
  } catch (e) {
    if (!(e instanceof WorkerLostError)) throw e;
    results = lostResults(req.tests, e);
  }
  const tests = results.map(toTestResult);
  const deciding = tests.find((t) => t.status !== 'passed');
  const shown = deciding ?? tests[0]!;
  const status: TestStatus = deciding?.status ?? 'passed';
  return {
    status, passed: deciding === undefined, testsPassed: tests.filter((t) => t.status === 'passed').length,
    testsTotal: tests.length, tests, stdout: shown.stdout, stderr: shown.stderr,
    durationMs: Math.round(durationMs * 1000) / 1000, queuedMs: Math.round(queuedMs * 1000) / 1000, isolation,
  };
}

/** Contest judging of a stdin/stdout program (see stdio-schema.ts). */
export async function runStdio({ pool, defaults, isolation }: RequestContext, input: StdioRequest): Promise<StdioResult> {
  const req = parseOrThrow(StdioRequest, input, 'stdio request');
  const limits = limitsFor(defaults, req);
  const payload = {
    op: 'stdio', program: req.program, tests: req.tests, float_tol: req.floatTolerance ?? 1e-6,
    stop_on_failure: req.stopOnFirstFailure ?? true, ...limits,
  };
  try {
    const out = await pool.submit(payload, deadlineFor(limits.wall_ms, req.tests.length));
    const results = (replyOf(out.reply).stdio ?? []).map((r) => parseOrThrow(ServerStdioResult, r, 'stdio reply'));
    if (results.length !== req.tests.length || results.some((r, i) => r.id !== req.tests[i]!.id)) {
      throw new Error(`sandbox worker returned stdio results for [${results.map((r) => r.id).join(', ')}], expected [${req.tests.map((t) => t.id).join(', ')}]`);
    }
    return stdioResultOf(results, out.durationMs, out.queuedMs, isolation);
  } catch (e) {
    if (!(e instanceof WorkerLostError)) throw e;
    const lost = lostResults(req.tests, e).map((r) => ({ ...r, verdict: 'runtime_error' as const, status: r.status, checker: '' }));
    return stdioResultOf(lost, 0, 0, isolation);
  }
}

/** One program like `python3 file.py` (status passed == exit code 0). */
export async function runProgram({ pool, defaults, isolation }: RequestContext, input: RunProgramRequest): Promise<ProgramResult> {
  const req = parseOrThrow(RunProgramRequest, input, 'runProgram request');
  const limits = limitsFor(defaults, req);
  let r: ServerTestResult;
  try {
    const out = await pool.submit({ op: 'run', mode: 'program', trace: req.trace ?? false, program: req.code, tests: [], ...limits },
      deadlineFor(limits.wall_ms, 1));
    const results = replyOf(out.reply).results ?? [];
    if (results.length !== 1) throw new Error(`sandbox worker returned ${results.length} results for one program`);
    r = results[0]!;
  } catch (e) {
    if (!(e instanceof WorkerLostError)) throw e;
    r = lostResults([{ id: 'program' }], e)[0]!;
  }
  const out: ProgramResult = {
    status: r.status, exit_code: r.exit_code, stdout: r.stdout, stderr: r.stderr, duration_ms: r.duration_ms,
    stdout_truncated: r.stdout_truncated, stderr_truncated: r.stderr_truncated, isolation,
  };
  if (r.error) out.error = r.error;
  if (req.trace) { out.trace = r.trace ?? ''; out.trace_truncated = r.trace_truncated ?? false; }
  return out;
}

/** EG-CFG make_executable + comment/docstring stripping (spec 2.1), computed inside the sandbox. */
export async function prepare({ pool }: RequestContext, code: string): Promise<PrepareResult> {
  if (typeof code !== 'string') throw new TypeError('invalid prepare request: code must be a string');
  const out = await pool.submit({ op: 'prepare', code }, 30_000);
  const reply = replyOf(out.reply);
  if (!reply.prepare) throw new Error('sandbox worker answered prepare without a result');
  return reply.prepare;
}
