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
//
// Which selection the search used is the campaign's --protocol (core/egcfg/protocol.ts): under 'strict' (default) a
// problem stops at the first program that passes the visible tests; under 'paper' at the first that passes the
// authors' evaluation tests (HumanEval: check(), as their session manager does; MBPP: test_list, the same asserts).
// A verdict whose selection was not the search's is marked: paper rows say `asAuthors: false` (their selection and
// scoring are only reproduced under --protocol paper, except for MBPP where both coincide), strict rows say
// `contaminated: true` under --protocol paper. HumanEval rows carry `visibleTests` {count, canonicalFails}: the
// campaign summary counts the problems without docstring examples and those whose examples are wrong.
import { and, asc, eq, sql } from 'drizzle-orm';
import { promptsLabelText } from '../../core/prompts/authors.ts';
import { buildEvaluation, type Problem } from '../../core/datasets/index.ts';
import { auditVisibleTests, paperSelectionMatches, type SelectionSuite, type VisibleTestAudit } from '../../core/egcfg/protocol.ts';
import { baselineMismatch, rsrOnCommonProblems } from '../../core/metrics.ts';
import { campaigns, egcfgGenerations, egcfgSteps, problems, results, summaries } from '../../db/schema/index.ts';
import type { Database } from '../../db/client.ts';
import type { EgcfgCampaignSummary, EgcfgCostSummary, EgcfgProblemOutcome, EgcfgProtocolSummary } from '../../core/contracts.ts';
import type { ActivityDeps } from '../deps.ts';
import { storeActivities } from '../store.ts';
import { problemOfRow } from '../problem-row.ts';
import { executeOnce } from './generation.ts';
import { stepSums } from './step-sums.ts';
import { guidanceLossCounts, linesCappedCount } from './guidance-loss.ts';
import { campaignConfigSchema } from '../../campaigns/options/stored.ts';
import { storedOfRow } from '../stored-row.ts';
import { resultDetailSchema } from '../../core/stored/result-detail.ts';

type GenerationRow = typeof egcfgGenerations.$inferSelect;

/** The first finished generation with the most visible tests passed (ties: grid order, then γ order). */
function bestVisible(finished: GenerationRow[]): GenerationRow | undefined {
  let best: GenerationRow | undefined;
  for (const g of finished) if (!best || (g.visiblePassed ?? 0) > (best.visiblePassed ?? 0)) best = g;
  return best;
}

/** The paper verdict of one problem (see the file comment); `asAuthors`: the search used the authors' selection suite. */
async function paperVerdict(deps: ActivityDeps, problem: Problem, winner: GenerationRow | undefined, saved: GenerationRow[], asAuthors: boolean) {
  const et = problem.dataset.endsWith('-et');
  const notAuthors = asAuthors ? '' : " (not the authors' selection: their run stops at the first program that passes the evaluation tests; run with --protocol paper)";
  if (et || problem.io !== undefined) {
    const note = et ? 'ET: any saved solution passes the ET asserts'
      : 'CodeContests: any saved solution passes the private + generated tests (15 s per test, as the authors)';
    for (const g of saved) {
      if ((await executeOnce(deps, g.sampleId!, et ? 'et' : 'eval-paper')).passed) return { passed: true, sampleId: g.sampleId, note: note + notAuthors };
    }
    return { passed: false, sampleId: null, note: note + notAuthors };
  }
  if (winner?.sampleId == null) return { passed: false, sampleId: null, note: 'no generation passed the selection tests' + notAuthors };
  const passed = (await executeOnce(deps, winner.sampleId, 'eval')).passed;
  const note = problem.dataset === 'mbpp' ? 'MBPP: the winner on the test_list asserts (selection = scoring)'
    : asAuthors ? 'HumanEval: the first program that passed check(), scored on check()' : 'HumanEval: the winner on check()';
  return { passed, sampleId: winner.sampleId, note: note + notAuthors };
}

/**
 * HumanEval's docstring-derived visible tests of one problem, audited: how many there are and whether the canonical
 * solution fails one of them (a wrong expected value in the docstring). One sandbox run; nothing for other datasets.
 */
async function visibleTestFacts(deps: ActivityDeps, problem: Problem): Promise<{ count: number; canonicalFails: boolean } | null> {
  if (problem.promptCode === undefined || problem.io !== undefined) return null;
  const count = problem.visibleTests.length;
  if (count === 0) return { count, canonicalFails: false };
  const evaluation = buildEvaluation(problem, problem.canonicalSolution, 'visible');
  const sandbox = await deps.sandbox();
  const r = await sandbox.run({ program: evaluation.program, tests: evaluation.tests, mode: 'verdict' });
  return { count, canonicalFails: !r.passed };
}

