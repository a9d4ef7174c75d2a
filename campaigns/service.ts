// Creating, watching and controlling campaigns: the one implementation behind the CLI and the API.
import { randomBytes } from 'node:crypto';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { and, asc, eq, sql } from 'drizzle-orm';
import { loadDataset, type Problem } from '../core/datasets/index.ts';
import type { Database } from '../db/client.ts';
import { campaigns, executions, problems, results, runs, samples } from '../db/schema/index.ts';
import { taskQueues } from '../workflows/activity-options.ts';
import { progressQuery, pauseSignal, resumeSignal } from '../workflows/signals.ts';
import type { CampaignInput, CampaignProgress, CampaignSummary, ModelSpec } from '../workflows/types.ts';
import { startEgcfgCampaign } from './egcfg.ts';
import type { RunOptions } from './options.ts';

export interface ServiceContext {
  db: Database;
  client: Client;
}

export const campaignWorkflowId = (campaignId: string): string => `campaign-${campaignId}`;

export function newCampaignId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** `excluded.<column>` of an upsert: the value the insert proposed. */
const sqlExcluded = (column: string) => sql.raw(`excluded.${column}`);

/** Insert (or refresh) the problems of a dataset and return their database ids in dataset order. */
export async function upsertProblems(db: Database, list: Problem[]): Promise<number[]> {
  const ids: number[] = [];
  const chunk = 200;
  for (let i = 0; i < list.length; i += chunk) {
    const rows = list.slice(i, i + chunk).map((p) => ({
      dataset: p.dataset,
      taskId: p.taskId,
      split: p.split,
      entryPoint: p.entryPoint,
      statement: p.statement,
      visibleTests: p.visibleTests,
      problem: p as unknown as Record<string, unknown>,
      raw: p.raw,
    }));
    const inserted = await db.insert(problems).values(rows).onConflictDoUpdate({
      target: [problems.dataset, problems.taskId],
      set: { problem: sqlExcluded('problem'), raw: sqlExcluded('raw'), split: sqlExcluded('split'),
        statement: sqlExcluded('statement'), visibleTests: sqlExcluded('visible_tests'), entryPoint: sqlExcluded('entry_point') },
    }).returning({ id: problems.id, taskId: problems.taskId });
    const byTask = new Map(inserted.map((r) => [r.taskId, r.id]));
    for (const p of list.slice(i, i + chunk)) ids.push(byTask.get(p.taskId)!);
  }
  return ids;
}

export interface CreatedCampaign {
  campaignId: string;
  workflowId: string;
  problems: number;
}

/** Load the problems, record the campaign and start its workflow. */
export async function startCampaign(ctx: ServiceContext, opts: RunOptions, model: ModelSpec): Promise<CreatedCampaign> {
  const all = await loadDataset(opts.dataset, { ...(opts.datasetFile ? { file: opts.datasetFile } : {}), ...(opts.split ? { split: opts.split } : {}) });
  const selected = opts.maxProblems ? all.slice(0, opts.maxProblems) : all;
  if (selected.length === 0) throw new Error(`dataset ${opts.dataset} has no problems in the selected split`);
  const problemIds = await upsertProblems(ctx.db, selected);
  const campaignId = newCampaignId();
  const workflowId = campaignWorkflowId(campaignId);
  if (opts.method === 'eg-cfg') {
    await startEgcfgCampaign(ctx, opts, model, { campaignId, workflowId, problemIds });
    return { campaignId, workflowId, problems: problemIds.length };
  }
  const simulated = model.kind === 'openai' && model.simulated;
  await ctx.db.insert(campaigns).values({
    id: campaignId, method: opts.method, dataset: opts.dataset, model: model.model, simulated,
    config: { ...opts, model }, workflowId, problemsTotal: problemIds.length,
  });
  const [run] = await ctx.db.insert(runs).values({ campaignId, name: opts.method, config: { ...opts } }).returning({ id: runs.id });
  const input: CampaignInput = {
    campaignId,
    runId: run!.id,
    problemIds,
    model,
    params: { promptType: opts.promptType, temperature: opts.temperature, topP: opts.topP, maxTokens: opts.maxTokens, seed: opts.seed },
    concurrency: opts.concurrency,
  };
  await ctx.client.workflow.start('baselineCampaign', { workflowId, taskQueue: taskQueues.default, args: [input] });
  return { campaignId, workflowId, problems: problemIds.length };
}

export class UnknownCampaignError extends Error {
  constructor(readonly campaignId: string) { super(`unknown campaign '${campaignId}'`); this.name = 'UnknownCampaignError'; }
}

export async function getCampaign(db: Database, campaignId: string) {
  const [row] = await db.select().from(campaigns).where(eq(campaigns.id, campaignId));
  if (!row) throw new UnknownCampaignError(campaignId);
  return row;
}

/** Live progress from the workflow; falls back to the database once the workflow is closed or gone. */
export async function campaignProgress(ctx: ServiceContext, campaignId: string): Promise<CampaignProgress> {
  const campaign = await getCampaign(ctx.db, campaignId);
  try {
    const handle = ctx.client.workflow.getHandle(campaignWorkflowId(campaignId));
    const desc = await handle.describe();
    if (desc.status.name === 'RUNNING') return await handle.query(progressQuery);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  const rows = await ctx.db.select({ passed: results.passed, status: results.status }).from(results)
    .where(and(eq(results.campaignId, campaignId), eq(results.protocol, 'default')));
  return {
    campaignId, total: campaign.problemsTotal, done: rows.length, passed: rows.filter((r) => r.passed).length,
    errors: rows.filter((r) => r.status === 'error').length, running: 0, paused: false,
    state: campaign.status === 'cancelled' ? 'cancelled' : 'completed',
  };
}

export async function signalCampaign(ctx: ServiceContext, campaignId: string, action: 'pause' | 'resume' | 'cancel'): Promise<void> {
  await getCampaign(ctx.db, campaignId);
  const handle = ctx.client.workflow.getHandle(campaignWorkflowId(campaignId));
  if (action === 'pause') await handle.signal(pauseSignal);
  else if (action === 'resume') await handle.signal(resumeSignal);
  else await handle.cancel();
}

export async function waitForCampaign(ctx: ServiceContext, campaignId: string): Promise<CampaignSummary> {
  return ctx.client.workflow.getHandle(campaignWorkflowId(campaignId)).result();
}

export interface ResultRow {
  task_id: string;
  passed: boolean;
  status: string;
  sample_id: number | null;
  tests_passed: number | null;
  tests_total: number | null;
  code: string | null;
}

/** Per-problem results of a campaign, in dataset order. */
export async function campaignResults(db: Database, campaignId: string, protocol = 'default'): Promise<ResultRow[]> {
  const rows = await db.select({
    taskId: problems.taskId, passed: results.passed, status: results.status, sampleId: results.sampleId,
    code: samples.code, testsPassed: executions.testsPassed, testsTotal: executions.testsTotal,
  }).from(results)
    .innerJoin(problems, eq(problems.id, results.problemId))
    .leftJoin(samples, eq(samples.id, results.sampleId))
    .leftJoin(executions, and(eq(executions.sampleId, results.sampleId), eq(executions.suite, 'eval')))
    .where(and(eq(results.campaignId, campaignId), eq(results.protocol, protocol)))
    .orderBy(asc(problems.id));
  return rows.map((r) => ({
    task_id: r.taskId, passed: r.passed, status: r.status, sample_id: r.sampleId,
    tests_passed: r.testsPassed, tests_total: r.testsTotal, code: r.code,
  }));
}
