// Read models of a BTP campaign (the campaign page's BTP sections, /ui/campaigns/{id}/beams, GET /campaigns/{id}/btp
// and GET /campaigns/{id}/btp/beams): pass@1 and the adapter served per iteration (btp_iterations), each LoRA training
// run with its loss per step (training_runs.metrics.losses as the trainer wrote it, or the last step and loss while it
// runs), the replay buffer's size and P2Value distribution (buffer_entries), the training set drawn per iteration
// (training_runs.config.sampling.drawn), and the beams per problem with their pass rates and P2Values (beams).
// Every row read back is checked with zod.
import { z } from '@hono/zod-openapi';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { iterationDetailSchema, trainingMetricsSchema, trainingRunConfigSchema } from '../core/stored/btp.ts';
import { parseStored } from '../core/stored/parse.ts';
import type { Database } from '../db/client.ts';
import { beams, btpIterations, bufferEntries, campaigns, problems, results, trainingRuns } from '../db/schema/index.ts';

const num = z.coerce.number();
const optNum = z.number().nullable();
const numOr = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

// ---- Iterations ----

export const BtpIterationSchema = z.object({
  iteration: z.number().int(),
  /** The model evaluated: the base target model at iteration 0, then the adapter's served name. */
  model: z.string(),
  /** The adapter served in this iteration (its served name and folder); null for the base model. */
  adapter: z.object({ name: z.string(), path: z.string().nullable() }).nullable(),
  trainingRunId: z.number().int().nullable(),
  problems: z.number().int(), passed: z.number().int(), passAt1: z.number(),
  /** Buffer entries when the iteration was recorded. */
  bufferSize: z.number().int(),
  /** The baseline campaign that evaluated this iteration's model. */
  evalCampaignId: z.string().nullable(),
  sampledWith: z.string().nullable(), candidatesPassed: z.number().nullable(), trainingExamples: z.number().nullable(),
}).openapi('BtpIteration');
export type BtpIteration = z.infer<typeof BtpIterationSchema>;


export async function btpIterationRows(db: Database, campaignId: string): Promise<BtpIteration[]> {
  const rows = await db.select().from(btpIterations).where(eq(btpIterations.campaignId, campaignId)).orderBy(asc(btpIterations.iteration));
  return rows.map((r) => {
    const d = parseStored(iterationDetailSchema, r.detail, { table: 'btp_iterations', column: 'detail', id: r.id });
    return {
      iteration: r.iteration, model: r.model, trainingRunId: r.trainingRunId,
      adapter: r.trainingRunId === null ? null : { name: r.model, path: d.adapterPath ?? null },
      problems: r.problems, passed: r.passed, passAt1: r.passAt1, bufferSize: r.bufferSize,
      evalCampaignId: d.evalCampaignId ?? null, sampledWith: d.sampledWith ?? null,
      candidatesPassed: d.candidatesPassed ?? null, trainingExamples: d.trainingExamples ?? null,
    };
  });
}

/**
 * The problems the latest evaluation of a BTP campaign finished (its evaluation campaign's default-protocol results:
 * the running one while it runs), or null before the first evaluation campaign exists.
 */
export async function latestIterationCounts(db: Database, campaignId: string): Promise<{ done: number; passed: number; errors: number } | null> {
  const [row] = await db.select({
    done: sql`count(${results.id})`, passed: sql`count(${results.id}) filter (where ${results.passed})`,
    errors: sql`count(${results.id}) filter (where ${results.status} = 'error')`,
  }).from(campaigns).leftJoin(results, and(eq(results.campaignId, campaigns.id), eq(results.protocol, 'default')))
    .where(sql`${campaigns.config}->>'parentCampaignId' = ${campaignId} and ${campaigns.id} = (select c2.id from campaigns c2 where c2.config->>'parentCampaignId' = ${campaignId} and c2.config->>'role' = 'btp-evaluation' order by (c2.config->>'iteration')::int desc limit 1)`)
    .groupBy(campaigns.id);
  return row ? z.object({ done: num, passed: num, errors: num }).parse(row) : null;
}

// ---- Training runs and the drawn training sets ----

export const TrainingRunSchema = z.object({
  iteration: z.number().int(), status: z.string(), examples: z.number().int(), lastStep: z.number().int(), lastLoss: optNum,
  /** Training loss per optimizer step (metrics.json `losses`); empty until the run finished. */
  losses: z.array(z.number()),
  initialEvalLoss: optNum, finalEvalLoss: optNum, adapterPath: z.string().nullable(), error: z.string().nullable(),
  lora: z.object({ r: optNum, alpha: optNum, dropout: optNum, learningRate: optNum, batchSize: optNum, epochs: optNum }),
}).openapi('BtpTrainingRun');
export type TrainingRun = z.infer<typeof TrainingRunSchema>;

