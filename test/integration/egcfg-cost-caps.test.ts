// Cost blow-ups (issue 11 items 8 and 9), on real Temporal, Postgres and nsjail against the simulated model server:
// - a γ's reasoning tries that outlast their activity's StartToClose resume from the tries the previous attempt
//   checkpointed (heartbeat details), instead of starting again at try 0 forever;
// - --line-token-cap decodes the rest of a line unguided once the line's spend reaches the cap, and says so;
// - --problem-token-cap ends the problem's generations ('cost_cap') and bounds their reasoning tries.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { and, asc, eq } from 'drizzle-orm';
import type { SimulatedServer } from '../../activities/model/simulated-server.ts';
import type { SimulatedServerOptions } from '../../activities/model/sim-server-types.ts';
import { problemSteps } from '../../api/problem-steps.ts';
import { problemViewer } from '../../api/problem-viewer.ts';
import { parseRunOptions } from '../../campaigns/options.ts';
import { startCampaign, waitForCampaign } from '../../campaigns/service.ts';
import { knowledgeFor } from '../../cli/simulated.ts';
import { loadDataset, type Problem } from '../../core/datasets/index.ts';
import type { EgcfgCampaignSummary } from '../../core/contracts.ts';
import { lineCapRecordSchema } from '../../core/stored/egcfg-step.ts';
import { egcfgGenerations, egcfgSteps } from '../../db/schema/index.ts';
import { z } from 'zod';
import { integrationServices } from '../support/integration.ts';

/** The part of a reasoning / gamma0 step's summary read here (activities/egcfg/reasoning-tries.ts ReasoningRun). */
const reasoningSummary = z.looseObject({
  tries: z.array(z.looseObject({ seed: z.number(), accepted: z.boolean() })),
  resumedTries: z.number().optional(),
  budget: z.looseObject({ tries: z.number(), exhausted: z.string().nullable() }),
});

