// Scoring of an EG-CFG problem under the two protocols, and the campaign summary (pass@1, RSR, cost).
//
// paper  (spec §5, how the authors report): the program is the first one that passed the visible tests (the winner).
//        MBPP: passed = the winner passes the eval asserts (the same asserts as the visible ones). HumanEval: the
//        winner passes the official check(). -ET datasets: passed = ANY saved solution of the problem (every agent,
//        every γ, cancelled ones included when they had finished) passes the ET asserts. CodeContests (the authors'
//        eval_et.py, a task is solved when any of its saved solutions passes): passed = ANY saved solution passes the
//        private + generated tests, with the authors' per-test limit (15 s; suite 'eval-paper').
// strict: one final program per problem, chosen on the visible tests only (the winner; with no winner, the finished
//        generation with the most visible tests passed, ties broken by grid order then γ order), scored once on the
//        hidden tests: ET asserts for -ET datasets, eval tests (MBPP test_list / HumanEval check) otherwise.
// `default` holds the strict verdict too, so tools that read the default protocol see the honest number.
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Problem } from '../../core/datasets/index.ts';
import { rsr } from '../../core/metrics.ts';
import { campaigns, egcfgGenerations, egcfgSteps, problems, results, summaries } from '../../db/schema/index.ts';
import type { Database } from '../../db/client.ts';
import type { EgcfgCampaignSummary, EgcfgCostSummary, EgcfgProblemOutcome, EgcfgProtocolSummary } from '../../core/contracts.ts';
import type { ActivityDeps } from '../deps.ts';
import { storeActivities } from '../store.ts';
import { executeOnce } from './generation.ts';

export function egcfgEvaluateActivities(deps: ActivityDeps) {
  const { db } = deps;
  const store = storeActivities(db);

  return {
    /** Score one problem under both protocols and record the verdicts. Sandbox queue. */
    async egcfgEvaluateProblem(input: { campaignId: string; problemId: number; winnerGenerationId: number | null }): Promise<EgcfgProblemOutcome> {
      const [p] = await db.select({ problem: problems.problem }).from(problems).where(eq(problems.id, input.problemId));
      const problem = p!.problem as unknown as Problem;
      const et = problem.dataset.endsWith('-et');
      const contest = problem.io !== undefined;
      const gens = await db.select().from(egcfgGenerations)
        .where(and(eq(egcfgGenerations.campaignId, input.campaignId), eq(egcfgGenerations.problemId, input.problemId)))
        .orderBy(asc(egcfgGenerations.agentIndex), asc(egcfgGenerations.gammaIndex), asc(egcfgGenerations.attempt));
      const winner = input.winnerGenerationId === null ? undefined : gens.find((g) => g.id === input.winnerGenerationId);
      const saved = gens.filter((g) => g.sampleId !== null);
      const cost = await problemCost(db, input.campaignId, input.problemId);
      const counts = {
        generations: gens.length,
        cancelled: gens.filter((g) => g.status === 'cancelled').length,
        failedVisible: gens.filter((g) => g.status === 'failed').length,
        errors: gens.filter((g) => g.status === 'error').length,
      };
      const winnerInfo = winner ? { agent: winner.agent, gamma: winner.gamma, generationId: winner.id } : null;

      // paper
      let paper = false;
      let paperSample: number | null = winner?.sampleId ?? null;
      let paperNote: string;
      if (et || contest) {
        paperNote = et ? 'ET: any saved solution passes the ET asserts'
          : 'CodeContests: any saved solution passes the private + generated tests (15 s per test, as the authors)';
        paperSample = null;
        for (const g of saved) {
          if ((await executeOnce(deps, g.sampleId!, et ? 'et' : 'eval-paper')).passed) { paper = true; paperSample = g.sampleId; break; }
        }
      } else if (winner?.sampleId != null) {
        paper = (await executeOnce(deps, winner.sampleId, 'eval')).passed;
        paperNote = problem.dataset === 'mbpp' ? 'MBPP: the winner on the visible asserts (= eval asserts)' : 'HumanEval: the winner on check()';
      } else {
        paperNote = 'no generation passed the visible tests';
      }

      // strict
      const finished = gens.filter((g) => g.sampleId !== null && (g.status === 'passed' || g.status === 'failed'));
      let selected = winner?.sampleId != null ? winner : undefined;
      if (!selected) {
        for (const g of finished) if (!selected || (g.visiblePassed ?? 0) > (selected.visiblePassed ?? 0)) selected = g;
      }
      const strictSuite = et ? 'et' : 'eval';
      const strict = selected ? (await executeOnce(deps, selected.sampleId!, strictSuite)).passed : false;
      const strictDetail = {
        suite: strictSuite, selected: selected ? { agent: selected.agent, gamma: selected.gamma, generationId: selected.id, byWinner: selected === winner } : null,
        winner: winnerInfo, cost, ...counts,
      };
      await store.recordResult({
        campaignId: input.campaignId, problemId: input.problemId, protocol: 'paper', sampleId: paperSample, passed: paper,
        status: paper ? 'passed' : 'failed', detail: { note: paperNote, winner: winnerInfo, cost, ...counts },
      });
      await store.recordResult({
        campaignId: input.campaignId, problemId: input.problemId, protocol: 'strict', sampleId: selected?.sampleId ?? null,
        passed: strict, status: strict ? 'passed' : 'failed', detail: strictDetail,
      });
      await store.recordResult({
        campaignId: input.campaignId, problemId: input.problemId, protocol: 'default', sampleId: selected?.sampleId ?? null,
        passed: strict, status: strict ? 'passed' : 'failed', detail: { sameAs: 'strict', ...strictDetail },
      });
      return { problemId: input.problemId, paper, strict, winner: winnerInfo };
    },

    /** A problem whose workflow failed: recorded as an error under every protocol. Default queue. */
    async egcfgRecordProblemError(input: { campaignId: string; problemId: number; message: string }): Promise<void> {
      for (const protocol of ['paper', 'strict', 'default']) {
        await store.recordResult({
          campaignId: input.campaignId, problemId: input.problemId, protocol, sampleId: null, passed: false, status: 'error',
          detail: { message: input.message },
        });
      }
    },

    /** pass@1 per protocol, RSR vs the baseline campaign, and the cost per problem and per solved problem. Default queue. */
    async egcfgSummarizeCampaign(input: { campaignId: string; baselineCampaignId?: string }): Promise<EgcfgCampaignSummary> {
      const [campaign] = await db.select().from(campaigns).where(eq(campaigns.id, input.campaignId));
      if (!campaign) throw new Error(`unknown campaign ${input.campaignId}`);
      let baselineAcc: number | null = null;
      if (input.baselineCampaignId) {
        const [b] = await db.select({
          n: sql<number>`count(*)`.mapWith(Number),
          passed: sql<number>`count(*) filter (where ${results.passed})`.mapWith(Number),
        }).from(results).where(and(eq(results.campaignId, input.baselineCampaignId), eq(results.protocol, 'default')));
        if (b && b.n > 0) baselineAcc = b.passed / b.n;
      }
      const protocols: EgcfgProtocolSummary[] = [];
      for (const protocol of ['paper', 'strict', 'default'] as const) {
        const s = await store.summarizeCampaign({ campaignId: input.campaignId, protocol });
        const r = baselineAcc === null ? null : rsr(100 * s.passAt1, 100 * baselineAcc);
        await db.update(summaries).set({ baselineCampaignId: input.baselineCampaignId ?? null, rsr: r })
          .where(and(eq(summaries.campaignId, input.campaignId), eq(summaries.protocol, protocol)));
        if (protocol !== 'default') {
          protocols.push({ protocol, problems: s.problems, passed: s.passed, passAt1: s.passAt1, rsr: r, baselinePassAt1: baselineAcc });
        }
      }
      const paper = protocols[0]!;
      const cost = await campaignCost(db, input.campaignId, paper.problems, paper.passed);
      return {
        campaignId: input.campaignId, dataset: campaign.dataset, problems: paper.problems, passed: paper.passed,
        passAt1: paper.passAt1, model: campaign.model, simulated: campaign.simulated, method: 'eg-cfg', protocols,
        baselineCampaignId: input.baselineCampaignId ?? null, cost,
      };
    },
  };
}

