// results.detail as stored: what a verdict records beside passed/status, per writer, as a zod schema. The column's
// type is inferred from it (db/schema/core.ts) and every read goes through parseStored, so a row that is not a
// verdict's detail fails naming the row.
import { z } from 'zod';
import { parseStored } from './parse.ts';

const pickedSchema = z.looseObject({ agent: z.string(), gamma: z.number(), generationId: z.number().int() });

/**
 * One loose object for every writer, every field optional (a row has its writer's; the column's default and the
 * tests' fixtures `{}`), none defaulted:
 * - a problem that ended in error (workflows/campaign.ts, activities/baseline-batch.ts, egcfgRecordProblemError): message;
 * - a baseline verdict (core/baseline-result.ts): the sandbox's verdict, its test counts and, for pass@k, the samples
 *   and how many were correct (core/metrics.ts SampleCountsSchema);
 * - an EG-CFG verdict (activities/egcfg/evaluate.ts): the winner, the selected generation (strict), the cost, the
 *   generation counts, the selection suite, the paper note and asAuthors, contaminated, the visible-test audit, and
 *   the default protocol's sameAs.
 * Loose: the cost sums and an older row's extra facts are kept as written.
 */
export const resultDetailSchema = z.looseObject({
  message: z.string().optional(),
  verdict: z.string().optional(),
  testsPassed: z.number().int().optional(),
  testsTotal: z.number().int().optional(),
  samples: z.number().int().optional(),
  correct: z.number().int().optional(),
  note: z.string().optional(),
  suite: z.string().optional(),
  winner: pickedSchema.nullable().optional(),
  selected: pickedSchema.extend({ byWinner: z.boolean() }).partial({ byWinner: true }).nullable().optional(),
  cost: z.record(z.string(), z.unknown()).optional(),
  generations: z.number().int().optional(),
  cancelled: z.number().int().optional(),
  failedVisible: z.number().int().optional(),
  errors: z.number().int().optional(),
  selection: z.string().optional(),
  asAuthors: z.boolean().optional(),
  contaminated: z.boolean().optional(),
  visibleTests: z.object({ count: z.number().int(), canonicalFails: z.boolean() }).optional(),
  sameAs: z.literal('strict').optional(),
});
export type ResultDetail = z.infer<typeof resultDetailSchema>;

/** A results row with its detail validated (throws StoredShapeError naming the row). */
export function resultOfRow<R extends { id: number; detail: unknown }>(row: R): R & { detail: ResultDetail } {
  return { ...row, detail: parseStored(resultDetailSchema, row.detail, { table: 'results', column: 'detail', id: row.id }) };
}
