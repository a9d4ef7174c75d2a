// EG-CFG generation activities: one per step of the pure step machine (core/egcfg/generation.ts). The state lives in
// Postgres (`egcfg_steps.state`), never in the workflow: every activity gets (generationId, seq), loads the state of
// the latest earlier step, does its one thing, and writes step `seq`. A retried activity that finds step `seq` already
// written returns what that row says, without calling the model or the sandbox again; rows written by a first attempt
// that died before its step row (candidates, traces) are kept by onConflictDoNothing.
//
// Queues: model calls on `inference`, sandbox work (make_executable, traced runs, verdicts) on `sandbox`, pure
// bookkeeping on `default`. The line decoder heartbeats per token; a worker killed mid-line loses only that line.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { and, asc, desc, eq, isNotNull, lt, ne, sql } from 'drizzle-orm';
import { NUL_REPLACEMENT, pgJson, pgText, programWithNul } from '../../core/pg-text.ts';
import {
  addCandidates, applyCondCandidates, applyLine, applySignal, applyToken, candidateMaxTokens, candidateRequestPlan, cfgArgmax, currentCode,
  cutCandidate, emptyCandidatePool, forcedFunctionStart, gamma1LineRequest, gamma1Step, greedyArgmax, lastBlockDefining,
  needsAnotherRequest, newRawCandidates, nextAction, promptsFor, reasoningRequest, renderSignal, splitReasoningPrefix,
  startGeneration, topKFromTokenIdMap, CANDIDATE_MAX_TOKENS, type CandidateForm, type CandidatePool, type GenerationSpec,
  type GenerationState, type SignalEntry, type StepContext, type TopK,
} from '../../core/egcfg/index.ts';
import { buildEvaluation, contestProgram, contestSuite, extractCode, extractProgram, visibleInvocations, type Problem } from '../../core/datasets/index.ts';
import { runContest } from '../contest.ts';
import { insertSignal } from '../../core/egcfg/signal.ts';
import { buildPrompt } from '../../core/prompts/index.ts';
import type { Database } from '../../db/client.ts';
import { egcfgCandidates, egcfgGenerations, egcfgSteps, egcfgTraces, executions, problems, samples } from '../../db/schema/index.ts';
import type { EgcfgGenerationInput } from '../../core/contracts.ts';
import type { ActivityDeps } from '../deps.ts';
import type { TestResult, TestStatus } from '../sandbox/index.ts';
import { storeActivities } from '../store.ts';
import { heartbeat } from '../heartbeat.ts';
import { EgcfgModel, isEosText, type Meter } from './model.ts';
import { callSeed } from '../../core/egcfg/seed.ts';
import { stdinInvocation, withStdout } from '../../core/egcfg/stdin-signal.ts';

/** Runs that were cut off leave a partial trace that would mislead the model: the spec (§2.2) leaves them out. */
const UNTRACEABLE: readonly TestStatus[] = ['timeout', 'killed', 'memory_limit'];

/** What the workflow does after a step. */
export type NextKind = 'build_signal' | 'sample_cond_candidates' | 'decode' | 'done';

export interface StepResult {
  seq: number;
  next: NextKind;
  /** Set when next = 'done'. */
  stopReason?: string;
}

export interface StepRef { generationId: number; seq: number; lineIndex: number }
export interface SampleRef extends StepRef { side: 'uncond' | 'cond'; request: number }

/** The step machine's state plus the token ids of `generated` (the decode prompts are sent as token ids). */
interface StoredState {
  gen: GenerationState;
  ids: number[];
}

type GenerationRow = typeof egcfgGenerations.$inferSelect;

interface AgentConfigStored {
  t: number; s: number; d: number | null; k: number; promptType: 'deepseek_instruct' | 'long_code';
  maxNewTokens: number; topLogprobs: number; reasoningMaxTokens: number; earlyStop: boolean; wallCapMs: number;
  traceTimeoutMs: number; traceMaxChars: number; model: EgcfgGenerationInput['model'];
  /** max_tokens per candidate request (candidateMaxTokens); absent in older rows = 512. */
  candidateMaxTokens?: number;
}

function activityContext(): Context | null {
  try { return Context.current(); } catch { return null; }
}
const attemptNo = (): number => activityContext()?.info.attempt ?? 1;
const cancelSignal = (): AbortSignal | undefined => activityContext()?.cancellationSignal;

/**
 * The model server refused a prompt as longer than its context (vLLM's 400 "maximum context length"). Only the
 * conditional side can get there by itself (the signal can be long); that side is then skipped for the rest of the
 * step: guidance off, recorded as `contextOverflow` in the step's summary.
 */
export function contextOverflow(err: unknown): string | null {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (/maximum context length/i.test(e.message)) return e.message;
  }
  return null;
}

export const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** The program a candidate or a final answer runs as: HumanEval code gets the prompt's imports/helpers in front. */
export function runnableProgram(code: string, problem: Problem): string {
  if (problem.io) return contestProgram(code);
  return problem.promptCode === undefined ? code : extractCode(`\`\`\`python\n${code}\n\`\`\``, problem);
}

/** What a traced candidate is run on: the visible-test invocations; for stdin/stdout problems the visible tests'
 *  inputs (the whole program runs, traced, reading that input on stdin), shown in the signal as the authors do:
 *  `solve()`, the stdin and the expected stdout (core/egcfg/stdin-signal.ts). */
export function traceCalls(problem: Problem): Array<{ invocation: string; code: string; stdin?: string }> {
  if (!problem.io) return visibleInvocations(problem).map((invocation) => ({ invocation, code: invocation }));
  return contestSuite(problem, 'visible').map((t) => ({ invocation: stdinInvocation(t), code: '', stdin: t.input }));
}

/** The trace a run contributes to the signal: none for runs cut off (spec §2.2); a stdin program's with its stdout. */
export function signalTrace(t: TestResult, stdinProgram: boolean): string | null {
  if (t.trace === undefined || t.trace.trim() === '' || UNTRACEABLE.includes(t.status)) return null;
  return stdinProgram ? withStdout(t.trace, t.stdout, t.stdoutTruncated) : t.trace;
}

