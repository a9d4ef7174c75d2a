// EG-CFG tables: one row per guided generation (problem × agent × γ × attempt), every step of it (reasoning prefix,
// candidate sampling, make_executable, traced runs + signal, each decoded line), every candidate and every traced run.
// Every table has a natural unique key, so a retried activity finds its first attempt's row instead of duplicating.
import {
  bigint, bigserial, boolean, doublePrecision, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { AgentConfigStored, GenerationStatsStored, StepTotals } from '../../core/stored/egcfg-generation.ts';
import type { StepSummary, StepTokens, StoredState } from '../../core/stored/egcfg-step.ts';
import { campaigns, problems, runs, samples } from './core.ts';

/** One generation: a (problem, agent, γ, attempt) of an EG-CFG campaign. `runId` is the agent's row in `runs`. */
export const egcfgGenerations = pgTable('egcfg_generations', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  campaignId: text('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  problemId: bigint('problem_id', { mode: 'number' }).notNull().references(() => problems.id),
  runId: bigint('run_id', { mode: 'number' }).notNull().references(() => runs.id, { onDelete: 'cascade' }),
  agent: text('agent').notNull(),
  gamma: doublePrecision('gamma').notNull(),
  /** 0-based retry index (the seed's retry_idx). */
  attempt: integer('attempt').notNull(),
  /** Index of the agent in the campaign's grid and of γ in the γ list: the tie-break order for selection. */
  agentIndex: integer('agent_index').notNull(),
  gammaIndex: integer('gamma_index').notNull(),
  /** Agent hyperparameters (t, s, d, k, promptType) and the generation limits (maxNewTokens, topLogprobs, ...). */
  config: jsonb('config').$type<AgentConfigStored>().notNull(),
  seed: integer('seed').notNull(),
  model: text('model').notNull(),
  simulated: boolean('simulated').notNull(),
  workflowId: text('workflow_id').notNull(),
  /** running → passed | failed (on the visible tests) | cancelled (another agent won first) | error. */
  status: text('status').notNull().default('running'),
  /** The base prompt (instruction, examples, tests, `### Response:`). */
  basePrompt: text('base_prompt').notNull(),
  /** The reasoning prefix (everything before `def <entry_point>(` in the reasoning call's answer); null for γ=0. */
  prefix: text('prefix'),
  /** The final code (finalCode of prefix + generated, or the γ=0 answer). */
  finalCode: text('final_code'),
  /** The `samples` row holding the final program (attempt `gamma=<γ>/try=<n>`, run = the agent). */
  sampleId: bigint('sample_id', { mode: 'number' }).references(() => samples.id),
  stopReason: text('stop_reason'),
  passedVisible: boolean('passed_visible'),
  visiblePassed: integer('visible_passed'),
  visibleTotal: integer('visible_total'),
  /** The sums over the steps, in total and per phase (reasoning / guidance / candidates): core/stored/egcfg-generation.ts StepTotals. */
  cost: jsonb('cost').$type<StepTotals>(),
  /** Step-machine statistics (refreshes, emptySignals, guidedSteps, changedTokens, steps) and the selection verdict. */
  stats: jsonb('stats').$type<GenerationStatsStored>(),
  error: text('error'),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('egcfg_generations_natural_key').on(t.campaignId, t.problemId, t.agent, t.gamma, t.attempt),
  index('egcfg_generations_problem').on(t.campaignId, t.problemId),
]);

/**
 * One step of a generation, numbered by its workflow (`seq`, 0-based, no gaps). kind: reasoning | gamma0 | sample |
 * prepare | signal | cond | line. `state` is the step machine's state after the step (null when the step does not
 * change it); `lineIndex` is the number of line steps before this one.
 */
export const egcfgSteps = pgTable('egcfg_steps', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  generationId: bigint('generation_id', { mode: 'number' }).notNull().references(() => egcfgGenerations.id, { onDelete: 'cascade' }),
  seq: integer('seq').notNull(),
  kind: text('kind').notNull(),
  lineIndex: integer('line_index').notNull(),
  /** The code after the last ```python fence, before the step. */
  codeBefore: text('code_before').notNull().default(''),
  /** The text a line step appended. */
  appended: text('appended'),
  /** The signal a `signal` step built ('' = empty: no candidate produced a trace, guidance skipped). */
  signal: text('signal'),
  state: jsonb('state').$type<StoredState>(),
  /** Line steps: each chosen token {id, text, guided, changed, uncond, cond} (top-k of both sides): core/stored/egcfg-step.ts StepTokens. */
  tokens: jsonb('tokens').$type<StepTokens>(),
  /** What the workflow does next (build_signal | sample_cond_candidates | decode | done) and small facts. */
  summary: jsonb('summary').$type<StepSummary>().notNull(),
  tokenCount: integer('token_count').notNull().default(0),
  guidedTokens: integer('guided_tokens').notNull().default(0),
  /** Tokens where the guided argmax differed from the unguided (unconditional) argmax. */
  changedTokens: integer('changed_tokens').notNull().default(0),
  modelCalls: integer('model_calls').notNull().default(0),
  tokenizerCalls: integer('tokenizer_calls').notNull().default(0),
  promptTokens: integer('prompt_tokens').notNull().default(0),
  completionTokens: integer('completion_tokens').notNull().default(0),
  sandboxRuns: integer('sandbox_runs').notNull().default(0),
  sandboxMs: doublePrecision('sandbox_ms').notNull().default(0),
  /** Wall-clock time spent waiting for the model server inside the step (concurrent calls counted once). */
  modelMs: doublePrecision('model_ms').notNull().default(0),
  durationMs: doublePrecision('duration_ms').notNull().default(0),
  /** Temporal attempt of the activity that wrote the row (> 1: the step was redone after a crash or a timeout). */
  activityAttempt: integer('activity_attempt').notNull().default(1),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('egcfg_steps_natural_key').on(t.generationId, t.seq)]);

