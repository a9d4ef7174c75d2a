// Chaos for batched replay campaigns (workflows/campaign.ts, activities/baseline-batch.ts): the same 120-problem MBPP
// replay campaign runs twice in an `egcfg worker` process against a real Temporal dev server, Postgres and nsjail —
// once undisturbed, once with the worker killed (kill -9) while its batches are mid-way and a new worker started.
// The killed run must give the same verdicts, exactly one row per problem (results, samples, executions, finish
// events), and lose at most the batches in flight (one per lane): only those are retried, and each retry skips the
// problems its first attempt recorded.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client, Connection } from '@temporalio/client';
import { and, count, eq } from 'drizzle-orm';
import { parseRunOptions } from '../../campaigns/options.ts';
import { campaignResults, campaignWorkflowId, startCampaign, waitForCampaign, type ServiceContext } from '../../campaigns/service.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import { events, executions, results, samples } from '../../db/schema/index.ts';
import type { BaselineBatchOutcome, ModelSpec } from '../../core/contracts.ts';
import { freshPostgresDatabase, type TestDatabase } from '../support/services.ts';
import { waitFor } from '../support/wait.ts';
import { DevServer, WorkerProcess } from './cluster.ts';

const PROBLEMS = 120;
const LANES = 2;

interface BatchFacts { attempt: number; outcome: BaselineBatchOutcome }

describe('chaos: a worker killed mid-batch loses at most its batches in flight, retried without duplicates', { timeout: 600_000 }, () => {
  let server: DevServer;
  let db: TestDatabase;
  let client: Client;
  let connection: Connection;
  let worker: WorkerProcess;
  let dir: string;

  before(async () => {
    [server, db] = await Promise.all([DevServer.start(), freshPostgresDatabase()]);
    ({ client, connection } = await server.client());
    dir = mkdtempSync(join(tmpdir(), 'egcfg-batch-chaos-'));
    worker = new WorkerProcess(['--queues', 'default,inference,sandbox', '--temporal-address', server.address,
      '--database-url', db.url, '--concurrency-sandbox', String(LANES), '--identity', 'batch-chaos-worker'],
    { ...process.env, EGCFG_DB_POOL: '4' });
    await worker.start();
  }, { timeout: 300_000 });
  after(async () => {
    await worker?.kill9();
    await connection?.close();
    await server?.stop();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, { timeout: 120_000 });

  const ctx = (): ServiceContext => ({ db: db.db, client });
  const countOf = async (q: Promise<Array<{ n: number }>>) => Number((await q)[0]!.n);
  const resultsOf = (campaignId: string) => countOf(db.db.select({ n: count() }).from(results).where(eq(results.campaignId, campaignId)));

  async function facts(campaignId: string) {
    const verdicts = new Map((await campaignResults(db.db, campaignId)).map((r) => [r.task_id, `${r.status}/${r.tests_passed}of${r.tests_total}`]));
    const rows = {
      results: await resultsOf(campaignId),
      samples: await countOf(db.db.select({ n: count() }).from(samples).where(eq(samples.campaignId, campaignId))),
      executions: await countOf(db.db.select({ n: count() }).from(executions).innerJoin(samples, eq(samples.id, executions.sampleId))
        .where(eq(samples.campaignId, campaignId))),
      finishEvents: await countOf(db.db.select({ n: count() }).from(events)
        .where(and(eq(events.campaignId, campaignId), eq(events.kind, 'problem_finished')))),
    };
    // Every run of the campaign workflow (continue-as-new included): each batch's final attempt and its outcome.
    const batches: BatchFacts[] = [];
    const handle = client.workflow.getHandle(campaignWorkflowId(campaignId));
    const history = await handle.fetchHistory();
    const attempts = new Map<number, number>();
    const batchIds = new Set<number>();
    for (const e of history.events ?? []) {
      if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'runBaselineBatch') batchIds.add(Number(e.eventId));
      const started = e.activityTaskStartedEventAttributes;
      if (started) attempts.set(Number(started.scheduledEventId), started.attempt ?? 1);
      const completed = e.activityTaskCompletedEventAttributes;
      const data = completed?.result?.payloads?.[0]?.data;
      if (completed && data && batchIds.has(Number(completed.scheduledEventId))) {
        const outcome = JSON.parse(Buffer.from(data).toString()) as BaselineBatchOutcome;
        batches.push({ attempt: attempts.get(Number(completed.scheduledEventId)) ?? 1, outcome });
      }
    }
    return { verdicts, rows, batches, status: (await handle.describe()).status.name };
  }

  test('kill -9 mid-batch: identical verdicts, one row per problem, only in-flight batches retried', async () => {
    const problems = (await loadDataset('mbpp', { split: 'test' })).slice(0, PROBLEMS);
    const file = join(dir, 'samples.jsonl');
    writeFileSync(file, problems.map((p, i) =>
      JSON.stringify({ task_id: p.taskId, solution: i % 7 === 0 ? 'def nothing():\n    pass\n' : p.canonicalSolution })).join('\n') + '\n');
    const model: ModelSpec = { kind: 'replay', samplesFile: file, model: 'replay:chaos' };
    const opts = parseRunOptions({ dataset: 'mbpp', modelName: model.model, samplesFile: file, maxProblems: PROBLEMS, concurrency: LANES });

    const calm = await startCampaign(ctx(), opts, model);
    await waitForCampaign(ctx(), calm.campaignId);
    const calmFacts = await facts(calm.campaignId);

    const stormy = await startCampaign(ctx(), opts, model);
    const wait = waitForCampaign(ctx(), stormy.campaignId);
    const at = await waitFor('10 problems recorded', async () => { const n = await resultsOf(stormy.campaignId); return n >= 10 ? n : false; },
      { timeoutMs: 120_000, intervalMs: 50 });
    assert.ok(at < PROBLEMS, 'the campaign finished before the kill: the test proves nothing');
    await worker.kill9();
    const afterKill = await resultsOf(stormy.campaignId);
    await worker.start();
    const summary = await wait;
    const stormFacts = await facts(stormy.campaignId);

    assert.equal(stormFacts.status, 'COMPLETED');
    assert.equal(summary.problems, PROBLEMS);
    assert.deepEqual([...stormFacts.verdicts].sort(), [...calmFacts.verdicts].sort(), 'the same verdict for every task');
    assert.deepEqual(stormFacts.rows, { results: PROBLEMS, samples: PROBLEMS, executions: PROBLEMS, finishEvents: PROBLEMS });
    assert.deepEqual(calmFacts.rows, stormFacts.rows);
    assert.equal(calmFacts.batches.filter((b) => b.attempt > 1).length, 0, 'the undisturbed run retried nothing');
    const retried = stormFacts.batches.filter((b) => b.attempt > 1);
    assert.ok(retried.length >= 1 && retried.length <= LANES, `retried batches: ${retried.length} (lanes ${LANES})`);
    const reused = retried.reduce((a, b) => a + b.outcome.reused, 0);
    // What the kill lost: the retried batches' problems that their first attempts had not recorded.
    const redone = retried.reduce((a, b) => a + b.outcome.problems - b.outcome.reused, 0);
    assert.ok(reused >= 1, 'a retried batch skipped the problems its first attempt had recorded');
    console.log(JSON.stringify({ killed_at: at, recorded_at_kill: afterKill, batches: stormFacts.batches.length, retried: retried.length,
      retried_sizes: retried.map((b) => b.outcome.problems), reused, redone_or_unstarted: redone }));
  });
});
