// Read models of the campaign page (/ui/campaigns/{id}): score cards per dataset and protocol (pass@1, RSR vs the
// baseline, pass@k where a problem has several scored samples), the campaign's cost, the problems table (sorted,
// filtered, searched and paginated in SQL, so that a 5,000-problem campaign stays fast), the EG-CFG winner counts and
// lines per solution, and the latest events (the BTP read models are in ./btp-views.ts). Every row read back is checked with zod.
import { z } from '@hono/zod-openapi';
import { and, asc, desc, eq, sql, type SQL } from 'drizzle-orm';
import { campaignPassAt1, type DatasetPassAt1 } from '../campaigns/service.ts';
import { meanPassAtK } from '../core/metrics.ts';
import { eventOfRow } from '../core/stored/events.ts';
import type { Database } from '../db/client.ts';
import { egcfgGenerations, egcfgSteps, events, executions, problems, results, samples, summaries } from '../db/schema/index.ts';

const num = z.coerce.number();
const numOrNull = z.coerce.number().nullable();

// ---- Score cards ----

export const ScoreCardSchema = z.object({
  dataset: z.string(), protocol: z.string(), problems: z.number().int(), passed: z.number().int(), errors: z.number().int(),
  passAt1: z.number().nullable(),
  /** RSR against the baseline campaign's pass@1 (summaries.rsr), when the campaign named one. */
  rsr: z.number().nullable(), baselineCampaignId: z.string().nullable(),
  /** Unbiased pass@k over the problems' scored samples, for the k that fit (only where problems have several). */
  passAtK: z.array(z.object({ k: z.number().int(), value: z.number() })),
}).openapi('ScoreCard');
export type ScoreCard = z.infer<typeof ScoreCardSchema>;

const summaryRow = z.object({ dataset: z.string(), protocol: z.string(), rsr: z.number().nullable(), baselineCampaignId: z.string().nullable() });
const sampleCountRow = z.object({ n: num, c: num });

/** `known`: the campaign's pass@1 rows when the caller has read them already (the campaign page has). */
export async function scoreCards(db: Database, campaignId: string, known?: DatasetPassAt1[]): Promise<ScoreCard[]> {
  const [passAt1, sums, perProblem] = await Promise.all([
    known ?? campaignPassAt1(db, campaignId),
    db.select({ dataset: summaries.dataset, protocol: summaries.protocol, rsr: summaries.rsr, baselineCampaignId: summaries.baselineCampaignId })
      .from(summaries).where(eq(summaries.campaignId, campaignId)),
    // Samples scored on the evaluation suite, per problem: n and c of the unbiased estimator.
    db.select({ n: sql`count(*)`, c: sql`count(*) filter (where ${executions.passed})` }).from(samples)
      .innerJoin(executions, and(eq(executions.sampleId, samples.id), eq(executions.suite, 'eval')))
      .where(eq(samples.campaignId, campaignId)).groupBy(samples.problemId),
  ]);
  const summary = z.array(summaryRow).parse(sums);
  const counts = z.array(sampleCountRow).parse(perProblem);
  const minN = counts.length ? Math.min(...counts.map((r) => r.n)) : 0;
  const ks = [2, 5, 10, 100].filter((k) => k <= minN);
  const passAtK = ks.map((k) => ({ k, value: meanPassAtK(counts, k) ?? 0 }));
  return passAt1.map((r) => {
    const s = summary.find((x) => x.dataset === r.dataset && x.protocol === r.protocol);
    return { ...r, rsr: s?.rsr ?? null, baselineCampaignId: s?.baselineCampaignId ?? null, passAtK: r.protocol === 'default' ? passAtK : [] };
  });
}

// ---- Cost ----

export const CampaignCostSchema = z.object({
  modelCalls: z.number(), promptTokens: z.number(), completionTokens: z.number(),
  /** Seconds of sandboxed runs (the sum of their durations: scoring runs, and EG-CFG's traced candidate runs). */
  sandboxSeconds: z.number(), sandboxRuns: z.number(),
  solved: z.number().int(),
  perSolved: z.object({ modelCalls: z.number(), promptTokens: z.number(), completionTokens: z.number(), sandboxSeconds: z.number() }).nullable(),
}).openapi('CampaignCost');
export type CampaignCost = z.infer<typeof CampaignCostSchema>;

const costRow = z.object({ calls: num, prompt: num, completion: num, runs: num, ms: num });

