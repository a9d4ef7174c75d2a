// The end of a generation: its final program stored as a sample, run on a suite, and the generation row closed
// (passed / failed / cancelled / error) with its summed cost.
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, sql } from 'drizzle-orm';
import { NUL_REPLACEMENT, pgJson, pgText, programWithNul } from '../../core/pg-text.ts';
import { buildEvaluation } from '../../core/datasets/index.ts';
import { runContest } from '../contest.ts';
import { problemOfRow } from '../problem-row.ts';
import type { Database } from '../../db/client.ts';
import { egcfgGenerations, egcfgSteps, executions, problems, samples } from '../../db/schema/index.ts';
import type { ActivityDeps } from '../deps.ts';
import { heartbeat } from '../heartbeat.ts';
import { runnableProgram } from './signal-step.ts';
import type { StepStore } from './step-store.ts';
import { stepSums, stepTimeSums } from './step-sums.ts';
import type { StepTotals } from '../../core/stored/egcfg-generation.ts';
import { sampleParamsSchema } from '../../core/stored/sample-params.ts';
import { storedOfRow } from '../stored-row.ts';

/** The closing steps of a generation. */
export function finishActivities(deps: ActivityDeps, st: StepStore) {
  const { db, loadGeneration, latestState } = st;
  return {
    /** Store the final program as a sample of the agent's run (attempt `gamma=<γ>/try=<n>`). Default queue. */
    async egcfgSaveSample(ref: { generationId: number; seq: number }): Promise<{ sampleId: number }> {
      const { gen, problem } = await loadGeneration(ref.generationId);
      if (gen.sampleId !== null) return { sampleId: gen.sampleId };
      const state = await latestState(ref.generationId, ref.seq);
      const end = state.gen.end;
      if (!end) throw ApplicationFailure.nonRetryable(`generation ${gen.id} has not ended at step ${ref.seq}`);
      const attempt = `gamma=${gen.gamma}/try=${gen.attempt}`;
      const totals = await stepTotals(db, gen.id);
      const key = and(eq(samples.campaignId, gen.campaignId), eq(samples.runId, gen.runId), eq(samples.problemId, gen.problemId), eq(samples.attempt, attempt));
      // A NUL the model wrote was stored as U+FFFD by its step: the sample says so, and its verdict is the original's
      // (executeOnce puts the NUL back, as the baseline does).
      const [nulStep] = end.code.includes(NUL_REPLACEMENT)
        ? await db.select({ id: egcfgSteps.id }).from(egcfgSteps)
          .where(and(eq(egcfgSteps.generationId, gen.id), sql`${egcfgSteps.summary}->>'nulReplaced' = 'true'`)).limit(1)
        : [];
      await db.insert(samples).values({
        campaignId: gen.campaignId, runId: gen.runId, problemId: gen.problemId, attempt,
        code: pgText(runnableProgram(end.code, problem)), rawCompletion: pgText(state.gen.prefix + state.gen.generated), model: gen.model,
        params: pgJson({ method: 'eg-cfg', agent: gen.agent, gamma: gen.gamma, seed: gen.seed, ...gen.config, simulated: gen.simulated, stopReason: end.reason,
          ...(nulStep ? { codeHadNul: true } : {}) }),
        tokenLogprobs: null, promptTokens: totals.promptTokens, completionTokens: totals.completionTokens, modelCalls: totals.modelCalls,
      }).onConflictDoNothing();
      const [row] = await db.select({ id: samples.id }).from(samples).where(key);
      if (!row) throw new Error('sample vanished after insert');
      await db.update(egcfgGenerations).set({
        sampleId: row.id, finalCode: pgText(end.code), stopReason: end.reason, stats: pgJson(state.gen.stats),
      }).where(eq(egcfgGenerations.id, gen.id));
      return { sampleId: row.id };
    },

    /** Run a stored sample on a suite (visible / eval / et), once: the `executions` row is the verdict. Sandbox queue. */
    async egcfgExecute(input: { sampleId: number; suite: 'visible' | 'eval' | 'et' | 'eval-paper' }): Promise<{ passed: boolean; testsPassed: number; testsTotal: number }> {
      return executeOnce(deps, input.sampleId, input.suite);
    },

    /**
     * Close a generation with its visible-test verdict and its summed cost. Default queue. Under --protocol paper the
     * status says whether it passed the selection suite (`passedSelection`, e.g. HumanEval's check()), recorded in its
     * stats with the suite's name; `passedVisible` stays the visible verdict.
     */
    async egcfgClose(input: {
      generationId: number; passedVisible: boolean; testsPassed: number; testsTotal: number;
      passedSelection?: boolean; selectionSuite?: string;
    }): Promise<void> {
      const totals = await stepTotals(db, input.generationId);
      const passed = input.passedSelection ?? input.passedVisible;
      const selection = input.selectionSuite === undefined ? {} : { selection: { suite: input.selectionSuite, passed } };
      await db.update(egcfgGenerations).set({
        status: passed ? 'passed' : 'failed', passedVisible: input.passedVisible,
        ...(input.selectionSuite === undefined ? {} : { stats: sql`coalesce(${egcfgGenerations.stats}, '{}'::jsonb) || ${JSON.stringify(selection)}::jsonb` }),
        visiblePassed: input.testsPassed, visibleTotal: input.testsTotal, cost: totals,
        finishedAt: new Date(),
      }).where(and(eq(egcfgGenerations.id, input.generationId), eq(egcfgGenerations.status, 'running')));
    },

    /** A generation cancelled because another agent solved the problem first: its partial records stay. Default queue. */
    async egcfgMarkCancelled(input: { generationId: number; reason: string }): Promise<void> {
      const totals = await stepTotals(db, input.generationId);
      await db.update(egcfgGenerations).set({
        status: 'cancelled', error: pgText(input.reason), cost: totals, finishedAt: new Date(),
      }).where(and(eq(egcfgGenerations.id, input.generationId), eq(egcfgGenerations.status, 'running')));
    },

    /** A generation whose workflow failed (e.g. a non-retryable model reply). Default queue. */
    async egcfgMarkError(input: { generationId: number; error: string }): Promise<void> {
      const totals = await stepTotals(db, input.generationId);
      await db.update(egcfgGenerations).set({
        status: 'error', error: pgText(input.error), cost: totals, finishedAt: new Date(),
      }).where(and(eq(egcfgGenerations.id, input.generationId), eq(egcfgGenerations.status, 'running')));
    },
  };
}