const sums = {
  modelCalls: sql<number>`coalesce(sum(${egcfgSteps.modelCalls}), 0)`.mapWith(Number),
  tokenizerCalls: sql<number>`coalesce(sum(${egcfgSteps.tokenizerCalls}), 0)`.mapWith(Number),
  promptTokens: sql<number>`coalesce(sum(${egcfgSteps.promptTokens}), 0)`.mapWith(Number),
  completionTokens: sql<number>`coalesce(sum(${egcfgSteps.completionTokens}), 0)`.mapWith(Number),
  guidedTokens: sql<number>`coalesce(sum(${egcfgSteps.guidedTokens}), 0)`.mapWith(Number),
  changedTokens: sql<number>`coalesce(sum(${egcfgSteps.changedTokens}), 0)`.mapWith(Number),
  sandboxRuns: sql<number>`coalesce(sum(${egcfgSteps.sandboxRuns}), 0)`.mapWith(Number),
  sandboxMs: sql<number>`coalesce(sum(${egcfgSteps.sandboxMs}), 0)`.mapWith(Number),
};

/** Everything one problem cost, over all its generations (cancelled ones included). */
async function problemCost(db: Database, campaignId: string, problemId: number) {
  const [row] = await db.select(sums).from(egcfgSteps)
    .innerJoin(egcfgGenerations, eq(egcfgGenerations.id, egcfgSteps.generationId))
    .where(and(eq(egcfgGenerations.campaignId, campaignId), eq(egcfgGenerations.problemId, problemId)));
  return row!;
}

async function campaignCost(db: Database, campaignId: string, problemsCount: number, solved: number): Promise<EgcfgCostSummary> {
  const [row] = await db.select(sums).from(egcfgSteps)
    .innerJoin(egcfgGenerations, eq(egcfgGenerations.id, egcfgSteps.generationId))
    .where(eq(egcfgGenerations.campaignId, campaignId));
  const [g] = await db.select({
    n: sql<number>`count(*)`.mapWith(Number),
    cancelled: sql<number>`count(*) filter (where ${egcfgGenerations.status} = 'cancelled')`.mapWith(Number),
  }).from(egcfgGenerations).where(eq(egcfgGenerations.campaignId, campaignId));
  const t = row!;
  const per = (d: number) => (d > 0 ? {
    modelCalls: t.modelCalls / d, promptTokens: t.promptTokens / d, completionTokens: t.completionTokens / d, sandboxRuns: t.sandboxRuns / d,
  } : null);
  return {
    generations: g?.n ?? 0, cancelledGenerations: g?.cancelled ?? 0, ...t,
    perProblem: per(problemsCount), perSolvedProblem: per(solved),
  };
}