export const DrawnEntrySchema = z.object({
  taskId: z.string(), codeHash: z.string(), p2value: z.number(),
  /** How many of the k draws (with replacement) picked this buffer entry. */
  times: z.number().int(),
}).openapi('BtpDrawnEntry');
export const TrainingSetSchema = z.object({
  iteration: z.number().int(), kind: z.string().nullable(), alpha: optNum, k: optNum, bufferSize: optNum,
  /** Distinct entries drawn, most drawn first. */
  entries: z.array(DrawnEntrySchema),
}).openapi('BtpTrainingSet');
export type TrainingSet = z.infer<typeof TrainingSetSchema>;


export async function trainingRunRows(db: Database, campaignId: string): Promise<{ runs: TrainingRun[]; sets: TrainingSet[] }> {
  const rows = await db.select().from(trainingRuns).where(eq(trainingRuns.campaignId, campaignId)).orderBy(asc(trainingRuns.iteration));
  const configs = rows.map((r) => parseStored(trainingRunConfigSchema, r.config, { table: 'training_runs', column: 'config', id: r.id }));
  const problemIds = [...new Set(configs.flatMap((c) => (c.sampling?.drawn ?? []).map((d) => d.problemId)))];
  const taskIds = new Map<number, string>();
  if (problemIds.length) {
    const ps = await db.select({ id: problems.id, taskId: problems.taskId }).from(problems).where(inArray(problems.id, problemIds));
    for (const p of ps) taskIds.set(p.id, p.taskId);
  }
  const runs = rows.map((r, i): TrainingRun => {
    const t = configs[i]!.trainer;
    const m = parseStored(trainingMetricsSchema, r.metrics, { table: 'training_runs', column: 'metrics', id: r.id });
    const losses = m.losses ?? [];
    return {
      iteration: r.iteration, status: r.status, examples: r.examples, lastStep: r.lastStep, lastLoss: r.lastLoss, losses,
      initialEvalLoss: numOr(m.initial_eval_loss), finalEvalLoss: numOr(m.final_eval_loss), adapterPath: r.adapterPath, error: r.error,
      lora: { r: numOr(t.loraR), alpha: numOr(t.loraAlpha), dropout: numOr(t.loraDropout), learningRate: numOr(t.lr), batchSize: numOr(t.batchSize), epochs: numOr(t.epochs) },
    };
  });
  const sets = rows.map((r, i): TrainingSet => {
    const s = configs[i]!.sampling ?? {};
    const counts = new Map<string, z.infer<typeof DrawnEntrySchema>>();
    for (const d of s.drawn ?? []) {
      const key = `${d.problemId}:${d.codeHash}`;
      const e = counts.get(key) ?? { taskId: taskIds.get(d.problemId) ?? String(d.problemId), codeHash: d.codeHash, p2value: d.p2value, times: 0 };
      e.times++;
      counts.set(key, e);
    }
    const entries = [...counts.values()].sort((a, b) => b.times - a.times || b.p2value - a.p2value || a.taskId.localeCompare(b.taskId));
    return { iteration: r.iteration, kind: s.kind ?? null, alpha: s.alpha ?? null, k: s.k ?? null, bufferSize: s.bufferSize ?? null, entries };
  });
  return { runs, sets };
}

// ---- The buffer ----

export const BufferStatsSchema = z.object({
  size: z.number().int(), problems: z.number().int(), meanP2value: optNum, meanPassRate: optNum,
  /** P2Value histogram: `bins` equal-width bins over [0, 1] (the last one includes 1). */
  histogram: z.array(z.object({ from: z.number(), to: z.number(), count: z.number().int() })),
  /** Entries by the iteration that produced (or last improved) them. */
  byIteration: z.array(z.object({ iteration: z.number().int(), entries: z.number().int() })),
}).openapi('BtpBuffer');
export type BufferStats = z.infer<typeof BufferStatsSchema>;

export async function bufferStats(db: Database, campaignId: string, bins = 10): Promise<BufferStats> {
  const where = eq(bufferEntries.campaignId, campaignId);
  // Inlined integers (not parameters), so that the select and the group by are the same expression.
  const n = Math.max(1, Math.trunc(bins));
  const bin = sql`least(floor(${bufferEntries.p2value} * ${sql.raw(String(n))})::int, ${sql.raw(String(n - 1))})`;
  const [[totals], hist, byIt] = await Promise.all([
    db.select({ size: sql`count(*)`, problems: sql`count(distinct ${bufferEntries.problemId})`, p2: sql`avg(${bufferEntries.p2value})`, pass: sql`avg(${bufferEntries.passRate})` })
      .from(bufferEntries).where(where),
    db.select({ bin, n: sql`count(*)` }).from(bufferEntries).where(where).groupBy(bin),
    db.select({ iteration: bufferEntries.iteration, n: sql`count(*)` }).from(bufferEntries).where(where).groupBy(bufferEntries.iteration).orderBy(asc(bufferEntries.iteration)),
  ]);
  const t = z.object({ size: num, problems: num, p2: num.nullable(), pass: num.nullable() }).parse(totals);
  const counts = new Map(z.array(z.object({ bin: num, n: num })).parse(hist).map((h) => [h.bin, h.n]));
  return {
    size: t.size, problems: t.problems, meanP2value: t.p2, meanPassRate: t.pass,
    histogram: Array.from({ length: n }, (_, i) => ({ from: i / n, to: (i + 1) / n, count: counts.get(i) ?? 0 })),
    byIteration: z.array(z.object({ iteration: z.number().int(), n: num })).parse(byIt).map((r) => ({ iteration: r.iteration, entries: r.n })),
  };
}

