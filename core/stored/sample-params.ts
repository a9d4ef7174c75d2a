// samples.params as stored: how a sample was generated, per method, as a zod schema. The column's type is inferred
// from it (db/schema/core.ts) and every read goes through parseStored, so a row that is not a sample's parameters
// fails naming the row.
import { z } from 'zod';
import { parseStored } from './parse.ts';

/**
 * One loose object for the three writers, every field optional (rows of older code have fewer; the tests' fixtures
 * `{}`), none defaulted (reading a row back fills in nothing):
 * - baseline (activities/baseline.ts): the campaign's BaselineParams, simulated, which extraction rule found the code
 *   (absent before it was recorded), preambleAdded;
 * - EG-CFG (activities/egcfg/finish-steps.ts): method 'eg-cfg', agent, gamma, seed, the generation's config
 *   (egcfg_generations.config, kept as written), simulated, stopReason;
 * - BTP beams (activities/btp/sample-beams.ts): the decoding, n and the sampling options.
 * All: codeHadNul when the program had NUL (stored as U+FFFD; its verdict is the original's).
 * Loose: the EG-CFG generation's config, and options a method records, are kept as written.
 */
export const sampleParamsSchema = z.looseObject({
  method: z.literal('eg-cfg').optional(),
  agent: z.string().optional(),
  gamma: z.number().optional(),
  seed: z.number().optional(),
  stopReason: z.string().optional(),
  decoding: z.string().optional(),
  n: z.number().int().optional(),
  promptType: z.string().optional(),
  promptFormat: z.string().optional(),
  temperature: z.number().optional(),
  topP: z.number().optional(),
  maxTokens: z.number().int().optional(),
  samplesPerProblem: z.number().int().optional(),
  possibility: z.string().optional(),
  simulated: z.boolean().optional(),
  extraction: z.string().optional(),
  preambleAdded: z.boolean().optional(),
  codeHadNul: z.boolean().optional(),
});
export type SampleParams = z.infer<typeof sampleParamsSchema>;

/** A samples row with its params validated (throws StoredShapeError naming the row). */
export function sampleOfRow<R extends { id: number; params: unknown }>(row: R): R & { params: SampleParams } {
  return { ...row, params: parseStored(sampleParamsSchema, row.params, { table: 'samples', column: 'params', id: row.id }) };
}
