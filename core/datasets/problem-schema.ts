// The stored form of a Problem (problems.problem, jsonb) as a zod schema: the column's type is inferred from it, and
// every read of the column back from the database goes through parseStoredProblem, so a row that is not a problem is
// an error naming the row instead of a cast that lets it through. The schema and the loader's Problem are one type
// (checked at compile time below).
import { z } from 'zod';
import { knownDatasets, type Problem } from './types.ts';

const evalTestSchema = z.object({ id: z.string(), code: z.string() });
const ioTestSchema = z.object({ id: z.string(), input: z.string(), output: z.string() });

export const ProblemSchema = z.object({
  dataset: z.enum(knownDatasets),
  taskId: z.string(),
  split: z.enum(['prompt', 'test', 'validation', 'train']),
  entryPoint: z.string(),
  statement: z.string(),
  promptCode: z.string().optional(),
  testSetupCode: z.string().optional(),
  visibleTests: z.array(z.string()),
  evalProgramTests: z.array(evalTestSchema),
  etTests: z.array(evalTestSchema).optional(),
  canonicalSolution: z.string(),
  raw: z.record(z.string(), z.unknown()),
  io: z.object({
    publicTests: z.array(ioTestSchema),
    privateTests: z.array(ioTestSchema),
    generatedTests: z.array(ioTestSchema),
    timeLimitMs: z.number().nullable(),
    memoryLimitBytes: z.number().nullable(),
    difficulty: z.number().nullable(),
  }).optional(),
});
export type StoredProblem = z.infer<typeof ProblemSchema>;

/** Compile-time: a drift between the schema and core/datasets/types.ts Problem fails tsc here. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const PROBLEM_SCHEMA_IS_PROBLEM: Same<StoredProblem, Problem> = true;

/** A problems.problem value read back from the database, validated (`what` names the row in the error). */
export function parseStoredProblem(value: unknown, what: string): Problem {
  const parsed = ProblemSchema.safeParse(value);
  if (!parsed.success) throw new Error(`${what} is not a stored problem: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
