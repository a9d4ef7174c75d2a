// Persistence of one EG-CFG generation's steps (activities/egcfg/generation.ts). The state lives in Postgres
// (`egcfg_steps.state`), never in the workflow: every step activity gets (generationId, seq), loads the state of the
// latest earlier step, does its one thing, and writes step `seq`. A retried activity that finds step `seq` already
// written returns what that row says, without calling the model or the sandbox again.
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { and, desc, eq, isNotNull, lt, ne, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { pgJson } from '../../core/pg-text.ts';
import { nextAction, type GenerationSpec, type StepContext } from '../../core/egcfg/index.ts';
import type { Problem } from '../../core/datasets/index.ts';
import { problemOfRow } from '../problem-row.ts';
import { agentConfigStoredSchema, type AgentConfigStored } from '../../core/stored/egcfg-generation.ts';
import { stepSummarySchema, storedStateSchema, type StepResult, type StepSummary, type StoredState } from '../../core/stored/egcfg-step.ts';
import { egcfgGenerations, egcfgSteps, problems } from '../../db/schema/index.ts';
import type { ActivityDeps } from '../deps.ts';
import { storeActivities } from '../store.ts';
import { storedOfRow } from '../stored-row.ts';
import { heartbeat, latestHeartbeat } from '../heartbeat.ts';
import { EgcfgModel, type Meter } from './model.ts';

// The stored shapes (egcfg_steps.state / .summary, egcfg_generations.config): zod schemas in core/stored/, read back
// through storedOfRow so a row that does not fit fails the activity for good, naming the row.
export type { AgentConfigStored } from '../../core/stored/egcfg-generation.ts';
export type { NextKind, PrepareSummary, StepResult, StepSummary, StoredState } from '../../core/stored/egcfg-step.ts';

export interface StepRef { generationId: number; seq: number; lineIndex: number }
export interface SampleRef extends StepRef { side: 'uncond' | 'cond'; request: number }

export type GenerationRow = typeof egcfgGenerations.$inferSelect;

export function activityContext(): Context | null {
  try { return Context.current(); } catch { return null; }
}
export const attemptNo = (): number => activityContext()?.info.attempt ?? 1;
const cancelSignal = (): AbortSignal | undefined => activityContext()?.cancellationSignal;

/**
 * The model server refused a prompt as longer than its context (vLLM's 400 "maximum context length", llama.cpp's
 * "exceeds the available context size"). Only the
 * conditional side can get there by itself (the signal can be long); that side is then skipped for the rest of the
 * step: guidance off, recorded as `contextOverflow` in the step's summary.
 */
export function contextOverflow(err: unknown): string | null {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (/maximum context length|exceeds the available context size/i.test(e.message)) return e.message;
  }
  return null;
}

/** coalesce(sum(prompt + completion tokens), 0) of the selected steps: what the cost caps count. */
const spentTokens = sql<number>`coalesce(sum(${egcfgSteps.promptTokens} + ${egcfgSteps.completionTokens}), 0)`.mapWith(Number);

export const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

export const meterColumns = (m: Meter) => ({
  modelCalls: m.modelCalls, tokenizerCalls: m.tokenizerCalls, promptTokens: m.promptTokens,
  completionTokens: m.completionTokens, modelMs: m.modelMs,
});

export type StepStore = ReturnType<typeof stepStore>;

