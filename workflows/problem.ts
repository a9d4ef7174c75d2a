// One problem of a baseline campaign: generate a program, run it in the sandbox, record the verdict. With several
// samples per problem (pass@k), sample 0 is the problem's recorded program (attempt 'baseline', as with one) and the
// others (attempts 'sample-1' …, seed + i) only add to the count of correct samples kept in the result's detail.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { activityOptions, localActivityOptions } from './activity-options.ts';
import type { ProblemInput, ProblemOutcome } from '../core/contracts.ts';

const inference = proxyActivities<Activities>(activityOptions.inference);
const sandbox = proxyActivities<Activities>(activityOptions.sandbox);
const store = proxyLocalActivities<Activities>(localActivityOptions);

async function sampleAndRun(input: ProblemInput, i: number) {
  const sampleId = await inference.generateBaselineSample({
    campaignId: input.campaignId,
    runId: input.runId,
    problemId: input.problemId,
    attempt: i === 0 ? 'baseline' : `sample-${i}`,
    model: input.model,
    params: i === 0 ? input.params : { ...input.params, seed: input.params.seed + i },
  });
  const verdict = await sandbox.executeSample({ sampleId, suite: 'eval' });
  return { sampleId, verdict };
}

export async function baselineProblem(input: ProblemInput): Promise<ProblemOutcome> {
  const n = input.params.samplesPerProblem ?? 1;
  const [first, ...rest] = await Promise.all(Array.from({ length: n }, (_, i) => sampleAndRun(input, i)));
  const { sampleId, verdict } = first!;
  const correct = [first!, ...rest].filter((s) => s.verdict.passed).length;
  await store.recordResult({
    campaignId: input.campaignId,
    problemId: input.problemId,
    protocol: 'default',
    sampleId,
    passed: verdict.passed,
    // `error` is kept for problems whose workflow failed; the sandbox's own verdict goes into the detail.
    status: verdict.passed ? 'passed' : 'failed',
    detail: { verdict: verdict.status, testsPassed: verdict.testsPassed, testsTotal: verdict.testsTotal, ...(n > 1 ? { samples: n, correct } : {}) },
  });
  return { problemId: input.problemId, passed: verdict.passed, status: verdict.passed ? 'passed' : 'failed', sampleId };
}
