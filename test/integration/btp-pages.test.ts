// A BTP campaign reads its problem ids in pages (issue 16; workflows/btp-problems.ts): the same campaign run twice,
// once from an input that names both id lists (as inputs were written before) and once from the input the start
// writes now (their counts only), with a page of 2 ids so that 7 training and 5 evaluation problems take several pages.
// Both complete with the same results (iteration 0's evaluation, every beam with its tests and P2Value, the buffer),
// and no history of the paged campaign (the cycle's runs, its evaluation campaigns) holds a list of all training or
// all evaluation ids, where the listed one's does. Real Temporal dev server, Postgres, nsjail, the simulated model
// server and the LoRA trainer on the tiny local model.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { and, asc, eq } from 'drizzle-orm';
import type { SimulatedServer } from '../../activities/model/simulated-server.ts';
import { startBtpCampaign } from '../../campaigns/btp.ts';
import { parseRunOptions } from '../../campaigns/options.ts';
import { campaignWorkflowId, waitForBtpCampaign } from '../../campaigns/service.ts';
import { launchCampaign } from '../../campaigns/start-workflow.ts';
import { knowledgeFor } from '../../cli/simulated.ts';
import { evalCampaignIdOf } from '../../core/btp/names.ts';
import type { BtpCycleInput, BtpCycleSummary } from '../../core/contracts.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import type { CampaignLaunch } from '../../core/experiment-contracts.ts';
import { spawnTrainer, trainerEnvStatus } from '../../core/trainer-env.ts';
import { beams, bufferEntries, campaignProblems, results, trainingRuns } from '../../db/schema/index.ts';
import { BATCH_PROGRAMS } from '../../workflows/btp-test-stage.ts';
import { historyStats, holdsAll, type HistoryStats } from '../support/history-stats.ts';
import { integrationServices } from '../support/integration.ts';

const EVAL = 5;
const TRAIN = 7;
const PAGE = 2;
const NUM_BEAMS = 10;

const trainerEnv = trainerEnvStatus();
const skip = trainerEnv.installed ? false : `trainer env not installed: ${trainerEnv.reason}`;