/** Reads and writes of a generation's rows, shared by the step activities. */
export function stepStore(deps: ActivityDeps) {
  const { db } = deps;
  const store = storeActivities(db);

  async function loadGeneration(generationId: number): Promise<{ gen: GenerationRow; problem: Problem; cfg: AgentConfigStored; spec: GenerationSpec }> {
    const [gen] = await db.select().from(egcfgGenerations).where(eq(egcfgGenerations.id, generationId));
    if (!gen) throw ApplicationFailure.nonRetryable(`unknown EG-CFG generation ${generationId}`);
    const [p] = await db.select({ problem: problems.problem }).from(problems).where(eq(problems.id, gen.problemId));
    if (!p) throw ApplicationFailure.nonRetryable(`unknown problem ${gen.problemId}`);
    const problem = problemOfRow(p.problem, gen.problemId);
    const cfg = storedOfRow(agentConfigStoredSchema, gen.config, { table: 'egcfg_generations', column: 'config', id: gen.id });
    const spec: GenerationSpec = {
      entryPoint: problem.entryPoint, gamma: gen.gamma, k: cfg.k, maxNewTokens: cfg.maxNewTokens, wallCapMs: cfg.wallCapMs,
      ...(cfg.costCaps?.problemTokens !== undefined ? { problemTokenCap: cfg.costCaps.problemTokens } : {}),
      ...(cfg.earlyStop ? {} : { earlyStop: false as const }),
    };
    return { gen, problem, cfg, spec };
  }

  /** Step `seq`'s summary if that step is written, read as `schema` (a step kind's own summary, or any step's). */
  async function existingStepAs<S extends z.ZodType<StepSummary>>(ref: { generationId: number; seq: number }, schema: S): Promise<z.output<S> | undefined> {
    const [row] = await db.select({ id: egcfgSteps.id, summary: egcfgSteps.summary }).from(egcfgSteps)
      .where(and(eq(egcfgSteps.generationId, ref.generationId), eq(egcfgSteps.seq, ref.seq)));
    return row ? storedOfRow(schema, row.summary, { table: 'egcfg_steps', column: 'summary', id: row.id }) : undefined;
  }
  const existingStep = (ref: { generationId: number; seq: number }) => existingStepAs(ref, stepSummarySchema);

  async function latestState(generationId: number, beforeSeq: number): Promise<StoredState> {
    const [row] = await db.select({ id: egcfgSteps.id, state: egcfgSteps.state }).from(egcfgSteps)
      .where(and(eq(egcfgSteps.generationId, generationId), lt(egcfgSteps.seq, beforeSeq), isNotNull(egcfgSteps.state)))
      .orderBy(desc(egcfgSteps.seq)).limit(1);
    if (!row?.state) throw ApplicationFailure.nonRetryable(`generation ${generationId}: no state before step ${beforeSeq}`);
    return storedOfRow(storedStateSchema, row.state, { table: 'egcfg_steps', column: 'state', id: row.id });
  }

  /** Model tokens (prompt + completion) the written steps of all the problem's generations in the campaign spent. */
  async function problemTokensSpent(gen: GenerationRow): Promise<number> {
    const [row] = await db.select({ tokens: spentTokens }).from(egcfgSteps)
      .innerJoin(egcfgGenerations, eq(egcfgGenerations.id, egcfgSteps.generationId))
      .where(and(eq(egcfgGenerations.campaignId, gen.campaignId), eq(egcfgGenerations.problemId, gen.problemId)));
    return row?.tokens ?? 0;
  }

  /** Model tokens the written steps of line `lineIndex` spent (its signal, candidates and samples: steps before its line step). */
  async function lineTokensSpent(generationId: number, lineIndex: number): Promise<number> {
    const [row] = await db.select({ tokens: spentTokens }).from(egcfgSteps)
      .where(and(eq(egcfgSteps.generationId, generationId), eq(egcfgSteps.lineIndex, lineIndex)));
    return row?.tokens ?? 0;
  }

  /**
   * What nextAction needs to know beyond the state. `step`: the meter of the step being finished, whose tokens are
   * not in its row yet; counted so that --problem-token-cap bites at the step that reaches it, not one step later.
   */
  async function stepContext(gen: GenerationRow, spec: GenerationSpec, step?: Meter): Promise<StepContext> {
    const [other] = await db.select({ id: egcfgGenerations.id }).from(egcfgGenerations).where(and(
      eq(egcfgGenerations.campaignId, gen.campaignId), eq(egcfgGenerations.problemId, gen.problemId),
      eq(egcfgGenerations.status, 'passed'), ne(egcfgGenerations.id, gen.id),
    )).limit(1);
    // Counted only under a cap: one more aggregate per step otherwise spent for nothing.
    const problemTokens = spec.problemTokenCap !== undefined ? { problemTokens: await problemTokensSpent(gen) + (step ? step.promptTokens + step.completionTokens : 0) } : {};
    return { elapsedMs: Date.now() - gen.startedAt.getTime(), solvedElsewhere: other !== undefined, ...problemTokens };
  }

  /** The next action after a state change; a 'done' decided by nextAction (wall clock, solved elsewhere) is recorded in the state. */
  function advance(spec: GenerationSpec, state: StoredState, ctx: StepContext): { state: StoredState; result: Omit<StepResult, 'seq'> } {
    const a = nextAction(spec, state.gen, ctx);
    if (a.kind === 'done') {
      const gen = state.gen.end ? state.gen : { ...state.gen, end: a.end };
      return { state: { ...state, gen }, result: { next: 'done', stopReason: a.end.reason } };
    }
    return { state, result: { next: a.kind === 'next_token' || a.kind === 'next_line' ? 'decode' : a.kind } };
  }

  async function writeStepAs<S extends z.ZodType<StepSummary>>(values: typeof egcfgSteps.$inferInsert, schema: S): Promise<z.output<S>> {
    // Postgres text and jsonb cannot hold NUL, which a model can emit: stored as U+FFFD (core/pg-text.ts), else the
    // insert would fail on every retry. The step says so; the next steps read the stored (replaced) state.
    const raw = { ...values, activityAttempt: attemptNo() };
    const clean = pgJson(raw);
    const nul = JSON.stringify(clean) !== JSON.stringify(raw);
    await db.insert(egcfgSteps).values(nul ? { ...clean, summary: { ...clean.summary, nulReplaced: true } } : clean).onConflictDoNothing();
    const stored = await existingStepAs({ generationId: values.generationId, seq: values.seq }, schema);
    if (!stored) throw new Error(`step ${values.seq} of generation ${values.generationId} vanished after insert`);
    return stored;
  }

  const writeStep = (values: typeof egcfgSteps.$inferInsert) => writeStepAs(values, stepSummarySchema);

  function modelFor(gen: GenerationRow, cfg: AgentConfigStored, problemId: number): EgcfgModel {
    return new EgcfgModel(cfg.model, {
      signal: cancelSignal(),
      onRetry: ({ attempt, error }) => {
        // Keep the step's checkpoint (e.g. the reasoning tries so far) in the details: a retry resumes from it.
        const last = latestHeartbeat();
        heartbeat(last !== null && typeof last === 'object' ? { ...last, modelRetry: attempt } : { modelRetry: attempt });
        void store.appendEvent(gen.campaignId, `model_retry:${problemId}:g${gen.id}:${attempt}:${Date.now()}`, 'model_retry', {
          problemId, generationId: gen.id, attempt, error,
        }).catch(() => {});
      },
    });
  }

  return { db, loadGeneration, existingStep, existingStepAs, latestState, stepContext, problemTokensSpent, lineTokensSpent, advance, writeStep, writeStepAs, modelFor };
}
