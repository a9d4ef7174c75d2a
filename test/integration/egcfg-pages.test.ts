// An EG-CFG campaign reads its problem ids in pages like a baseline campaign (workflows/egcfg.ts,
// activities/problem-pages.ts): a campaign of 20,003 pinned problems, whose id list alone is far over 2 KB, is
// started the user's way (startEgcfgCampaign, as `egcfg run --method eg-cfg` and POST /campaigns prepare it) and its
// start input and every continue-as-new input stay under 2 KB. Real Temporal dev server, Postgres server, nsjail and
// the simulated model server; three continue-as-new runs of one problem each, then the campaign is cancelled.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { and, eq, like, sql } from 'drizzle-orm';
import { modelBackendCache } from '../../activities/model-backend.ts';
import { startSimulatedModelServer, type SimulatedServer } from '../../activities/model/simulated-server.ts';
import { closeSharedSandbox, getSharedSandbox } from '../../activities/sandbox/index.ts';
import { startEgcfgCampaign } from '../../campaigns/egcfg.ts';
import { parseRunOptions } from '../../campaigns/options.ts';
import { campaignWorkflowId, signalCampaign, upsertProblems } from '../../campaigns/service.ts';
import { launchCampaign } from '../../campaigns/start-workflow.ts';
import { knowledgeFor } from '../../cli/simulated.ts';
import type { CampaignLaunch } from '../../core/experiment-contracts.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import { campaigns, problems, results } from '../../db/schema/index.ts';
import { startWorkers, type RunningWorkers } from '../../workers/worker.ts';
import { freshPostgresDatabase, startTestTemporal, type TestDatabase } from '../support/services.ts';
import { runInputSizes } from '../support/run-inputs.ts';
import { waitFor } from '../support/wait.ts';

const REAL = 3;
const GENERATED = 20_000;

describe('EG-CFG campaign problems read in pages (Temporal + Postgres + nsjail + simulated model)', { timeout: 600_000 }, () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  let sim: SimulatedServer;
  let workers: RunningWorkers;

  before(async () => {
    [env, db] = await Promise.all([startTestTemporal(), freshPostgresDatabase()]);
    workers = await startWorkers({ connection: env.nativeConnection, deps: { db: db.db, sandbox: getSharedSandbox, model: modelBackendCache() } });
  }, { timeout: 300_000 });
  after(async () => {
    await workers?.shutdown();
    await closeSharedSandbox();
    await sim?.close();
    await env?.teardown();
    await db?.drop();
  }, { timeout: 120_000 });

  test(`${(REAL + GENERATED).toLocaleString('en')} pinned problems: the EG-CFG inputs stay small`, { timeout: 480_000 }, async () => {
    const mbpp = (await loadDataset('mbpp', { split: 'test' })).slice(0, REAL);
    sim = await startSimulatedModelServer({ knowledge: knowledgeFor(mbpp), skill: 1 });
    const realIds = await upsertProblems(db.db, mbpp);
    // The rest: versions of the first problem under generated task ids (never reached: the campaign is cancelled).
    await db.db.execute(sql`insert into ${problems} (content_hash, dataset, task_id, split, statement, visible_tests, problem, raw)
      select 'egcfg-gen-' || g, dataset, 'egcfg-gen-' || g, split, statement, visible_tests, problem, raw
      from ${problems}, generate_series(1, ${GENERATED}) g where ${problems.id} = ${realIds[0]!}`);
    const generated = (await db.db.select({ id: problems.id }).from(problems).where(like(problems.taskId, 'egcfg-gen-%')).orderBy(problems.id)).map((r) => r.id);
    const ids = [...realIds, ...generated];
    assert.equal(ids.length, REAL + GENERATED);
    assert.ok(Buffer.byteLength(JSON.stringify(ids)) > 64 * 1024, 'the id list alone is far over 2 KB');

    const campaignId = 'egcfg-pages';
    const opts = parseRunOptions({
      dataset: 'mbpp', method: 'eg-cfg', modelName: 'simulated-model', gammas: [0], temperature: 0.7, numCandidates: 2, horizon: 2,
      maxNewTokens: 256, concurrency: 1,
    });
    const model = { kind: 'openai' as const, baseUrl: sim.url, model: 'simulated-model', simulated: true };
    // The campaign prepared as the CLI and the API prepare it; the launch is taken back to start it with a run budget
    // of one problem (so that a few problems make a few continue-as-new runs).
    let launch: CampaignLaunch | undefined;
    await startEgcfgCampaign({ db: db.db, deferLaunch: async (l) => { launch = l; } }, opts, model,
      { campaignId, workflowId: campaignWorkflowId(campaignId), problemIds: ids });
    assert.ok(launch?.workflow === 'egcfgCampaign');
    assert.equal(launch.input.problemIds, undefined, 'the input names no problem ids');
    assert.equal(launch.input.problemsTotal, ids.length);
    const [row] = await db.db.select({ total: campaigns.problemsTotal }).from(campaigns).where(eq(campaigns.id, campaignId));
    assert.equal(row?.total, ids.length);
    await launchCampaign({ db: db.db, client: env.client }, { ...launch, input: { ...launch.input, continueAsNewAfter: 1 } });

    const recorded = async () => (await db.db.select({ problemId: results.problemId }).from(results)
      .where(and(eq(results.campaignId, campaignId), eq(results.protocol, 'default')))).map((r) => r.problemId);
    await waitFor(`${REAL} results`, async () => (await recorded()).length >= REAL, { timeoutMs: 300_000, intervalMs: 500 });
    await signalCampaign({ db: db.db, client: env.client }, campaignId, 'cancel');
    const handle = env.client.workflow.getHandle(campaignWorkflowId(campaignId));
    const status = await waitFor('the campaign to stop', async () => {
      const s = (await handle.describe()).status.name;
      return s === 'RUNNING' ? false : s;
    }, { timeoutMs: 120_000 });
    assert.equal(status, 'CANCELLED');
    const done = await recorded();
    assert.deepEqual(realIds.filter((id) => !done.includes(id)), [], 'the first pinned problems ran first, in order');

    const { runs, inputs, pages } = await runInputSizes(env.client, campaignWorkflowId(campaignId));
    assert.ok(runs >= REAL, `${runs} runs`);
    assert.ok(inputs.length >= REAL && inputs.every((n) => n < 2048), `input bytes per run: ${inputs.join(', ')}`);
    assert.ok(pages.length >= REAL && pages.every((n) => n < 16 * 1024), `page bytes: ${pages.join(', ')}`);
  });
});
