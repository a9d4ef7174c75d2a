// One problem of a baseline campaign: generate a program, run it in the sandbox, record the verdict.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { activityOptions, localActivityOptions } from './activity-options.ts';
import type { ProblemInput, ProblemOutcome } from '../core/contracts.ts';

const inference = proxyActivities<Activities>(activityOptions.inference);
const sandbox = proxyActivities<Activities>(activityOptions.sandbox);
const store = proxyLocalActivities<Activities>(localActivityOptions);

export async function baselineProblem(input: ProblemInput): Promise<ProblemOutcome> {
  const sampleId = await inference.generateBaselineSample({
    campaignId: input.campaignId,
    runId: input.runId,
    problemId: input.problemId,
    attempt: 'baseline',
    model: input.model,
    params: input.params,
  });
  const verdict = await sandbox.executeSample({ sampleId, suite: 'eval' });
  await store.recordResult({
    campaignId: input.campaignId,
    problemId: input.problemId,
    protocol: 'default',
    sampleId,
    passed: verdict.passed,
    // `error` is kept for problems whose workflow failed; the sandbox's own verdict goes into the detail.
    status: verdict.passed ? 'passed' : 'failed',
    detail: { verdict: verdict.status, testsPassed: verdict.testsPassed, testsTotal: verdict.testsTotal },
  });
  return { problemId: input.problemId, passed: verdict.passed, status: verdict.passed ? 'passed' : 'failed', sampleId };
}
