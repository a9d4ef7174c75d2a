// Core tables: benchmark problems, campaigns, samples, executions, per-problem results and summaries.
// Every table that an activity writes has a natural unique key, so a retried activity upserts instead of duplicating.
import { sql } from 'drizzle-orm';
import {
  bigint, bigserial, boolean, doublePrecision, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { CampaignConfig, RunConfig } from '../../campaigns/options/stored.ts';
import type { DatasetFile } from '../../core/datasets/pins.ts';
import type { StoredProblem } from '../../core/datasets/problem-schema.ts';
import type { EventPayload } from '../../core/stored/events.ts';
import type { PerTest } from '../../core/stored/per-test.ts';
import type { ResultDetail } from '../../core/stored/result-detail.ts';
import type { SampleParams } from '../../core/stored/sample-params.ts';

/**
 * One immutable version of a benchmark problem, addressed by the hash of its content (core/datasets/pins.ts): a
 * dataset file that changes a problem adds a row, never rewrites one, so every result stays audited against what ran.
 * (dataset, task_id) names the problem across its versions; a campaign's versions are in campaign_problems.
 */
export const problems = pgTable('problems', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  /** sha256 of the stored problem's canonical JSON; rows written before versioning: `legacy:` + sha256 of its jsonb text. */
  contentHash: text('content_hash').notNull(),
  dataset: text('dataset').notNull(),
  taskId: text('task_id').notNull(),
  split: text('split').notNull(),
  entryPoint: text('entry_point'),
  /** Prompt-facing statement (MBPP `text`, HumanEval `prompt`). */
  statement: text('statement').notNull(),
  /** Tests shown in the prompt and used for guidance/selection. */
  visibleTests: jsonb('visible_tests').$type<string[]>().notNull(),
  /** The normalised problem as the dataset loader produced it (tests of every suite, entry point, prompt code); read back with parseStoredProblem. */
  problem: jsonb('problem').$type<StoredProblem>().notNull(),
  /** The record exactly as the dataset file had it. */
  raw: jsonb('raw').$type<Record<string, unknown>>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('problems_content_hash').on(t.contentHash), index('problems_dataset_task_version').on(t.dataset, t.taskId)]);

export const campaigns = pgTable('campaigns', {
  id: text('id').primaryKey(),
  method: text('method').notNull(),
  dataset: text('dataset').notNull(),
  model: text('model').notNull(),
  simulated: boolean('simulated').notNull(),
  status: text('status').notNull().default('created'),
  /** The campaign's options and its method's additions: campaigns/options/stored.ts campaignConfigSchema. */
  config: jsonb('config').$type<CampaignConfig>().notNull(),
  workflowId: text('workflow_id'),
  error: text('error'),
  problemsTotal: integer('problems_total').notNull().default(0),
  /** The files its problems were read from, with their sha256 ([] for campaigns from before they were recorded). */
  datasetFiles: jsonb('dataset_files').$type<DatasetFile[]>().notNull().default(sql`'[]'::jsonb`),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
});

/**
 * The problem versions a campaign ran (its pins): `eval` problems in the order it was given them, and a BTP campaign's
 * `train` problems. Audits find a campaign's problem here, never by (dataset, task_id) alone.
 */
