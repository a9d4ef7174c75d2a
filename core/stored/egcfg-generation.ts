// The stored shapes of an EG-CFG generation row (egcfg_generations.config, .cost, .stats) as zod schemas: the columns'
// types are inferred from them (db/schema/egcfg.ts `.$type`) and the activities read them back through parseStored.
import { z } from 'zod';
import { modelSpecSchema } from '../model-spec.ts';
import { promptTypeField, traceFormatField } from '../option-fields.ts';
import { generationStatsSchema } from './egcfg-step.ts';

const count = z.number().nonnegative();

/** The prompt texts a generation used: the authors' (--authors-prompts, their checkout and its sha256) or ours. */
export const promptsRefSchema = z.object({ source: z.literal('authors'), dir: z.string(), commit: z.string().nullable(), sha256: z.string() });

/**
 * egcfg_generations.config: the agent's hyperparameters (t, s, d, k, promptType), the generation limits, the model,
 * and what the prompts were (absent in older rows: ours, no fence, the entry point, python). Loose: older rows may
 * carry fields since dropped.
 */
export const agentConfigStoredSchema = z.looseObject({
  t: z.number(), s: z.number().int(), d: z.number().int().nullable(), k: z.number().int(), promptType: promptTypeField,
  maxNewTokens: z.number().int(), topLogprobs: z.number().int(), reasoningMaxTokens: z.number().int(), earlyStop: z.boolean(),
  wallCapMs: z.number(), traceTimeoutMs: z.number(), traceMaxChars: z.number().int(), model: modelSpecSchema,
  /** max_tokens per candidate request (candidateMaxTokens); absent in older rows = 512. */
  candidateMaxTokens: z.number().int().optional(),
  /** Reasoning tries and their tokens per γ (core/egcfg/reasoning-budget.ts); absent = the authors' 10 × max_tokens. */
  reasoningBudget: z.object({ tries: z.number().int(), tokens: z.number().int() }).optional(),
  /** Per-line and per-problem token caps (core/egcfg/cost-caps.ts); absent = none. */
  costCaps: z.object({ lineTokens: z.number().int().positive().optional(), problemTokens: z.number().int().positive().optional() }).optional(),
  prompts: z.union([promptsRefSchema, z.object({ source: z.literal('ours') })]).optional(),
  fence: z.enum(['deepseek-v3', 'qwen3']).nullable().optional(),
  forcedName: z.string().optional(),
  traceFormat: traceFormatField.optional(),
  condBase: z.string().optional(),
});
export type AgentConfigStored = z.infer<typeof agentConfigStoredSchema>;

/** One phase's share of a generation's cost (reasoning / guidance / candidates). */
const phaseTotalsSchema = z.object({ modelCalls: count, promptTokens: count, completionTokens: count, sandboxRuns: count, sandboxMs: count });

/** egcfg_generations.cost: the sums over a generation's steps (activities/egcfg/step-sums.ts), per phase too. */
export const stepTotalsSchema = z.object({
  steps: count, lines: count, tokens: count, guidedTokens: count, changedTokens: count, modelCalls: count, tokenizerCalls: count,
  promptTokens: count, completionTokens: count, sandboxRuns: count, sandboxMs: count, modelMs: count,
  /** Per phase, mirroring the authors' guidance vs beam-search counters. */
  phases: z.object({ reasoning: phaseTotalsSchema, guidance: phaseTotalsSchema, candidates: phaseTotalsSchema }),
});
export type StepTotals = z.infer<typeof stepTotalsSchema>;

/** egcfg_generations.stats: the step machine's statistics, and under --protocol paper the selection suite's verdict. */
export const generationStatsStoredSchema = generationStatsSchema.partial().extend({
  selection: z.object({ suite: z.string(), passed: z.boolean() }).optional(),
});
export type GenerationStatsStored = z.infer<typeof generationStatsStoredSchema>;
