// Baseline activities: generate one sample for a problem, and run a sample against a test suite in the sandbox.
// Both are idempotent: a retry finds the row its first attempt wrote and returns it without calling the model or
// the sandbox again.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq } from 'drizzle-orm';
import { buildEvaluation, extractCodeDetailed, extractProgram, type EvaluationSuite, type Problem } from '../core/datasets/index.ts';
import { buildPrompt } from '../core/prompts/index.ts';
import { chatPrompt } from '../core/prompts/chat.ts';
import { hasNul, pgJson, pgText, programWithNul } from '../core/pg-text.ts';
import { executions, problems, samples } from '../db/schema/index.ts';
import type { BaselineParams, ModelSpec } from '../core/contracts.ts';
import type { ActivityDeps } from './deps.ts';
import { alive, heartbeat } from './heartbeat.ts';
import { activityLogger } from './log.ts';
import { ModelServerError } from './model/openai-client.ts';
import { storeActivities } from './store.ts';
import { problemOfRow } from './problem-row.ts';
import { runContest, type ContestExecution } from './contest.ts';
import type { ExecutionResult, Sandbox } from './sandbox/index.ts';
import { sampleParamsSchema, type SampleParams } from '../core/stored/sample-params.ts';
import { storedOfRow } from './stored-row.ts';

export interface GenerateSampleInput {
  campaignId: string;
  runId: number;
  problemId: number;
  attempt: string;
  model: ModelSpec;
  params: BaselineParams;
}

export interface ExecuteSampleInput {
  sampleId: number;
  suite: EvaluationSuite;
}

export interface ExecutionVerdict {
  executionId: number;
  passed: boolean;
  status: string;
  testsPassed: number;
  testsTotal: number;
}


/** 'baseline' is sample 0 of a problem; 'sample-<i>' (pass@k, workflows/problem.ts) is sample i. */
export const sampleIndexOf = (attempt: string): number => {
  const m = /^sample-(\d+)$/.exec(attempt);
  return m ? Number(m[1]) : 0;
};

/** What a sandbox run of a stored sample gives (a function's tests, or a stdin/stdout problem's cases). */
export type SampleRun = ExecutionResult | ContestExecution;

/**
 * Run a stored sample's code (`code`, `params` as in its samples row: a NUL it held is restored) against a suite of
 * its problem's tests in the sandbox.
 */
export async function runSampleInSandbox(sandbox: Sandbox, problem: Problem, storedCode: string, params: SampleParams, suite: EvaluationSuite): Promise<SampleRun> {
  const hadNul = params.codeHadNul === true;
  const code = hadNul ? programWithNul(storedCode) : storedCode;
  if (problem.io) return runContest(sandbox, problem, code, suite);
  const evaluation = buildEvaluation(problem, code, suite);
  return sandbox.run({ program: evaluation.program, tests: evaluation.tests, mode: 'verdict' });
}

/** The executions row of a sample's run (natural key: sample, suite). */
export function executionRow(sampleId: number, suite: EvaluationSuite, result: SampleRun): typeof executions.$inferInsert {
  return {
    sampleId, suite, status: result.status, passed: result.passed, testsPassed: result.testsPassed, testsTotal: result.testsTotal,
    perTest: pgJson(result.tests), stdout: pgText(result.stdout), stderr: pgText(result.stderr), durationMs: result.durationMs,
  };
}

