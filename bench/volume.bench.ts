// Benchmark (not a test): volume and fairness, with real services in separate processes (a Temporal dev server with a
// database file, one `egcfg worker` process, the project's Postgres) and a replay model (reference solutions, so
// every program really runs in the sandbox).
//  1. One synthetic campaign of --problems (5000) problems made from MBPP + HumanEval by renaming: problems/s, the
//     history of every campaign run (continue-as-new keeps each bounded) and of a problem workflow, peak RSS of the
//     worker process and of the Temporal server.
//  2. Fairness: --campaigns (10) campaigns of --per-campaign (100) problems started at once; per-campaign progress
//     sampled over time, Jain's fairness index of progress when half of all problems are done, finish-time spread.
// Prints one JSON line. Usage: npx tsx bench/volume.bench.ts [--problems N] [--campaigns C] [--per-campaign P]
//   [--concurrency K] [--sandbox S]
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { count, inArray } from 'drizzle-orm';
import { results } from '../db/schema/index.ts';
import { problemWorkflowId } from '../workflows/campaign.ts';
import { DevServer, WorkerProcess } from '../test/chaos/cluster.ts';
import { freshPostgresDatabase } from '../test/support/services.ts';
import { historySizes, peakRssMiB, startProblemsCampaign, syntheticProblems, writeReplayFile } from './volume-support.ts';

const { values } = parseArgs({ options: {
  problems: { type: 'string' }, campaigns: { type: 'string' }, 'per-campaign': { type: 'string' },
  concurrency: { type: 'string' }, sandbox: { type: 'string' },
} });
const N = Number(values.problems ?? 5000);
const C = Number(values.campaigns ?? 10);
const P = Number(values['per-campaign'] ?? 100);
const concurrency = Number(values.concurrency ?? 64);
const sandboxSlots = Number(values.sandbox ?? Math.max(2, availableParallelism()));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'egcfg-volume-'));
const [server, db] = await Promise.all([DevServer.start(dir), freshPostgresDatabase()]);
const { client, connection } = await server.client();
const worker = new WorkerProcess(['--queues', 'default,inference,sandbox', '--temporal-address', server.address, '--database-url', db.url,
  '--concurrency-sandbox', String(sandboxSlots), '--concurrency-inference', '64', '--concurrency-default', '64'],
{ ...process.env, EGCFG_LOG_LEVEL: 'warn', EGCFG_DB_POOL: '20' });
const ctx = { db: db.db, client };
try {
  await worker.start();
  const problems = await syntheticProblems(N + C * P);
  const model = writeReplayFile(join(dir, 'replay.jsonl'), problems);

  // 1. Volume.
  const volumeProblems = problems.slice(0, N);
  const t0 = performance.now();
  const big = await startProblemsCampaign(ctx, volumeProblems, model, { concurrency });
  const summary = await client.workflow.getHandle(big.workflowId).result() as { problems: number; passed: number };
  const volumeS = (performance.now() - t0) / 1000;
  const runs = [];
  for (const r of await historySizes(client, big.workflowId)) {
    const d = await client.workflow.getHandle(big.workflowId, r.runId).describe();
    runs.push({ events: d.historyLength, bytes: d.historySize ?? r.bytes });
  }
  // A replay campaign runs in batches (no child workflow per problem): absent then.
  const problemHistory = await client.workflow.getHandle(problemWorkflowId(big.campaignId, big.problemIds[0]!)).describe().catch(() => undefined);

  // 2. Fairness: C campaigns at once.
  const fair = problems.slice(N, N + C * P);
  const f0 = performance.now();
  const started = [];
  for (let c = 0; c < C; c++) started.push(await startProblemsCampaign(ctx, fair.slice(c * P, (c + 1) * P), model, { concurrency: Math.max(1, Math.floor(concurrency / C) * 2) }));
  const ids = started.map((s) => s.campaignId);
  const timeline: Array<{ t: number; done: number[] }> = [];
  const finished = new Map<string, number>();
  let midpoint: number[] | undefined;
  while (finished.size < C) {
    const rows = await db.db.select({ campaignId: results.campaignId, n: count() }).from(results)
      .where(inArray(results.campaignId, ids)).groupBy(results.campaignId);
    const by = new Map(rows.map((r) => [r.campaignId, Number(r.n)]));
    const done = ids.map((id) => by.get(id) ?? 0);
    const t = +((performance.now() - f0) / 1000).toFixed(1);
    timeline.push({ t, done });
    ids.forEach((id, i) => { if (done[i] === P && !finished.has(id)) finished.set(id, t); });
    if (!midpoint && done.reduce((a, b) => a + b, 0) >= (C * P) / 2) midpoint = done;
    if (finished.size < C) await sleep(1000);
  }
  for (const s of started) await client.workflow.getHandle(s.workflowId).result();
  const fairnessS = (performance.now() - f0) / 1000;
  const jain = (xs: number[]) => (xs.reduce((a, b) => a + b, 0) ** 2) / (xs.length * xs.reduce((a, b) => a + b * b, 0));
  const finishes = [...finished.values()];
  const fairPassed = Number((await db.db.select({ n: count() }).from(results).where(inArray(results.campaignId, ids)))[0]!.n);
  const step = Math.max(1, Math.floor(timeline.length / 8));

  console.log(JSON.stringify({
    bench: 'volume', cpus: availableParallelism(), sandbox_slots: sandboxSlots, concurrency,
    volume: {
      problems: summary.problems, passed: summary.passed, seconds: +volumeS.toFixed(1), problems_per_s: +(summary.problems / volumeS).toFixed(2),
      campaign_runs: runs.length, campaign_history_max_events: Math.max(...runs.map((r) => r.events)),
      campaign_history_max_bytes: Math.max(...runs.map((r) => r.bytes ?? 0)),
      campaign_history_total_events: runs.reduce((a, r) => a + r.events, 0),
      problem_history_events: problemHistory?.historyLength ?? null, problem_history_bytes: problemHistory?.historySize ?? null,
    },
    peak_rss_mib: { worker: peakRssMiB(worker.pid), temporal_server: peakRssMiB(server.pid) },
    fairness: {
      campaigns: C, problems_each: P, results: fairPassed, seconds: +fairnessS.toFixed(1),
      jain_index_at_half: midpoint ? +jain(midpoint).toFixed(3) : null, progress_at_half: midpoint,
      finish_s: { first: Math.min(...finishes), last: Math.max(...finishes) },
      timeline: timeline.filter((_, i) => i % step === 0 || i === timeline.length - 1),
    },
  }));
} finally {
  await worker.kill9();
  await connection.close();
  await server.stop();
  await db.drop();
}
