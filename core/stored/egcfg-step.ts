// The stored shapes of an EG-CFG step (egcfg_steps.state, egcfg_steps.summary) as zod schemas: the columns' types are
// inferred from them (db/schema/egcfg.ts `.$type`), and every read back goes through parseStored (core/stored/parse.ts),
// so a row that is not a step's state is an error naming the row instead of a cast that lets it through. The state
// schema and the step machine's GenerationState (core/egcfg/generation.ts, pure, zod-free for workflows) are one type,
// checked at compile time below.
import { z } from 'zod';
import type { GenerationState } from '../egcfg/generation.ts';
import type { SignalFitRecord } from '../egcfg/signal-fit.ts';
import type { Same } from './same.ts';

const stopReasonSchema = z.enum(['solved_elsewhere', 'wall_clock', 'cost_cap', 'eos', 'closing_fence', 'max_new_tokens']);
const sideSchema = z.enum(['uncond', 'cond']);
const earlyStopSideSchema = z.object({ program: z.string().nullable(), count: z.number() });

export const generationEndSchema = z.union([
  z.object({ reason: stopReasonSchema, code: z.string() }),
  z.object({ reason: z.literal('early_stop'), code: z.string(), earlyStop: z.enum(['agreement', 'loop']), side: sideSchema }),
]);

/** The step machine's statistics (also egcfg_generations.stats, core/stored/egcfg-generation.ts). */
export const generationStatsSchema = z.object({
  refreshes: z.number(), emptySignals: z.number(), guidedSteps: z.number(), changedTokens: z.number(), steps: z.number(),
});

export const generationStateSchema = z.object({
  prefix: z.string(),
  generated: z.string(),
  newTokens: z.number(),
  refresh: z.object({ lastRefreshNewlines: z.number().nullable() }),
  signal: z.string().nullable(),
  earlyStop: z.object({ uncond: earlyStopSideSchema, cond: earlyStopSideSchema }),
  pendingCond: z.boolean(),
  end: generationEndSchema.nullable(),
  stats: generationStatsSchema,
});

/** egcfg_steps.state: the step machine's state plus the token ids of `generated` (the decode prompts are sent as ids). */
export const storedStateSchema = z.object({ gen: generationStateSchema, ids: z.array(z.number().int()) });
export type StoredState = z.infer<typeof storedStateSchema>;

/** What the workflow does after a step. */
export const nextKindSchema = z.enum(['build_signal', 'sample_cond_candidates', 'decode', 'done']);
export type NextKind = z.infer<typeof nextKindSchema>;

/** The part of a step's summary the workflow reads (the activities' StepResult). */
export const stepResultSchema = z.object({
  seq: z.number().int(),
  next: nextKindSchema,
  /** Set when next = 'done'. */
  stopReason: z.string().optional(),
});
export type StepResult = z.infer<typeof stepResultSchema>;

/** egcfg_steps.summary: the StepResult and the small facts of the step (n, temperature, kept, contextOverflow, ...). */
export const stepSummarySchema = stepResultSchema.loose();
export type StepSummary = z.infer<typeof stepSummarySchema>;

/** The summary of a `prepare` step (make_executable + dedupe of one request's candidates). */
export const prepareSummarySchema = stepSummarySchema.extend({ accepted: z.number().int(), needAnother: z.boolean() });
export type PrepareSummary = z.infer<typeof prepareSummarySchema>;

const topEntrySchema = z.tuple([z.number().int(), z.number()]);

/**
 * A token step's token (activities/egcfg/token-step.ts; the local path, activities/egcfg/local-path.ts, adds the
 * service's argmax on each side): the chosen id and text, and both top-k lists as [tokenId, logprob] pairs.
 */
export const stepTokenSchema = z.object({
  id: z.number().int(), text: z.string(), guided: z.boolean(), changed: z.boolean(),
  uncond: z.array(topEntrySchema), cond: z.array(topEntrySchema).nullable(),
  uncondArgmax: z.number().int().optional(), condArgmax: z.number().int().optional(),
});
export type StepToken = z.infer<typeof stepTokenSchema>;

/** A γ = 1 line step's entry (activities/egcfg/line-step.ts): a whole line from one completion call. */
export const stepLineSchema = z.object({
  line: z.string(), guided: z.boolean(), completionTokens: z.number().int(),
  /** Absent in older rows. */
  appendedTokens: z.number().int().optional(),
  newlineOnly: z.boolean().optional(), retokenized: z.boolean().optional(),
});
export type StepLine = z.infer<typeof stepLineSchema>;

/** egcfg_steps.tokens: a line step's tokens (or its one line); null for the other kinds of step. */
export const stepTokensSchema = z.array(z.union([stepTokenSchema, stepLineSchema])).nullable();
export type StepTokens = z.infer<typeof stepTokensSchema>;

/** A signal step's `signalFit` (activities/egcfg/signal-context.ts): what fitting the signal to the context left out. */
export const signalFitRecordSchema = z.object({
  dropped: z.number().int(), shortened: z.number().int(), linesOmitted: z.number().int(), kept: z.number().int(),
  contextTokens: z.number().int(), condTokens: z.number().int(),
});

/**
 * A line step's `lineCap` (--line-token-cap, core/egcfg/cost-caps.ts): the cap, what the line had spent when its
 * decoding began (signal, candidates), and the index of its first token decoded unguided because of the cap.
 */
export const lineCapRecordSchema = z.object({ cap: z.number().int(), spentBefore: z.number().int(), unguidedFrom: z.number().int() });
export type LineCapRecord = z.infer<typeof lineCapRecordSchema>;

/** Compile-time: the stored fit and the pure code's SignalFitRecord are one type. */
export const SIGNAL_FIT_SCHEMA_IS_RECORD: Same<z.infer<typeof signalFitRecordSchema>, SignalFitRecord> = true;

/** Compile-time: a drift between the schema and the step machine's GenerationState fails tsc here. */
export const GENERATION_STATE_SCHEMA_IS_STATE: Same<z.infer<typeof generationStateSchema>, GenerationState> = true;
