// The read side of the dashboard and the API on rows written straight into a fresh Postgres database (no Temporal,
// no model): the EG-CFG problem viewer and its JSON route, the campaign page (score cards, cost, the problems table
// with server-side sort, filter, search and pagination, failure reason, buttons), the plots, event summaries, the docs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Script } from 'node:vm';
import type { Client } from '@temporalio/client';
import { createApp, type App } from '../../api/app.ts';
import { ProblemStepsSchema } from '../../api/problem-steps.ts';
import { seedEgcfgCampaign, type SeededCampaign } from '../support/egcfg-rows.ts';
import { freshPostgresDatabase, type TestDatabase } from '../support/services.ts';

describe('dashboard views and the steps route (Postgres, seeded rows)', { timeout: 120_000 }, () => {
  let db: TestDatabase;
  let app: App;
  let seeded: SeededCampaign;
  let failed: SeededCampaign;

  before(async () => {
    db = await freshPostgresDatabase();
    // No workflow is asked anything: every seeded campaign has finished (the client is never used).
    app = createApp({ db: db.db, client: {} as Client, auth: { mode: 'none' }, log: () => {} });
    seeded = await seedEgcfgCampaign(db.db, '20261201-000000-aaaaaa', 7);
    failed = await seedEgcfgCampaign(db.db, '20261201-000001-bbbbbb', 1, 'failed');
  }, { timeout: 60_000 });
  after(async () => { await db?.drop(); }, { timeout: 30_000 });

  const get = (path: string) => app.request(path);

  test('GET /campaigns/{id}/problems/{taskId}/steps: the generation line by line', async () => {
    const res = await get(`/campaigns/${seeded.campaignId}/problems/${encodeURIComponent(seeded.taskIds[0]!)}/steps`);
    assert.equal(res.status, 200);
    const body = ProblemStepsSchema.parse(await res.json());
    assert.deepEqual(body.generations.map((g) => g.gamma), [0, 3]);
    const g = body.generations[1]!;
    assert.equal(g.selected, true);
    assert.equal(g.lines.length, 2);
    const [l0, l1] = g.lines;
    assert.equal(l0!.codeBefore, '');
    assert.equal(l0!.appended, 'def add(a, b):\n');
    assert.equal(l0!.candidates.length, 2);
    assert.equal(l0!.candidates[0]!.verdict, 'accepted');
    assert.equal(l0!.candidates[0]!.traces[0]!.invocation, 'add(1, 2)');
    assert.equal(l0!.candidates[1]!.verdict, 'rejected');
    assert.match(l0!.signal ?? '', /Candidate/);
    assert.equal(l1!.signal, l0!.signal, 'the signal stays in force until the next refresh');
    assert.equal(l1!.signalFromLine, 0);
    const changed = l0!.tokens.find((t) => t.changed)!;
    assert.equal(changed.uncondArgmax, 99);
    assert.equal(changed.condArgmax, changed.id);
    assert.equal(changed.uncond[1]!.text, ' add', 'top-k ids get the text of a token the generation chose');
    assert.equal(l0!.cost.steps, 4);
    assert.equal(l0!.cost.sandboxRuns, 1);
    assert.equal((await get(`/campaigns/${seeded.campaignId}/problems/nope/steps`)).status, 404);
    assert.equal((await get('/campaigns/nope/problems/x/steps')).status, 404);
  });

  test('the problem page renders the viewer, escaped, with its script', async () => {
    const res = await get(`/ui/campaigns/${seeded.campaignId}/problems/${encodeURIComponent(seeded.taskIds[0]!)}`);
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /id="egcfg-viewer"/);
    assert.match(page, /<script src="\/static\/viewer.js" defer><\/script>/);
    assert.equal((page.match(/class="line"/g) ?? []).length, 2);
    assert.ok(!page.includes('<script>alert(1)</script>'), 'a candidate is escaped');
    assert.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(page.includes('&lt;trace&gt;') && page.includes('Think &lt;first&gt;.'));
    assert.match(page, /changed/);
    const js = await get('/static/viewer.js');
    assert.equal(js.status, 200);
    assert.match(await js.text(), /keydown/);
  });

  test('the OpenAPI document describes the steps route', async () => {
    const doc = await (await get('/openapi.json')).json() as { paths: Record<string, unknown>; info: { description: string } };
    assert.ok(doc.paths['/campaigns/{id}/problems/{taskId}/steps']);
    assert.doesNotMatch(doc.info.description, /to come/);
    assert.doesNotMatch(await (await get('/docs')).text(), /EG-CFG and BTP to come/);
  });

  const rowsOf = (page: string): string[] => [...page.matchAll(/<tr data-task="([^"]+)"/g)].map((m) => m[1]!);
  const campaignPage = async (query = ''): Promise<string> => {
    const res = await get(`/ui/campaigns/${seeded.campaignId}${query}`);
    assert.equal(res.status, 200, query);
    return res.text();
  };

  test('the campaign page: score cards, cost, plots, disabled buttons, events with their protocol', async () => {
    const page = await campaignPage();
    assert.match(page, /id="score-cards"/);
    for (const protocol of ['paper', 'strict', 'default']) assert.match(page, new RegExp(`data-protocol="${protocol}"`));
    assert.match(page, /71\.43%/, '5 of 7 passed');
    assert.match(page, /<table id="cost"/);
    assert.match(page, /per solved problem \(5\)/);
    for (const id of ['plot-gamma', 'plot-agent', 'plot-lines']) assert.match(page, new RegExp(`<svg[^>]* id="${id}"`));
    for (const b of ['pause', 'resume', 'cancel']) assert.match(page, new RegExp(`id="${b}-button"[^>]* disabled`), `${b} is disabled on a finished campaign`);
    assert.match(page, /-p0 \[paper\]: passed/);
    assert.equal(rowsOf(page).length, 7);
    assert.match(page, /data-live="1"/);
    assert.doesNotMatch(page, /id="failure-reason"/);
  });

  test('the problems table: sort, filter, search and pagination on the server', async () => {
    const t = (i: number) => `${seeded.campaignId}-p${i}`;
    assert.deepEqual(rowsOf(await campaignPage('?verdict=failed')), [t(2), t(5)]);
    assert.deepEqual(rowsOf(await campaignPage('?verdict=passed&gamma=3')), [t(0), t(4), t(6)]);
    assert.deepEqual(rowsOf(await campaignPage('?agent=t0.7-s3-d2&gamma=0')), [t(1), t(3)]);
    assert.deepEqual(rowsOf(await campaignPage(`?q=${encodeURIComponent('P1')}`)), [t(1)]);
    const desc = await campaignPage('?sort=task&dir=desc&per=3');
    assert.deepEqual(rowsOf(desc), [t(6), t(5), t(4)]);
    assert.match(desc, /page <b>1<\/b> of 3/);
    assert.match(desc, /id="next-page"[^>]*>|href="[^"]*page=2[^"]*"[^>]*id="next-page"/);
    assert.match(desc, /data-live="0"/);
    assert.deepEqual(rowsOf(await campaignPage('?sort=task&dir=desc&per=3&page=3')), [t(0)]);
    assert.deepEqual(rowsOf(await campaignPage('?sort=verdict&per=2')), [t(2), t(5)], 'failed sorts before passed');
    assert.deepEqual(rowsOf(await campaignPage('?page=9')), []);
    assert.equal((await get(`/ui/campaigns/${seeded.campaignId}?per=abc`)).status, 400);
    assert.equal((await get(`/ui/campaigns/${seeded.campaignId}?sort=nope`)).status, 400);
  });

  test('a failed campaign shows its failure reason, escaped', async () => {
    const res = await get(`/ui/campaigns/${failed.campaignId}`);
    const page = await res.text();
    assert.match(page, /id="failure-reason"[^>]*><b>Failed:<\/b> the workflow failed: ActivityFailure: boom &lt;script&gt;/);
  });

  test('the start form: a fieldset per method, generated from the API schema, with an error slot beside each field', async () => {
    const page = await (await get('/ui')).text();
    for (const m of ['baseline', 'eg-cfg', 'btp']) assert.match(page, new RegExp(`<fieldset[^>]* data-method="${m}"`));
    assert.match(page, /<option>eg-cfg<\/option><option>btp<\/option>/);
    assert.match(page, /name="gammas" id="field-gammas" data-kind="numbers" value="0, 0.5, 1, 3"/);
    assert.match(page, /name="numCandidates"[^>]* min="0" max="64" value="3"/);
    assert.match(page, /name="earlyStop"[^>]* checked/);
    assert.match(page, /name="numBeams"[^>]* value="5"/);
    assert.match(page, /<select name="samplingMethod"[^>]*><option selected>power<\/option><option>rank<\/option>/);
    assert.match(page, /data-error-for="modelUrl"/);
    assert.match(page, /id="form-errors"/);
  });

  test('the dashboard scripts parse', async () => {
    for (const path of ['/static/dashboard.js', '/static/viewer.js']) {
      const source = await (await get(path)).text();
      assert.doesNotThrow(() => new Script(source, { filename: path }), path);
    }
  });
});