export async function campaignCost(db: Database, campaignId: string, method: string): Promise<CampaignCost> {
  const model = method === 'eg-cfg'
    // EG-CFG: every step's counters (reasoning, candidate sampling, guided decoding, traced runs).
    ? db.select({
      calls: sql`coalesce(sum(${egcfgSteps.modelCalls}), 0)`, prompt: sql`coalesce(sum(${egcfgSteps.promptTokens}), 0)`,
      completion: sql`coalesce(sum(${egcfgSteps.completionTokens}), 0)`, runs: sql`coalesce(sum(${egcfgSteps.sandboxRuns}), 0)`,
      ms: sql`coalesce(sum(${egcfgSteps.sandboxMs}), 0)`,
    }).from(egcfgSteps).innerJoin(egcfgGenerations, eq(egcfgGenerations.id, egcfgSteps.generationId)).where(eq(egcfgGenerations.campaignId, campaignId))
    : db.select({
      calls: sql`coalesce(sum(${samples.modelCalls}), 0)`, prompt: sql`coalesce(sum(${samples.promptTokens}), 0)`,
      completion: sql`coalesce(sum(${samples.completionTokens}), 0)`, runs: sql`0`, ms: sql`0`,
    }).from(samples).where(eq(samples.campaignId, campaignId));
  const scoring = db.select({ calls: sql`0`, prompt: sql`0`, completion: sql`0`, runs: sql`count(*)`, ms: sql`coalesce(sum(${executions.durationMs}), 0)` })
    .from(executions).innerJoin(samples, eq(samples.id, executions.sampleId)).where(eq(samples.campaignId, campaignId));
  const solvedQuery = db.select({ n: sql`count(*)` }).from(results)
    .where(and(eq(results.campaignId, campaignId), eq(results.protocol, 'default'), eq(results.passed, true)));
  const [[m], [s], [solvedRow]] = await Promise.all([model, scoring, solvedQuery]);
  const a = costRow.parse(m);
  const b = costRow.parse(s);
  const solved = z.object({ n: num }).parse(solvedRow).n;
  const total = {
    modelCalls: a.calls, promptTokens: a.prompt, completionTokens: a.completion,
    sandboxSeconds: (a.ms + b.ms) / 1000, sandboxRuns: a.runs + b.runs,
  };
  return {
    ...total, solved,
    perSolved: solved > 0 ? {
      modelCalls: total.modelCalls / solved, promptTokens: total.promptTokens / solved,
      completionTokens: total.completionTokens / solved, sandboxSeconds: total.sandboxSeconds / solved,
    } : null,
  };
}

// ---- The problems table ----

export const problemSorts = ['task', 'verdict', 'status', 'tests', 'gamma', 'agent'] as const;
export const ProblemsQuerySchema = z.object({
  sort: z.enum(problemSorts).default('task').openapi({ description: 'task = dataset order' }),
  dir: z.enum(['asc', 'desc']).default('asc'),
  verdict: z.enum(['passed', 'failed', 'error']).optional(),
  error: z.string().max(200).optional().openapi({ description: "problems whose error message contains this text ('error' verdicts)" }),
  gamma: z.coerce.number().min(0).max(100).optional().openapi({ description: 'EG-CFG: the γ of the winning generation' }),
  agent: z.string().max(200).optional().openapi({ description: 'EG-CFG: the winning agent' }),
  q: z.string().max(200).optional().openapi({ description: 'task ids that contain this text' }),
  protocol: z.string().min(1).max(50).default('default'),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  per: z.coerce.number().int().min(1).max(500).default(50),
});
export type ProblemsQuery = z.infer<typeof ProblemsQuerySchema>;

export const ProblemRowSchema = z.object({
  taskId: z.string(), passed: z.boolean(), status: z.string(), testsPassed: z.number().int().nullable(), testsTotal: z.number().int().nullable(),
  agent: z.string().nullable(), gamma: z.number().nullable(), error: z.string().nullable(),
}).openapi('ProblemRow');
export const ProblemsPageSchema = z.object({
  rows: z.array(ProblemRowSchema), total: z.number().int(), page: z.number().int(), per: z.number().int(), pages: z.number().int(),
}).openapi('ProblemsPage');
export type ProblemsPage = z.infer<typeof ProblemsPageSchema>;

const problemRow = ProblemRowSchema.extend({ gamma: numOrNull, total: num, testsPassed: numOrNull, testsTotal: numOrNull });

const winnerAgent = sql`${results.detail}->'winner'->>'agent'`;
const winnerGamma = sql`(${results.detail}->'winner'->>'gamma')::float8`;
const errorMessage = sql`${results.detail}->>'message'`;

function sortColumn(sort: ProblemsQuery['sort']): SQL | typeof problems.id {
  switch (sort) {
    case 'task': return problems.id;
    case 'verdict': return sql`${results.passed}`;
    case 'status': return sql`${results.status}`;
    case 'tests': return sql`${executions.testsPassed}`;
    case 'gamma': return winnerGamma;
    case 'agent': return winnerAgent;
  }
}

