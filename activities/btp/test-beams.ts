// BTP stage (2), set-based: every candidate of some problems of an iteration against all of its problem's tests
// ('eval' suite) in the sandbox, with a constant number of database round trips per call however many problems and
// beams it covers: one read of the beams (with their samples and any execution an earlier attempt stored), one of
// the problems, one insert of the new executions, one update of the beams' pass rates. A problem's distinct programs
// run once (duplicates share the verdict), all of the call's programs at once (the sandbox pool bounds how many run).
//
// Idempotent: a beam with a pass rate keeps it; a sample with a stored execution reuses its verdict (a retried
// attempt whose first try was killed after its insert); executions have their natural key (sample, suite), and where
// a concurrent attempt stored one first, its row is the verdict.
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { ApplicationFailure } from '@temporalio/common';
import { beams, executions, problems, samples } from '../../db/schema/index.ts';
import { executionRow, runSampleInSandbox } from '../baseline.ts';
import type { ActivityDeps } from '../deps.ts';
import { heartbeat } from '../heartbeat.ts';
import { problemOfRow } from '../problem-row.ts';
import { sampleParamsSchema } from '../../core/stored/sample-params.ts';
import { storedOfRow } from '../stored-row.ts';

export interface TestBeamsInput { campaignId: string; iteration: number; problemIds: number[] }
export interface TestBeamsOutcome { tested: number; passed: number }

interface Verdict { testsPassed: number; testsTotal: number }

/** Rows per insert/update statement. */
const CHUNK = 500;
const SUITE = 'eval';

export async function testBeams(deps: ActivityDeps, input: TestBeamsInput): Promise<TestBeamsOutcome> {
  const { db } = deps;
  if (input.problemIds.length === 0) return { tested: 0, passed: 0 };
  const [rows, problemRows] = await Promise.all([
    db.select({
      id: beams.id, problemId: beams.problemId, codeHash: beams.codeHash, sampleId: beams.sampleId, passRate: beams.passRate,
      testsPassed: beams.testsPassed, testsTotal: beams.testsTotal, code: samples.code, params: samples.params,
      storedPassed: executions.testsPassed, storedTotal: executions.testsTotal,
    }).from(beams)
      .leftJoin(samples, eq(samples.id, beams.sampleId))
      .leftJoin(executions, and(eq(executions.sampleId, beams.sampleId), eq(executions.suite, SUITE)))
      .where(and(eq(beams.campaignId, input.campaignId), eq(beams.iteration, input.iteration), inArray(beams.problemId, input.problemIds)))
      .orderBy(asc(beams.problemId), asc(beams.beamIndex)),
    db.select({ id: problems.id, problem: problems.problem }).from(problems).where(inArray(problems.id, input.problemIds)),
  ]);
  const problemOf = new Map(problemRows.map((r) => [r.id, problemOfRow(r.problem, r.id)]));
  const key = (b: { problemId: number; codeHash: string }) => `${b.problemId}:${b.codeHash}`;
  const verdicts = new Map<string, Verdict>();
  for (const b of rows) {
    if (b.passRate !== null && b.testsTotal !== null) verdicts.set(key(b), { testsPassed: b.testsPassed!, testsTotal: b.testsTotal });
  }
  for (const b of rows) {
    if (!verdicts.has(key(b)) && b.storedTotal !== null) verdicts.set(key(b), { testsPassed: b.storedPassed!, testsTotal: b.storedTotal });
  }
  const untested = [...new Map(rows.filter((b) => !verdicts.has(key(b))).map((b) => [key(b), b])).values()];
  heartbeat({ problems: input.problemIds.length, programs: untested.length });
  if (untested.length > 0) {
    const sandbox = await deps.sandbox();
    const runs = await Promise.all(untested.map(async (b) => {
      const problem = problemOf.get(b.problemId);
      if (b.sampleId === null || b.code === null || !problem) {
        throw ApplicationFailure.nonRetryable(`beam ${b.id} of problem ${b.problemId}: no stored sample or problem to test`);
      }
      const params = storedOfRow(sampleParamsSchema, b.params, { table: 'samples', column: 'params', id: b.sampleId });
      return { beam: b, sampleId: b.sampleId, result: await runSampleInSandbox(sandbox, problem, b.code, params, SUITE) };
    }));
    await storeExecutions(deps, runs, verdicts, key);
  }
  const updates = rows.filter((b) => b.passRate === null).map((b) => {
    const v = verdicts.get(key(b))!;
    const total = Math.max(v.testsTotal, 1);
    return sql`(${b.id}::bigint, ${v.testsPassed}::integer, ${v.testsTotal}::integer, ${Math.min(v.testsPassed, total) / total}::double precision)`;
  });
  for (let i = 0; i < updates.length; i += CHUNK) {
    await db.execute(sql`update ${beams} set tests_passed = v.p, tests_total = v.t, pass_rate = v.r
      from (values ${sql.join(updates.slice(i, i + CHUNK), sql`, `)}) as v(id, p, t, r) where ${beams.id} = v.id`);
  }
  let passed = 0;
  for (const b of rows) {
    const v = verdicts.get(key(b))!;
    if (v.testsTotal > 0 && v.testsPassed === v.testsTotal) passed++;
  }
  return { tested: rows.length, passed };
}

/** Insert the runs' executions; a sample whose execution a concurrent attempt stored first takes that row's verdict. */
async function storeExecutions(
  deps: ActivityDeps, runs: { beam: { problemId: number; codeHash: string }; sampleId: number; result: Parameters<typeof executionRow>[2] }[],
  verdicts: Map<string, Verdict>, key: (b: { problemId: number; codeHash: string }) => string,
): Promise<void> {
  const { db } = deps;
  const inserted = new Set<number>();
  for (let i = 0; i < runs.length; i += CHUNK) {
    const chunk = runs.slice(i, i + CHUNK);
    const back = await db.insert(executions).values(chunk.map((r) => executionRow(r.sampleId, SUITE, r.result)))
      .onConflictDoNothing().returning({ sampleId: executions.sampleId });
    for (const r of back) inserted.add(r.sampleId);
  }
  const lost = runs.filter((r) => !inserted.has(r.sampleId));
  const stored = lost.length === 0 ? [] : await db.select({ sampleId: executions.sampleId, testsPassed: executions.testsPassed, testsTotal: executions.testsTotal })
    .from(executions).where(and(inArray(executions.sampleId, lost.map((r) => r.sampleId)), eq(executions.suite, SUITE)));
  const storedBySample = new Map(stored.map((s) => [s.sampleId, s]));
  for (const r of runs) {
    const s = storedBySample.get(r.sampleId);
    if (!s && !inserted.has(r.sampleId)) throw new Error(`execution of sample ${r.sampleId} vanished after insert`);
    verdicts.set(key(r.beam), s ? { testsPassed: s.testsPassed, testsTotal: s.testsTotal } : { testsPassed: r.result.testsPassed, testsTotal: r.result.testsTotal });
  }
}
