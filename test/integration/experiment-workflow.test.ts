// `egcfg experiment` as a durable workflow (workflows/experiment.ts) through the real Temporal dev server, the real
// Postgres server, nsjail and the simulated model: its campaigns are child workflows of the experiment, a worker that
// dies mid-experiment loses nothing (a new worker finishes it, one campaign per entry), the prepare activity is
// idempotent (a retry returns the recorded launch; a half-prepared row is set aside), and the report is written.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { experimentActivities } from '../../campaigns/experiment-activities.ts';
import { parseRunOptions } from '../../campaigns/options.ts';
import { runExperimentWorkflow } from '../../cli/experiment-workflow.ts';
import { knowledgeFor } from '../../cli/simulated.ts';
import type { ModelSpec } from '../../core/contracts.ts';
import type { ExperimentEntry, ExperimentInput } from '../../core/experiment-contracts.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import { campaigns, events } from '../../db/schema/index.ts';
import { experimentProgressQuery } from '../../workflows/experiment.ts';
import type { RunningWorkers } from '../../workers/worker.ts';
import { waitFor } from '../support/wait.ts';
import { integrationServices } from '../support/integration.ts';

describe('experiment workflow (Temporal + Postgres + nsjail + simulated model)', { timeout: 600_000 }, () => {
  let sim: { url: string; close(): Promise<void> };
  let model: ModelSpec;
  const dir = mkdtempSync(join(tmpdir(), 'egcfg-expwf-'));

  const svc = integrationServices({
    workers: false,
    setup: async () => {
      const problems = (await loadDataset('mbpp', { split: 'test' })).slice(0, 4);
      sim = await svc.startSimulatedServer({ knowledge: knowledgeFor(problems), modelName: 'sim', skill: 0.5 });
      model = { kind: 'openai', baseUrl: sim.url, model: 'sim', simulated: true };
    },
  });

  const start = () => svc.startWorkers();
  const entry = (seed: number, label: string): ExperimentEntry => ({
    options: { ...parseRunOptions({ dataset: 'mbpp', modelName: 'sim', maxProblems: 3, concurrency: 2, seed }) }, target: model,
    variants: [{ step: 'step1', group: 'baseline', label, value: seed, method: 'baseline', over: {} }],
  });
  const input = (name: string, n: number): ExperimentInput => ({
    meta: { name, mode: 'quick', steps: ['step1'], simulated: true, targetModel: 'sim', sourceModel: 'sim', dataset: 'mbpp', seed: 1, outputDir: join(dir, name), database: 'test' },
    entries: Array.from({ length: n }, (_, i) => entry(100 + i, `seed ${100 + i}`)),
  });
  const experimentRows = (name: string) => svc.db.db.select().from(campaigns).where(sql`${campaigns.config}->'experiment'->>'name' = ${name}`);

  test('its campaigns run as child workflows, tagged with the experiment, and the report is written', async () => {
    const workers = await start();
    try {
      const result = await runExperimentWorkflow(svc.env.client, input('exp-children', 2), () => {});
      assert.equal(result.campaigns, 2);
      assert.deepEqual(result.files.sort(), ['step1.csv', 'step1.md']);
      for (const f of ['step1.csv', 'step1.md', 'experiment.json']) assert.ok(existsSync(join(dir, 'exp-children', f)), f);
      const manifest = JSON.parse(readFileSync(join(dir, 'exp-children', 'experiment.json'), 'utf8')) as { campaigns: { campaign_id: string }[] };
      const rows = await experimentRows('exp-children');
      assert.deepEqual(rows.map((r) => r.id).sort(), manifest.campaigns.map((c) => c.campaign_id).sort());
      for (const r of rows) {
        assert.equal(r.status, 'completed');
        const d = await svc.env.client.workflow.getHandle(r.workflowId!).describe();
        assert.match(d.parentExecution?.workflowId ?? '', /^experiment-exp-children-/, `${r.id} is a child of the experiment`);
      }
    } finally {
      await workers.shutdown();
    }
  });

  test('a worker that dies mid-experiment loses nothing: a new worker finishes it, one campaign per entry', async () => {
    let workers: RunningWorkers = await start();
    const running = runExperimentWorkflow(svc.env.client, input('exp-crash', 3), () => {});
    const handle = svc.env.client.workflow.getHandle((await waitFor('the experiment workflow', async () => {
      for await (const wf of svc.env.client.workflow.list({ query: `WorkflowType = 'btpExperiment' AND ExecutionStatus = 'Running'` })) if (wf.workflowId.startsWith('experiment-exp-crash-')) return wf.workflowId;
      return undefined;
    }, { timeoutMs: 60_000 })));
    await waitFor('a campaign prepared', async () => (await handle.query(experimentProgressQuery)).campaignIds.some((id) => id !== null), { timeoutMs: 60_000 });
    await workers.shutdown();
    assert.equal((await handle.describe()).status.name, 'RUNNING', 'the experiment outlives its worker');
    workers = await start();
    try {
      const result = await running;
      assert.equal(result.campaigns, 3);
      const rows = await experimentRows('exp-crash');
      assert.equal(rows.length, 3, 'one campaign per entry, none prepared twice');
      assert.ok(rows.every((r) => r.status === 'completed'), JSON.stringify(rows.map((r) => r.status)));
    } finally {
      await workers.shutdown();
    }
  });

  test('prepare is idempotent, and a half-prepared campaign is set aside under a new id', async () => {
    const acts = experimentActivities(svc.db.db);
    const req = { campaignId: '20990101-000000-aaaaaa', experiment: { name: 'exp-prepare', step: 'step1', variant: 'baseline=x' }, entry: entry(7, 'x') };
    const first = await acts.prepareExperimentCampaign(req);
    const again = await acts.prepareExperimentCampaign(req);
    assert.deepEqual(again, first);
    assert.equal(first.workflow, 'baselineCampaign');
    assert.equal((await svc.db.db.select().from(campaigns).where(eq(campaigns.id, req.campaignId))).length, 1);

    const halfId = '20990101-000000-bbbbbb';
    await svc.db.db.insert(campaigns).values({ id: halfId, method: 'baseline', dataset: 'mbpp', model: 'sim', simulated: true, config: {} });
    const moved = await acts.prepareExperimentCampaign({ ...req, campaignId: halfId });
    assert.equal(moved.input.campaignId, `${halfId}-r1`);
    const [half] = await svc.db.db.select().from(campaigns).where(eq(campaigns.id, halfId));
    assert.equal(half?.status, 'failed');
    const marks = await svc.db.db.select().from(events).where(eq(events.campaignId, halfId));
    assert.ok(marks.some((e) => e.key === 'experiment_prepare_abandoned'));
    assert.deepEqual(await acts.prepareExperimentCampaign({ ...req, campaignId: halfId }), moved, 'a retry finds the moved launch');
  });
});