/** What a γ=1 line step needs from its decode activity. */
interface LineStepIo {
  model: EgcfgModel;
  timed: <T>(p: Promise<T>) => Promise<T>;
  /** Token ids of the fixed part (base prompt, with the signal for 'cond', + reasoning prefix). */
  fixedIds: (side: 'uncond' | 'cond') => Promise<number[]>;
  /** Token ids of the text generated so far. */
  ids: readonly number[];
  /** Set once the conditional prompt overflowed the model's context (guidance is then off for this step). */
  overflow: string | null;
}

/**
 * One γ=1 line step (spec §1.3 shortcut): one greedy line call on the conditional prompt (the unconditional one when
 * unguided or overflowed), of which only the first line is kept; the authors' first step after `def f(` appends "\n"
 * with no call. The budget is charged the appended text's tokens (applyLine), the call's usage is only cost.
 */
async function gamma1LineStep(io: LineStepIo, spec: GenerationSpec, s: GenerationState, a: { guided: boolean; newlineOnly: boolean }) {
  let overflow = io.overflow;
  let guided = a.guided && overflow === null;
  let completion = '\n';
  let completionTokens = 0;
  if (!a.newlineOnly) {
    const req = gamma1LineRequest();
    const lineCall = async (side: 'uncond' | 'cond') => io.model.completions({
      prompt: [...await io.fixedIds(side), ...io.ids], temperature: req.temperature, top_p: req.topP, max_tokens: req.maxTokens, stop: req.stop,
    });
    let r = guided
      ? await io.timed(lineCall('cond').catch((e: unknown) => { overflow = contextOverflow(e); if (overflow === null) throw e; return null; }))
      : null;
    if (r === null) { guided = false; r = await io.timed(lineCall('uncond')); }
    completion = r.choices[0]?.text ?? '';
    completionTokens = r.usage?.completion_tokens ?? 0;
  } else {
    guided = false;
  }
  const added = gamma1Step(completion).append;
  const appendedIds = added === '' ? [] : await io.timed(io.model.tokenize(added, false));
  const state = applyLine(spec, s, { completion, appendedTokens: appendedIds.length, guided });
  return {
    state, overflow, guided, added, appendedIds,
    row: { line: added, guided, completionTokens, appendedTokens: appendedIds.length, ...(a.newlineOnly ? { newlineOnly: true } : {}) },
  };
}

