// A cancel that reaches a campaign run in the same workflow task as the result that ends the run (so the run would
// continue as new) stops the campaign: it is not swallowed by the run that continues, and the next run does not
// start (workflows/campaign-loop.ts, `cancelIfRequested`). The cancel goes the user's way: `signalCampaign`, which
// the API's POST /campaigns/:id/cancel and `egcfg campaigns cancel` call, by workflow id without a run id.
// Deterministic: the workflow worker is stopped while the run's last batch is held on the sandbox queue, the batch then
// runs and completes, the cancel is sent, and the workflow worker starts again: its next workflow task holds both the
// batch's completion and the cancel request. Real Temporal dev server, Postgres server and nsjail.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { campaignWorkflowId, signalCampaign, upsertProblems } from '../../campaigns/service.ts';
import { pinCampaign } from '../../campaigns/pins.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import { campaigns, events, results, runs } from '../../db/schema/index.ts';
import { taskQueues } from '../../workflows/activity-options.ts';
import { type QueueKind, type RunningWorkers } from '../../workers/worker.ts';
import { waitFor } from '../support/wait.ts';
import { integrationServices } from '../support/integration.ts';

const PROBLEMS = 6;

describe('a cancel that meets continue-as-new (Temporal + Postgres + nsjail)', { timeout: 600_000 }, () => {
  let dir: string;
  const running: RunningWorkers[] = [];
  const start = async (queues: QueueKind[]): Promise<RunningWorkers> => {
    const w = await svc.startWorkers({ queues });
    running.push(w);
    return w;
  };

  const svc = integrationServices({ workers: false, setup: async () => { dir = mkdtempSync(join(tmpdir(), 'egcfg-cancel-can-')); } });
  const stopAll = async () => { for (const w of running.splice(0)) await w.shutdown(); };
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  for (const paged of [false, true]) {
    test(`a cancel in the workflow task that ends a run stops the campaign (${paged ? 'problems read in pages' : 'ids in the input'})`, { timeout: 400_000 }, async (t) => {
      t.after(stopAll);
      const campaignId = `cancel-can-${paged ? 'paged' : 'inline'}`;
      const mbpp = (await loadDataset('mbpp', { split: 'test' })).slice(0, PROBLEMS);
      const ids = await upsertProblems(svc.db.db, mbpp);
      await svc.db.db.insert(campaigns).values({ id: campaignId, method: 'baseline', dataset: 'mbpp', model: 'replay', simulated: false, config: {},
        workflowId: campaignWorkflowId(campaignId), problemsTotal: PROBLEMS });
      await pinCampaign(svc.db.db, campaignId, { files: [], problems: [{ role: 'eval', ids }] });
      const [run] = await svc.db.db.insert(runs).values({ campaignId, name: 'baseline', config: {} }).returning({ id: runs.id });
      const samplesFile = join(dir, `${campaignId}.jsonl`);
      writeFileSync(samplesFile, mbpp.map((p) => JSON.stringify({ task_id: p.taskId, solution: p.canonicalSolution })).join('\n') + '\n');

      // The workflow worker only: the run's one batch waits on the sandbox queue.
      const workflows = await start(['default']);
      const handle = await svc.env.client.workflow.start('baselineCampaign', {
        workflowId: campaignWorkflowId(campaignId), taskQueue: taskQueues.default,
        args: [{ campaignId, runId: run!.id, ...(paged ? { problemsTotal: PROBLEMS } : { problemIds: ids }),
          model: { kind: 'replay', samplesFile, model: 'replay' },
          params: { promptType: 'deepseek_instruct', temperature: 0, topP: 1, maxTokens: 64, seed: 0 }, concurrency: 1, continueAsNewAfter: 1, maxBatch: 1 }],
      });
      const firstRun = (await handle.describe()).runId;
      const pending = async () => (await svc.env.client.workflow.getHandle(campaignWorkflowId(campaignId), firstRun).describe()).raw.pendingActivities ?? [];
      // The batch itself, not the default-queue activity before it (markCampaign 'running'), which a stopped workflow
      // worker would leave the run waiting on.
      const batchScheduled = async () => {
        const p = await pending();
        return p.length === 1 && p[0]?.activityType?.name === 'runBaselineBatch';
      };
      await waitFor('the first run\'s batch to be scheduled', batchScheduled, { timeoutMs: 120_000 });
      await workflows.shutdown();

      // The batch runs and completes while no worker takes workflow tasks; then the user cancels.
      const sandbox = await start(['sandbox']);
      const recorded = async () => (await svc.db.db.select({ id: results.problemId }).from(results).where(eq(results.campaignId, campaignId))).length;
      await waitFor('the batch to complete', async () => (await pending()).length === 0 && (await recorded()) === 1, { timeoutMs: 120_000 });
      await sandbox.shutdown();
      await signalCampaign({ db: svc.db.db, client: svc.env.client }, campaignId, 'cancel');

      await start(['default', 'sandbox']);
      const latest = svc.env.client.workflow.getHandle(campaignWorkflowId(campaignId));
      const status = await waitFor('the campaign to stop', async () => {
        const s = (await latest.describe()).status.name;
        return s === 'RUNNING' ? false : s;
      }, { timeoutMs: 180_000 });
      const d = await latest.describe();
      assert.equal(status, 'CANCELLED', `the campaign ended ${status} (run ${d.runId}; the first run was ${firstRun})`);
      assert.equal(d.runId, firstRun, 'the run that met the cancel did not continue as new');
      assert.equal(await recorded(), 1, 'no problem ran after the cancel');
      const [row] = await svc.db.db.select({ status: campaigns.status }).from(campaigns).where(eq(campaigns.id, campaignId));
      assert.equal(row?.status, 'cancelled');
      const control = await svc.db.db.select({ kind: events.kind }).from(events).where(eq(events.campaignId, campaignId));
      assert.ok(control.some((e) => e.kind === 'campaign_control'), 'the cancel is recorded as a campaign_control event');
    });
  }
});