describe('BTP campaign problems read in pages (Temporal + Postgres + nsjail + simulated model + LoRA trainer)', { timeout: 1_200_000, skip }, () => {
  let sim: SimulatedServer;
  let dir = '';
  let tinyModel = '';
  const svc = integrationServices({
    async setup(s) {
      dir = mkdtempSync(join(tmpdir(), 'egcfg-btp-pages-'));
      s.track({ close: async () => rmSync(dir, { recursive: true, force: true }) });
      tinyModel = join(dir, 'tiny');
      const r = await spawnTrainer('tiny_model', ['--output', tinyModel]).done;
      assert.equal(r.code, 0, r.stderr);
      sim = await s.startSimulatedServer({ knowledge: knowledgeFor(await loadDataset('mbpp', { split: 'all' })), modelName: 'sim', skill: 0.5, checkLoraPath: true });
    },
  });

  const pinned = async (campaignId: string, role: 'eval' | 'train') => (await svc.db.db.select({ id: campaignProblems.problemId }).from(campaignProblems)
    .where(and(eq(campaignProblems.campaignId, campaignId), eq(campaignProblems.role, role))).orderBy(asc(campaignProblems.position))).map((r) => r.id);

  /** Start the campaign the user's way (startBtpCampaign); `input` rewrites the launch's input before it starts. */
  async function run(campaignId: string, input: (i: BtpCycleInput) => Promise<BtpCycleInput>): Promise<{ launched: BtpCycleInput; summary: BtpCycleSummary }> {
    const opts = parseRunOptions({
      dataset: 'mbpp', method: 'btp', modelName: 'sim', maxProblems: EVAL, maxTrainProblems: TRAIN, numBeams: NUM_BEAMS, beamTemperature: 0.8,
      trainSetSize: 8, batchSize: 4, maxSteps: 4, saveEvery: 2, learningRate: 0.01, iterations: 1, concurrency: 3,
      baseModelDir: tinyModel, workDir: join(dir, 'work'), maxTokens: 256,
    });
    const model = { kind: 'openai' as const, baseUrl: sim.url, model: 'sim', simulated: true };
    let launch: CampaignLaunch | undefined;
    await startBtpCampaign({ db: svc.db.db, deferLaunch: async (l) => { launch = l; } }, opts, model, undefined, { campaignId, workflowId: campaignWorkflowId(campaignId) });
    assert.ok(launch?.workflow === 'btpCycle');
    const launched = await input(launch.input);
    await launchCampaign({ db: svc.db.db, client: svc.env.client }, { ...launch, input: launched });
    return { launched, summary: await waitForBtpCampaign({ db: svc.db.db, client: svc.env.client }, campaignId) };
  }

  /** What must be equal between the two runs: iteration 0's verdicts, the beams with their tests, the buffer. */
  async function outcome(campaignId: string) {
    const verdicts = await svc.db.db.select({ problemId: results.problemId, passed: results.passed, status: results.status }).from(results)
      .where(eq(results.campaignId, evalCampaignIdOf(campaignId, 0))).orderBy(asc(results.problemId));
    const beamRows = await svc.db.db.select({ problemId: beams.problemId, beam: beams.beamIndex, candidate: beams.candidate, passRate: beams.passRate, p2value: beams.p2value })
      .from(beams).where(eq(beams.campaignId, campaignId)).orderBy(asc(beams.problemId), asc(beams.beamIndex));
    const buffer = await svc.db.db.select({ problemId: bufferEntries.problemId, codeHash: bufferEntries.codeHash, p2value: bufferEntries.p2value })
      .from(bufferEntries).where(eq(bufferEntries.campaignId, campaignId)).orderBy(asc(bufferEntries.problemId), asc(bufferEntries.codeHash));
    const [run] = await svc.db.db.select().from(trainingRuns).where(eq(trainingRuns.campaignId, campaignId));
    const evalResults = (await svc.db.db.select({ n: results.problemId }).from(results).where(eq(results.campaignId, evalCampaignIdOf(campaignId, 1)))).length;
    return { verdicts, beamRows, buffer, run, evalResults };
  }

  /** The histories of the cycle (its runs) and of its two evaluation campaigns. */
  const histories = async (campaignId: string): Promise<Record<string, HistoryStats>> => ({
    cycle: await historyStats(svc.env.client, campaignWorkflowId(campaignId)),
    eval0: await historyStats(svc.env.client, campaignWorkflowId(evalCampaignIdOf(campaignId, 0))),
    eval1: await historyStats(svc.env.client, campaignWorkflowId(evalCampaignIdOf(campaignId, 1))),
  });
  const line = (name: string, h: Record<string, HistoryStats>) => Object.entries(h).map(([k, s]) =>
    `${name} ${k}: ${s.runs} run(s), ${s.events} events, ${s.bytes} bytes, largest number list ${Math.max(0, ...s.numberArrays.map((a) => a.length))}`).join('\n');

  test(`${TRAIN} training and ${EVAL} evaluation problems in pages of ${PAGE}: the results of the listed input, no list in any history`, { timeout: 1_000_000 }, async () => {
    const listed = await run('btp-listed', async (i) => {
      assert.equal(i.trainProblemIds, undefined, 'the start writes no training id list');
      assert.equal(i.evalProblemIds, undefined, 'the start writes no evaluation id list');
      assert.deepEqual([i.trainProblemsTotal, i.evalProblemsTotal], [TRAIN, EVAL]);
      // The input as written before issue 16: both lists, no counts.
      const { trainProblemsTotal: _t, evalProblemsTotal: _e, ...rest } = i;
      return { ...rest, trainProblemIds: await pinned('btp-listed', 'train'), evalProblemIds: await pinned('btp-listed', 'eval') };
    });
    const paged = await run('btp-paged', async (i) => ({ ...i, pageSize: PAGE }));

    for (const { summary } of [listed, paged]) {
      assert.deepEqual(summary.iterations.map((h) => [h.iteration, h.problems]), [[0, EVAL], [1, EVAL]]);
    }
    assert.deepEqual(paged.summary.iterations[0], { ...listed.summary.iterations[0], evalCampaignId: evalCampaignIdOf('btp-paged', 0) });
    const [a, b] = [await outcome('btp-listed'), await outcome('btp-paged')];
    assert.equal(a.verdicts.length, EVAL);
    assert.deepEqual(b.verdicts, a.verdicts, 'iteration 0: the same verdict per problem');
    assert.equal(a.beamRows.length, TRAIN * NUM_BEAMS);
    assert.ok(a.beamRows.every((r) => r.passRate !== null && r.p2value !== null), 'every beam tested');
    assert.deepEqual(b.beamRows, a.beamRows, 'the same beams, tests and P2Values');
    assert.ok(a.buffer.length > 0);
    assert.deepEqual(b.buffer, a.buffer, 'the same experience buffer');
    for (const o of [a, b]) {
      assert.equal(o.run?.status, 'succeeded', o.run?.error ?? '');
      assert.equal(o.run?.examples, 8);
      assert.equal(o.evalResults, EVAL, 'the adapter evaluated on every evaluation problem');
    }

    const [ha, hb] = [await histories('btp-listed'), await histories('btp-paged')];
    process.stderr.write(`${line('listed', ha)}\n${line('paged', hb)}\n`);
    const train = await pinned('btp-paged', 'train');
    const evalIds = await pinned('btp-paged', 'eval');
    assert.ok(holdsAll(ha.cycle!.numberArrays, await pinned('btp-listed', 'train')), 'the listed input carries the training list (the measure finds it)');
    for (const [k, s] of Object.entries(hb)) {
      assert.ok(!holdsAll(s.numberArrays, train), `paged ${k}: a history holds all training ids`);
      assert.ok(!holdsAll(s.numberArrays, evalIds), `paged ${k}: a history holds all evaluation ids`);
      // The longest lists: a page of ids, or one test batch of problems.
      const longest = Math.max(0, ...s.numberArrays.map((x) => x.length));
      assert.ok(longest <= Math.max(PAGE, Math.floor(BATCH_PROGRAMS / NUM_BEAMS)), `paged ${k}: a list of ${longest} numbers`);
    }
  });
});