export function egcfgGenerationActivities(deps: ActivityDeps) {
  const { db } = deps;
  const store = storeActivities(db);

  async function loadGeneration(generationId: number): Promise<{ gen: GenerationRow; problem: Problem; cfg: AgentConfigStored; spec: GenerationSpec }> {
    const [gen] = await db.select().from(egcfgGenerations).where(eq(egcfgGenerations.id, generationId));
    if (!gen) throw ApplicationFailure.nonRetryable(`unknown EG-CFG generation ${generationId}`);
    const [p] = await db.select({ problem: problems.problem }).from(problems).where(eq(problems.id, gen.problemId));
    if (!p) throw ApplicationFailure.nonRetryable(`unknown problem ${gen.problemId}`);
    const problem = p.problem as unknown as Problem;
    const cfg = gen.config as unknown as AgentConfigStored;
    const spec: GenerationSpec = {
      entryPoint: problem.entryPoint, gamma: gen.gamma, k: cfg.k, maxNewTokens: cfg.maxNewTokens, wallCapMs: cfg.wallCapMs,
      ...(cfg.earlyStop ? {} : { earlyStop: false as const }),
    };
    return { gen, problem, cfg, spec };
  }

  async function existingStep(ref: { generationId: number; seq: number }) {
    const [row] = await db.select({ summary: egcfgSteps.summary }).from(egcfgSteps)
      .where(and(eq(egcfgSteps.generationId, ref.generationId), eq(egcfgSteps.seq, ref.seq)));
    return row ? (row.summary as unknown as StepResult & Record<string, unknown>) : undefined;
  }

  async function latestState(generationId: number, beforeSeq: number): Promise<StoredState> {
    const [row] = await db.select({ state: egcfgSteps.state }).from(egcfgSteps)
      .where(and(eq(egcfgSteps.generationId, generationId), lt(egcfgSteps.seq, beforeSeq), isNotNull(egcfgSteps.state)))
      .orderBy(desc(egcfgSteps.seq)).limit(1);
    if (!row?.state) throw ApplicationFailure.nonRetryable(`generation ${generationId}: no state before step ${beforeSeq}`);
    return row.state as unknown as StoredState;
  }

  async function stepContext(gen: GenerationRow): Promise<StepContext> {
    const [other] = await db.select({ id: egcfgGenerations.id }).from(egcfgGenerations).where(and(
      eq(egcfgGenerations.campaignId, gen.campaignId), eq(egcfgGenerations.problemId, gen.problemId),
      eq(egcfgGenerations.status, 'passed'), ne(egcfgGenerations.id, gen.id),
    )).limit(1);
    return { elapsedMs: Date.now() - gen.startedAt.getTime(), solvedElsewhere: other !== undefined };
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

  async function writeStep(values: typeof egcfgSteps.$inferInsert): Promise<StepResult & Record<string, unknown>> {
    // Postgres text and jsonb cannot hold NUL, which a model can emit: stored as U+FFFD (core/pg-text.ts), else the
    // insert would fail on every retry. The step says so; the next steps read the stored (replaced) state.
    const raw = { ...values, activityAttempt: attemptNo() };
    const clean = pgJson(raw);
    const nul = JSON.stringify(clean) !== JSON.stringify(raw);
    await db.insert(egcfgSteps).values(nul ? { ...clean, summary: { ...clean.summary, nulReplaced: true } } : clean).onConflictDoNothing();
    const stored = await existingStep({ generationId: values.generationId, seq: values.seq });
    if (!stored) throw new Error(`step ${values.seq} of generation ${values.generationId} vanished after insert`);
    return stored;
  }

  function modelFor(gen: GenerationRow, cfg: AgentConfigStored, problemId: number): EgcfgModel {
    return new EgcfgModel(cfg.model, {
      signal: cancelSignal(),
      onRetry: ({ attempt, error }) => {
        heartbeat({ modelRetry: attempt });
        void store.appendEvent(gen.campaignId, `model_retry:${problemId}:g${gen.id}:${attempt}:${Date.now()}`, 'model_retry', {
          problemId, generationId: gen.id, attempt, error,
        }).catch(() => {});
      },
    });
  }

  const meterColumns = (m: Meter) => ({
    modelCalls: m.modelCalls, tokenizerCalls: m.tokenizerCalls, promptTokens: m.promptTokens,
    completionTokens: m.completionTokens, modelMs: m.modelMs,
  });

  /** Reasoning-style completion (reasoning prefix and γ=0): up to 10 tries, temperature t·0.9^(r(r+1)/2) on try r (reasoningRequest). */
  async function reasoningTries(model: EgcfgModel, gen: GenerationRow, cfg: AgentConfigStored, accept: (text: string) => boolean) {
    const tries: Array<{ temperature: number; seed: number; text: string; accepted: boolean }> = [];
    for (let attempt = 0; ; attempt++) {
      const req = reasoningRequest(cfg.t, attempt);
      if (req === null) break;
      // Its own seed per (γ, try): with the agent's seed on every call, γ = 0 and the reasoning calls of the other γ
      // were one and the same request (issue 11 item 4). Recorded with the try.
      const seed = callSeed(gen.seed, ['reasoning', gen.gamma, attempt]);
      const reply = await model.completions({
        prompt: gen.basePrompt, temperature: req.temperature, top_p: req.topP,
        max_tokens: Math.min(req.maxTokens, cfg.reasoningMaxTokens), stop: req.stop, seed,
      });
      const text = reply.choices[0]?.text ?? '';
      const ok = accept(text);
      tries.push({ temperature: req.temperature, seed, text, accepted: ok });
      heartbeat({ reasoningTry: attempt });
      if (ok) break;
    }
    return tries;
  }

  return {
    /** Create (or find) the generation row. Default queue. */
    async egcfgBegin(input: EgcfgGenerationInput): Promise<{ generationId: number; status: string }> {
      const key = and(
        eq(egcfgGenerations.campaignId, input.campaignId), eq(egcfgGenerations.problemId, input.problemId),
        eq(egcfgGenerations.agent, input.agent.name), eq(egcfgGenerations.gamma, input.gamma), eq(egcfgGenerations.attempt, input.attempt),
      );
      const [existing] = await db.select({ id: egcfgGenerations.id, status: egcfgGenerations.status }).from(egcfgGenerations).where(key);
      if (existing) return { generationId: existing.id, status: existing.status };
      const [p] = await db.select({ problem: problems.problem }).from(problems).where(eq(problems.id, input.problemId));
      if (!p) throw ApplicationFailure.nonRetryable(`unknown problem id ${input.problemId}`);
      const problem = p.problem as unknown as Problem;
      const a = input.agent;
      const config: AgentConfigStored = {
        t: a.t, s: a.s, d: a.d, k: a.k, promptType: a.promptType, maxNewTokens: input.params.maxNewTokens,
        topLogprobs: input.params.topLogprobs, reasoningMaxTokens: input.params.reasoningMaxTokens,
        earlyStop: input.params.earlyStop, wallCapMs: input.params.wallCapMs, traceTimeoutMs: input.params.traceTimeoutMs,
        traceMaxChars: input.params.traceMaxChars, candidateMaxTokens: candidateMaxTokens(a.d, input.params.candidateTokens ?? 'paper'),
        model: input.model,
      };
      await db.insert(egcfgGenerations).values({
        campaignId: input.campaignId, problemId: input.problemId, runId: a.runId, agent: a.name, gamma: input.gamma,
        attempt: input.attempt, agentIndex: a.index, gammaIndex: input.gammaIndex,
        config: pgJson(config as unknown as Record<string, unknown>), seed: a.seed + input.attempt, model: pgText(input.model.model),
        simulated: input.model.kind === 'openai' && input.model.simulated,
        workflowId: activityContext()?.info.workflowExecution?.workflowId ?? 'direct',
        basePrompt: pgText(buildPrompt(problem, a.promptType)),
      }).onConflictDoNothing();
      const [row] = await db.select({ id: egcfgGenerations.id, status: egcfgGenerations.status }).from(egcfgGenerations).where(key);
      if (!row) throw new Error('generation row vanished after insert');
      return { generationId: row.id, status: row.status };
    },

    /** γ = 0: one reasoning-style completion, no execution feedback (spec §1.4). Inference queue. */
    async egcfgGamma0(ref: { generationId: number; seq: number }): Promise<StepResult> {
      const done = await existingStep(ref);
      if (done) return done;
      const t0 = performance.now();
      const { gen, problem, cfg } = await loadGeneration(ref.generationId);
      const model = modelFor(gen, cfg, gen.problemId);
      const hasAnswer = problem.io ? (text: string) => /```/.test(text) : (text: string) => lastBlockDefining(text, problem.entryPoint) !== null;
      const tries = await reasoningTries(model, gen, cfg, hasAnswer);
      const last = tries.at(-1)?.text ?? '';
      const answer = problem.io ? (hasAnswer(last) ? extractProgram(last) : null) : lastBlockDefining(last, problem.entryPoint);
      // No try defined the entry point: the answer is whatever code the last try holds (it will fail its tests, visibly).
      const code = answer ?? extractCode(last, { entryPoint: problem.entryPoint });
      const state: StoredState = {
        gen: { ...startGeneration('', ''), generated: last, end: { reason: 'eos', code } },
        ids: [],
      };
      return writeStep({
        generationId: ref.generationId, seq: ref.seq, kind: 'gamma0', lineIndex: 0, appended: last,
        state: state as unknown as Record<string, unknown>,
        summary: { seq: ref.seq, next: 'done', stopReason: answer === null ? 'no_entry_point_block' : 'eos', tries },
        ...meterColumns(model.meter), durationMs: performance.now() - t0,
      });
    },

    /** The reasoning-prefix call (spec §1.3 setup), then `def <entry_point>(` is forced. Inference queue. */
    async egcfgReasoning(ref: { generationId: number; seq: number }): Promise<StepResult> {
      const done = await existingStep(ref);
      if (done) return done;
      const t0 = performance.now();
      const { gen, problem, cfg, spec } = await loadGeneration(ref.generationId);
      const model = modelFor(gen, cfg, gen.problemId);
      const tries = await reasoningTries(model, gen, cfg, (text) => splitReasoningPrefix(text, problem.entryPoint) !== null);
      const split = splitReasoningPrefix(tries.at(-1)?.text ?? '', problem.entryPoint);
      // Ten tries without a block defining the entry point: start the block ourselves (recorded as a fallback).
      const prefix = split?.prefix ?? '```python\n';
      const forced = forcedFunctionStart(problem.entryPoint);
      const ids = await model.tokenize(forced, false);
      await db.update(egcfgGenerations).set({ prefix: pgText(prefix) }).where(eq(egcfgGenerations.id, gen.id));
      const { state, result } = advance(spec, { gen: startGeneration(prefix, forced), ids }, await stepContext(gen));
      return writeStep({
        generationId: ref.generationId, seq: ref.seq, kind: 'reasoning', lineIndex: 0, appended: forced,
        state: state as unknown as Record<string, unknown>,
        summary: { seq: ref.seq, ...result, prefixFallback: split === null, tries },
        ...meterColumns(model.meter), durationMs: performance.now() - t0,
      });
    },

    /** One candidate-sampling request (spec §1.5) on the unconditional (or, for early stop, conditional) prompt. Inference queue. */
    async egcfgSampleCandidates(ref: SampleRef): Promise<StepResult> {
      const done = await existingStep(ref);
      if (done) return done;
      const t0 = performance.now();
      const { gen, cfg } = await loadGeneration(ref.generationId);
      const state = await latestState(ref.generationId, ref.seq);
      const plan = candidateRequestPlan(cfg.s, cfg.t, cfg.candidateMaxTokens ?? CANDIDATE_MAX_TOKENS)[ref.request];
      if (!plan) throw ApplicationFailure.nonRetryable(`candidate request ${ref.request} is beyond the plan`);
      const prompts = promptsFor(gen.basePrompt, state.gen);
      const model = modelFor(gen, cfg, gen.problemId);
      let overflow: string | null = null;
      // One seed per (γ, line, side, request): the refreshes of a generation and its two sides draw independently.
      const seed = callSeed(gen.seed, ['candidates', gen.gamma, ref.lineIndex, ref.side, ref.request]);
      const reply = await model.completions({
        prompt: ref.side === 'uncond' ? prompts.unconditional : prompts.conditional,
        n: plan.n, temperature: plan.temperature, top_p: plan.topP, max_tokens: Math.min(plan.maxTokens, CANDIDATE_MAX_TOKENS),
        stop: plan.stop, seed,
      }).catch((e: unknown) => {
        overflow = ref.side === 'cond' ? contextOverflow(e) : null;
        if (overflow === null) throw e;
        return { choices: [] as Array<{ text: string }> };
      });
      const code = currentCode(state.gen);
      const rows = reply.choices.map((c, i) => ({
        generationId: ref.generationId, lineIndex: ref.lineIndex, side: ref.side, requestIndex: ref.request,
        candidateIndex: i, completion: c.text, raw: cutCandidate(code, c.text, cfg.d),
      }));
      if (rows.length > 0) await db.insert(egcfgCandidates).values(pgJson(rows)).onConflictDoNothing();
      return writeStep({
        generationId: ref.generationId, seq: ref.seq, kind: 'sample', lineIndex: ref.lineIndex, codeBefore: code,
        summary: {
          seq: ref.seq, next: ref.side === 'uncond' ? 'build_signal' : 'sample_cond_candidates', side: ref.side,
          request: ref.request, n: plan.n, temperature: plan.temperature, maxTokens: plan.maxTokens, seed, kept: rows.filter((r) => r.raw !== null).length,
          ...(overflow !== null ? { contextOverflow: overflow } : {}),
        },
        ...meterColumns(model.meter), durationMs: performance.now() - t0,
      });
    },

    /** make_executable (in the sandbox) and dedupe of one request's candidates; says whether a second request is due. Sandbox queue. */
    async egcfgPrepareCandidates(ref: SampleRef): Promise<StepResult & { accepted: number; needAnother: boolean }> {
      const done = await existingStep(ref);
      if (done) return done as unknown as StepResult & { accepted: number; needAnother: boolean };
      const t0 = performance.now();
      const { cfg } = await loadGeneration(ref.generationId);
      const all = await db.select().from(egcfgCandidates).where(and(
        eq(egcfgCandidates.generationId, ref.generationId), eq(egcfgCandidates.lineIndex, ref.lineIndex), eq(egcfgCandidates.side, ref.side),
      )).orderBy(asc(egcfgCandidates.requestIndex), asc(egcfgCandidates.candidateIndex));
      // The pool as the earlier request(s) of this refresh left it.
      let pool: CandidatePool = emptyCandidatePool();
      for (let r = 0; r < ref.request; r++) {
        const examined = all.filter((c) => c.requestIndex === r && c.raw !== null && (c.executable !== null || c.prepareError !== null));
        pool = addCandidates(pool, examined.map((c) => ({ raw: c.raw!, executable: c.executable })), cfg.s);
      }
      const mine = all.filter((c) => c.requestIndex === ref.request);
      const fresh = newRawCandidates(pool, mine.map((c) => c.raw));
      const sandbox = await deps.sandbox();
      let sandboxMs = 0;
      const forms = new Map<string, { executable: string | null; error: string | null }>();
      await Promise.all(fresh.map(async (raw) => {
        const s0 = performance.now();
        const r = await sandbox.prepare(raw);
        sandboxMs += performance.now() - s0;
        forms.set(raw, r.ok ? { executable: r.executable, error: null } : { executable: null, error: r.error });
      }));
      heartbeat({ prepared: fresh.length });
      const items: CandidateForm[] = fresh.map((raw) => ({ raw, executable: forms.get(raw)!.executable }));
      const before = pool.accepted.length;
      const after = addCandidates(pool, items, cfg.s);
      const acceptedNow = new Set(after.accepted.slice(before).map((a) => a.raw));
      const firstRow = new Map<string, number>();
      for (const c of mine) if (c.raw !== null && !firstRow.has(c.raw)) firstRow.set(c.raw, c.id);
      for (const c of mine) {
        const f = c.raw !== null && firstRow.get(c.raw) === c.id ? forms.get(c.raw) : undefined;
        await db.update(egcfgCandidates).set({
          executable: pgText(f?.executable ?? null), prepareError: pgText(f?.error ?? null),
          accepted: f !== undefined && acceptedNow.has(c.raw!),
        }).where(eq(egcfgCandidates.id, c.id));
      }
      const needAnother = needsAnotherRequest(after.accepted.length, cfg.s, ref.request + 1);
      return writeStep({
        generationId: ref.generationId, seq: ref.seq, kind: 'prepare', lineIndex: ref.lineIndex,
        summary: {
          seq: ref.seq, next: ref.side === 'uncond' ? 'build_signal' : 'sample_cond_candidates', side: ref.side, request: ref.request,
          accepted: after.accepted.length, needAnother, examined: fresh.length,
        },
        sandboxRuns: fresh.length, sandboxMs, durationMs: performance.now() - t0,
      }) as unknown as Promise<StepResult & { accepted: number; needAnother: boolean }>;
    },

    /** Traced runs of the accepted candidates on the visible-test invocations, the signal, and applySignal. Sandbox queue. */
    async egcfgBuildSignal(ref: StepRef): Promise<StepResult> {
      const done = await existingStep(ref);
      if (done) return done;
      const t0 = performance.now();
      const { gen, problem, cfg, spec } = await loadGeneration(ref.generationId);
      const state = await latestState(ref.generationId, ref.seq);
      const accepted = await db.select({ executable: egcfgCandidates.executable }).from(egcfgCandidates).where(and(
        eq(egcfgCandidates.generationId, ref.generationId), eq(egcfgCandidates.lineIndex, ref.lineIndex),
        eq(egcfgCandidates.side, 'uncond'), eq(egcfgCandidates.accepted, true),
      )).orderBy(asc(egcfgCandidates.requestIndex), asc(egcfgCandidates.candidateIndex));
      const programs = accepted.map((a) => a.executable!);
      const calls = traceCalls(problem);
      const invocations = calls.map((c) => c.invocation);
      const callOf = new Map(calls.map((c) => [c.invocation, c]));
      const cached = await db.select().from(egcfgTraces).where(eq(egcfgTraces.generationId, ref.generationId));
      const traceOf = new Map(cached.map((t) => [`${t.programHash}\u0000${t.invocation}`, t.trace]));
      const sandbox = await deps.sandbox();
      let sandboxMs = 0;
      let runs = 0;
      await Promise.all(programs.map(async (program) => {
        const hash = sha256(program);
        const pending = invocations.filter((inv) => !traceOf.has(`${hash}\u0000${inv}`));
        if (pending.length === 0) return;
        const r = await sandbox.run({
          program: runnableProgram(program, problem), mode: 'trace', timeoutMs: cfg.traceTimeoutMs, traceMaxChars: cfg.traceMaxChars,
          tests: pending.map((inv, i) => {
            const c = callOf.get(inv)!;
            return { id: `inv/${i}`, code: c.code, ...(c.stdin !== undefined ? { stdin: c.stdin } : {}) };
          }),
        });
        runs += pending.length;
        sandboxMs += r.tests.reduce((s, t) => s + t.durationMs, 0);
        // A timeout or a killed run gives no trace (spec §2.2); an exception's trace is kept (it is informative).
        const rows = pgJson(r.tests.map((t, i) => ({
          generationId: ref.generationId, programHash: hash, invocation: pending[i]!, lineIndex: ref.lineIndex, program,
          status: t.status, trace: signalTrace(t, problem.io !== undefined), traceTruncated: t.traceTruncated ?? false, durationMs: t.durationMs,
        })));
        await db.insert(egcfgTraces).values(rows).onConflictDoNothing();
        for (const row of rows) traceOf.set(`${hash}\u0000${row.invocation}`, row.trace);
        heartbeat({ traced: runs });
      }));
      const entries: SignalEntry[] = [];
      for (const program of programs) {
        for (const invocation of invocations) {
          const trace = traceOf.get(`${sha256(program)}\u0000${invocation}`);
          if (typeof trace === 'string') entries.push({ candidate: program, invocation, trace });
        }
      }
      const signal = renderSignal(entries);
      const applied: StoredState = { ...state, gen: applySignal(spec, state.gen, { signal, uniqueExecutables: programs }) };
      const { state: next, result } = advance(spec, applied, await stepContext(gen));
      return writeStep({
        generationId: ref.generationId, seq: ref.seq, kind: 'signal', lineIndex: ref.lineIndex, codeBefore: currentCode(state.gen),
        signal, state: next as unknown as Record<string, unknown>,
        summary: { seq: ref.seq, ...result, candidates: programs.length, entries: entries.length, signalChars: signal.length },
        sandboxRuns: runs, sandboxMs, durationMs: performance.now() - t0,
      });
    },

    /** Early stop: the conditional side's unique candidates (applyCondCandidates). Default queue. */
    async egcfgApplyCond(ref: StepRef): Promise<StepResult> {
      const done = await existingStep(ref);
      if (done) return done;
      const { gen, spec } = await loadGeneration(ref.generationId);
      const state = await latestState(ref.generationId, ref.seq);
      const accepted = await db.select({ executable: egcfgCandidates.executable }).from(egcfgCandidates).where(and(
        eq(egcfgCandidates.generationId, ref.generationId), eq(egcfgCandidates.lineIndex, ref.lineIndex),
        eq(egcfgCandidates.side, 'cond'), eq(egcfgCandidates.accepted, true),
      )).orderBy(asc(egcfgCandidates.requestIndex), asc(egcfgCandidates.candidateIndex));
      const applied: StoredState = { ...state, gen: applyCondCandidates(spec, state.gen, accepted.map((a) => a.executable!)) };
      const { state: next, result } = advance(spec, applied, await stepContext(gen));
      return writeStep({
        generationId: ref.generationId, seq: ref.seq, kind: 'cond', lineIndex: ref.lineIndex, codeBefore: currentCode(state.gen),
        state: next as unknown as Record<string, unknown>,
        summary: { seq: ref.seq, ...result, condCandidates: accepted.length },
      });
    },

    /**
     * Decode up to the next line boundary (or the end): token by token with CFG on the top-k of the two prompts
     * (γ ∉ {0, 1}), or one greedy line call on the conditional prompt (γ = 1). Heartbeats after every token.
     * Inference queue.
     */
    async egcfgDecodeLine(ref: StepRef): Promise<StepResult> {
      const done = await existingStep(ref);
      if (done) return done;
      const t0 = performance.now();
      const { gen, cfg, spec } = await loadGeneration(ref.generationId);
      const start = await latestState(ref.generationId, ref.seq);
      const model = modelFor(gen, cfg, gen.problemId);
      const codeBefore = currentCode(start.gen);
      let s = start.gen;
      const ids = [...start.ids];
      const tokens: Array<Record<string, unknown>> = [];
      let guidedTokens = 0;
      let changedTokens = 0;
      let appended = '';
      const fixed = { uncond: null as number[] | null, cond: null as number[] | null };
      const fixedIds = async (side: 'uncond' | 'cond'): Promise<number[]> => {
        if (fixed[side] === null) {
          const base = side === 'uncond' ? gen.basePrompt : insertSignal(gen.basePrompt, s.signal ?? '');
          fixed[side] = await model.tokenize(base + s.prefix, true);
        }
        return fixed[side];
      };
      const noRefresh: StepContext = { elapsedMs: 0, solvedElsewhere: false };
      let overflow: string | null = null;
      // Wall-clock time spent waiting for the model server (the two CFG calls of a token run concurrently).
      let waitMs = 0;
      const timed = async <T>(p: Promise<T>): Promise<T> => {
        const w0 = performance.now();
        try { return await p; } finally { waitMs += performance.now() - w0; }
      };
      for (;;) {
        const a = nextAction(spec, s, noRefresh);
        if (a.kind === 'next_token') {
          const one = (side: 'uncond' | 'cond') => fixedIds(side).then((f) => model.completions({
            prompt: [...f, ...ids], max_tokens: 1, temperature: 0, logprobs: cfg.topLogprobs, return_tokens_as_token_ids: true,
          }));
          const topOf = (r: Awaited<ReturnType<typeof one>>): TopK => {
            const map = r.choices[0]?.logprobs?.top_logprobs?.[0];
            if (!map) throw ApplicationFailure.nonRetryable('the model server returned no top_logprobs (EG-CFG needs logprobs on /v1/completions)', 'EgcfgNoLogprobs');
            try { return topKFromTokenIdMap(map); } catch (e) {
              throw ApplicationFailure.nonRetryable(`${(e as Error).message}: the server must support return_tokens_as_token_ids`, 'EgcfgTokenIds');
            }
          };
          const condOrSkip = () => one('cond').catch((e: unknown) => {
            overflow = contextOverflow(e);
            if (overflow === null) throw e;
            return null;
          });
          const [u, c] = await timed(Promise.all([one('uncond'), a.guided && overflow === null ? condOrSkip() : Promise.resolve(null)]));
          const guided = c !== null;
          const uTop = topOf(u);
          const cTop = c === null ? null : topOf(c);
          const choice = cTop === null ? { tokenId: greedyArgmax(uTop).tokenId, changed: false } : cfgArgmax(uTop, cTop, spec.gamma);
          const text = await timed(model.tokenText(choice.tokenId));
          const eos = isEosText(text);
          s = applyToken(spec, s, { text, eos, guided, changed: choice.changed });
          if (!eos) { ids.push(choice.tokenId); appended += text; }
          if (guided) guidedTokens++;
          if (choice.changed) changedTokens++;
          tokens.push({
            id: choice.tokenId, text, guided, changed: choice.changed,
            uncond: uTop.map((t) => [t.tokenId, t.logprob]), cond: cTop?.map((t) => [t.tokenId, t.logprob]) ?? null,
          });
          heartbeat({ seq: ref.seq, tokens: tokens.length });
          if (text.includes('\n') || s.end !== null) break;
        } else if (a.kind === 'next_line') {
          const line = await gamma1LineStep({ model, timed, fixedIds, ids, overflow }, spec, s, a);
          s = line.state;
          overflow = line.overflow;
          ids.push(...line.appendedIds);
          appended += line.added;
          if (line.guided) guidedTokens++;
          tokens.push(line.row);
          heartbeat({ seq: ref.seq, lines: 1 });
          break;
        } else {
          break;
        }
      }
      const { state, result } = advance(spec, { gen: s, ids }, await stepContext(gen));
      return writeStep({
        generationId: ref.generationId, seq: ref.seq, kind: 'line', lineIndex: ref.lineIndex, codeBefore, appended,
        state: state as unknown as Record<string, unknown>, tokens,
        summary: {
          seq: ref.seq, ...result, tokens: tokens.length, guided: guidedTokens, changed: changedTokens,
          ...(overflow !== null ? { contextOverflow: overflow } : {}),
        },
        tokenCount: tokens.length, guidedTokens, changedTokens, ...meterColumns(model.meter), modelMs: waitMs, durationMs: performance.now() - t0,
      });
    },

    /** Store the final program as a sample of the agent's run (attempt `gamma=<γ>/try=<n>`). Default queue. */
    async egcfgSaveSample(ref: { generationId: number; seq: number }): Promise<{ sampleId: number }> {
      const { gen, problem } = await loadGeneration(ref.generationId);
      if (gen.sampleId !== null) return { sampleId: gen.sampleId };
      const state = await latestState(ref.generationId, ref.seq);
      const end = state.gen.end;
      if (!end) throw ApplicationFailure.nonRetryable(`generation ${gen.id} has not ended at step ${ref.seq}`);
      const attempt = `gamma=${gen.gamma}/try=${gen.attempt}`;
      const totals = await stepTotals(db, gen.id);
      const key = and(eq(samples.campaignId, gen.campaignId), eq(samples.runId, gen.runId), eq(samples.problemId, gen.problemId), eq(samples.attempt, attempt));
      // A NUL the model wrote was stored as U+FFFD by its step: the sample says so, and its verdict is the original's
      // (executeOnce puts the NUL back, as the baseline does).
      const [nulStep] = end.code.includes(NUL_REPLACEMENT)
        ? await db.select({ id: egcfgSteps.id }).from(egcfgSteps)
          .where(and(eq(egcfgSteps.generationId, gen.id), sql`${egcfgSteps.summary}->>'nulReplaced' = 'true'`)).limit(1)
        : [];
      await db.insert(samples).values({
        campaignId: gen.campaignId, runId: gen.runId, problemId: gen.problemId, attempt,
        code: pgText(runnableProgram(end.code, problem)), rawCompletion: pgText(state.gen.prefix + state.gen.generated), model: gen.model,
        params: pgJson({ method: 'eg-cfg', agent: gen.agent, gamma: gen.gamma, seed: gen.seed, ...gen.config, simulated: gen.simulated, stopReason: end.reason,
          ...(nulStep ? { codeHadNul: true } : {}) }),
        tokenLogprobs: null, promptTokens: totals.promptTokens, completionTokens: totals.completionTokens, modelCalls: totals.modelCalls,
      }).onConflictDoNothing();
      const [row] = await db.select({ id: samples.id }).from(samples).where(key);
      if (!row) throw new Error('sample vanished after insert');
      await db.update(egcfgGenerations).set({
        sampleId: row.id, finalCode: pgText(end.code), stopReason: end.reason, stats: pgJson(state.gen.stats),
      }).where(eq(egcfgGenerations.id, gen.id));
      return { sampleId: row.id };
    },

    /** Run a stored sample on a suite (visible / eval / et), once: the `executions` row is the verdict. Sandbox queue. */
    async egcfgExecute(input: { sampleId: number; suite: 'visible' | 'eval' | 'et' | 'eval-paper' }): Promise<{ passed: boolean; testsPassed: number; testsTotal: number }> {
      return executeOnce(deps, input.sampleId, input.suite);
    },

    /**
     * Close a generation with its visible-test verdict and its summed cost. Default queue. Under --protocol paper the
     * status says whether it passed the selection suite (`passedSelection`, e.g. HumanEval's check()), recorded in its
     * stats with the suite's name; `passedVisible` stays the visible verdict.
     */
    async egcfgClose(input: {
      generationId: number; passedVisible: boolean; testsPassed: number; testsTotal: number;
      passedSelection?: boolean; selectionSuite?: string;
    }): Promise<void> {
      const totals = await stepTotals(db, input.generationId);
      const passed = input.passedSelection ?? input.passedVisible;
      const selection = input.selectionSuite === undefined ? {} : { selection: { suite: input.selectionSuite, passed } };
      await db.update(egcfgGenerations).set({
        status: passed ? 'passed' : 'failed', passedVisible: input.passedVisible,
        ...(input.selectionSuite === undefined ? {} : { stats: sql`coalesce(${egcfgGenerations.stats}, '{}'::jsonb) || ${JSON.stringify(selection)}::jsonb` }),
        visiblePassed: input.testsPassed, visibleTotal: input.testsTotal, cost: totals as unknown as Record<string, unknown>,
        finishedAt: new Date(),
      }).where(and(eq(egcfgGenerations.id, input.generationId), eq(egcfgGenerations.status, 'running')));
    },

    /** A generation cancelled because another agent solved the problem first: its partial records stay. Default queue. */
    async egcfgMarkCancelled(input: { generationId: number; reason: string }): Promise<void> {
      const totals = await stepTotals(db, input.generationId);
      await db.update(egcfgGenerations).set({
        status: 'cancelled', error: pgText(input.reason), cost: totals as unknown as Record<string, unknown>, finishedAt: new Date(),
      }).where(and(eq(egcfgGenerations.id, input.generationId), eq(egcfgGenerations.status, 'running')));
    },

    /** A generation whose workflow failed (e.g. a non-retryable model reply). Default queue. */
    async egcfgMarkError(input: { generationId: number; error: string }): Promise<void> {
      const totals = await stepTotals(db, input.generationId);
      await db.update(egcfgGenerations).set({
        status: 'error', error: pgText(input.error), cost: totals as unknown as Record<string, unknown>, finishedAt: new Date(),
      }).where(and(eq(egcfgGenerations.id, input.generationId), eq(egcfgGenerations.status, 'running')));
    },
  };
}

export interface StepTotals {
  steps: number;
  lines: number;
  tokens: number;
  guidedTokens: number;
  changedTokens: number;
  modelCalls: number;
  tokenizerCalls: number;
  promptTokens: number;
  completionTokens: number;
  sandboxRuns: number;
  sandboxMs: number;
  modelMs: number;
  /** Per phase, mirroring the authors' guidance vs beam-search counters. */
  phases: Record<'reasoning' | 'guidance' | 'candidates', { modelCalls: number; promptTokens: number; completionTokens: number; sandboxRuns: number; sandboxMs: number }>;
}

/** Sums over a generation's steps. */
export async function stepTotals(db: Database, generationId: number): Promise<StepTotals> {
  const rows = await db.select({
    kind: egcfgSteps.kind,
    steps: sql<number>`count(*)`.mapWith(Number),
    tokens: sql<number>`coalesce(sum(${egcfgSteps.tokenCount}), 0)`.mapWith(Number),
    guided: sql<number>`coalesce(sum(${egcfgSteps.guidedTokens}), 0)`.mapWith(Number),
    changed: sql<number>`coalesce(sum(${egcfgSteps.changedTokens}), 0)`.mapWith(Number),
    modelCalls: sql<number>`coalesce(sum(${egcfgSteps.modelCalls}), 0)`.mapWith(Number),
    tokenizerCalls: sql<number>`coalesce(sum(${egcfgSteps.tokenizerCalls}), 0)`.mapWith(Number),
    promptTokens: sql<number>`coalesce(sum(${egcfgSteps.promptTokens}), 0)`.mapWith(Number),
    completionTokens: sql<number>`coalesce(sum(${egcfgSteps.completionTokens}), 0)`.mapWith(Number),
    sandboxRuns: sql<number>`coalesce(sum(${egcfgSteps.sandboxRuns}), 0)`.mapWith(Number),
    sandboxMs: sql<number>`coalesce(sum(${egcfgSteps.sandboxMs}), 0)`.mapWith(Number),
    modelMs: sql<number>`coalesce(sum(${egcfgSteps.modelMs}), 0)`.mapWith(Number),
  }).from(egcfgSteps).where(eq(egcfgSteps.generationId, generationId)).groupBy(egcfgSteps.kind);
  const zero = () => ({ modelCalls: 0, promptTokens: 0, completionTokens: 0, sandboxRuns: 0, sandboxMs: 0 });
  const t: StepTotals = {
    steps: 0, lines: 0, tokens: 0, guidedTokens: 0, changedTokens: 0, modelCalls: 0, tokenizerCalls: 0, promptTokens: 0,
    completionTokens: 0, sandboxRuns: 0, sandboxMs: 0, modelMs: 0, phases: { reasoning: zero(), guidance: zero(), candidates: zero() },
  };
  for (const r of rows) {
    t.steps += r.steps;
    if (r.kind === 'line') t.lines += r.steps;
    t.tokens += r.tokens; t.guidedTokens += r.guided; t.changedTokens += r.changed; t.modelCalls += r.modelCalls;
    t.tokenizerCalls += r.tokenizerCalls; t.promptTokens += r.promptTokens; t.completionTokens += r.completionTokens;
    t.sandboxRuns += r.sandboxRuns; t.sandboxMs += r.sandboxMs; t.modelMs += r.modelMs;
    const phase = r.kind === 'reasoning' || r.kind === 'gamma0' ? 'reasoning' : r.kind === 'line' ? 'guidance' : 'candidates';
    const p = t.phases[phase];
    p.modelCalls += r.modelCalls; p.promptTokens += r.promptTokens; p.completionTokens += r.completionTokens;
    p.sandboxRuns += r.sandboxRuns; p.sandboxMs += r.sandboxMs;
  }
  return t;
}

/**
 * Run a sample on a suite once and store the verdict in `executions` (natural key sample × suite). A problem without
 * visible tests (some HumanEval docstrings have no examples) is checked by loading the program only.
 */
export async function executeOnce(deps: ActivityDeps, sampleId: number, suite: 'visible' | 'eval' | 'et' | 'eval-paper') {
  const { db } = deps;
  const key = and(eq(executions.sampleId, sampleId), eq(executions.suite, suite));
  const [existing] = await db.select().from(executions).where(key);
  if (existing) return { passed: existing.passed, testsPassed: existing.testsPassed, testsTotal: existing.testsTotal };
  const [sample] = await db.select().from(samples).where(eq(samples.id, sampleId));
  if (!sample) throw ApplicationFailure.nonRetryable(`unknown sample ${sampleId}`);
  const [p] = await db.select({ problem: problems.problem }).from(problems).where(eq(problems.id, sample.problemId));
  const problem = p!.problem as unknown as Problem;
  const sandbox = await deps.sandbox();
  heartbeat({ sampleId, suite });
  // Stored text has U+FFFD where the program had NUL; the verdict is the original program's (as in the baseline).
  const code = (sample.params as { codeHadNul?: boolean } | null)?.codeHadNul === true ? programWithNul(sample.code) : sample.code;
  let r;
  if (problem.io) {
    r = await runContest(sandbox, problem, code, suite);
  } else {
    if (suite === 'eval-paper') throw ApplicationFailure.nonRetryable(`${problem.dataset} has no 'eval-paper' suite`);
    const evaluation = buildEvaluation(problem, code, suite);
    const tests = evaluation.tests.length > 0 ? evaluation.tests : [{ id: `${suite}/load`, code: 'pass' }];
    r = await sandbox.run({ program: evaluation.program, tests, mode: 'verdict' });
  }
  await db.insert(executions).values({
    sampleId, suite, status: r.status, passed: r.passed, testsPassed: r.testsPassed, testsTotal: r.testsTotal,
    perTest: pgJson(r.tests), stdout: pgText(r.stdout), stderr: pgText(r.stderr), durationMs: r.durationMs,
  }).onConflictDoNothing();
  const [row] = await db.select().from(executions).where(key);
  return { passed: row!.passed, testsPassed: row!.testsPassed, testsTotal: row!.testsTotal };
}
