// EG-CFG's local-model path (`--egcfg-path local`, core/egcfg/local-path.ts): the steps that differ from the endpoint
// path, on the local inference service (python/local_infer/server.py). The step activities (reasoning-steps.ts,
// decode-line.ts) hand a local-path generation to these; candidates, signals, early stop and the final sample are
// the endpoint path's own steps (the service answers their /v1/completions calls). Steps are written to the same
// egcfg_steps rows (kinds 'gamma0', 'reasoning', 'line'), so `egcfg show` and the dashboard audit them alike.
import { performance } from 'node:perf_hooks';
import { ApplicationFailure } from '@temporalio/common';
import { currentCode, finalCode, lineGuidanceAllowed, nextAction, type CostCaps, type StepContext } from '../../core/egcfg/index.ts';
import { applyLocalLine, LOCAL_PATH_PREFIX, localLineRequest, startLocalGeneration } from '../../core/egcfg/local-path.ts';
import { fixedText } from './prompt-ids.ts';
import { chatLead, promptsConfigOf } from './prompts.ts';
import { pgText } from '../../core/pg-text.ts';
import { eq } from 'drizzle-orm';
import { egcfgGenerations } from '../../db/schema/index.ts';
import { guidedLine } from '../model/local-infer-client.ts';
import { toApplicationFailure } from '../model/openai-client.ts';
import { heartbeat } from '../heartbeat.ts';
import { Context } from '@temporalio/activity';
import type { Database } from '../../db/client.ts';
import type { egcfgSteps } from '../../db/schema/index.ts';
import type { GenerationSpec, GenerationState } from '../../core/egcfg/index.ts';
import type { ModelSpec } from '../../core/contracts.ts';
import type { EgcfgModel, Meter } from './model.ts';
import type { StepToken } from '../../core/stored/egcfg-step.ts';

interface StepRef { generationId: number; seq: number; lineIndex: number }
type NextKind = 'build_signal' | 'sample_cond_candidates' | 'decode' | 'done';
interface StepResult { seq: number; next: NextKind; stopReason?: string }
interface StoredState { gen: GenerationState; ids: number[] }
/** The part of a generation's stored agent config that the local path reads. */
interface LocalConfig { maxNewTokens: number; topLogprobs: number; model: ModelSpec; costCaps?: CostCaps | undefined }
interface GenerationRow { id: number; problemId: number; basePrompt: string }

/** What the local-path steps need from the step store (activities/egcfg/step-store.ts), structurally. */
export interface LocalStepStore<G extends GenerationRow, C extends LocalConfig> {
  db: Database;
  loadGeneration: (generationId: number) => Promise<{ gen: G; cfg: C; spec: GenerationSpec }>;
  latestState: (generationId: number, beforeSeq: number) => Promise<StoredState>;
  stepContext: (gen: G, spec: GenerationSpec, step?: Meter) => Promise<StepContext>;
  lineTokensSpent: (generationId: number, lineIndex: number) => Promise<number>;
  advance: (spec: GenerationSpec, state: StoredState, ctx: StepContext) => { state: StoredState; result: { next: NextKind; stopReason?: string } };
  writeStep: (values: typeof egcfgSteps.$inferInsert) => Promise<StepResult>;
  modelFor: (gen: G, cfg: C, problemId: number) => EgcfgModel;
}

const meterColumns = (m: Meter) => ({
  modelCalls: m.modelCalls, tokenizerCalls: m.tokenizerCalls, promptTokens: m.promptTokens, completionTokens: m.completionTokens, modelMs: m.modelMs,
});

function cancelSignal(): AbortSignal | undefined {
  try { return Context.current().cancellationSignal; } catch { return undefined; }
}

/** True for a generation recorded with the local path (its model spec says so). */
export function isLocalPath(cfg: { model: ModelSpec }): boolean {
  return cfg.model.kind === 'openai' && cfg.model.egcfgPath === 'local';
}

