// Creating, watching and controlling campaigns: the one implementation behind the CLI and the API.
import { randomBytes } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, asc, count, desc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import { loadDataset } from '../core/datasets/index.ts';
import type { Database } from '../db/client.ts';
import { campaigns, events, executions, problems, results, runs, samples } from '../db/schema/index.ts';
import { launchCampaign, type LaunchContext } from './start-workflow.ts';
import { progressQuery, pauseSignal, resumeSignal } from '../workflows/signals.ts';
import type { BtpCycleSummary, CampaignInput, CampaignProgress, CampaignSummary, ModelSpec } from '../core/contracts.ts';
import type { btpCycle } from '../workflows/btp.ts';
import { startBtpCampaign } from './btp.ts';
import { startEgcfgCampaign } from './egcfg.ts';
import { campaignWorkflowId, getCampaign, newCampaignId, upsertProblems, UnknownCampaignError, type ServiceContext } from './context.ts';
import { checkSelectionOptions, type RunOptions } from './options.ts';
import { selectProblems } from '../core/datasets/select.ts';
import { SampleCountsSchema } from '../core/metrics.ts';
import { eventOfRow } from '../core/stored/events.ts';
import { executionOfRow } from '../core/stored/per-test.ts';
import { resultOfRow } from '../core/stored/result-detail.ts';
import { sampleOfRow } from '../core/stored/sample-params.ts';
import { replayCoverage } from './replay-coverage.ts';
import { campaignProblem, datasetFilesOf, pinCampaign } from './pins.ts';

export { campaignWorkflowId, getCampaign, newCampaignId, upsertProblems, UnknownCampaignError, type ServiceContext };

export interface CreatedCampaign {
  campaignId: string;
  workflowId: string;
  problems: number;
  /** A samples file's coverage of the selected problems. */
  samplesCoverage?: { covered: number; selected: number; missing: 'skip' | 'fail'; samplesPerTask: number };
}

/**
 * Load the problems, record the campaign and start its workflow (or hand its launch to `ctx.deferLaunch`).
 * `extra.campaignId`: the id to use (an experiment's workflow picks it, so that a retried activity finds its rows).
 */