/** The two baseline steps without their heartbeat wrappers (the batched activity, activities/baseline-batch.ts, runs them in its own). */
export function baselineSteps(deps: ActivityDeps) {
  const { db } = deps;
  const store = storeActivities(db);

  return {
    generateSample: async (input: GenerateSampleInput): Promise<number> => {
      const key = and(
        eq(samples.campaignId, input.campaignId), eq(samples.runId, input.runId),
        eq(samples.problemId, input.problemId), eq(samples.attempt, input.attempt),
      );
      const log = activityLogger({ campaignId: input.campaignId, problemId: input.problemId });
      // One round trip for the problem and a sample an earlier attempt stored (then reused).
      const [found] = await db.select({ taskId: problems.taskId, problem: problems.problem, sampleId: samples.id }).from(problems)
        .leftJoin(samples, and(eq(samples.problemId, problems.id), key)).where(eq(problems.id, input.problemId));
      if (!found) throw ApplicationFailure.nonRetryable(`unknown problem id ${input.problemId}`);
      if (found.sampleId !== null) {
        log.info({ sampleId: found.sampleId }, 'sample already stored: reused, the model is not called again');
        return found.sampleId;
      }
      const taskId = found.taskId;
      const problem = problemOfRow(found.problem, input.problemId);
      const backend = deps.model(input.model);
      const chat = input.params.promptFormat === 'chat' ? chatPrompt(problem) : undefined;
      const prompt = chat ? '' : buildPrompt(problem, input.params.promptType);
      let reply;
      const modelStart = performance.now();
      try {
        reply = await backend.generate({
          taskId,
          ...(problem.promptCode !== undefined ? { promptCode: problem.promptCode } : {}),
          prompt,
          ...(chat ? { chat } : {}),
          temperature: input.params.temperature,
          topP: input.params.topP,
          maxTokens: input.params.maxTokens,
          seed: input.params.seed,
          sampleIndex: sampleIndexOf(input.attempt),
          onRetry: ({ attempt, error }) => {
            heartbeat({ modelRetry: attempt });
            log.warn({ taskId, modelAttempt: attempt, error }, 'model call failed; retrying');
            void store.appendEvent(input.campaignId, `model_retry:${input.problemId}:${attempt}`, 'model_retry', {
              problemId: input.problemId, taskId, attempt, error,
            }).catch(() => {});
          },
        });
      } catch (err) {
        if (err instanceof ModelServerError && !err.retryable) {
          throw ApplicationFailure.nonRetryable(`model ${backend.name}: ${err.message}`, 'ModelReplyError');
        }
        log.warn({ taskId, error: (err as Error).message }, 'model unavailable; the activity will be retried');
        await store.appendEvent(input.campaignId, `model_wait:${input.problemId}:${Context.current().info.attempt}`,
          'model_unavailable', { problemId: input.problemId, taskId, error: (err as Error).message });
        throw err; // retryable: Temporal retries with backoff, the campaign waits
      }
      const completion = (reply.responsePrefix ?? '') + reply.text;
      // Stdin/stdout problems (CodeContests): the whole program, top-level code included.
      // Which rule found the code is kept with the sample: extraction failures on real output are counted from it.
      const extraction = reply.kind === 'program' ? { code: reply.text, source: 'program' as const, preambleAdded: false }
        : problem.io ? { code: extractProgram(completion), source: 'program' as const, preambleAdded: false } : extractCodeDetailed(completion, problem);
      const code = extraction.code;
      // Postgres text cannot hold NUL: stored as U+FFFD, and the sample says so (its verdict stays the original's).
      const codeHadNul = hasNul(code);
      const [inserted] = await db.insert(samples).values({
        campaignId: input.campaignId,
        runId: input.runId,
        problemId: input.problemId,
        attempt: input.attempt,
        code: pgText(code),
        rawCompletion: pgText(reply.text),
        prompt: pgText(reply.promptText ?? null),
        model: pgText(backend.name),
        params: { ...input.params, simulated: backend.simulated, extraction: extraction.source, ...(extraction.preambleAdded ? { preambleAdded: true } : {}), ...(codeHadNul ? { codeHadNul: true } : {}) },
        tokenLogprobs: reply.tokenLogprobs,
        promptTokens: reply.promptTokens,
        completionTokens: reply.completionTokens,
        modelCalls: reply.modelCalls,
        modelMs: reply.modelCalls > 0 ? performance.now() - modelStart : 0,
      }).onConflictDoNothing().returning({ id: samples.id });
      // A concurrent attempt stored it first: its row is the sample.
      const [row] = inserted ? [inserted] : await db.select({ id: samples.id }).from(samples).where(key);
      if (!row) throw new Error(`sample for problem ${input.problemId} vanished after insert`);
      log.info({ taskId, sampleId: row.id, model: backend.name, completionTokens: reply.completionTokens }, 'sample stored');
      return row.id;
    },

    executeSample: async (input: ExecuteSampleInput): Promise<ExecutionVerdict> => {
      // One round trip for the sample, its problem and an execution an earlier attempt stored (then reused).
      const [found] = await db.select({
        code: samples.code, params: samples.params, campaignId: samples.campaignId, problemId: samples.problemId, problem: problems.problem,
        executionId: executions.id, passed: executions.passed, status: executions.status, testsPassed: executions.testsPassed, testsTotal: executions.testsTotal,
      }).from(samples).innerJoin(problems, eq(problems.id, samples.problemId))
        .leftJoin(executions, and(eq(executions.sampleId, samples.id), eq(executions.suite, input.suite)))
        .where(eq(samples.id, input.sampleId));
      if (!found) throw ApplicationFailure.nonRetryable(`unknown sample id ${input.sampleId}`);
      if (found.executionId !== null) {
        activityLogger({ sampleId: input.sampleId }).info({ executionId: found.executionId }, 'execution already stored: reused');
        return { executionId: found.executionId, passed: found.passed!, status: found.status!, testsPassed: found.testsPassed!, testsTotal: found.testsTotal! };
      }
      heartbeat({ sampleId: input.sampleId, suite: input.suite });
      const params = storedOfRow(sampleParamsSchema, found.params, { table: 'samples', column: 'params', id: input.sampleId });
      const result = await runSampleInSandbox(await deps.sandbox(), problemOfRow(found.problem, found.problemId), found.code, params, input.suite);
      const verdict = { executionId: executions.id, passed: executions.passed, status: executions.status, testsPassed: executions.testsPassed, testsTotal: executions.testsTotal };
      const [inserted] = await db.insert(executions).values(executionRow(input.sampleId, input.suite, result)).onConflictDoNothing().returning(verdict);
      // A concurrent attempt stored it first: its row is the verdict.
      const [row] = inserted ? [inserted] : await db.select(verdict).from(executions)
        .where(and(eq(executions.sampleId, input.sampleId), eq(executions.suite, input.suite)));
      if (!row) throw new Error(`execution of sample ${input.sampleId} vanished after insert`);
      activityLogger({ campaignId: found.campaignId, problemId: found.problemId, sampleId: input.sampleId })
        .info({ executionId: row.executionId, status: row.status, passed: row.passed, testsPassed: row.testsPassed, testsTotal: row.testsTotal }, 'execution stored');
      return row;
    },
  };
}

export function baselineActivities(deps: ActivityDeps) {
  const steps = baselineSteps(deps);
  return {
    // Both heartbeat every second while they wait (a long completion, a slow test), so that a killed worker's call is
    // retried elsewhere after the heartbeat timeout rather than the start-to-close timeout.
    generateBaselineSample: alive(steps.generateSample),
    executeSample: alive(steps.executeSample),
  };
}