describe('EG-CFG cost: reasoning tries past StartToClose, line and problem token caps', { timeout: 900_000 }, () => {
  let problem: Problem;
  const svc = integrationServices({ setup: async () => { problem = (await loadDataset('mbpp', { split: 'test' }))[0]!; } });

  const ctx = () => ({ db: svc.db.db, client: svc.env.client });
  const model = (sim: SimulatedServer) => ({ kind: 'openai' as const, baseUrl: sim.url, model: 'simulated-model', simulated: true });
  /** A simulated server that knows the problem (unless `knowledge` says otherwise). */
  const server = (opts: Partial<SimulatedServerOptions> = {}) => svc.startSimulatedServer({ knowledge: knowledgeFor([problem]), ...opts });
  async function run(sim: SimulatedServer, extra: Record<string, unknown>) {
    const created = await startCampaign(ctx(), parseRunOptions({
      dataset: 'mbpp', method: 'eg-cfg', modelName: 'simulated-model', maxProblems: 1, temperature: 0.7,
      numCandidates: 2, horizon: 2, maxNewTokens: 96, ...extra,
    }), model(sim));
    const summary = await waitForCampaign(ctx(), created.campaignId) as EgcfgCampaignSummary;
    const gens = await svc.db.db.select().from(egcfgGenerations).where(eq(egcfgGenerations.campaignId, created.campaignId)).orderBy(asc(egcfgGenerations.gamma));
    const steps = async (generationId: number) => svc.db.db.select().from(egcfgSteps).where(eq(egcfgSteps.generationId, generationId)).orderBy(asc(egcfgSteps.seq));
    return { campaignId: created.campaignId, summary, gens, steps };
  }

  test('reasoning tries that outlast StartToClose resume from the checkpoint: every try once, none redone from try 0', async () => {
    // A model that always names the function differently (MBPP 11's remove_Occ → remove_occurrence): no try is
    // accepted, so all --reasoning-tries run. 1.2 s a request and a 3.6 s StartToClose: about two tries an attempt.
    const renamed = problem.canonicalSolution.replaceAll(problem.entryPoint, `${problem.entryPoint}_renamed`);
    const sim = await server({ knowledge: [{ keys: knowledgeFor([problem])[0]!.keys, solution: renamed, broken: [] }], latencyMs: 1200 });
    const { gens, steps } = await run(sim, { gammas: [0], reasoningTries: 5, stepTimeoutMin: 0.06, heartbeatTimeoutMs: 2000 });
    assert.equal(gens.length, 1);
    const [step] = await steps(gens[0]!.id);
    assert.equal(step?.kind, 'gamma0');
    const sum = reasoningSummary.parse(step.summary);
    assert.ok(step.activityAttempt >= 2, `the step was written by a retry after StartToClose (attempt ${step.activityAttempt})`);
    assert.ok((sum.resumedTries ?? 0) >= 1, `the retry took over the checkpointed tries (resumed ${String(sum.resumedTries)})`);
    assert.equal(sum.tries.length, 5, 'each of the 5 tries ran exactly once');
    assert.equal(new Set(sum.tries.map((t) => t.seed)).size, 5, 'each try has its own seed: none was redone');
    assert.ok(sum.tries.every((t) => !t.accepted));
    assert.deepEqual({ tries: sum.budget.tries, exhausted: sum.budget.exhausted }, { tries: 5, exhausted: 'tries' });
  });

  test('--line-token-cap: the line is decoded unguided from the token where its spend reached the cap, and the audit says so', async () => {
    const sim = await server({ skill: 0 });
    // Uncapped first, to see what the first guided line spends before and during its decoding.
    const free = await run(sim, { gammas: [3] });
    const freeSteps = await free.steps(free.gens[0]!.id);
    const firstGuided = freeSteps.find((s) => s.kind === 'line' && s.guidedTokens >= 3);
    assert.ok(firstGuided, 'an uncapped line with guided tokens');
    const before = freeSteps.filter((s) => s.lineIndex === firstGuided.lineIndex && s.seq < firstGuided.seq)
      .reduce((a, s) => a + s.promptTokens + s.completionTokens, 0);
    // Room for about one guided token of that line (each costs two calls), so guidance stops inside it.
    const perToken = (firstGuided.promptTokens + firstGuided.completionTokens) / firstGuided.tokenCount;
    const cap = Math.round(before + 1.5 * perToken);
    const capped = await run(sim, { gammas: [3], lineTokenCap: cap });
    const steps = await capped.steps(capped.gens[0]!.id);
    const line = steps.find((s) => s.kind === 'line' && s.lineIndex === firstGuided.lineIndex)!;
    const rec = lineCapRecordSchema.parse((line.summary as { lineCap?: unknown }).lineCap);
    assert.equal(rec.cap, cap);
    assert.equal(rec.spentBefore, before, 'the line spent the same on its signal as uncapped (same seeds)');
    assert.ok(rec.unguidedFrom >= 1 && rec.unguidedFrom < line.tokenCount, `cut inside the line (token ${rec.unguidedFrom} of ${line.tokenCount})`);
    const tokens = line.tokens as Array<{ guided: boolean }>;
    assert.ok(tokens.slice(rec.unguidedFrom).every((t) => !t.guided), 'no token after the cut is guided');
    assert.ok(tokens.slice(0, rec.unguidedFrom).some((t) => t.guided), 'tokens before it were');
    assert.ok(capped.summary.cost.costCaps!.linesCapped >= 1);
    const viewer = await problemSteps(svc.db.db, capped.campaignId, problem.taskId);
    assert.ok(viewer.generations.flatMap((g) => g.lines).some((l) => l.lineCap?.unguidedFrom === rec.unguidedFrom));
    assert.match(String(await problemViewer(viewer)), /data-line-cap>LINE CAP: decoded unguided from token/);
  });

  test('--problem-token-cap: once the problem has spent it, its generations end with stop reason cost_cap and no more reasoning tries run', async () => {
    const sim = await server({ skill: 0 });
    const { summary, gens, steps } = await run(sim, { gammas: [0, 3], problemTokenCap: 1, maxAgents: 1 });
    const g3 = gens.find((g) => g.gamma === 3)!;
    assert.equal(g3.stopReason, 'cost_cap');
    const [reasoning] = await steps(g3.id);
    const sum = reasoningSummary.parse(reasoning!.summary);
    assert.deepEqual({ tries: sum.tries.length, exhausted: sum.budget.exhausted }, { tries: 0, exhausted: 'problem_cap' });
    assert.equal(reasoning!.modelCalls, 0, 'no model call past the cap');
    assert.ok(summary.cost.costCaps!.generationsCapped >= 1);
    const [gen0Step] = await steps(gens.find((g) => g.gamma === 0)!.id);
    assert.ok(reasoningSummary.parse(gen0Step!.summary).tries.length <= 1, 'γ = 0 stopped its tries at the cap');
    const rows = await svc.db.db.select({ id: egcfgGenerations.id }).from(egcfgGenerations)
      .where(and(eq(egcfgGenerations.problemId, g3.problemId), eq(egcfgGenerations.stopReason, 'cost_cap')));
    assert.ok(rows.length >= 1);
  });

  test('--problem-token-cap bites at the step whose own calls reach it, not one step later', async () => {
    const sim = await server({ skill: 0 });
    const free = await run(sim, { gammas: [3], maxAgents: 1 });
    const freeSteps = await free.steps(free.gens[0]!.id);
    const spent = (s: { promptTokens: number; completionTokens: number }) => s.promptTokens + s.completionTokens;
    // The second line step that spends tokens: the cap is one token past everything written before it.
    const target = freeSteps.filter((s) => s.kind === 'line' && spent(s) > 0)[1];
    assert.ok(target, 'an uncapped run with two decoded lines');
    const before = freeSteps.filter((s) => s.seq < target.seq).reduce((a, s) => a + spent(s), 0);
    const capped = await run(sim, { gammas: [3], maxAgents: 1, problemTokenCap: before + 1 });
    const g = capped.gens[0]!;
    assert.equal(g.stopReason, 'cost_cap');
    const steps = await capped.steps(g.id);
    assert.deepEqual(steps.slice(0, target.seq).map(spent), freeSteps.slice(0, target.seq).map(spent), 'the same steps up to the cap (same seeds)');
    const last = steps.at(-1)!;
    assert.equal(last.seq, target.seq, `the generation ended at step ${target.seq}, where the cap was reached (ended at ${last.seq})`);
    assert.equal((last.summary as { stopReason?: string }).stopReason, 'cost_cap');
  });
});
