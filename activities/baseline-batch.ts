// A batch of baseline problems as one activity: for each problem, generate its samples, run them in the sandbox and
// record the result — the steps of workflows/problem.ts without a Temporal round trip per step. Used where the work
// per problem is small (a replay / evaluate campaign: "generation" reads a samples file), so that the platform's
// overhead per problem stays far below the sandbox's time (bench/baseline-orchestration.bench.ts).
//
// Idempotent: every write has its natural key (sample: campaign, run, problem, attempt; execution: sample, suite;
// result: campaign, problem, protocol), and a retried batch (a killed worker, after the heartbeat timeout) first
// reads the results its earlier attempts recorded and skips those problems, then reuses any sample or execution row
// of the problem that was in flight. A retry never calls the model or the sandbox again for stored work and never
// duplicates a row; a killed worker loses at most its in-flight batch's unfinished problem.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, inArray } from 'drizzle-orm';
import { baselineResultRow, sampleAttempt, sampleParams } from '../core/baseline-result.ts';
import { results } from '../db/schema/index.ts';
import type { BaselineBatchInput, BaselineBatchOutcome } from '../core/contracts.ts';
import { baselineSteps } from './baseline.ts';
import type { ActivityDeps } from './deps.ts';
import { alive, heartbeat } from './heartbeat.ts';
import { activityLogger } from './log.ts';
import { storeActivities } from './store.ts';

export function baselineBatchActivities(deps: ActivityDeps) {
  const steps = baselineSteps(deps);
  const store = storeActivities(deps.db);

  async function runProblem(input: BaselineBatchInput, problemId: number): Promise<boolean> {
    const n = input.params.samplesPerProblem ?? 1;
    const samples = await Promise.all(Array.from({ length: n }, async (_, i) => {
      const sampleId = await steps.generateSample({
        campaignId: input.campaignId, runId: input.runId, problemId, attempt: sampleAttempt(i),
        model: input.model, params: sampleParams(input.params, i),
      });
      return { sampleId, verdict: await steps.executeSample({ sampleId, suite: 'eval' }) };
    }));
    const row = baselineResultRow(input.campaignId, problemId, samples);
    await store.recordResult(row);
    return row.passed;
  }

  return {
    /** Run the batch's problems one after another; resolves to how many passed and how many ended in error. */
    runBaselineBatch: alive(async (input: BaselineBatchInput): Promise<BaselineBatchOutcome> => {
      const ctx = Context.current();
      const log = activityLogger({ campaignId: input.campaignId });
      const recorded = new Map((await deps.db.select({ problemId: results.problemId, passed: results.passed, status: results.status })
        .from(results).where(and(eq(results.campaignId, input.campaignId), eq(results.protocol, 'default'),
          inArray(results.problemId, input.problemIds)))).map((r) => [r.problemId, r]));
      const outcome: BaselineBatchOutcome = { problems: input.problemIds.length, passed: 0, errors: 0, reused: recorded.size };
      if (recorded.size > 0) log.info({ attempt: ctx.info.attempt, reused: recorded.size, of: input.problemIds.length }, 'batch retried: recorded problems skipped');
      for (const [index, problemId] of input.problemIds.entries()) {
        const done = recorded.get(problemId);
        if (done) {
          if (done.passed) outcome.passed++;
          if (done.status === 'error') outcome.errors++;
          continue;
        }
        // A cancelled campaign: stop between problems (the workflow waits for this activity to end).
        if (ctx.cancellationSignal.aborted) await ctx.cancelled;
        heartbeat({ problemId, index, of: input.problemIds.length });
        try {
          if (await runProblem(input, problemId)) outcome.passed++;
        } catch (err) {
          // A problem that cannot succeed (a bad model reply, an unknown problem) is recorded as an error, as a failed
          // problem workflow is; anything retryable fails the batch, whose retry skips what is recorded.
          if (!(err instanceof ApplicationFailure && err.nonRetryable)) throw err;
          outcome.errors++;
          await store.recordResult({ campaignId: input.campaignId, problemId, protocol: 'default', sampleId: null,
            passed: false, status: 'error', detail: { message: err.message } });
        }
      }
      return outcome;
    }),
  };
}
