// Candidate continuations of one signal refresh (spec §1.5): egcfgSampleCandidates makes one sampling request
// (inference queue), egcfgPrepareCandidates runs make_executable and the dedupe (sandbox queue), egcfgApplyCond feeds
// the conditional side's candidates to early stop (default queue).
import { performance } from 'node:perf_hooks';
import { ApplicationFailure } from '@temporalio/common';
import { and, asc, eq } from 'drizzle-orm';
import { pgJson, pgText } from '../../core/pg-text.ts';
import {
  addCandidates, applyCondCandidates, candidateComplete, candidateRequestPlan, currentCode, cutCandidate, emptyCandidatePool, needsAnotherRequest,
  newRawCandidates, CANDIDATE_MAX_TOKENS, type CandidateForm, type CandidatePool,
} from '../../core/egcfg/index.ts';
import { egcfgCandidates } from '../../db/schema/index.ts';
import type { ActivityDeps } from '../deps.ts';
import { heartbeat } from '../heartbeat.ts';
import { callSeed } from '../../core/egcfg/seed.ts';
import { fixedIdsOf } from './prompt-ids.ts';
import { promptsConfigOf } from './prompts.ts';
import { prepareSummarySchema, type PrepareSummary } from '../../core/stored/egcfg-step.ts';
import { contextOverflow, meterColumns, type SampleRef, type StepRef, type StepResult, type StepStore, type StoredState } from './step-store.ts';

/** The candidate steps of a refresh. */
export function candidateActivities(deps: ActivityDeps, st: StepStore) {
  const { db, loadGeneration, existingStep, existingStepAs, latestState, stepContext, advance, writeStep, writeStepAs, modelFor } = st;
  return {
    /** One candidate-sampling request (spec §1.5) on the unconditional (or, for early stop, conditional) prompt. Inference queue. */
    async egcfgSampleCandidates(ref: SampleRef): Promise<StepResult> {
      const done = await existingStep(ref);
      if (done) return done;
      const t0 = performance.now();
      const { gen, cfg } = await loadGeneration(ref.generationId);
      const state = await latestState(ref.generationId, ref.seq);
      const plan = candidateRequestPlan(cfg.s, cfg.t, cfg.candidateMaxTokens ?? CANDIDATE_MAX_TOKENS)[ref.request];
      if (!plan) throw ApplicationFailure.nonRetryable(`candidate request ${ref.request} is beyond the plan`);
      const model = modelFor(gen, cfg, gen.problemId);
      let overflow: string | null = null;
      // One seed per (γ, line, side, request): the refreshes of a generation and its two sides draw independently.
      const seed = callSeed(gen.seed, ['candidates', gen.gamma, ref.lineIndex, ref.side, ref.request]);
      // Token ids (prompt-ids.ts): the prompt continues the model's own token sequence, as the decode calls do.
      const prompt = [...await fixedIdsOf(model, { basePrompt: gen.basePrompt, chat: promptsConfigOf(cfg).chat }, state.gen)(ref.side), ...state.ids];
      const req = {
        prompt, n: plan.n, temperature: plan.temperature, top_p: plan.topP, max_tokens: Math.min(plan.maxTokens, CANDIDATE_MAX_TOKENS),
        stop: plan.stop, seed,
      };
      // Only d + 1 lines of a candidate are kept: on a real server each sample is streamed and cut off there
      // (candidateComplete), the paper's 512-token setting included. The simulated server answers at once, unstreamed.
      const streamed = cfg.d !== null && !(cfg.model.kind === 'openai' && cfg.model.simulated);
      const d = cfg.d;
      const reply = await (streamed ? model.completionsUntil(req, (text) => candidateComplete(text, d)) : model.completions(req)).catch((e: unknown) => {
        overflow = ref.side === 'cond' ? contextOverflow(e) : null;
        if (overflow === null) throw e;
        return { choices: [] as Array<{ text: string }> };
      });
      const cut = 'cut' in reply ? reply.cut : undefined;
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
          ...(cut !== undefined ? { streamed: true, cutAtHorizon: cut } : {}),
          ...(overflow !== null ? { contextOverflow: overflow } : {}),
        },
        ...meterColumns(model.meter), durationMs: performance.now() - t0,
      });
    },

    /** make_executable (in the sandbox) and dedupe of one request's candidates; says whether a second request is due. Sandbox queue. */
    async egcfgPrepareCandidates(ref: SampleRef): Promise<PrepareSummary> {
      const done = await existingStepAs(ref, prepareSummarySchema);
      if (done) return done;
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
      return writeStepAs({
        generationId: ref.generationId, seq: ref.seq, kind: 'prepare', lineIndex: ref.lineIndex,
        summary: {
          seq: ref.seq, next: ref.side === 'uncond' ? 'build_signal' : 'sample_cond_candidates', side: ref.side, request: ref.request,
          accepted: after.accepted.length, needAnother, examined: fresh.length,
        },
        sandboxRuns: fresh.length, sandboxMs, durationMs: performance.now() - t0,
      }, prepareSummarySchema);
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
      const { state: next, result } = advance(spec, applied, await stepContext(gen, spec));
      return writeStep({
        generationId: ref.generationId, seq: ref.seq, kind: 'cond', lineIndex: ref.lineIndex, codeBefore: currentCode(state.gen),
        state: next,
        summary: { seq: ref.seq, ...result, condCandidates: accepted.length },
      });
    },

  };
}
