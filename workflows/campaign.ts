// A baseline campaign: one child workflow per problem, bounded concurrency, pause/resume, progress, cancellation,
// and continue-as-new so that week-long campaigns keep a bounded history (the shared loop: campaign-loop.ts).
// A replay campaign (evaluate: the "model" reads a samples file) runs its problems in batches instead, each batch one
// activity on the sandbox queue (activities/baseline-batch.ts): the work per problem is a sandbox run of tens of
// milliseconds, so a child workflow and three activities per problem would cost more than the work.
import {
  ActivityCancellationType, ApplicationFailure, continueAsNew, executeChild, patched, proxyActivities, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { activityOptions, taskQueues } from './activity-options.ts';
import { CampaignLoop } from './campaign-loop.ts';
import { baselineProblem } from './problem.ts';
import type { CampaignInput, CampaignSummary } from '../core/contracts.ts';

export { failureMessage } from './campaign-loop.ts';

const store = proxyActivities<Activities>(activityOptions.default);
// A cancelled campaign waits for its running batches to stop (as it waits for its problem children).
const batches = proxyActivities<Activities>({ ...activityOptions.sandbox, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED });

const DEFAULT_CONTINUE_AS_NEW_AFTER = 250;
/** Batched runs carry ~7 history events per batch instead of ~30 per problem: a longer run keeps the same bound. */
const DEFAULT_BATCHED_CONTINUE_AS_NEW_AFTER = 1000;
const DEFAULT_MAX_BATCH = 25;
/** Patch marker of the batched replay path: histories recorded before it replay the per-problem path. */
export const REPLAY_BATCHES_PATCH = 'replay-batches';
/** Patch marker of problems read in pages (an input with `problemsTotal` and no `problemIds`). */
export const PROBLEM_PAGES_PATCH = 'problem-pages';

/** How many problems a campaign input names: its ids, or (ids read in pages) its count. */
export function problemCount(input: Pick<CampaignInput, 'problemIds' | 'problemsTotal'>): number {
  if (input.problemIds) return input.problemIds.length;
  if (input.problemsTotal === undefined) throw ApplicationFailure.nonRetryable('a campaign input needs problemIds or problemsTotal');
  return input.problemsTotal;
}

export const problemWorkflowId = (campaignId: string, problemId: number): string =>
  `campaign-${campaignId}-problem-${problemId}`;

export async function baselineCampaign(input: CampaignInput): Promise<CampaignSummary> {
  const { campaignId } = input;
  const batched = input.model.kind === 'replay' && patched(REPLAY_BATCHES_PATCH);
  // An input without its ids (campaigns/service.ts) reads them a page at a time: it and every continue-as-new carry
  // only the campaign id, the count and the cursor, whatever the campaign's size.
  const paged = input.problemIds === undefined && patched(PROBLEM_PAGES_PATCH);
  const total = problemCount(input);
  const loop = new CampaignLoop({
    campaignId,
    problemIds: input.problemIds ?? [],
    ...(paged ? {
      pages: {
        total, ...(input.pageSize ? { pageSize: input.pageSize } : {}),
        fetch: (offset: number, limit: number) => store.campaignProblemPage({ campaignId, offset, limit }),
      },
    } : {}),
    concurrency: input.concurrency,
    budget: input.continueAsNewAfter ?? (batched ? DEFAULT_BATCHED_CONTINUE_AS_NEW_AFTER : DEFAULT_CONTINUE_AS_NEW_AFTER),
    carried: input,
    ...(batched ? {
      batches: {
        maxBatch: input.maxBatch ?? DEFAULT_MAX_BATCH,
        run: (problemIds: number[]) => batches.runBaselineBatch({ campaignId, runId: input.runId, problemIds, model: input.model, params: input.params }),
      },
    } : {}),
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
  if (!finished) {
    await loop.cancelIfRequested();
    await continueAsNew<typeof baselineCampaign>({ ...input, ...loop.carry() });
  }

  loop.state = 'finishing';
  const summary = await store.summarizeCampaign({ campaignId });
  await store.markCampaign({ campaignId, status: 'completed' });
  loop.state = 'completed';
  if (summary.problems !== total) {
    throw ApplicationFailure.nonRetryable(
      `campaign ${campaignId} (${workflowInfo().workflowId}) recorded ${summary.problems} results for ${total} problems`,
    );
  }
  return summary;
}