export async function problemsPage(db: Database, campaignId: string, q: ProblemsQuery): Promise<ProblemsPage> {
  const conditions = [
    eq(results.campaignId, campaignId), eq(results.protocol, q.protocol),
    q.verdict === 'passed' ? eq(results.passed, true) : undefined,
    q.verdict === 'failed' ? and(eq(results.passed, false), sql`${results.status} <> 'error'`) : undefined,
    q.verdict === 'error' ? eq(results.status, 'error') : undefined,
    q.error ? sql`strpos(lower(coalesce(${errorMessage}, '')), lower(${q.error})) > 0` : undefined,
    q.gamma !== undefined ? sql`${winnerGamma} = ${q.gamma}` : undefined,
    q.agent ? sql`${winnerAgent} = ${q.agent}` : undefined,
    q.q ? sql`strpos(lower(${problems.taskId}), lower(${q.q})) > 0` : undefined,
  ].filter((c) => c !== undefined);
  const order = q.dir === 'desc' ? desc(sortColumn(q.sort)) : asc(sortColumn(q.sort));
  const raw = await db.select({
    taskId: problems.taskId, passed: results.passed, status: results.status,
    testsPassed: executions.testsPassed, testsTotal: executions.testsTotal,
    agent: sql`${winnerAgent}`, gamma: sql`${winnerGamma}`, error: sql`${errorMessage}`, total: sql`count(*) over ()`,
  }).from(results)
    .innerJoin(problems, eq(problems.id, results.problemId))
    .leftJoin(executions, and(eq(executions.sampleId, results.sampleId), eq(executions.suite, 'eval')))
    .where(and(...conditions))
    .orderBy(order, asc(problems.id))
    .limit(q.per).offset((q.page - 1) * q.per);
  const parsed = z.array(problemRow).parse(raw);
  const total = parsed[0]?.total ?? (q.page > 1 ? await countProblems(db, conditions) : 0);
  return {
    rows: parsed.map(({ total: _total, ...r }) => r), total, page: q.page, per: q.per, pages: Math.max(1, Math.ceil(total / q.per)),
  };
}

async function countProblems(db: Database, conditions: SQL[]): Promise<number> {
  const [row] = await db.select({ n: sql`count(*)` }).from(results).innerJoin(problems, eq(problems.id, results.problemId)).where(and(...conditions));
  return z.object({ n: num }).parse(row).n;
}

// ---- EG-CFG winners and solution lengths ----

export const WinCountSchema = z.object({ agent: z.string().nullable(), gamma: z.number().nullable(), wins: z.number().int() });
export type WinCount = z.infer<typeof WinCountSchema>;

/** Problems solved per winning (agent, γ) under the default protocol. */
export async function winCounts(db: Database, campaignId: string): Promise<WinCount[]> {
  const raw = await db.select({ agent: sql`${winnerAgent}`, gamma: sql`${winnerGamma}`, wins: sql`count(*)` }).from(results)
    .where(and(eq(results.campaignId, campaignId), eq(results.protocol, 'default'), eq(results.passed, true)))
    .groupBy(winnerAgent, winnerGamma).orderBy(winnerGamma, winnerAgent);
  return z.array(WinCountSchema.extend({ gamma: numOrNull, wins: num })).parse(raw);
}

/** Distinct winning agents and γ values (the filter's choices), from the win counts. */
export function choicesOf(wins: WinCount[]): { agents: string[]; gammas: number[] } {
  return {
    agents: [...new Set(wins.map((w) => w.agent).filter((a): a is string => a !== null))].sort(),
    gammas: [...new Set(wins.map((w) => w.gamma).filter((g): g is number => g !== null))].sort((a, b) => a - b),
  };
}

/** Non-empty lines of each solved problem's scored program (default protocol). */
export async function solutionLines(db: Database, campaignId: string): Promise<number[]> {
  const raw = await db.select({ code: samples.code }).from(results).innerJoin(samples, eq(samples.id, results.sampleId))
    .where(and(eq(results.campaignId, campaignId), eq(results.protocol, 'default'), eq(results.passed, true)));
  return z.array(z.object({ code: z.string() })).parse(raw).map((r) => r.code.split('\n').filter((l) => l.trim() !== '').length);
}

// ---- Events ----

/** The latest `limit` events in id order (the page shows these; the live stream continues after the last one). */
export async function latestEvents(db: Database, campaignId: string, limit = 300) {
  const rows = await db.select().from(events).where(eq(events.campaignId, campaignId)).orderBy(desc(events.id)).limit(limit);
  return rows.reverse().map(eventOfRow);
}
