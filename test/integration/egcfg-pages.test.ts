// An EG-CFG campaign reads its problem ids in pages like a baseline campaign (workflows/egcfg.ts,
// activities/problem-pages.ts): a campaign of 20,003 pinned problems, whose id list alone is far over 2 KB, is
// started the user's way (startEgcfgCampaign, as `egcfg run --method eg-cfg` and POST /campaigns prepare it) and its
// start input and every continue-as-new input stay under 2 KB. Real Temporal dev server, Postgres server, nsjail and
// the simulated model server; three continue-as-new runs of one problem each, then the campaign is cancelled.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { and, eq, like, sql } from 'drizzle-orm';
import type { SimulatedServer } from '../../activities/model/simulated-server.ts';
import { startEgcfgCampaign } from '../../campaigns/egcfg.ts';
import { parseRunOptions } from '../../campaigns/options.ts';
import { campaignWorkflowId, signalCampaign, upsertProblems } from '../../campaigns/service.ts';
import { launchCampaign } from '../../campaigns/start-workflow.ts';
import { knowledgeFor } from '../../cli/simulated.ts';
import type { CampaignLaunch } from '../../core/experiment-contracts.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import { campaigns, problems, results } from '../../db/schema/index.ts';
import { runInputSizes } from '../support/run-inputs.ts';
import { waitFor } from '../support/wait.ts';
import { integrationServices } from '../support/integration.ts';

const REAL = 3;
const GENERATED = 20_000;

describe('EG-CFG campaign problems read in pages (Temporal + Postgres + nsjail + simulated model)', { timeout: 600_000 }, () => {
  let sim: SimulatedServer;
  const svc = integrationServices();

  test(`${(REAL + GENERATED).toLocaleString('en')} pinned problems: the EG-CFG inputs stay small`, { timeout: 480_000 }, async () => {
    const mbpp = (await loadDataset('mbpp', { split: 'test' })).slice(0, REAL);
    sim = await svc.startSimulatedServer({ knowledge: knowledgeFor(mbpp), skill: 1 });
    const realIds = await upsertProblems(svc.db.db, mbpp);
    // The rest: versions of the first problem under generated task ids (never reached: the campaign is cancelled).
    await svc.db.db.execute(sql`insert into ${problems} (content_hash, dataset, task_id, split, statement, visible_tests, problem, raw)
      select 'egcfg-gen-' || g, dataset, 'egcfg-gen-' || g, split, statement, visible_tests, problem, raw
      from ${problems}, generate_series(1, ${GENERATED}) g where ${problems.id} = ${realIds[0]!}`);
    const generated = (await svc.db.db.select({ id: problems.id }).from(problems).where(like(problems.taskId, 'egcfg-gen-%')).orderBy(problems.id)).map((r) => r.id);
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
    await startEgcfgCampaign({ db: svc.db.db, deferLaunch: async (l) => { launch = l; } }, opts, model,
      { campaignId, workflowId: campaignWorkflowId(campaignId), problemIds: ids });
    assert.ok(launch?.workflow === 'egcfgCampaign');
    assert.equal(launch.input.problemIds, undefined, 'the input names no problem ids');
    assert.equal(launch.input.problemsTotal, ids.length);
    const [row] = await svc.db.db.select({ total: campaigns.problemsTotal }).from(campaigns).where(eq(campaigns.id, campaignId));
    assert.equal(row?.total, ids.length);
    await launchCampaign({ db: svc.db.db, client: svc.env.client }, { ...launch, input: { ...launch.input, continueAsNewAfter: 1 } });

    const recorded = async () => (await svc.db.db.select({ problemId: results.problemId }).from(results)
      .where(and(eq(results.campaignId, campaignId), eq(results.protocol, 'default')))).map((r) => r.problemId);
    await waitFor(`${REAL} results`, async () => (await recorded()).length >= REAL, { timeoutMs: 300_000, intervalMs: 500 });
    await signalCampaign({ db: svc.db.db, client: svc.env.client }, campaignId, 'cancel');
    const handle = svc.env.client.workflow.getHandle(campaignWorkflowId(campaignId));
    const status = await waitFor('the campaign to stop', async () => {
      const s = (await handle.describe()).status.name;
      return s === 'RUNNING' ? false : s;
    }, { timeoutMs: 120_000 });
    assert.equal(status, 'CANCELLED');
    const done = await recorded();
    assert.deepEqual(realIds.filter((id) => !done.includes(id)), [], 'the first pinned problems ran first, in order');

    const { runs, inputs, pages } = await runInputSizes(svc.env.client, campaignWorkflowId(campaignId));
    assert.ok(runs >= REAL, `${runs} runs`);
    assert.ok(inputs.length >= REAL && inputs.every((n) => n < 2048), `input bytes per run: ${inputs.join(', ')}`);
    assert.ok(pages.length >= REAL && pages.every((n) => n < 16 * 1024), `page bytes: ${pages.join(', ')}`);
  });
});
