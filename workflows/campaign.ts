// A baseline campaign: one child workflow per problem, bounded concurrency, pause/resume, progress, cancellation,
// and continue-as-new so that week-long campaigns keep a bounded history (the shared loop: campaign-loop.ts).
import { ApplicationFailure, continueAsNew, executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { activityOptions, taskQueues } from './activity-options.ts';
import { CampaignLoop } from './campaign-loop.ts';
import { baselineProblem } from './problem.ts';
import type { CampaignInput, CampaignSummary } from '../core/contracts.ts';

export { failureMessage } from './campaign-loop.ts';

const store = proxyActivities<Activities>(activityOptions.default);

const DEFAULT_CONTINUE_AS_NEW_AFTER = 250;

export const problemWorkflowId = (campaignId: string, problemId: number): string =>
  `campaign-${campaignId}-problem-${problemId}`;

export async function baselineCampaign(input: CampaignInput): Promise<CampaignSummary> {
  const { campaignId } = input;
  const loop = new CampaignLoop({
    campaignId,
    problemIds: input.problemIds,
    concurrency: input.concurrency,
    budget: input.continueAsNewAfter ?? DEFAULT_CONTINUE_AS_NEW_AFTER,
    carried: input,
    runProblem: async (problemId) => {
      const outcome = await executeChild(baselineProblem, {
        workflowId: problemWorkflowId(campaignId, problemId),
        taskQueue: taskQueues.default,
        args: [{ campaignId, runId: input.runId, problemId, model: input.model, params: input.params }],
      });
      return outcome.passed;
    },
    recordError: (problemId, message) => store.recordResult({
      campaignId, problemId, protocol: 'default', sampleId: null, passed: false, status: 'error', detail: { message },
    }),
    onCancelled: async () => {
      await store.markCampaign({ campaignId, status: 'cancelled' });
      await store.summarizeCampaign({ campaignId });
    },
  });

  if (loop.isFirstRun) await store.markCampaign({ campaignId, status: 'running' });
  const { finished } = await loop.run();
  if (!finished) await continueAsNew<typeof baselineCampaign>({ ...input, ...loop.carry() });

  loop.state = 'finishing';
  const summary = await store.summarizeCampaign({ campaignId });
  await store.markCampaign({ campaignId, status: 'completed' });
  loop.state = 'completed';
  if (summary.problems !== input.problemIds.length) {
    throw ApplicationFailure.nonRetryable(
      `campaign ${campaignId} (${workflowInfo().workflowId}) recorded ${summary.problems} results for ${input.problemIds.length} problems`,
    );
  }
  return summary;
}