// ---- The overview (GET /campaigns/{id}/btp) ----

export const BtpOverviewSchema = z.object({
  iterations: z.array(BtpIterationSchema), trainingRuns: z.array(TrainingRunSchema), buffer: BufferStatsSchema,
  trainingSets: z.array(TrainingSetSchema),
}).openapi('BtpOverview');
export type BtpOverview = z.infer<typeof BtpOverviewSchema>;

export async function btpOverview(db: Database, campaignId: string): Promise<BtpOverview> {
  const [iterations, training, buffer] = await Promise.all([btpIterationRows(db, campaignId), trainingRunRows(db, campaignId), bufferStats(db, campaignId)]);
  return { iterations, trainingRuns: training.runs, buffer, trainingSets: training.sets };
}

// ---- Beams per problem (GET /campaigns/{id}/btp/beams) ----

export const BeamsQuerySchema = z.object({
  iteration: z.coerce.number().int().min(0).max(100_000).optional().openapi({ description: 'the BTP iteration (default: the latest with beams)' }),
  q: z.string().max(200).optional().openapi({ description: 'task ids that contain this text' }),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  per: z.coerce.number().int().min(1).max(200).default(20).openapi({ description: 'problems per page' }),
});
export type BeamsQuery = z.infer<typeof BeamsQuerySchema>;

export const BeamSchema = z.object({
  beamIndex: z.number().int(), passRate: optNum, testsPassed: z.number().int().nullable(), testsTotal: z.number().int().nullable(),
  possibility: z.number(), p2value: optNum, tokenCount: z.number().int().nullable(), model: z.string(), candidate: z.string(),
}).openapi('BtpBeam');
export const BeamProblemSchema = z.object({
  taskId: z.string(), beams: z.array(BeamSchema),
  /** Beams that passed every test / the mean pass rate over the problem's beams. */
  passing: z.number().int(), meanPassRate: optNum,
}).openapi('BtpBeamProblem');
export const BeamsPageSchema = z.object({
  iteration: z.number().int().nullable(), iterations: z.array(z.number().int()),
  problems: z.array(BeamProblemSchema), total: z.number().int(), page: z.number().int(), per: z.number().int(), pages: z.number().int(),
}).openapi('BtpBeamsPage');
export type BeamsPage = z.infer<typeof BeamsPageSchema>;

export async function beamsPage(db: Database, campaignId: string, q: BeamsQuery): Promise<BeamsPage> {
  const its = await db.selectDistinct({ iteration: beams.iteration }).from(beams).where(eq(beams.campaignId, campaignId)).orderBy(asc(beams.iteration));
  const iterations = its.map((r) => r.iteration);
  const iteration = q.iteration ?? iterations.at(-1) ?? null;
  const empty = { iteration, iterations, problems: [], total: 0, page: q.page, per: q.per, pages: 1 };
  if (iteration === null) return empty;
  const where = and(eq(beams.campaignId, campaignId), eq(beams.iteration, iteration),
    q.q ? sql`strpos(lower(${problems.taskId}), lower(${q.q})) > 0` : undefined);
  // One page of problems (dataset order), then their beams.
  const pageRows = await db.select({ problemId: beams.problemId, taskId: problems.taskId, total: sql`count(*) over ()` })
    .from(beams).innerJoin(problems, eq(problems.id, beams.problemId)).where(where)
    .groupBy(beams.problemId, problems.taskId).orderBy(asc(beams.problemId)).limit(q.per).offset((q.page - 1) * q.per);
  const parsed = z.array(z.object({ problemId: z.number(), taskId: z.string(), total: num })).parse(pageRows);
  if (!parsed.length) return empty;
  const ids = parsed.map((p) => p.problemId);
  const rows = await db.select({
    problemId: beams.problemId, beamIndex: beams.beamIndex, passRate: beams.passRate, testsPassed: beams.testsPassed, testsTotal: beams.testsTotal,
    possibility: beams.possibility, p2value: beams.p2value, tokenCount: beams.tokenCount, model: beams.model, candidate: beams.candidate,
  }).from(beams).where(and(eq(beams.campaignId, campaignId), eq(beams.iteration, iteration),
    inArray(beams.problemId, ids))).orderBy(asc(beams.problemId), asc(beams.beamIndex));
  const total = parsed[0]!.total;
  return {
    iteration, iterations, total, page: q.page, per: q.per, pages: Math.max(1, Math.ceil(total / q.per)),
    problems: parsed.map((p) => {
      const bs = rows.filter((r) => r.problemId === p.problemId).map(({ problemId: _p, ...b }) => b);
      const rates = bs.map((b) => b.passRate).filter((x): x is number => x !== null);
      return {
        taskId: p.taskId, beams: bs, passing: bs.filter((b) => b.passRate === 1).length,
        meanPassRate: rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : null,
      };
    }),
  };
}