/** The local path's versions of the γ = 0, start and decode steps. */
export function localPathSteps<G extends GenerationRow, C extends LocalConfig>(st: LocalStepStore<G, C>) {
  const { db, loadGeneration, latestState, stepContext, lineTokensSpent, advance, writeStep, modelFor } = st;

  return {
    /** γ = 0: plain greedy decoding from the prompt (the code block opened), no reasoning prefix, no feedback. */
    async gamma0(ref: { generationId: number; seq: number }): Promise<StepResult> {
      const t0 = performance.now();
      const { gen, cfg } = await loadGeneration(ref.generationId);
      const model = modelFor(gen, cfg, gen.problemId);
      // Chat format: the assistant turn opens with the response prefix (its open fence) instead of the bare fence.
      const prefix = chatLead(cfg) || LOCAL_PATH_PREFIX;
      const prompt = await model.tokenize(gen.basePrompt + prefix, true);
      const reply = await model.completions({ prompt, temperature: 0, max_tokens: cfg.maxNewTokens, stop: ['```'] });
      const choice = reply.choices[0];
      const text = choice?.text ?? '';
      const code = finalCode(prefix + text);
      const state: StoredState = { gen: { ...startLocalGeneration(prefix), generated: text, end: { reason: 'eos', code } }, ids: [] };
      const stopReason = choice?.finish_reason === 'length' ? 'max_new_tokens' : 'eos';
      return writeStep({
        generationId: ref.generationId, seq: ref.seq, kind: 'gamma0', lineIndex: 0, appended: text,
        state: state,
        summary: { seq: ref.seq, next: 'done', stopReason, egcfgPath: 'local', tries: [{ temperature: 0, text, accepted: true }] },
        ...meterColumns(model.meter), durationMs: performance.now() - t0,
      });
    },

    /** The start of a guided generation: no reasoning call, the code block opened, nothing forced. */
    async start(ref: { generationId: number; seq: number }): Promise<StepResult> {
      const { gen, cfg, spec } = await loadGeneration(ref.generationId);
      const prefix = chatLead(cfg) || LOCAL_PATH_PREFIX;
      await db.update(egcfgGenerations).set({ prefix: pgText(prefix) }).where(eq(egcfgGenerations.id, gen.id));
      const { state, result } = advance(spec, { gen: startLocalGeneration(prefix), ids: [] }, await stepContext(gen, spec));
      return writeStep({
        generationId: ref.generationId, seq: ref.seq, kind: 'reasoning', lineIndex: 0, appended: '',
        state: state,
        summary: { seq: ref.seq, ...result, egcfgPath: 'local', prefixFallback: false, tries: [] },
      });
    },

    /** One line decoded by the service: full-vocabulary CFG per token while guided, greedy otherwise. */
    async decodeLine(ref: StepRef): Promise<StepResult> {
      const t0 = performance.now();
      const { gen, cfg, spec } = await loadGeneration(ref.generationId);
      if (cfg.model.kind !== 'openai') throw ApplicationFailure.nonRetryable('the local path needs a model server');
      const start = await latestState(ref.generationId, ref.seq);
      const model = modelFor(gen, cfg, gen.problemId);
      const noRefresh: StepContext = { elapsedMs: 0, solvedElsewhere: false };
      const next = nextAction(spec, start.gen, noRefresh);
      // --line-token-cap: a line whose signal and candidates already spent the cap is decoded unguided (the service
      // decodes the whole line in one call, so the cap is checked once, before it).
      const caps = cfg.costCaps;
      const spentBefore = caps?.lineTokens !== undefined && (next.kind === 'next_token' || next.kind === 'next_line') && next.guided
        ? await lineTokensSpent(ref.generationId, ref.lineIndex) : 0;
      const lineCap = lineGuidanceAllowed(caps, spentBefore) ? null : { cap: caps?.lineTokens ?? 0, spentBefore, unguidedFrom: 0 };
      const a = lineCap !== null && (next.kind === 'next_token' || next.kind === 'next_line') ? { ...next, guided: false } : next;
      let s = start.gen;
      const ids = [...start.ids];
      const tokens: StepToken[] = [];
      let guided = false;
      let overflow: string | null = null;
      let waitMs = 0;
      let appended = '';
      if (a.kind === 'next_token' || a.kind === 'next_line') {
        const frame = { basePrompt: gen.basePrompt, chat: promptsConfigOf(cfg).chat };
        const uncondIds = [...await model.tokenize(fixedText(frame, s, 'uncond'), true), ...ids];
        const condIds = a.guided ? [...await model.tokenize(fixedText(frame, s, 'cond'), true), ...ids] : [];
        const req = localLineRequest(spec, s, a.guided, cfg.topLogprobs);
        heartbeat({ seq: ref.seq, line: 'decoding' });
        const w0 = performance.now();
        const reply = await guidedLine(cfg.model.baseUrl, { ...req, uncond_ids: uncondIds, ...(a.guided ? { cond_ids: condIds } : {}) },
          cancelSignal()).catch((e: unknown) => { throw toApplicationFailure(e); });
        waitMs = performance.now() - w0;
        guided = reply.guided;
        overflow = reply.context_overflow ?? null;
        const applied = applyLocalLine(spec, s, reply.tokens, guided);
        s = applied.state;
        for (const t of applied.kept) {
          if (!t.eos) { ids.push(t.id); appended += t.text; }
          tokens.push({ id: t.id, text: t.text, guided, changed: guided && t.changed, uncondArgmax: t.uncond_argmax, condArgmax: t.cond_argmax, uncond: t.uncond, cond: t.cond });
        }
        model.meter.modelCalls++;
        model.meter.promptTokens += uncondIds.length + condIds.length;
        model.meter.completionTokens += reply.tokens.length;
      }
      const changed = tokens.filter((t) => t.changed === true).length;
      const { state, result } = advance(spec, { gen: s, ids }, await stepContext(gen, spec, model.meter));
      return writeStep({
        generationId: ref.generationId, seq: ref.seq, kind: 'line', lineIndex: ref.lineIndex, codeBefore: currentCode(start.gen), appended,
        state: state, tokens,
        summary: {
          seq: ref.seq, ...result, tokens: tokens.length, guided: guided ? tokens.length : 0, changed, egcfgPath: 'local',
          ...(overflow !== null ? { contextOverflow: overflow } : {}), ...(lineCap !== null ? { lineCap } : {}),
        },
        tokenCount: tokens.length, guidedTokens: guided ? tokens.length : 0, changedTokens: changed,
        ...meterColumns(model.meter), modelMs: waitMs, durationMs: performance.now() - t0,
      });
    },
  };
}
