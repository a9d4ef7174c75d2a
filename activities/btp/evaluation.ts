// (8) An iteration's evaluation campaign row, the iteration's pass@1 record, and the BTP campaign's final status.
import { ApplicationFailure } from '@temporalio/common';
import { and, count, eq, sql } from 'drizzle-orm';
import { evalCampaignIdOf } from '../../core/btp/names.ts';
import type { Database } from '../../db/client.ts';
import { btpIterations, bufferEntries, campaignProblems, campaigns, runs } from '../../db/schema/index.ts';
import { appendEvent } from './shared.ts';
import type { RecordIterationInput } from './types.ts';

/** The campaign row of one iteration's evaluation (a baseline campaign of the adapter, or of the base model). */
export async function createEvalCampaign(db: Database, input: { campaignId: string; iteration: number; modelName: string }): Promise<{ campaignId: string; runId: number }> {
  const [parent] = await db.select().from(campaigns).where(eq(campaigns.id, input.campaignId));
  if (!parent) throw ApplicationFailure.nonRetryable(`unknown campaign ${input.campaignId}`);
  const id = evalCampaignIdOf(input.campaignId, input.iteration);
  await db.insert(campaigns).values({
    id, method: 'baseline', dataset: parent.dataset, model: input.modelName, simulated: parent.simulated,
    config: { role: 'btp-evaluation', parentCampaignId: input.campaignId, iteration: input.iteration, model: input.modelName },
    workflowId: `campaign-${id}`, problemsTotal: parent.problemsTotal,
  }).onConflictDoNothing();
  // It evaluates the parent's pinned evaluation problems: the same versions, files and hashes.
  await db.update(campaigns).set({ datasetFiles: parent.datasetFiles }).where(eq(campaigns.id, id));
  await db.execute(sql`insert into ${campaignProblems} (campaign_id, problem_id, task_id, content_hash, role, position)
    select ${id}, problem_id, task_id, content_hash, role, position from ${campaignProblems}
    where campaign_id = ${input.campaignId} and role = 'eval' on conflict do nothing`);
  await db.insert(runs).values({ campaignId: id, name: 'baseline', config: { role: 'btp-evaluation', iteration: input.iteration } }).onConflictDoNothing();
  const [run] = await db.select({ id: runs.id }).from(runs).where(and(eq(runs.campaignId, id), eq(runs.name, 'baseline')));
  return { campaignId: id, runId: run!.id };
}

/** pass@1 of one iteration, with the buffer size at that point. */
export async function recordIteration(db: Database, input: RecordIterationInput): Promise<{ bufferSize: number }> {
  const [{ n }] = (await db.select({ n: count() }).from(bufferEntries).where(eq(bufferEntries.campaignId, input.campaignId))) as [{ n: number }];
  await db.insert(btpIterations).values({
    campaignId: input.campaignId, iteration: input.iteration, model: input.model, trainingRunId: input.trainingRunId,
    problems: input.problems, passed: input.passed, passAt1: input.passAt1, bufferSize: Number(n), detail: input.detail,
  }).onConflictDoNothing();
  const [row] = await db.select().from(btpIterations).where(and(eq(btpIterations.campaignId, input.campaignId), eq(btpIterations.iteration, input.iteration)));
  await appendEvent(db, input.campaignId, `btp:iteration:${input.iteration}`, 'btp_iteration', { iteration: input.iteration, passAt1: row!.passAt1, model: row!.model });
  return { bufferSize: row!.bufferSize };
}

/** Campaign status (+ the summary row of the last evaluation) for the BTP campaign. */
export async function finishBtp(db: Database, input: { campaignId: string; status: 'completed' | 'cancelled' | 'failed'; passAt1: number | null; error?: string }): Promise<{ dataset: string; model: string; simulated: boolean }> {
  await db.update(campaigns).set({ status: input.status, error: input.error ?? null, updatedAt: new Date(), finishedAt: new Date() })
    .where(eq(campaigns.id, input.campaignId));
  await appendEvent(db, input.campaignId, `status:${input.status}`, 'campaign_status', { status: input.status, passAt1: input.passAt1 });
  const [c] = await db.select().from(campaigns).where(eq(campaigns.id, input.campaignId));
  return { dataset: c!.dataset, model: c!.model, simulated: c!.simulated };
}
