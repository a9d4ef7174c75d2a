// Contest judging of a sample (CodeContests): the suite's stdin/stdout tests in the sandbox, with the protocol's limits.
import { z } from 'zod';
import { contestLimits, contestProgram, contestSuite, type ContestProtocol, type IoTest, type Problem } from '../core/datasets/index.ts';
import type { Sandbox, StdioResult, StdioTestResult } from './sandbox/index.ts';

/** Host factor for the problems' time limits (strict protocol); README "CodeContests". */
const timeFactorSchema = z.coerce.number().positive('EGCFG_CONTEST_TIME_FACTOR must be a positive number').max(100);

export function contestTimeFactor(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.EGCFG_CONTEST_TIME_FACTOR;
  return v === undefined || v === '' ? 2 : timeFactorSchema.parse(v);
}

/** What executions rows store for a contest run (the `status` is the contest verdict). */
export interface ContestExecution {
  status: string;
  passed: boolean;
  testsPassed: number;
  testsTotal: number;
  tests: StdioTestResult[];
  stdout: string;
  stderr: string;
  durationMs: number;
  limits: { timeoutMs: number; memoryMb: number; protocol: ContestProtocol };
}

/** Tests per sandbox request kept under this many characters (the fork server takes requests up to 64 MiB). */
const BATCH_CHARS = 24 * 1024 * 1024;

function batches(tests: IoTest[]): IoTest[][] {
  const out: IoTest[][] = [];
  let cur: IoTest[] = [];
  let size = 0;
  for (const t of tests) {
    const n = t.input.length + t.output.length;
    if (cur.length > 0 && (size + n > BATCH_CHARS || cur.length >= 1000)) { out.push(cur); cur = []; size = 0; }
    cur.push(t);
    size += n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

const skipped = (t: IoTest): StdioTestResult => ({
  id: t.id, verdict: 'skipped', status: 'skipped', checker: '', stdout: '', stderr: '', stdoutTruncated: false,
  stderrTruncated: false, durationMs: 0, cpuMs: 0, exitCode: 0,
});

/**
 * Judge `code` on a suite ('visible' = the first three public tests, 'eval' = private + generated; 'eval-paper' =
 * those tests with the paper protocol's limits). Stops at the first test not accepted (the rest: skipped).
 */
export async function runContest(sandbox: Sandbox, problem: Problem, code: string, suite: string, timeFactor = contestTimeFactor()): Promise<ContestExecution> {
  const protocol: ContestProtocol = suite === 'eval-paper' ? 'paper' : 'strict';
  const limits = contestLimits(problem, protocol, timeFactor);
  const tests = contestSuite(problem, suite);
  const program = contestProgram(code);
  const results: StdioTestResult[] = [];
  let durationMs = 0;
  let first: StdioResult | undefined;
  for (const batch of batches(tests)) {
    if (first && !first.passed) { results.push(...batch.map(skipped)); continue; }
    const r = await sandbox.runStdio({ program, tests: batch, timeoutMs: limits.timeoutMs, memoryMb: limits.memoryMb });
    results.push(...r.tests);
    durationMs += r.durationMs;
    if (!first || !r.passed) first = r;
  }
  if (tests.length === 0) {
    return { status: 'accepted', passed: true, testsPassed: 0, testsTotal: 0, tests: [], stdout: '', stderr: '', durationMs: 0, limits: { ...limits, protocol } };
  }
  const deciding = results.find((t) => t.verdict !== 'accepted' && t.verdict !== 'skipped');
  const shown = deciding ?? results[0]!;
  return {
    status: deciding?.verdict ?? 'accepted', passed: deciding === undefined, testsPassed: results.filter((t) => t.verdict === 'accepted').length,
    testsTotal: results.length, tests: results, stdout: shown.stdout, stderr: shown.stderr, durationMs, limits: { ...limits, protocol },
  };
}
