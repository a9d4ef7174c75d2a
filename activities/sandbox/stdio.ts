// Contest judging helpers: the fork server's stdio answers as a StdioResult.
import type { ContestVerdict, ServerStdioResult, StdioResult, StdioTestResult } from './stdio-schema.ts';

function toStdioTest(r: ServerStdioResult): StdioTestResult {
  const out: StdioTestResult = {
    id: r.id, verdict: r.verdict, status: r.status, checker: r.checker, stdout: r.stdout, stderr: r.stderr,
    stdoutTruncated: r.stdout_truncated, stderrTruncated: r.stderr_truncated, durationMs: r.duration_ms, cpuMs: r.cpu_ms,
    exitCode: r.exit_code,
  };
  if (r.error) out.error = r.error;
  return out;
}

/** The overall verdict: accepted when every test was; else the first test's that was not (skipped ones never decide). */
export function stdioResultOf(results: ServerStdioResult[], durationMs: number, queuedMs: number, isolation: 'nsjail' | 'none'): StdioResult {
  const tests = results.map(toStdioTest);
  const deciding = tests.find((t) => t.verdict !== 'accepted' && t.verdict !== 'skipped');
  const shown = deciding ?? tests[0]!;
  const verdict: ContestVerdict = deciding?.verdict ?? (tests.every((t) => t.verdict === 'accepted') ? 'accepted' : 'skipped');
  return {
    verdict, passed: verdict === 'accepted', testsPassed: tests.filter((t) => t.verdict === 'accepted').length,
    testsTotal: tests.length, tests, stdout: shown.stdout, stderr: shown.stderr,
    durationMs: Math.round(durationMs * 1000) / 1000, queuedMs: Math.round(queuedMs * 1000) / 1000, isolation,
  };
}
