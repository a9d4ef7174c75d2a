// Stage (8) of the BTP cycle (workflows/btp.ts): one iteration's evaluation, a baseline campaign (child workflow) on the
// evaluation problems under the model's (or adapter's) name, recorded in btp_iterations and the cycle's history.
import { proxyActivities, startChild } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { evalCampaignIdOf } from '../core/btp/names.ts';
import type { BtpIterationRecord, ModelSpec } from '../core/contracts.ts';
import { activityOptions, taskQueues } from './activity-options.ts';
import { gate, type BtpCycleState } from './btp-state.ts';
import { baselineCampaign } from './campaign.ts';

const store = proxyActivities<Activities>(activityOptions.default);

export async function evaluate(s: BtpCycleState, it: number, modelName: string, trainingRunId: number | null, detail: Record<string, unknown>,
  baseUrl?: string): Promise<BtpIterationRecord> {
  const { input, problems } = s;
  const p = input.params;
  await gate(s);
  s.stage = 'evaluating';
  const ev = await store.btpCreateEvalCampaign({ campaignId: input.campaignId, iteration: it, modelName });
  s.evalChild = `campaign-${ev.campaignId}`;
  const model: ModelSpec = { ...input.targetModel, model: modelName, ...(baseUrl ? { baseUrl } : {}) };
  const child = await startChild(baselineCampaign, {
    workflowId: s.evalChild,
    taskQueue: taskQueues.default,
    args: [{
      campaignId: ev.campaignId, runId: ev.runId, model, params: p.eval, concurrency: p.concurrency, paused: s.paused,
      // Read in pages: the evaluation campaign reads its copy of the evaluation pins (activities/btp/evaluation.ts).
      ...(problems.paged ? { problemsTotal: problems.evalTotal, pageSize: problems.pageSize } : { problemIds: problems.eval }),
    }],
  });
  const summary = await child.result();
  s.evalChild = null;
  const rec = await store.btpRecordIteration({
    campaignId: input.campaignId, iteration: it, model: modelName, trainingRunId, problems: summary.problems, passed: summary.passed,
    passAt1: summary.passAt1, detail: { ...detail, evalCampaignId: ev.campaignId },
  });
  const record: BtpIterationRecord = {
    iteration: it, model: modelName, passAt1: summary.passAt1, passed: summary.passed, problems: summary.problems,
    evalCampaignId: evalCampaignIdOf(input.campaignId, it), trainingRunId, bufferSize: rec.bufferSize, ...(baseUrl ? { baseUrl } : {}),
  };
  s.history.push(record);
  return record;
}