/** Sums over a generation's steps. */
export async function stepTotals(db: Database, generationId: number): Promise<StepTotals> {
  const rows = await db.select({ kind: egcfgSteps.kind, steps: sql<number>`count(*)`.mapWith(Number), ...stepSums, ...stepTimeSums })
    .from(egcfgSteps).where(eq(egcfgSteps.generationId, generationId)).groupBy(egcfgSteps.kind);
  const zero = () => ({ modelCalls: 0, promptTokens: 0, completionTokens: 0, sandboxRuns: 0, sandboxMs: 0 });
  const t: StepTotals = {
    steps: 0, lines: 0, tokens: 0, guidedTokens: 0, changedTokens: 0, modelCalls: 0, tokenizerCalls: 0, promptTokens: 0,
    completionTokens: 0, sandboxRuns: 0, sandboxMs: 0, modelMs: 0, phases: { reasoning: zero(), guidance: zero(), candidates: zero() },
  };
  for (const r of rows) {
    t.steps += r.steps;
    if (r.kind === 'line') t.lines += r.steps;
    t.tokens += r.tokens; t.guidedTokens += r.guidedTokens; t.changedTokens += r.changedTokens; t.modelCalls += r.modelCalls;
    t.tokenizerCalls += r.tokenizerCalls; t.promptTokens += r.promptTokens; t.completionTokens += r.completionTokens;
    t.sandboxRuns += r.sandboxRuns; t.sandboxMs += r.sandboxMs; t.modelMs += r.modelMs;
    const phase = r.kind === 'reasoning' || r.kind === 'gamma0' ? 'reasoning' : r.kind === 'line' ? 'guidance' : 'candidates';
    const p = t.phases[phase];
    p.modelCalls += r.modelCalls; p.promptTokens += r.promptTokens; p.completionTokens += r.completionTokens;
    p.sandboxRuns += r.sandboxRuns; p.sandboxMs += r.sandboxMs;
  }
  return t;
}

/**
 * Run a sample on a suite once and store the verdict in `executions` (natural key sample × suite). A problem without
 * visible tests (some HumanEval docstrings have no examples) is checked by loading the program only.
 */
export async function executeOnce(deps: ActivityDeps, sampleId: number, suite: 'visible' | 'eval' | 'et' | 'eval-paper') {
  const { db } = deps;
  const key = and(eq(executions.sampleId, sampleId), eq(executions.suite, suite));
  const [existing] = await db.select().from(executions).where(key);
  if (existing) return { passed: existing.passed, testsPassed: existing.testsPassed, testsTotal: existing.testsTotal };
  const [sample] = await db.select().from(samples).where(eq(samples.id, sampleId));
  if (!sample) throw ApplicationFailure.nonRetryable(`unknown sample ${sampleId}`);
  const [p] = await db.select({ problem: problems.problem }).from(problems).where(eq(problems.id, sample.problemId));
  if (!p) throw ApplicationFailure.nonRetryable(`unknown problem ${sample.problemId}`);
  const problem = problemOfRow(p.problem, sample.problemId);
  const sandbox = await deps.sandbox();
  heartbeat({ sampleId, suite });
  // Stored text has U+FFFD where the program had NUL; the verdict is the original program's (as in the baseline).
  const params = storedOfRow(sampleParamsSchema, sample.params, { table: 'samples', column: 'params', id: sample.id });
  const code = params.codeHadNul === true ? programWithNul(sample.code) : sample.code;
  let r;
  if (problem.io) {
    r = await runContest(sandbox, problem, code, suite);
  } else {
    if (suite === 'eval-paper') throw ApplicationFailure.nonRetryable(`${problem.dataset} has no 'eval-paper' suite`);
    const evaluation = buildEvaluation(problem, code, suite);
    const tests = evaluation.tests.length > 0 ? evaluation.tests : [{ id: `${suite}/load`, code: 'pass' }];
    r = await sandbox.run({ program: evaluation.program, tests, mode: 'verdict' });
  }
  await db.insert(executions).values({
    sampleId, suite, status: r.status, passed: r.passed, testsPassed: r.testsPassed, testsTotal: r.testsTotal,
    perTest: pgJson(r.tests), stdout: pgText(r.stdout), stderr: pgText(r.stderr), durationMs: r.durationMs,
  }).onConflictDoNothing();
  const [row] = await db.select().from(executions).where(key);
  return { passed: row!.passed, testsPassed: row!.testsPassed, testsTotal: row!.testsTotal };
}