export const campaignProblems = pgTable('campaign_problems', {
  campaignId: text('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  problemId: bigint('problem_id', { mode: 'number' }).notNull().references(() => problems.id),
  taskId: text('task_id').notNull(),
  /** The version's content hash, as pinned (equal to problems.content_hash: versions are immutable). */
  contentHash: text('content_hash').notNull(),
  role: text('role').notNull().default('eval'),
  position: integer('position').notNull(),
}, (t) => [
  uniqueIndex('campaign_problems_key').on(t.campaignId, t.problemId),
  index('campaign_problems_task').on(t.campaignId, t.taskId),
  // A position names one problem of a role; the page query (activities/problem-pages.ts) is a range scan of this index.
  uniqueIndex('campaign_problems_position').on(t.campaignId, t.role, t.position),
]);

/** One method configuration inside a campaign (e.g. an EG-CFG agent, or the single baseline config). */
export const runs = pgTable('runs', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  campaignId: text('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  /** The run's options or agent: campaigns/options/stored.ts runConfigSchema. */
  config: jsonb('config').$type<RunConfig>().notNull(),
}, (t) => [uniqueIndex('runs_campaign_name').on(t.campaignId, t.name)]);

/** One generated (or replayed) program. `attempt` names which try within the run produced it (e.g. `gamma=0.5`). */
export const samples = pgTable('samples', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  campaignId: text('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  runId: bigint('run_id', { mode: 'number' }).notNull().references(() => runs.id, { onDelete: 'cascade' }),
  problemId: bigint('problem_id', { mode: 'number' }).notNull().references(() => problems.id),
  attempt: text('attempt').notNull(),
  code: text('code').notNull(),
  rawCompletion: text('raw_completion'),
  /** The exact text the model continued (rendered chat template + response prefix, or the raw prompt). */
  prompt: text('prompt'),
  model: text('model').notNull(),
  /** How it was generated, per method: core/stored/sample-params.ts sampleParamsSchema. */
  params: jsonb('params').$type<SampleParams>().notNull(),
  /** Token logprobs of the completion, when the model returned them. */
  tokenLogprobs: jsonb('token_logprobs').$type<number[] | null>(),
  promptTokens: integer('prompt_tokens').notNull().default(0),
  completionTokens: integer('completion_tokens').notNull().default(0),
  modelCalls: integer('model_calls').notNull().default(0),
  /** Wall time spent waiting for the model server for this sample (0 for replayed samples). */
  modelMs: doublePrecision('model_ms').notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('samples_natural_key').on(t.campaignId, t.runId, t.problemId, t.attempt),
  index('samples_problem').on(t.problemId),
]);

/** One sandboxed run of a sample against one suite of tests. */
export const executions = pgTable('executions', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  sampleId: bigint('sample_id', { mode: 'number' }).notNull().references(() => samples.id, { onDelete: 'cascade' }),
  suite: text('suite').notNull(),
  status: text('status').notNull(),
  passed: boolean('passed').notNull(),
  testsPassed: integer('tests_passed').notNull(),
  testsTotal: integer('tests_total').notNull(),
  /** The verdict of each test: core/stored/per-test.ts perTestSchema. */
  perTest: jsonb('per_test').$type<PerTest>().notNull(),
  stdout: text('stdout').notNull().default(''),
  stderr: text('stderr').notNull().default(''),
  durationMs: doublePrecision('duration_ms').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('executions_sample_suite').on(t.sampleId, t.suite)]);

/** The verdict a campaign gives one problem, per scoring protocol (`paper`, `strict`, or `default`). */
export const results = pgTable('results', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  campaignId: text('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  problemId: bigint('problem_id', { mode: 'number' }).notNull().references(() => problems.id),
  protocol: text('protocol').notNull().default('default'),
  passed: boolean('passed').notNull(),
  sampleId: bigint('sample_id', { mode: 'number' }).references(() => samples.id),
  status: text('status').notNull(),
  /** What the verdict records beside passed/status, per writer: core/stored/result-detail.ts resultDetailSchema. */
  detail: jsonb('detail').$type<ResultDetail>().notNull().default(sql`'{}'::jsonb`),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('results_natural_key').on(t.campaignId, t.problemId, t.protocol)]);

/** An append-only log of what happened in a campaign, for progress displays, SSE and audits. `key` makes retries idempotent. */
export const events = pgTable('events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  campaignId: text('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  key: text('key').notNull(),
  kind: text('kind').notNull(),
  /** The kind's payload: core/stored/events.ts eventPayloadSchemas (read back with eventPayloadOf). */
  payload: jsonb('payload').$type<EventPayload>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('events_campaign_key').on(t.campaignId, t.key)]);

export const summaries = pgTable('summaries', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  campaignId: text('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  dataset: text('dataset').notNull(),
  protocol: text('protocol').notNull().default('default'),
  problems: integer('problems').notNull(),
  passed: integer('passed').notNull(),
  passAt1: doublePrecision('pass_at_1').notNull(),
  baselineCampaignId: text('baseline_campaign_id'),
  rsr: doublePrecision('rsr'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('summaries_natural_key').on(t.campaignId, t.dataset, t.protocol)]);