export function egcfgEvaluateActivities(deps: ActivityDeps) {
  const { db } = deps;
  const store = storeActivities(db);

  return {
    /**
     * Score one problem under both protocols and record the verdicts. Sandbox queue. `selectionSuite`: what the search
     * stopped on (absent = the visible tests); the protocol whose selection it was is exact, the other one is marked.
     */
    async egcfgEvaluateProblem(input: {
      campaignId: string; problemId: number; winnerGenerationId: number | null; selectionSuite?: SelectionSuite;
    }): Promise<EgcfgProblemOutcome> {
      const [p] = await db.select({ problem: problems.problem }).from(problems).where(eq(problems.id, input.problemId));
      const problem = problemOfRow(p?.problem, input.problemId);
      const searchSuite = input.selectionSuite ?? 'visible';
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
      const visibleTests = await visibleTestFacts(deps, problem);
      const audit = visibleTests === null ? {} : { visibleTests };

      const paperAsAuthors = paperSelectionMatches(problem.dataset, searchSuite);
      const paper = await paperVerdict(deps, problem, winner, saved, paperAsAuthors);

      // strict: chosen on the visible tests only. When the search stopped on hidden tests (--protocol paper), the
      // winner is not a visible-test choice: the best finished generation on the visible tests is, and the verdict is
      // marked `contaminated` (which generations ran at all depended on the hidden tests).
      const finished = gens.filter((g) => g.sampleId !== null && (g.status === 'passed' || g.status === 'failed'));
      const contaminated = searchSuite !== 'visible';
      const selected = !contaminated && winner?.sampleId != null ? winner : bestVisible(finished);
      const strictSuite = problem.dataset.endsWith('-et') ? 'et' : 'eval';
      const strict = selected ? (await executeOnce(deps, selected.sampleId!, strictSuite)).passed : false;
      const strictDetail = {
        suite: strictSuite, selected: selected ? { agent: selected.agent, gamma: selected.gamma, generationId: selected.id, byWinner: selected === winner } : null,
        winner: winnerInfo, cost, ...counts, selection: searchSuite, ...(contaminated ? { contaminated: true } : {}), ...audit,
      };
      await store.recordResult({
        campaignId: input.campaignId, problemId: input.problemId, protocol: 'paper', sampleId: paper.sampleId, passed: paper.passed,
        status: paper.passed ? 'passed' : 'failed',
        detail: { note: paper.note, winner: winnerInfo, cost, ...counts, selection: searchSuite, asAuthors: paperAsAuthors, ...audit },
      });
      await store.recordResult({
        campaignId: input.campaignId, problemId: input.problemId, protocol: 'strict', sampleId: selected?.sampleId ?? null,
        passed: strict, status: strict ? 'passed' : 'failed', detail: strictDetail,
      });
      await store.recordResult({
        campaignId: input.campaignId, problemId: input.problemId, protocol: 'default', sampleId: selected?.sampleId ?? null,
        passed: strict, status: strict ? 'passed' : 'failed', detail: { sameAs: 'strict', ...strictDetail },
      });
      return { problemId: input.problemId, paper: paper.passed, strict, winner: winnerInfo };
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
      const baseline = input.baselineCampaignId ? await baselineVerdicts(db, input.baselineCampaignId, campaign) : null;
      const protocols: EgcfgProtocolSummary[] = [];
      for (const protocol of ['paper', 'strict', 'default'] as const) {
        const s = await store.summarizeCampaign({ campaignId: input.campaignId, protocol });
        // RSR on the problems both campaigns scored (issue 11 item 11), not this campaign's pass@1 against the
        // baseline's over all of its problems.
        const common = baseline === null || baseline.mismatch !== null ? null : rsrOnCommonProblems(await verdictsOf(db, input.campaignId, protocol), baseline.verdicts);
        const r = common?.rsr ?? null;
        await db.update(summaries).set({ baselineCampaignId: input.baselineCampaignId ?? null, rsr: r })
          .where(and(eq(summaries.campaignId, input.campaignId), eq(summaries.protocol, protocol)));
        if (protocol !== 'default') {
          protocols.push({
            protocol, problems: s.problems, passed: s.passed, passAt1: s.passAt1, rsr: r, baselinePassAt1: common?.baselinePassAt1 ?? null,
            ...(baseline !== null ? { rsrProblems: common?.problems ?? 0, rsrPassAt1: common?.passAt1 ?? null } : {}),
            ...(baseline?.mismatch ? { rsrNote: baseline.mismatch } : {}),
          });
        }
      }
      const paper = protocols[0]!;
      const cost = await campaignCost(db, input.campaignId, paper.problems, paper.passed);
      const config = storedOfRow(campaignConfigSchema, campaign.config, { table: 'campaigns', column: 'config', id: campaign.id });
      const selectionProtocol = config.protocol ?? 'strict';
      const egcfgPath = config.egcfgPath ?? 'endpoint';
      const prompts = promptsLabelText(config.prompts);
      const promptFormat = config.promptFormat ?? 'raw';
      return {
        campaignId: input.campaignId, dataset: campaign.dataset, problems: paper.problems, passed: paper.passed,
        passAt1: paper.passAt1, model: campaign.model, simulated: campaign.simulated, method: 'eg-cfg', protocols,
        baselineCampaignId: input.baselineCampaignId ?? null, cost, selectionProtocol, egcfgPath, prompts, promptFormat,
        visibleTests: campaign.dataset.startsWith('humaneval') ? await visibleTestAudit(db, input.campaignId) : null,
      };
    },
  };
}

