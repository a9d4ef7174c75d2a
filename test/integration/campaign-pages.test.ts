// A campaign's workflow carries its problem count and a cursor, not its problem ids (workflows/campaign.ts,
// activities/problem-pages.ts): with 300,000 pinned problems — whose id list alone is over Temporal's 2 MB payload
// limit — the start input and every continue-as-new input stay a few hundred bytes, and the problems run in their
// pinned order. Real Temporal dev server, Postgres server and nsjail; the campaign runs a few continue-as-new runs
// of a replay model and is then cancelled (the 300,000 problems are rows, not work).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { problemPageQuery } from '../../activities/problem-pages.ts';
import { campaignWorkflowId, signalCampaign, upsertProblems } from '../../campaigns/service.ts';
import { pinCampaign } from '../../campaigns/pins.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import { campaignProblems, campaigns, problems, results, runs } from '../../db/schema/index.ts';
import { taskQueues } from '../../workflows/activity-options.ts';
import { runInputSizes } from '../support/run-inputs.ts';
import { waitFor } from '../support/wait.ts';
import { integrationServices } from '../support/integration.ts';

const TOTAL = 300_000;
const REAL = 8;

describe('campaign problems read in pages (Temporal + Postgres + nsjail)', { timeout: 600_000 }, () => {
  let dir: string;
  const svc = integrationServices({ setup: async () => { dir = mkdtempSync(join(tmpdir(), 'egcfg-pages-')); } });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  test(`${TOTAL.toLocaleString('en')} pinned problems: the input and each continue-as-new input stay small`, { timeout: 480_000 }, async () => {
    const campaignId = 'pages-300k';
    const mbpp = (await loadDataset('mbpp', { split: 'test' })).slice(0, REAL);
    const realIds = await upsertProblems(svc.db.db, mbpp);
    await svc.db.db.insert(campaigns).values({ id: campaignId, method: 'baseline', dataset: 'mbpp', model: 'replay', simulated: false, config: {},
      workflowId: campaignWorkflowId(campaignId), problemsTotal: TOTAL });
    await pinCampaign(svc.db.db, campaignId, { files: [], problems: [{ role: 'eval', ids: realIds }] });
    // The rest: versions of the first problem under generated task ids (the samples file has no answer for them).
    await svc.db.db.execute(sql`insert into ${problems} (content_hash, dataset, task_id, split, statement, visible_tests, problem, raw)
      select 'gen-' || g, dataset, 'gen-' || g, split, statement, visible_tests, problem, raw
      from ${problems}, generate_series(1, ${TOTAL - REAL}) g where ${problems.id} = ${realIds[0]!}`);
    await svc.db.db.execute(sql`insert into ${campaignProblems} (campaign_id, problem_id, task_id, content_hash, role, position)
      select ${campaignId}, id, task_id, content_hash, 'eval', ${REAL - 1} + row_number() over (order by id)
      from ${problems} where task_id like 'gen-%'`);
    const pinned = (await svc.db.db.select({ id: campaignProblems.problemId }).from(campaignProblems)
      .where(eq(campaignProblems.campaignId, campaignId)).orderBy(asc(campaignProblems.position))).map((r) => r.id);
    assert.equal(pinned.length, TOTAL);
    // A page is a range scan of the (campaign, role, position) index, not a scan of the campaign's 300,000 rows.
    await svc.db.db.execute(sql`analyze ${campaignProblems}`);
    const plan = z.array(z.object({ 'QUERY PLAN': z.string() }))
      .parse(await svc.db.db.execute(sql`explain ${problemPageQuery(svc.db.db, { campaignId, offset: 150_000, limit: 1000 })}`))
      .map((r) => r['QUERY PLAN']).join('\n');
    assert.match(plan, /Index (Only )?Scan using campaign_problems_position/, plan);
    const inlineBytes = Buffer.byteLength(JSON.stringify(pinned));
    // ~2 MB here (ids of a fresh database, 6 digits); over Temporal's 256 KB payload warning by far, and over its 2 MB
    // limit with the longer ids of a database in use.
    assert.ok(inlineBytes > 1.5 * 1024 * 1024, `the id list alone is ${inlineBytes} bytes`);

    const [run] = await svc.db.db.insert(runs).values({ campaignId, name: 'baseline', config: {} }).returning({ id: runs.id });
    const samplesFile = join(dir, 'samples.jsonl');
    writeFileSync(samplesFile, mbpp.map((p) => JSON.stringify({ task_id: p.taskId, solution: p.canonicalSolution })).join('\n') + '\n');
    await svc.env.client.workflow.start('baselineCampaign', {
      workflowId: campaignWorkflowId(campaignId), taskQueue: taskQueues.default,
      args: [{ campaignId, runId: run!.id, problemsTotal: TOTAL, model: { kind: 'replay', samplesFile, model: 'replay' },
        params: { promptType: 'deepseek_instruct', temperature: 0, topP: 1, maxTokens: 64, seed: 0 }, concurrency: 2, continueAsNewAfter: 4, maxBatch: 2 }],
    });
    // Three continue-as-new runs (12 problems), then cancel.
    const recorded = async () => (await svc.db.db.select({ problemId: results.problemId }).from(results).where(eq(results.campaignId, campaignId))).map((r) => r.problemId);
    await waitFor('12 results', async () => (await recorded()).length >= 12, { timeoutMs: 300_000 });
    // One cancel, the user's way (by workflow id), stops it even when it meets a continue-as-new
    // (campaign-cancel-continue.test.ts makes that case happen).
    await signalCampaign({ db: svc.db.db, client: svc.env.client }, campaignId, 'cancel');
    const current = svc.env.client.workflow.getHandle(campaignWorkflowId(campaignId));
    const status = await waitFor('the campaign to stop', async () => {
      const s = (await current.describe()).status.name;
      return s === 'RUNNING' ? false : s;
    }, { timeoutMs: 120_000 });
    assert.equal(status, 'CANCELLED');

    const done = await recorded();
    assert.deepEqual(pinned.slice(0, 12).filter((id) => !done.includes(id)), [], 'the first 12 pinned problems ran first');
    assert.equal((await svc.db.db.select().from(results).where(eq(results.campaignId, campaignId))).filter((r) => r.passed).length, REAL,
      'the 8 answered problems passed, the generated ones (no answer) failed');

    // Every run's input (the first one's start, each continue-as-new) and each page read by an activity.
    const { runs: runCount, inputs: sizes, pages } = await runInputSizes(svc.env.client, campaignWorkflowId(campaignId));
    assert.ok(runCount >= 3, `${runCount} runs`);
    assert.ok(sizes.length >= 3 && sizes.every((n) => n < 2048), `input bytes per run: ${sizes.join(', ')}`);
    assert.ok(pages.length >= 3 && pages.every((n) => n < 16 * 1024), `page bytes: ${pages.join(', ')}`);
  });
});