export async function startCampaign(ctx: LaunchContext, opts: RunOptions, model: ModelSpec, extra: { sourceModel?: ModelSpec; campaignId?: string } = {}): Promise<CreatedCampaign> {
  checkSelectionOptions(opts);
  if (opts.method === 'btp') {
    // BTP loads its own training and evaluation problems (campaigns/btp.ts); `model` is the target model.
    const campaignId = extra.campaignId ?? newCampaignId();
    const workflowId = campaignWorkflowId(campaignId);
    const { problems } = await startBtpCampaign(ctx, opts, model, extra.sourceModel, { campaignId, workflowId });
    return { campaignId, workflowId, problems };
  }
  const all = await loadDataset(opts.dataset, { ...(opts.datasetFile ? { file: opts.datasetFile } : {}), ...(opts.split ? { split: opts.split } : {}) });
  const chosen = selectProblems(all, opts);
  if (chosen.length === 0) throw new Error(`dataset ${opts.dataset} has no problems in the selected split`);
  // A samples file is scored on the tasks it covers (unless missing: 'fail'), with as many samples per task as it has.
  const coverage = opts.samplesFile ? await replayCoverage(opts.samplesFile, all, chosen, opts.missing) : undefined;
  const selected = coverage?.problems ?? chosen;
  const perProblem = coverage ? coverage.samplesPerTask : opts.samplesPerProblem;
  const problemIds = await upsertProblems(ctx.db, selected);
  const campaignId = extra.campaignId ?? newCampaignId();
  const workflowId = campaignWorkflowId(campaignId);
  if (opts.method === 'eg-cfg') {
    await startEgcfgCampaign(ctx, opts, model, { campaignId, workflowId, problemIds });
    return { campaignId, workflowId, problems: problemIds.length };
  }
  const simulated = model.kind === 'openai' && model.simulated;
  await ctx.db.insert(campaigns).values({
    id: campaignId, method: opts.method, dataset: opts.dataset, model: model.model, simulated,
    config: { ...opts, model, ...(coverage ? { samplesPerProblem: coverage.samplesPerTask, replayCoverage: { covered: coverage.covered, selected: coverage.selected, missing: coverage.missing } } : {}) },
    workflowId, problemsTotal: problemIds.length,
  });
  await pinCampaign(ctx.db, campaignId, { files: await datasetFilesOf(opts.dataset, opts.datasetFile), problems: [{ role: 'eval', ids: problemIds }] });
  const [run] = await ctx.db.insert(runs).values({ campaignId, name: opts.method, config: { ...opts } }).returning({ id: runs.id });
  // The workflow reads the pinned ids a page at a time (each pinned once: a list with a repeated id stays inline).
  const pages = new Set(problemIds).size === problemIds.length;
  const input: CampaignInput = {
    campaignId,
    runId: run!.id,
    ...(pages ? { problemsTotal: problemIds.length } : { problemIds }),
    model,
    params: {
      promptType: opts.promptType, ...(opts.promptFormat ? { promptFormat: opts.promptFormat } : {}),
      temperature: opts.temperature, topP: opts.topP, maxTokens: opts.maxTokens, seed: opts.seed,
      ...(perProblem && perProblem > 1 ? { samplesPerProblem: perProblem } : {}),
    },
    concurrency: opts.concurrency,
  };
  await launchCampaign(ctx, { workflow: 'baselineCampaign', workflowId, input });
  return {
    campaignId, workflowId, problems: problemIds.length,
    ...(coverage ? { samplesCoverage: { covered: coverage.covered, selected: coverage.selected, missing: coverage.missing, samplesPerTask: coverage.samplesPerTask } } : {}),
  };
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

/** Pause, resume or cancel; once delivered, a `campaign_control` event records the action and who asked (`by`). */
export async function signalCampaign(ctx: ServiceContext, campaignId: string, action: 'pause' | 'resume' | 'cancel', by: string | null = null): Promise<void> {
  await getCampaign(ctx.db, campaignId);
  const handle = ctx.client.workflow.getHandle(campaignWorkflowId(campaignId));
  if (action === 'pause') await handle.signal(pauseSignal);
  else if (action === 'resume') await handle.signal(resumeSignal);
  else await handle.cancel();
  // Each request is its own event (a campaign may be paused and resumed many times).
  await ctx.db.insert(events).values({
    campaignId, key: `control:${action}:${Date.now()}:${randomBytes(4).toString('hex')}`, kind: 'campaign_control', payload: { action, by },
  }).onConflictDoNothing();
}

export async function waitForCampaign(ctx: ServiceContext, campaignId: string): Promise<CampaignSummary> {
  return (await ctx.client.workflow.getHandle(campaignWorkflowId(campaignId)).result()) as CampaignSummary;
}

/** The summary of a BTP campaign: its workflow's result, typed by the workflow function. */
export async function waitForBtpCampaign(ctx: ServiceContext, campaignId: string): Promise<BtpCycleSummary> {
  return ctx.client.workflow.getHandle<typeof btpCycle>(campaignWorkflowId(campaignId)).result();
}

export interface ResultRow {
  task_id: string;
  passed: boolean;
  status: string;
  sample_id: number | null;
  tests_passed: number | null;
  tests_total: number | null;
  code: string | null;
  /** pass@k campaigns: the problem's samples and how many passed (the row's other fields are sample 0's). */
  samples?: number;
  correct?: number;
}


/** Per-problem results of a campaign, in dataset order. */
export async function campaignResults(db: Database, campaignId: string, protocol = 'default'): Promise<ResultRow[]> {
  const rows = await db.select({
    id: results.id, taskId: problems.taskId, passed: results.passed, status: results.status, sampleId: results.sampleId,
    code: samples.code, testsPassed: executions.testsPassed, testsTotal: executions.testsTotal, detail: results.detail,
  }).from(results)
    .innerJoin(problems, eq(problems.id, results.problemId))
    .leftJoin(samples, eq(samples.id, results.sampleId))
    .leftJoin(executions, and(eq(executions.sampleId, results.sampleId), eq(executions.suite, 'eval')))
    .where(and(eq(results.campaignId, campaignId), eq(results.protocol, protocol)))
    .orderBy(asc(problems.id));
  return rows.map(resultOfRow).map((r) => {
    const counts = SampleCountsSchema.safeParse(r.detail);
    return {
      task_id: r.taskId, passed: r.passed, status: r.status, sample_id: r.sampleId,
      tests_passed: r.testsPassed, tests_total: r.testsTotal, code: r.code,
      ...(counts.success ? { samples: counts.data.samples, correct: counts.data.correct } : {}),
    };
  });
}

export interface ErrorReport {
  /** Problems that ended in 'error' (the platform could not score them), not 'failed' (scored, wrong). */
  count: number;
  /** The first of them in dataset order, with its recorded message. */
  first?: { taskId: string; message: string };
}

/** How many of a campaign's problems ended in 'error', and the first one's message. */
export async function campaignErrors(db: Database, campaignId: string, protocol = 'default'): Promise<ErrorReport> {
  const rows = await db.select({ id: results.id, taskId: problems.taskId, detail: results.detail }).from(results)
    .innerJoin(problems, eq(problems.id, results.problemId))
    .where(and(eq(results.campaignId, campaignId), eq(results.protocol, protocol), eq(results.status, 'error')))
    .orderBy(asc(problems.id));
  const first = rows[0] && resultOfRow(rows[0]);
  if (!first) return { count: 0 };
  const message = first.detail.message ?? JSON.stringify(first.detail);
  return { count: rows.length, first: { taskId: first.taskId, message } };
}

// ---- Read models for the API and dashboard (listing, per-dataset pass@1, event log, problem audits) ----

export interface CampaignListFilter {
  status?: string;
  dataset?: string;
  method?: string;
  /** At most this many rows (default 50). */
  limit?: number;
  /** The `nextCursor` of the previous page: campaigns created before it (ids sort by creation time). */
  cursor?: string;
}

/** Campaigns, newest first, filtered and paginated by a keyset cursor (the last id of the previous page). */
export async function listCampaigns(db: Database, filter: CampaignListFilter = {}) {
  const limit = filter.limit ?? 50;
  const conditions = [
    filter.status ? eq(campaigns.status, filter.status) : undefined,
    filter.dataset ? eq(campaigns.dataset, filter.dataset) : undefined,
    filter.method ? eq(campaigns.method, filter.method) : undefined,
    filter.cursor ? lt(campaigns.id, filter.cursor) : undefined,
  ].filter((c) => c !== undefined);
  const rows = await db.select().from(campaigns)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(campaigns.id)).limit(limit + 1);
  const page = rows.slice(0, limit);
  const done = page.length ? await doneCounts(db, page.map((r) => r.id)) : new Map<string, { done: number; passed: number }>();
  return {
    campaigns: page.map((r) => ({ ...r, done: done.get(r.id)?.done ?? 0, passed: done.get(r.id)?.passed ?? 0 })),
    nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
  };
}

