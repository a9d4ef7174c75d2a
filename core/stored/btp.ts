// The stored shapes of a BTP campaign's rows (training_runs.config, training_runs.metrics, btp_iterations.detail) as
// zod schemas: the columns' types are inferred from them (db/schema/btp.ts `.$type`), and every read back goes through
// parseStored (activities: storedOfRow), so a row that is not what the activities write fails naming the row.
import { z } from 'zod';
import { TrainConfigSchema } from '../btp/trainer-protocol.ts';
import { samplingKindField, trainPromptField } from '../option-fields.ts';

const nullableNumber = z.number().nullable().optional();

/** One training example drawn from the buffer (bufferEntryId: absent in older rows, null if the entry was gone). */
export const drawnExampleSchema = z.object({
  problemId: z.number().int(), codeHash: z.string(), p2value: z.number(), bufferEntryId: z.number().int().nullable().optional(),
});

/**
 * training_runs.config (activities/btp/training-set.ts): the trainer's options as TrainConfigSchema's output (loose:
 * an older row may carry an option since dropped), and how the training set was drawn. format and sampling are
 * absent in rows written before they were recorded.
 */
export const trainingRunConfigSchema = z.object({
  trainer: TrainConfigSchema.loose(),
  debugStepSleep: z.number().optional(),
  format: z.union([z.literal('chat'), trainPromptField]).optional(),
  sampling: z.looseObject({
    kind: samplingKindField, alpha: z.number(), seed: z.string(), k: z.number().int(), replacement: z.boolean(),
    bufferSize: z.number().int(), drawn: z.array(drawnExampleSchema),
  }).partial().optional(),
});
export type TrainingRunConfig = z.infer<typeof trainingRunConfigSchema>;

/**
 * training_runs.metrics: metrics.json as python/trainer/train.py wrote it ('{}' until the run succeeded). Loose by
 * design: the trainer's own report (versions, timings, memory) grows with it; the fields the platform reads are typed.
 */
export const trainingMetricsSchema = z.looseObject({
  steps: z.number().int().optional(),
  losses: z.array(z.number()).optional(),
  final_loss: nullableNumber,
  initial_eval_loss: nullableNumber,
  final_eval_loss: nullableNumber,
  resumed_from_step: nullableNumber,
});
export type TrainingMetrics = z.infer<typeof trainingMetricsSchema>;

/**
 * btp_iterations.detail (workflows/btp-evaluate.ts, btp-iteration.ts): the iteration's role, its evaluation campaign
 * and, for an adapter, the sampling, buffer and training facts. Loose: the buffer outcome and older rows' extra facts
 * are kept as written; the fields the read models use are typed.
 */
export const iterationDetailSchema = z.looseObject({
  role: z.string().optional(),
  evalCampaignId: z.string().optional(),
  sampledWith: z.string().optional(),
  candidatesPassed: z.number().optional(),
  trainingExamples: z.number().optional(),
  trainSteps: z.number().optional(),
  finalLoss: nullableNumber,
  initialEvalLoss: nullableNumber,
  finalEvalLoss: nullableNumber,
  resumedFromStep: nullableNumber,
  adapterPath: z.string().optional(),
  servedAt: z.string().optional(),
});
export type IterationDetail = z.infer<typeof iterationDetailSchema>;
