// The BTP and cross-campaign read side of the dashboard and the API on rows written straight into a fresh Postgres
// database (no Temporal, no model): GET /campaigns/{id}/btp and /btp/beams, the campaign page's BTP sections (pass@1
// per iteration, loss curves, buffer histogram, drawn training sets, adapters), the beams page, the experiment JSON
// and page (step3 bars, step4 curves), the campaigns list's cost-vs-pass@1 plot, and the OpenAPI document.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { createApp, type App } from '../../api/app.ts';
import { BeamsPageSchema, BtpOverviewSchema } from '../../api/btp-views.ts';
import { ExperimentViewSchema } from '../../api/compare-views.ts';
import { thinTicks } from '../../api/plots.ts';
import { seedBtpCampaign, seedExperiment, type SeededBtp } from '../support/btp-rows.ts';
import { seedEgcfgCampaign } from '../support/egcfg-rows.ts';
import { freshPostgresDatabase, type TestDatabase } from '../support/services.ts';

describe('BTP pages, experiment pages and their routes (Postgres, seeded rows)', { timeout: 120_000 }, () => {
  let db: TestDatabase;
  let app: App;
  let btp: SeededBtp;
  let experiment: string[];

  before(async () => {
    db = await freshPostgresDatabase();
    // Every seeded campaign has finished: no workflow is asked anything (the client is never used).
    app = createApp({ db: db.db, client: {} as Client, auth: { mode: 'none' }, log: (l) => { if (process.env.DEBUG_LOG) console.error(l); } });
    btp = await seedBtpCampaign(db.db, '20261201-100000-bbbbbb', 4);
    experiment = await seedExperiment(db.db, 'btp-all-quick', '20261201-100001-cccccc');
    await seedEgcfgCampaign(db.db, '20261201-100002-dddddd', 3);
  }, { timeout: 60_000 });
  after(async () => { await db?.drop(); }, { timeout: 30_000 });

  const get = (path: string) => app.request(path);

  test('GET /campaigns/{id}/btp: iterations with their adapters, losses per step, the buffer, the drawn sets', async () => {
    const res = await get(`/campaigns/${btp.campaignId}/btp`);
    assert.equal(res.status, 200);
    const o = BtpOverviewSchema.parse(await res.json());
    assert.deepEqual(o.iterations.map((i) => [i.iteration, i.passAt1]), [[0, 0.4], [1, 0.5], [2, 0.6]]);
    assert.equal(o.iterations[0]!.adapter, null, 'iteration 0 serves the base model');
    assert.deepEqual(o.iterations[2]!.adapter, { name: `sim-small-btp-${btp.campaignId}-it2`, path: `/tmp/${btp.campaignId}/it2/adapter` });
    assert.equal(o.iterations[1]!.evalCampaignId, `${btp.campaignId}-eval1`);
    assert.deepEqual(o.trainingRuns.map((r) => r.losses), [btp.losses[1], btp.losses[2]]);
    assert.equal(o.trainingRuns[0]!.lora.r, 8);
    assert.equal(o.trainingRuns[1]!.finalEvalLoss, 1.3);
    // 4 problems × 3 beams with pass rates 0, 0.5, 1 → P2Values 0.25, 0.5, 0.75 (four each).
    assert.equal(o.buffer.size, 12);
    assert.equal(o.buffer.problems, 4);
    assert.deepEqual(o.buffer.histogram.filter((b) => b.count).map((b) => [b.from, b.count]), [[0.2, 4], [0.5, 4], [0.7, 4]]);
    assert.equal(o.buffer.histogram.reduce((a, b) => a + b.count, 0), 12);
    const set = o.trainingSets[0]!;
    assert.equal(set.kind, 'rank');
    assert.deepEqual(set.entries.map((e) => [e.taskId, e.times]), [[btp.trainTaskIds[0], 2], [btp.trainTaskIds[1], 1], [btp.trainTaskIds[2], 1]]);
    // Another method: empty lists; an unknown campaign: 404.
    const other = BtpOverviewSchema.parse(await (await get('/campaigns/20261201-100002-dddddd/btp')).json());
    assert.deepEqual([other.iterations, other.trainingRuns, other.buffer.size], [[], [], 0]);
    assert.equal((await get('/campaigns/nope/btp')).status, 404);
  });

  test('GET /campaigns/{id}/btp/beams: beams per problem, paginated, latest iteration by default', async () => {
    const page = BeamsPageSchema.parse(await (await get(`/campaigns/${btp.campaignId}/btp/beams?per=3`)).json());
    assert.equal(page.iteration, 2);
    assert.deepEqual(page.iterations, [1, 2]);
    assert.equal(page.total, 4);
    assert.equal(page.pages, 2);
    assert.deepEqual(page.problems.map((p) => p.taskId), btp.trainTaskIds.slice(0, 3));
    const first = page.problems[0]!;
    assert.deepEqual(first.beams.map((b) => [b.beamIndex, b.passRate, b.p2value]), [[0, 0, 0.25], [1, 0.5, 0.5], [2, 1, 0.75]]);
    assert.equal(first.passing, 1);
    assert.equal(first.meanPassRate, 0.5);
    const last = BeamsPageSchema.parse(await (await get(`/campaigns/${btp.campaignId}/btp/beams?per=3&page=2&iteration=1`)).json());
    assert.deepEqual([last.iteration, last.problems.map((p) => p.taskId)], [1, [btp.trainTaskIds[3]]]);
    const searched = BeamsPageSchema.parse(await (await get(`/campaigns/${btp.campaignId}/btp/beams?q=T2`)).json());
    assert.deepEqual(searched.problems.map((p) => p.taskId), [btp.trainTaskIds[2]]);
    assert.equal((await get(`/campaigns/${btp.campaignId}/btp/beams?per=0`)).status, 400);
  });

  test('the campaign page of a BTP campaign: iteration table, plots, buffer, training, drawn sets, escaped', async () => {
    const res = await get(`/ui/campaigns/${btp.campaignId}`);
    assert.equal(res.status, 200);
    const page = await res.text();
    for (const id of ['plot-btp', 'plot-loss', 'plot-p2value', 'plot-buffer']) assert.match(page, new RegExp(`<svg[^>]* id="${id}"`), id);
    assert.match(page, /<table id="btp-iterations"/);
    assert.equal((page.match(/<tr data-iteration="\d"><td class="num">\d<\/td>\s*<td>/g) ?? []).length, 3 + 2, 'three iterations and two training runs');
    assert.ok(page.includes(`<code>sim-small-btp-${btp.campaignId}-it1</code>`), 'the adapter served in iteration 1');
    assert.match(page, /60\.00%/);
    assert.match(page, /12 entries over 4 problems/);
    assert.equal((page.match(/<details class="training-set"/g) ?? []).length, 2);
    assert.equal((page.match(/<path d="M[^"]*" class="line s\d" data-series="iteration \d"/g) ?? []).length, 2, 'one loss curve per training run');
    assert.match(page, /href="\/ui\/campaigns\/20261201-100000-bbbbbb\/beams"/);
    // Scores per iteration; the problems are in each iteration's evaluation campaign.
    assert.equal((page.match(/<div class="card score" data-iteration="\d">/g) ?? []).length, 3);
    assert.equal((page.match(/<li>iteration \d: <a href="\/ui\/campaigns\/20261201-100000-bbbbbb-eval\d">/g) ?? []).length, 3);
    assert.doesNotMatch(page, /<table id="problems"/);
  });

  test('GET /campaigns/{id} of a BTP campaign: progress counts are the latest evaluation campaign\'s', async () => {
    const d = await (await get(`/campaigns/${btp.campaignId}`)).json() as { progress: { total: number; done: number; passed: number } };
    assert.deepEqual([d.progress.total, d.progress.done, d.progress.passed], [10, 2, 1]);
  });

  test('the beams page: per problem, its beams with pass rates and P2Values; candidates escaped', async () => {
    const res = await get(`/ui/campaigns/${btp.campaignId}/beams?iteration=1&per=2`);
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.equal((page.match(/<section class="card beam-problem"/g) ?? []).length, 2);
    assert.match(page, /1\/3 beams pass every test/);
    assert.ok(page.includes('# &lt;b&gt;') && !page.includes('# <b>'), 'the candidate is escaped');
    assert.match(page, /page <b>1<\/b> of 2/);
    assert.equal((await get(`/ui/campaigns/${btp.campaignId}/beams?page=0`)).status, 400);
    assert.equal((await get('/ui/campaigns/nope/beams')).status, 404);
  });

  test('experiments: the JSON view (step3 bars, step4 curves) and the page with its plots', async () => {
    const list = await (await get('/experiments')).json() as { experiments: Array<{ name: string; campaigns: number }> };
    assert.deepEqual(list.experiments.map((e) => [e.name, e.campaigns]), [['btp-all-quick', 3]]);
    const v = ExperimentViewSchema.parse(await (await get('/experiments/btp-all-quick')).json());
    assert.deepEqual(v.step3.map((b) => [b.group, b.label, b.campaignId]), [['sampling', 'power', experiment[0]], ['sampling', 'rank', experiment[1]]]);
    assert.deepEqual(v.step4.map((g) => [g.group, g.points.map((p) => p.x)]), [['sampling-alpha', [1]], ['temperature', [0.8, 1.2]]]);
    assert.ok(v.step3.every((b) => Math.abs(b.passAt1 - 60) < 1e-9), 'final pass@1 is the last iteration\'s');
    assert.equal((await get('/experiments/nope')).status, 404);
    const page = await (await get('/ui/experiments/btp-all-quick')).text();
    for (const id of ['plot-step3', 'plot-step4-temperature', 'plot-step4-sampling-alpha']) assert.match(page, new RegExp(`<svg[^>]* id="${id}"`), id);
    assert.match(page, /simulated model/);
    assert.equal((await get('/ui/experiments/nope')).status, 404);
    const campaignPage = await (await get(`/ui/campaigns/${experiment[1]}`)).text();
    assert.match(campaignPage, /id="experiment-link">btp-all-quick</);
  });

  test('the campaigns list: cost vs pass@1 over the listed campaigns, experiment links', async () => {
    const page = await (await get('/ui')).text();
    assert.match(page, /<svg[^>]* id="plot-cost"/);
    // The EG-CFG campaign is the only one with finished problems of its own: one point, 2 of 3 passed.
    assert.equal((page.match(/<circle [^>]*class="dot"><title>eg-cfg /g) ?? []).length, 1);
    assert.match(page, /eg-cfg dddddd: [\d.]+, 66\.67/);
    assert.match(page, /href="\/ui\/experiments\/btp-all-quick"/);
  });

  test('the OpenAPI document describes the BTP and experiment routes', async () => {
    const doc = await (await get('/openapi.json')).json() as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    for (const p of ['/campaigns/{id}/btp', '/campaigns/{id}/btp/beams', '/experiments', '/experiments/{name}']) assert.ok(doc.paths[p], p);
    for (const s of ['BtpOverview', 'BtpBeamsPage', 'ExperimentView']) assert.ok(doc.components.schemas[s], s);
  });

  test('plot ticks: at most ten x labels, first and last kept', () => {
    assert.deepEqual(thinTicks([1, 2, 3]), [1, 2, 3]);
    const t = thinTicks(Array.from({ length: 100 }, (_, i) => i + 1));
    assert.equal(t.length, 10);
    assert.deepEqual([t[0], t.at(-1)], [1, 100]);
  });
});
