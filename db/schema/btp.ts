// BTP tables: beam candidates, the prioritized experience buffer, LoRA training runs and per-iteration pass@1.
// Every table has a natural unique key, so a retried activity upserts instead of duplicating.
import { sql } from 'drizzle-orm';
import {
  bigint, bigserial, check, doublePrecision, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { IterationDetail, TrainingMetrics, TrainingRunConfig } from '../../core/stored/btp.ts';
import { campaigns, problems, samples } from './core.ts';

/** One beam-search candidate for one problem in one BTP iteration, with its test result and priority. */
export const beams = pgTable('beams', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  campaignId: text('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  iteration: integer('iteration').notNull(),
  problemId: bigint('problem_id', { mode: 'number' }).notNull().references(() => problems.id),
  /** Position of the candidate in the beam (0 = best by model score). */
  beamIndex: integer('beam_index').notNull(),
  candidate: text('candidate').notNull(),
  /** sha256 of the normalised candidate (core/btp/buffer.ts codeHash). */
  codeHash: text('code_hash').notNull(),
  /** The sample row holding the token logprobs, when the candidate was stored as a sample. */
  sampleId: bigint('sample_id', { mode: 'number' }).references(() => samples.id, { onDelete: 'set null' }),
  /** Where the token logprobs live when not in samples (e.g. an artifact path); null if in sampleId. */
  logprobsRef: text('logprobs_ref'),
  tokenCount: integer('token_count'),
  possibility: doublePrecision('possibility').notNull(),
  passRate: doublePrecision('pass_rate'),
  testsPassed: integer('tests_passed'),
  testsTotal: integer('tests_total'),
  p2value: doublePrecision('p2value'),
  model: text('model').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('beams_natural_key').on(t.campaignId, t.iteration, t.problemId, t.beamIndex),
  index('beams_campaign_problem').on(t.campaignId, t.problemId),
  check('beams_possibility_unit', sql`${t.possibility} >= 0 and ${t.possibility} <= 1`),
  check('beams_pass_rate_unit', sql`${t.passRate} is null or (${t.passRate} >= 0 and ${t.passRate} <= 1)`),
  check('beams_p2value_unit', sql`${t.p2value} is null or (${t.p2value} >= 0 and ${t.p2value} <= 1)`),
]);

/** The prioritized experience replay buffer of a campaign: one row per (problem, normalised code). */
export const bufferEntries = pgTable('buffer_entries', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  campaignId: text('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  problemId: bigint('problem_id', { mode: 'number' }).notNull().references(() => problems.id),
  code: text('code').notNull(),
  /** sha256 of the normalised code (core/btp/buffer.ts codeHash): the dedupe key with problem_id. */
  codeHash: text('code_hash').notNull(),
  possibility: doublePrecision('possibility').notNull(),
  passRate: doublePrecision('pass_rate').notNull(),
  p2value: doublePrecision('p2value').notNull(),
  sourceModel: text('source_model').notNull(),
  /** BTP iteration that produced (or last improved) the entry. */
  iteration: integer('iteration').notNull(),
  /** Insertion order within the campaign's buffer (core/btp/buffer.ts StoredEntry.seq). */
  seq: bigint('seq', { mode: 'number' }).notNull(),
  beamId: bigint('beam_id', { mode: 'number' }).references(() => beams.id, { onDelete: 'set null' }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('buffer_entries_natural_key').on(t.campaignId, t.problemId, t.codeHash),
  index('buffer_entries_campaign_p2value').on(t.campaignId, t.p2value),
  check('buffer_entries_unit', sql`${t.possibility} between 0 and 1 and ${t.passRate} between 0 and 1 and ${t.p2value} between 0 and 1`),
]);

/** One LoRA training run (python -m trainer.train) per campaign iteration. */
export const trainingRuns = pgTable('training_runs', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  campaignId: text('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  iteration: integer('iteration').notNull(),
  /** pending | running | succeeded | failed | cancelled */
  status: text('status').notNull().default('pending'),
  baseModel: text('base_model').notNull(),
  /** Trainer options (core/btp/trainer-protocol.ts TrainConfig) and the draw of the training set: core/stored/btp.ts. */
  config: jsonb('config').$type<TrainingRunConfig>().notNull(),
  /** Folder with checkpoints/, adapter/ and metrics.json. */
  outputDir: text('output_dir').notNull(),
  /** The PEFT adapter folder once the run succeeded. */
  adapterPath: text('adapter_path'),
  /** metrics.json as the trainer wrote it (losses, eval losses, steps/s, versions). */
  metrics: jsonb('metrics').$type<TrainingMetrics>().notNull().default(sql`'{}'::jsonb`),
  /** Number of training examples drawn from the buffer. */
  examples: integer('examples').notNull().default(0),
  lastStep: integer('last_step').notNull().default(0),
  lastLoss: doublePrecision('last_loss'),
  error: text('error'),
  startedAt: timestamp('started_at', { withTimezone: true }),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('training_runs_campaign_iteration').on(t.campaignId, t.iteration),
  check('training_runs_status', sql`${t.status} in ('pending', 'running', 'succeeded', 'failed', 'cancelled')`),
]);

/** pass@1 of the model (base at iteration 0, then each adapter) on the evaluation problems, per iteration. */
export const btpIterations = pgTable('btp_iterations', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  campaignId: text('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  iteration: integer('iteration').notNull(),
  /** The model evaluated: the base model name, or the adapter path of the iteration's training run. */
  model: text('model').notNull(),
  trainingRunId: bigint('training_run_id', { mode: 'number' }).references(() => trainingRuns.id, { onDelete: 'set null' }),
  problems: integer('problems').notNull(),
  passed: integer('passed').notNull(),
  passAt1: doublePrecision('pass_at_1').notNull(),
  bufferSize: integer('buffer_size').notNull().default(0),
  detail: jsonb('detail').$type<IterationDetail>().notNull().default(sql`'{}'::jsonb`),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('btp_iterations_campaign_iteration').on(t.campaignId, t.iteration),
  check('btp_iterations_pass_at_1_unit', sql`${t.passAt1} between 0 and 1`),
]);