async function doneCounts(db: Database, ids: string[]) {
  const rows = await db.select({
    campaignId: results.campaignId,
    done: count(),
    passed: sql<number>`count(*) filter (where ${results.passed})`.mapWith(Number),
  }).from(results).where(and(inArray(results.campaignId, ids), eq(results.protocol, 'default'))).groupBy(results.campaignId);
  return new Map(rows.map((r) => [r.campaignId, { done: Number(r.done), passed: r.passed }]));
}

export interface DatasetPassAt1 {
  dataset: string;
  protocol: string;
  problems: number;
  passed: number;
  errors: number;
  /** passed / problems finished so far (null before the first one finishes). */
  passAt1: number | null;
}

/** pass@1 so far, per dataset and scoring protocol, over the problems finished until now. */
export async function campaignPassAt1(db: Database, campaignId: string): Promise<DatasetPassAt1[]> {
  const rows = await db.select({
    dataset: problems.dataset,
    protocol: results.protocol,
    problems: count(),
    passed: sql<number>`count(*) filter (where ${results.passed})`.mapWith(Number),
    errors: sql<number>`count(*) filter (where ${results.status} = 'error')`.mapWith(Number),
  }).from(results).innerJoin(problems, eq(problems.id, results.problemId))
    .where(eq(results.campaignId, campaignId))
    .groupBy(problems.dataset, results.protocol)
    .orderBy(asc(problems.dataset), asc(results.protocol));
  return rows.map((r) => ({
    dataset: r.dataset, protocol: r.protocol, problems: Number(r.problems), passed: r.passed, errors: r.errors,
    passAt1: Number(r.problems) > 0 ? r.passed / Number(r.problems) : null,
  }));
}

