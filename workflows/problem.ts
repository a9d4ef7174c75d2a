// One problem of a baseline campaign: generate a program, run it in the sandbox, record the verdict. With several
// samples per problem (pass@k), sample 0 is the problem's recorded program (attempt 'baseline', as with one) and the
// others (attempts 'sample-1' …, seed + i) only add to the count of correct samples kept in the result's detail.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { activityOptions, localActivityOptions } from './activity-options.ts';
import { baselineResultRow, sampleAttempt, sampleParams } from '../core/baseline-result.ts';
import type { ProblemInput, ProblemOutcome } from '../core/contracts.ts';

const inference = proxyActivities<Activities>(activityOptions.inference);
const sandbox = proxyActivities<Activities>(activityOptions.sandbox);
const store = proxyLocalActivities<Activities>(localActivityOptions);

async function sampleAndRun(input: ProblemInput, i: number) {
  const sampleId = await inference.generateBaselineSample({
    campaignId: input.campaignId,
    runId: input.runId,
    problemId: input.problemId,
    attempt: sampleAttempt(i),
    model: input.model,
    params: sampleParams(input.params, i),
  });
  const verdict = await sandbox.executeSample({ sampleId, suite: 'eval' });
  return { sampleId, verdict };
}

export async function baselineProblem(input: ProblemInput): Promise<ProblemOutcome> {
  const n = input.params.samplesPerProblem ?? 1;
  const samples = await Promise.all(Array.from({ length: n }, (_, i) => sampleAndRun(input, i)));
  const row = baselineResultRow(input.campaignId, input.problemId, samples);
  await store.recordResult(row);
  return { problemId: input.problemId, passed: row.passed, status: row.status, sampleId: row.sampleId };
}
