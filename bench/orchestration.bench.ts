// Benchmark (not a test): orchestration throughput — workflow completions/s and activities/s — with a Temporal dev
// server and an `egcfg worker` in separate processes and the project's Postgres. A small real campaign first runs
// --warm (20) problems end to end (replay model, sandbox); then --workflows (1000) baselineProblem workflows over those
// same problems and the same campaign run are started, --window (100) in flight at a time. Their activities find
// the rows the first pass stored and return them (the idempotent path: a database read, no model call, no sandbox
// run), so the numbers measure Temporal + worker + database round trips, not the sandbox.
// Prints one JSON line. Usage: npx tsx bench/orchestration.bench.ts [--workflows N] [--window W] [--warm P]
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { runs } from '../db/schema/index.ts';
import { taskQueues } from '../workflows/activity-options.ts';
import { baselineProblem } from '../workflows/problem.ts';
import type { ProblemInput } from '../core/contracts.ts';
import { DevServer, WorkerProcess } from '../test/chaos/cluster.ts';
import { freshPostgresDatabase } from '../test/support/services.ts';
import { peakRssMiB, startProblemsCampaign, syntheticProblems, writeReplayFile } from './volume-support.ts';

const { values } = parseArgs({ options: { workflows: { type: 'string' }, window: { type: 'string' }, warm: { type: 'string' } } });
const K = Number(values.workflows ?? 1000);
const W = Number(values.window ?? 100);
const warmN = Number(values.warm ?? 20);

const dir = mkdtempSync(join(tmpdir(), 'egcfg-orch-'));
const [server, db] = await Promise.all([DevServer.start(dir), freshPostgresDatabase()]);
const { client, connection } = await server.client();
const worker = new WorkerProcess(['--queues', 'default,inference,sandbox', '--temporal-address', server.address, '--database-url', db.url,
  '--concurrency-default', '200', '--concurrency-inference', '200', '--concurrency-sandbox', String(Math.max(2, availableParallelism())),
  '--workflow-tasks', '100'], { ...process.env, EGCFG_LOG_LEVEL: 'warn', EGCFG_DB_POOL: '30' });
try {
  await worker.start();
  const problems = await syntheticProblems(warmN);
  const model = writeReplayFile(join(dir, 'replay.jsonl'), problems);
  const warm = await startProblemsCampaign({ db: db.db, client }, problems, model, { concurrency: warmN });
  await client.workflow.getHandle(warm.workflowId).result();
  const [run] = await db.db.select({ id: runs.id }).from(runs).where(eq(runs.campaignId, warm.campaignId));
  const params: ProblemInput['params'] = { promptType: 'deepseek_instruct', temperature: 0, topP: 0.95, maxTokens: 512, seed: 40 };

  const t0 = performance.now();
  let next = 0;
  let passed = 0;
  await Promise.all(Array.from({ length: W }, async () => {
    while (next < K) {
      const i = next++;
      const input: ProblemInput = { campaignId: warm.campaignId, runId: run!.id, problemId: warm.problemIds[i % warm.problemIds.length]!, model, params };
      const handle = await client.workflow.start(baselineProblem, { workflowId: `orch-${i}`, taskQueue: taskQueues.default, args: [input] });
      const outcome = await handle.result() as { passed: boolean };
      if (outcome.passed) passed++;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({
    bench: 'orchestration', cpus: availableParallelism(), workflows: K, window: W, seconds: +seconds.toFixed(2),
    workflow_completions_per_s: +(K / seconds).toFixed(1),
    // per problem workflow: generateBaselineSample + executeSample (task-queue activities) and recordResult (local)
    activities_per_s: +((2 * K) / seconds).toFixed(1), local_activities_per_s: +(K / seconds).toFixed(1),
    passed, peak_rss_mib: { worker: peakRssMiB(worker.pid), temporal_server: peakRssMiB(server.pid) },
  }));
} finally {
  await worker.kill9();
  await connection.close();
  await server.stop();
  await db.drop();
}
