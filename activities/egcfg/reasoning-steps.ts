// The reasoning-prefix call and γ = 0 (spec §1.3 setup, §1.4): egcfgBegin creates the generation row, egcfgGamma0
// makes γ = 0's one reasoning-style completion, egcfgReasoning the prefix call before `def <entry_point>(` is forced.
import { performance } from 'node:perf_hooks';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq } from 'drizzle-orm';
import { pgJson, pgText } from '../../core/pg-text.ts';
import {
  candidateMaxTokens, forcedFunctionStart, lastBlockDefining, problemTokensLeft, splitReasoningPrefix, startGeneration,
} from '../../core/egcfg/index.ts';
import { extractCode, extractProgram, type Problem } from '../../core/datasets/index.ts';
import { chatLead, generationPrompts, promptsConfigOf } from './prompts.ts';
import { withChatTemplate } from './chat-render.ts';
import { EgcfgModel } from './model.ts';
import { egcfgGenerations, problems } from '../../db/schema/index.ts';
import type { EgcfgGenerationInput } from '../../core/contracts.ts';
import { reasoningTries } from './reasoning-tries.ts';
import { isLocalPath, localPathSteps } from './local-path.ts';
import { activityContext, meterColumns, type AgentConfigStored, type GenerationRow, type StepResult, type StepStore, type StoredState } from './step-store.ts';

/** The activities of the reasoning phase. */
export function reasoningActivities(st: StepStore) {
  const { db, loadGeneration, existingStep, stepContext, problemTokensSpent, advance, writeStep, modelFor } = st;
  /** What the problem's --problem-token-cap leaves for this step (Infinity without a cap). */
  const problemLeft = async (gen: GenerationRow, cfg: AgentConfigStored): Promise<number> =>
    cfg.costCaps?.problemTokens === undefined ? Infinity : problemTokensLeft(cfg.costCaps, await problemTokensSpent(gen));
  const local = localPathSteps(st);
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
      const problem: Problem = p.problem;
      const a = input.agent;
      // Ours or the authors' texts, the fence instruction, the forced name, the trace format (activities/egcfg/prompts.ts).
      const raw = generationPrompts(problem, a.promptType, input.params, input.model.model);
      // Chat format: both sides rendered by the model's template on its server (cached per problem in this process).
      // A model call from the default queue, like the tokenizer calls of the other steps: cheap, no sampling.
      const built = input.params.promptFormat === 'chat' && input.model.kind === 'openai'
        ? await withChatTemplate(raw, problem, new EgcfgModel(input.model), input.model.baseUrl) : raw;
      const config: AgentConfigStored & ReturnType<typeof promptsConfigOf> = {
        t: a.t, s: a.s, d: a.d, k: a.k, promptType: a.promptType, maxNewTokens: input.params.maxNewTokens,
        topLogprobs: input.params.topLogprobs, reasoningMaxTokens: input.params.reasoningMaxTokens,
        earlyStop: input.params.earlyStop, wallCapMs: input.params.wallCapMs, traceTimeoutMs: input.params.traceTimeoutMs,
        traceMaxChars: input.params.traceMaxChars, candidateMaxTokens: candidateMaxTokens(a.d, input.params.candidateTokens ?? 'paper'),
        model: input.model, ...promptsConfigOf(built),
        ...(input.params.reasoningBudget ? { reasoningBudget: input.params.reasoningBudget } : {}),
        ...(input.params.costCaps ? { costCaps: input.params.costCaps } : {}),
      };
      await db.insert(egcfgGenerations).values({
        campaignId: input.campaignId, problemId: input.problemId, runId: a.runId, agent: a.name, gamma: input.gamma,
        attempt: input.attempt, agentIndex: a.index, gammaIndex: input.gammaIndex,
        config: pgJson(config), seed: a.seed + input.attempt, model: pgText(input.model.model),
        simulated: input.model.kind === 'openai' && input.model.simulated,
        workflowId: activityContext()?.info.workflowExecution?.workflowId ?? 'direct',
        basePrompt: pgText(built.basePrompt),
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
      if (isLocalPath(cfg)) return local.gamma0(ref);
      const model = modelFor(gen, cfg, gen.problemId);
      const name = promptsConfigOf(cfg).forcedName ?? problem.entryPoint;
      const hasAnswer = problem.io ? (text: string) => /```/.test(text) : (text: string) => lastBlockDefining(text, name) !== null;
      const { tries, resumed, budget } = await reasoningTries(model, gen, cfg, ref, hasAnswer, await problemLeft(gen, cfg));
      // Chat format: the answer is the response prefix (its open fence) + what the model wrote.
      const lead = chatLead(cfg);
      const last = lead + (tries.at(-1)?.text ?? '');
      const answer = problem.io ? (hasAnswer(last) ? extractProgram(last) : null) : lastBlockDefining(last, name);
      // No try defined the entry point: the answer is whatever code the last try holds (it will fail its tests, visibly).
      const code = answer ?? extractCode(last, { entryPoint: problem.entryPoint });
      const state: StoredState = {
        gen: { ...startGeneration(lead, ''), generated: last.slice(lead.length), end: { reason: 'eos', code } },
        ids: [],
      };
      return writeStep({
        generationId: ref.generationId, seq: ref.seq, kind: 'gamma0', lineIndex: 0, appended: last.slice(lead.length),
        state,
        summary: { seq: ref.seq, next: 'done', stopReason: answer === null ? 'no_entry_point_block' : 'eos', tries, budget, ...(resumed > 0 ? { resumedTries: resumed } : {}) },
        ...meterColumns(model.meter), durationMs: performance.now() - t0,
      });
    },

    /** The reasoning-prefix call (spec §1.3 setup), then `def <entry_point>(` is forced. Inference queue. */
    async egcfgReasoning(ref: { generationId: number; seq: number }): Promise<StepResult> {
      const done = await existingStep(ref);
      if (done) return done;
      const t0 = performance.now();
      const { gen, problem, cfg, spec } = await loadGeneration(ref.generationId);
      if (isLocalPath(cfg)) return local.start(ref);
      const model = modelFor(gen, cfg, gen.problemId);
      // The forced function: the entry point, or (--forced-name reference) the authors' choice (core/egcfg/forced-name.ts).
      const name = promptsConfigOf(cfg).forcedName ?? problem.entryPoint;
      const { tries, resumed, budget } = await reasoningTries(model, gen, cfg, ref, (text) => splitReasoningPrefix(text, name) !== null, await problemLeft(gen, cfg));
      // Chat format: the prefix starts with the response prefix (the assistant turn's opening, its open fence).
      const lead = chatLead(cfg);
      const split = splitReasoningPrefix(lead + (tries.at(-1)?.text ?? ''), name);
      // Ten tries without a block defining the entry point: start the block ourselves (recorded as a fallback).
      const prefix = split?.prefix ?? (lead === '' ? '```python\n' : lead);
      const forced = forcedFunctionStart(name);
      const ids = await model.tokenize(forced, false);
      await db.update(egcfgGenerations).set({ prefix: pgText(prefix) }).where(eq(egcfgGenerations.id, gen.id));
      const { state, result } = advance(spec, { gen: startGeneration(prefix, forced), ids }, await stepContext(gen, spec, model.meter));
      return writeStep({
        generationId: ref.generationId, seq: ref.seq, kind: 'reasoning', lineIndex: 0, appended: forced,
        state: state,
        summary: { seq: ref.seq, ...result, prefixFallback: split === null, tries, budget, ...(resumed > 0 ? { resumedTries: resumed } : {}) },
        ...meterColumns(model.meter), durationMs: performance.now() - t0,
      });
    },
  };
}