/** The campaign's event log in order, after the event id `afterId` (exclusive). */
export async function campaignEvents(db: Database, campaignId: string, opts: { afterId?: number; limit?: number; problemId?: number } = {}) {
  const conditions = [
    eq(events.campaignId, campaignId),
    opts.afterId !== undefined ? gt(events.id, opts.afterId) : undefined,
    opts.problemId !== undefined ? sql`${events.payload}->>'problemId' = ${String(opts.problemId)}` : undefined,
  ].filter((c) => c !== undefined);
  const rows = await db.select().from(events).where(and(...conditions)).orderBy(asc(events.id)).limit(opts.limit ?? 1000);
  return rows.map(eventOfRow);
}

export class UnknownProblemError extends Error {
  constructor(readonly campaignId: string, readonly taskId: string) {
    super(`campaign '${campaignId}' has no problem '${taskId}'`);
    this.name = 'UnknownProblemError';
  }
}

/**
 * Everything recorded about one problem of a campaign: the problem version it ran (with its content hash), every sample (code, completion, model,
 * parameters, token counts), every sandboxed execution with its per-test verdicts, the verdicts per protocol, and
 * the events that name the problem.
 */
export async function problemAudit(db: Database, campaignId: string, taskId: string) {
  const campaign = await getCampaign(db, campaignId);
  // The version this campaign pinned (campaign_problems): a task it did not run is unknown here.
  const problem = await campaignProblem(db, campaignId, taskId);
  if (!problem) throw new UnknownProblemError(campaignId, taskId);
  const sampleRows = (await db.select().from(samples)
    .where(and(eq(samples.campaignId, campaignId), eq(samples.problemId, problem.id))).orderBy(asc(samples.id))).map(sampleOfRow);
  const executionRows = sampleRows.length
    ? (await db.select().from(executions).where(inArray(executions.sampleId, sampleRows.map((s) => s.id))).orderBy(asc(executions.id))).map(executionOfRow)
    : [];
  const resultRows = (await db.select().from(results)
    .where(and(eq(results.campaignId, campaignId), eq(results.problemId, problem.id))).orderBy(asc(results.protocol))).map(resultOfRow);
  const eventRows = await campaignEvents(db, campaignId, { problemId: problem.id });
  return {
    campaign: { id: campaign.id, dataset: campaign.dataset, method: campaign.method, model: campaign.model, simulated: campaign.simulated, status: campaign.status },
    problem: {
      id: problem.id, contentHash: problem.contentHash, dataset: problem.dataset, taskId: problem.taskId, split: problem.split, entryPoint: problem.entryPoint,
      statement: problem.statement, visibleTests: problem.visibleTests, problem: problem.problem,
    },
    samples: sampleRows.map((s) => ({
      id: s.id, attempt: s.attempt, code: s.code, rawCompletion: s.rawCompletion, model: s.model, params: s.params,
      promptTokens: s.promptTokens, completionTokens: s.completionTokens, modelCalls: s.modelCalls, createdAt: s.createdAt,
      executions: executionRows.filter((e) => e.sampleId === s.id).map((e) => ({
        id: e.id, suite: e.suite, status: e.status, passed: e.passed, testsPassed: e.testsPassed, testsTotal: e.testsTotal,
        perTest: e.perTest, stdout: e.stdout, stderr: e.stderr, durationMs: e.durationMs, createdAt: e.createdAt,
      })),
    })),
    results: resultRows.map((r) => ({ protocol: r.protocol, passed: r.passed, status: r.status, sampleId: r.sampleId, detail: r.detail, createdAt: r.createdAt })),
    events: eventRows,
  };
}
