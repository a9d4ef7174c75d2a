// Replay campaigns run their problems in batches (workflows/campaign.ts, activities/baseline-batch.ts), through the
// real Temporal dev server, the real Postgres server and nsjail: the same rows and verdicts as one problem at a time,
// far fewer history events, a retried batch that skips what it recorded and duplicates nothing, pass@k, cancellation.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { and, count, eq } from 'drizzle-orm';
import { createActivities } from '../../activities/index.ts';
import { parseRunOptions } from '../../campaigns/options.ts';
import { campaignResults, campaignWorkflowId, signalCampaign, startCampaign, upsertProblems, waitForCampaign } from '../../campaigns/service.ts';
import { loadDataset, type Problem } from '../../core/datasets/index.ts';
import { campaigns, events, executions, results, runs, samples } from '../../db/schema/index.ts';
import { nextBatchSize } from '../../workflows/campaign-loop.ts';
import { REPLAY_BATCHES_PATCH } from '../../workflows/campaign.ts';
import type { BaselineBatchOutcome, ModelSpec } from '../../core/contracts.ts';
import { waitFor } from '../support/wait.ts';
import { integrationServices } from '../support/integration.ts';

const BROKEN = 'def broken():\n    return None\n';

describe('replay campaigns in batches (Temporal + Postgres + nsjail)', { timeout: 600_000 }, () => {
  let problems: Problem[];
  let dir: string;
  const svc = integrationServices({
    setup: async () => {
      problems = (await loadDataset('mbpp', { split: 'test' })).slice(0, 30);
      dir = mkdtempSync(join(tmpdir(), 'egcfg-batch-'));
    },
  });
  const deps = () => svc.deps();
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  const ctx = () => ({ db: svc.db.db, client: svc.env.client });
  /** A samples file: the reference solution for every task, a broken program for every fifth; `perTask` copies of each. */
  function samplesFile(name: string, perTask = 1): string {
    const file = join(dir, name);
    const lines = problems.flatMap((p, i) => Array.from({ length: perTask }, (_, k) =>
      JSON.stringify({ task_id: p.taskId, solution: i % 5 === 0 && k === 0 ? BROKEN : p.canonicalSolution })));
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  }
  const countOf = async (q: Promise<Array<{ n: number }>>) => Number((await q)[0]!.n);

  test('batch sizes shrink towards the end of a run and cover every problem', () => {
    let left = 500;
    const sizes: number[] = [];
    while (left > 0) { const s = nextBatchSize(left, 16, 25); sizes.push(s); left -= s; }
    assert.equal(sizes.reduce((a, b) => a + b, 0), 500);
    assert.equal(sizes[0], 16); // ceil(500 / 32)
    assert.equal(sizes.at(-1), 1);
    for (let i = 1; i < sizes.length; i++) assert.ok(sizes[i]! <= sizes[i - 1]!, `sizes never grow: ${sizes.join(',')}`);
    assert.equal(nextBatchSize(10_000, 4, 25), 25);
    assert.equal(nextBatchSize(3, 0, 25), 2);
  });

  test('a replay campaign runs in batches: one row per problem, the sandbox\'s verdicts, no child workflows', async () => {
    const file = samplesFile('one.jsonl');
    const model: ModelSpec = { kind: 'replay', samplesFile: file, model: 'replay:test' };
    const opts = parseRunOptions({ dataset: 'mbpp', modelName: model.model, samplesFile: file, maxProblems: problems.length, concurrency: 3 });
    const created = await startCampaign(ctx(), opts, model);
    const summary = await waitForCampaign(ctx(), created.campaignId);
    assert.equal(summary.problems, problems.length);
    assert.equal(summary.passed, problems.length - 6, 'every fifth task was given a broken program');
    const rows = await campaignResults(svc.db.db, created.campaignId);
    assert.equal(rows.length, problems.length);
    for (const row of rows) {
      const i = problems.findIndex((p) => p.taskId === row.task_id);
      assert.equal(row.passed, i % 5 !== 0, `task ${row.task_id}`);
      assert.equal(row.tests_total, 3);
    }
    const id = created.campaignId;
    assert.equal(await countOf(svc.db.db.select({ n: count() }).from(samples).where(eq(samples.campaignId, id))), problems.length);
    assert.equal(await countOf(svc.db.db.select({ n: count() }).from(executions).innerJoin(samples, eq(samples.id, executions.sampleId))
      .where(eq(samples.campaignId, id))), problems.length);
    assert.equal(await countOf(svc.db.db.select({ n: count() }).from(events)
      .where(and(eq(events.campaignId, id), eq(events.kind, 'problem_finished')))), problems.length);

    const history = await svc.env.client.workflow.getHandle(campaignWorkflowId(id)).fetchHistory();
    const evs = history.events ?? [];
    const batchCalls = evs.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runBaselineBatch').length;
    assert.equal(evs.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).length, 0, 'no child workflow per problem');
    assert.ok(batchCalls >= 2 && batchCalls < problems.length, `${batchCalls} batches for ${problems.length} problems`);
    const markers = evs.flatMap((e) => e.markerRecordedEventAttributes ? [e.markerRecordedEventAttributes] : []);
    assert.ok(markers.some((m) => m.markerName === 'core_patch' && Object.values(m.details ?? {})
      .some((p) => (p.payloads ?? []).some((x) => Buffer.from(x.data ?? []).toString().includes(REPLAY_BATCHES_PATCH)))),
    'the batched path is behind its patch marker');
    assert.ok(evs.length < 10 * batchCalls + 20, `${evs.length} events for ${batchCalls} batches`);
  });

  test('a retried batch skips what it recorded, reuses the in-flight problem\'s rows and duplicates nothing (pass@k)', async () => {
    const file = samplesFile('two.jsonl', 2);
    const model: ModelSpec = { kind: 'replay', samplesFile: file, model: 'replay:two' };
    const ids = (await upsertProblems(svc.db.db, problems)).slice(0, 6);
    const campaignId = 'batch-retry';
    await svc.db.db.insert(campaigns).values({ id: campaignId, method: 'baseline', dataset: 'mbpp', model: model.model, simulated: false, config: { samplesPerProblem: 2 } });
    const [run] = await svc.db.db.insert(runs).values({ campaignId, name: 'baseline', config: {} }).returning();
    const input = { campaignId, runId: run!.id, problemIds: ids, model,
      params: { promptType: 'deepseek_instruct' as const, temperature: 0, topP: 0.95, maxTokens: 512, seed: 40, samplesPerProblem: 2 } };
    const acts = createActivities(deps());
    const first: BaselineBatchOutcome = await new MockActivityEnvironment().run(acts.runBaselineBatch, input);
    // Tasks 0 and 5: sample 0 (the recorded program) is broken, so the problem fails; its sample 1 counts as correct.
    assert.deepEqual(first, { problems: 6, passed: 4, errors: 0, reused: 0 });
    const detail = (await svc.db.db.select({ detail: results.detail }).from(results)
      .where(and(eq(results.campaignId, campaignId), eq(results.problemId, ids[0]!))))[0]!.detail as { samples: number; correct: number };
    assert.deepEqual({ samples: detail.samples, correct: detail.correct }, { samples: 2, correct: 1 }, 'task 0: sample 0 broken, sample 1 correct');

    // A worker killed after problem 4's sandbox run but before its result: the retry reuses its sample and execution.
    await svc.db.db.delete(results).where(and(eq(results.campaignId, campaignId), eq(results.problemId, ids[4]!)));
    const again: BaselineBatchOutcome = await new MockActivityEnvironment({ attempt: 2 }).run(acts.runBaselineBatch, input);
    assert.deepEqual(again, { problems: 6, passed: 4, errors: 0, reused: 5 });
    assert.equal(await countOf(svc.db.db.select({ n: count() }).from(results).where(eq(results.campaignId, campaignId))), 6);
    assert.equal(await countOf(svc.db.db.select({ n: count() }).from(samples).where(eq(samples.campaignId, campaignId))), 12);
    assert.equal(await countOf(svc.db.db.select({ n: count() }).from(executions).innerJoin(samples, eq(samples.id, executions.sampleId))
      .where(eq(samples.campaignId, campaignId))), 12);
    assert.equal(await countOf(svc.db.db.select({ n: count() }).from(events)
      .where(and(eq(events.campaignId, campaignId), eq(events.kind, 'problem_finished')))), 6);
  });

  test('a cancelled batched campaign stops between problems and is marked cancelled', async () => {
    const file = samplesFile('cancel.jsonl');
    const model: ModelSpec = { kind: 'replay', samplesFile: file, model: 'replay:cancel' };
    const opts = parseRunOptions({ dataset: 'mbpp', modelName: model.model, samplesFile: file, maxProblems: problems.length, concurrency: 1 });
    const created = await startCampaign(ctx(), opts, model);
    await waitFor('the first result', async () =>
      (await countOf(svc.db.db.select({ n: count() }).from(results).where(eq(results.campaignId, created.campaignId)))) > 0,
    { timeoutMs: 60_000 });
    await signalCampaign(ctx(), created.campaignId, 'cancel');
    const status = await waitFor('the campaign marked cancelled', async () => {
      const [c] = await svc.db.db.select({ status: campaigns.status }).from(campaigns).where(eq(campaigns.id, created.campaignId));
      return c?.status === 'cancelled' ? c.status : undefined;
    }, { timeoutMs: 60_000 });
    assert.equal(status, 'cancelled');
    const handle = svc.env.client.workflow.getHandle(campaignWorkflowId(created.campaignId));
    await waitFor('the workflow cancelled', async () => (await handle.describe()).status.name === 'CANCELLED', { timeoutMs: 60_000 });
    const recorded = await countOf(svc.db.db.select({ n: count() }).from(results).where(eq(results.campaignId, created.campaignId)));
    assert.ok(recorded < problems.length, `${recorded} of ${problems.length} recorded before the cancellation took effect`);
  });
});