/** One sampled candidate continuation: raw completion, cut program, executable form and the dedupe verdict. */
export const egcfgCandidates = pgTable('egcfg_candidates', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  generationId: bigint('generation_id', { mode: 'number' }).notNull().references(() => egcfgGenerations.id, { onDelete: 'cascade' }),
  lineIndex: integer('line_index').notNull(),
  /** uncond (the signal's candidates) or cond (early-stop sampling on the conditional prompt). */
  side: text('side').notNull(),
  requestIndex: integer('request_index').notNull(),
  candidateIndex: integer('candidate_index').notNull(),
  completion: text('completion').notNull(),
  /** cutCandidate's program (code so far + cut sample); null = rejected (first line not def/import/from/#). */
  raw: text('raw'),
  /** make_executable's normalised program; null = not executable, or not examined. */
  executable: text('executable'),
  prepareError: text('prepare_error'),
  /** null until the prepare step; then whether dedupe accepted it. */
  accepted: boolean('accepted'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('egcfg_candidates_natural_key').on(t.generationId, t.lineIndex, t.side, t.requestIndex, t.candidateIndex),
]);

/** One traced run of one executable candidate on one visible-test invocation (run once per generation). */
export const egcfgTraces = pgTable('egcfg_traces', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  generationId: bigint('generation_id', { mode: 'number' }).notNull().references(() => egcfgGenerations.id, { onDelete: 'cascade' }),
  /** sha256 of the executable program. */
  programHash: text('program_hash').notNull(),
  invocation: text('invocation').notNull(),
  /** The line at which it was first run. */
  lineIndex: integer('line_index').notNull(),
  program: text('program').notNull(),
  status: text('status').notNull(),
  /** The rendered trace; null = the run produced no trace (left out of the signal). */
  trace: text('trace'),
  traceTruncated: boolean('trace_truncated').notNull().default(false),
  durationMs: doublePrecision('duration_ms').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('egcfg_traces_natural_key').on(t.generationId, t.programHash, t.invocation)]);