/** Verdicts of a campaign under one protocol, keyed by problem id (errors count as not passed, as in pass@1). */
async function verdictsOf(db: Database, campaignId: string, protocol: string): Promise<Map<number, boolean>> {
  const rows = await db.select({ problemId: results.problemId, passed: results.passed }).from(results)
    .where(and(eq(results.campaignId, campaignId), eq(results.protocol, protocol)));
  return new Map(rows.map((r) => [r.problemId, r.passed]));
}

/**
 * The baseline campaign's default verdicts, or why it cannot be this campaign's baseline (another dataset or model;
 * the start refuses such a baseline, this guards campaigns started before that check).
 */
async function baselineVerdicts(db: Database, baselineId: string, campaign: { dataset: string; model: string }) {
  const [b] = await db.select({ id: campaigns.id, dataset: campaigns.dataset, model: campaigns.model }).from(campaigns).where(eq(campaigns.id, baselineId));
  const mismatch = b === undefined ? `baseline campaign ${baselineId} not found` : baselineMismatch(campaign, b);
  return { mismatch, verdicts: mismatch === null ? await verdictsOf(db, baselineId, 'default') : new Map<number, boolean>() };
}

/** The docstring-test audit of a HumanEval campaign's problems, from the `visibleTests` facts of its paper rows. */
async function visibleTestAudit(db: Database, campaignId: string): Promise<VisibleTestAudit> {
  const rows = await db.select({ id: results.id, taskId: problems.taskId, detail: results.detail }).from(results)
    .innerJoin(problems, eq(problems.id, results.problemId))
    .where(and(eq(results.campaignId, campaignId), eq(results.protocol, 'paper')))
    .orderBy(asc(problems.id));
  const facts = rows.flatMap((r) => {
    const v = storedOfRow(resultDetailSchema, r.detail, { table: 'results', column: 'detail', id: r.id }).visibleTests;
    return v === undefined ? [] : [{ taskId: r.taskId, visibleTests: v.count, canonicalFailsVisible: v.canonicalFails }];
  });
  return auditVisibleTests(facts);
}

/** Everything one problem cost, over all its generations (cancelled ones included). */
async function problemCost(db: Database, campaignId: string, problemId: number) {
  const [row] = await db.select(stepSums).from(egcfgSteps)
    .innerJoin(egcfgGenerations, eq(egcfgGenerations.id, egcfgSteps.generationId))
    .where(and(eq(egcfgGenerations.campaignId, campaignId), eq(egcfgGenerations.problemId, problemId)));
  return row!;
}

async function campaignCost(db: Database, campaignId: string, problemsCount: number, solved: number): Promise<EgcfgCostSummary> {
  const [row] = await db.select({ ...stepSums, ...guidanceLossCounts, ...linesCappedCount }).from(egcfgSteps)
    .innerJoin(egcfgGenerations, eq(egcfgGenerations.id, egcfgSteps.generationId))
    .where(eq(egcfgGenerations.campaignId, campaignId));
  const [g] = await db.select({
    n: sql<number>`count(*)`.mapWith(Number),
    cancelled: sql<number>`count(*) filter (where ${egcfgGenerations.status} = 'cancelled')`.mapWith(Number),
    costCapped: sql<number>`count(*) filter (where ${egcfgGenerations.stopReason} = 'cost_cap')`.mapWith(Number),
  }).from(egcfgGenerations).where(eq(egcfgGenerations.campaignId, campaignId));
  const { signalsFitted, signalsEmptied, overflowSteps, linesCapped, ...t } = row!;
  const per = (d: number) => (d > 0 ? {
    modelCalls: t.modelCalls / d, promptTokens: t.promptTokens / d, completionTokens: t.completionTokens / d, sandboxRuns: t.sandboxRuns / d,
  } : null);
  return {
    generations: g?.n ?? 0, cancelledGenerations: g?.cancelled ?? 0, ...t,
    perProblem: per(problemsCount), perSolvedProblem: per(solved), guidanceLoss: { signalsFitted, signalsEmptied, overflowSteps },
    costCaps: { linesCapped, generationsCapped: g?.costCapped ?? 0 },
  };
}
