// A baseline campaign: one child workflow per problem, bounded concurrency, pause/resume, progress, cancellation,
// and continue-as-new so that week-long campaigns keep a bounded history.
import {
  ApplicationFailure, CancellationScope, type ChildWorkflowHandle, condition, continueAsNew, isCancellation,
  proxyActivities, setHandler, startChild, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { activityOptions, taskQueues } from './activity-options.ts';
import { baselineProblem } from './problem.ts';
import { pauseSignal, progressQuery, resumeSignal } from './signals.ts';
import type { CampaignInput, CampaignProgress, CampaignSummary, ProblemOutcome } from './types.ts';

const store = proxyActivities<Activities>(activityOptions.default);

const DEFAULT_CONTINUE_AS_NEW_AFTER = 250;

/** The message of a failure and of each of its causes, outermost first (a child's activity error is three deep). */
export function failureMessage(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 6; e = e.cause) parts.push(e.message);
  return parts.length ? parts.join(': ') : String(err);
}

export const problemWorkflowId = (campaignId: string, problemId: number): string =>
  `campaign-${campaignId}-problem-${problemId}`;

export async function baselineCampaign(input: CampaignInput): Promise<CampaignSummary> {
  const total = input.problemIds.length;
  let cursor = input.cursor ?? 0;
  let done = input.done ?? 0;
  let passed = input.passed ?? 0;
  let errors = input.errors ?? 0;
  let paused = input.paused ?? false;
  let state: CampaignProgress['state'] = paused ? 'paused' : 'running';
  const running = new Set<number>();

  setHandler(pauseSignal, () => { paused = true; state = 'paused'; });
  setHandler(resumeSignal, () => { paused = false; state = 'running'; });
  setHandler(progressQuery, (): CampaignProgress => ({
    campaignId: input.campaignId, total, done, passed, errors, running: running.size, paused, state,
  }));

  if (cursor === 0) await store.markCampaign({ campaignId: input.campaignId, status: 'running' });

  const budget = input.continueAsNewAfter ?? DEFAULT_CONTINUE_AS_NEW_AFTER;
  let startedThisRun = 0;

  const runProblem = async (problemId: number): Promise<void> => {
    running.add(problemId);
    try {
      const child: ChildWorkflowHandle<typeof baselineProblem> = await startChild(baselineProblem, {
        workflowId: problemWorkflowId(input.campaignId, problemId),
        taskQueue: taskQueues.default,
        args: [{ campaignId: input.campaignId, runId: input.runId, problemId, model: input.model, params: input.params }],
      });
      const outcome: ProblemOutcome = await child.result();
      if (outcome.passed) passed++;
    } catch (err) {
      if (isCancellation(err)) throw err;
      // A problem whose workflow failed (e.g. a non-retryable bad model reply) is recorded as an error,
      // and the campaign goes on.
      errors++;
      await store.recordResult({
        campaignId: input.campaignId, problemId, protocol: 'default', sampleId: null, passed: false, status: 'error',
        detail: { message: failureMessage(err) },
      });
    } finally {
      running.delete(problemId);
      done++;
    }
  };

  try {
    const inFlight = new Set<Promise<void>>();
    while (cursor < total && startedThisRun < budget) {
      await condition(() => !paused && inFlight.size < input.concurrency);
      const problemId = input.problemIds[cursor]!;
      cursor++;
      startedThisRun++;
      const p: Promise<void> = runProblem(problemId).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  } catch (err) {
    if (isCancellation(err)) {
      state = 'cancelled';
      await CancellationScope.nonCancellable(async () => {
        await store.markCampaign({ campaignId: input.campaignId, status: 'cancelled' });
        await store.summarizeCampaign({ campaignId: input.campaignId });
      });
    }
    throw err;
  }

  if (cursor < total) {
    await continueAsNew<typeof baselineCampaign>({ ...input, cursor, done, passed, errors, paused });
  }
  state = 'finishing';
  const summary = await store.summarizeCampaign({ campaignId: input.campaignId });
  await store.markCampaign({ campaignId: input.campaignId, status: 'completed' });
  state = 'completed';
  if (summary.problems !== total) {
    throw ApplicationFailure.nonRetryable(
      `campaign ${input.campaignId} (${workflowInfo().workflowId}) recorded ${summary.problems} results for ${total} problems`,
    );
  }
  return summary;
}
