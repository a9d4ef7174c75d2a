// Chaos: the same 20-problem MBPP baseline campaign (deterministic simulated model) runs twice against real services
// in separate processes: once undisturbed, once while faults are injected at seeded random moments:
//   worker      kill -9 the `egcfg worker` process, start a new one
//   temporal    kill -9 the Temporal dev server, restart it on the same --db-filename
//   postgres    restart our private Postgres cluster (pg_ctl stop -m fast; start)
//   model       the model server answers 500s and hangs for a while, then is down (connection refused) for 3 s
//   sandbox     flood the sandbox queue: a 40-problem campaign at concurrency 40 against a 2-slot sandbox worker
// The disturbed run must give the same per-problem verdicts and pass@1, exactly one row per problem (results,
// samples, executions, finish events), and every problem workflow completed. A table of what happened is printed.
// EGCFG_CHAOS_SEED picks the schedule (default 7).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client, Connection } from '@temporalio/client';
import { and, count, eq } from 'drizzle-orm';
import { startSimulatedModelServer, type SimulatedServer } from '../../activities/model/simulated-server.ts';
import { parseRunOptions } from '../../campaigns/options.ts';
import { campaignResults, startCampaign, waitForCampaign, type ServiceContext } from '../../campaigns/service.ts';
import { knowledgeFor } from '../../cli/simulated.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import { openDatabase, type DatabaseHandle } from '../../db/client.ts';
import { events, executions, results, samples } from '../../db/schema/index.ts';
import { campaignWorkflowId } from '../../campaigns/service.ts';
import { problemWorkflowId } from '../../workflows/campaign.ts';
import type { CampaignSummary, ModelSpec } from '../../core/contracts.ts';
import { DevServer, PrivatePostgres, WorkerProcess } from './cluster.ts';

const SEED = Number(process.env.EGCFG_CHAOS_SEED ?? 7);
const PROBLEMS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** mulberry32: a small seeded PRNG, so a failing schedule can be replayed with the same seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface RunFacts {
  campaignId: string;
  summary: CampaignSummary;
  verdicts: Map<string, string>;
  rows: { results: number; samples: number; executions: number; finishEvents: number };
  unfinished: string[];
  activityRetries: number;
  workflowTaskFailures: number;
  modelRetryEvents: number;
}

describe('chaos: a campaign survives killed processes, restarts and model faults with identical results', { timeout: 600_000 }, () => {
  let pg: PrivatePostgres;
  let server: DevServer;
  let database: DatabaseHandle;
  let client: Client;
  let connection: Connection;
  let worker: WorkerProcess;
  const sims: SimulatedServer[] = [];

  before(async () => {
    [pg, server] = await Promise.all([PrivatePostgres.start(), DevServer.start()]);
    database = await openDatabase(pg.url, { poolSize: 4 });
    ({ client, connection } = await server.client());
    worker = new WorkerProcess(['--queues', 'default,inference,sandbox', '--temporal-address', server.address,
      '--database-url', pg.url, '--concurrency-sandbox', '2', '--concurrency-inference', '8', '--identity', 'chaos-worker'],
    { ...process.env, EGCFG_DB_POOL: '8' });
    await worker.start();
  }, { timeout: 300_000 });
  after(async () => {
    await worker?.kill9();
    for (const s of sims) await s.close();
    await connection?.close();
    await server?.stop();
    await database?.close();
    await pg?.destroy();
  }, { timeout: 120_000 });

  const ctx = (): ServiceContext => ({ db: database.db, client });

  /** Client calls that failed while waiting (e.g. while the server restarted) and were asked again. */
  const clientErrors: string[] = [];
  /** Wait for a campaign's result; the client's own calls may fail while the server restarts: ask again. */
  async function awaitCampaign(campaignId: string): Promise<CampaignSummary> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await waitForCampaign(ctx(), campaignId);
      } catch (err) {
        clientErrors.push((err as Error).message.slice(0, 120));
        if (attempt >= 60) throw err;
        await sleep(1000);
      }
    }
  }

  async function facts(campaignId: string, summary: CampaignSummary): Promise<RunFacts> {
    const rows = await campaignResults(database.db, campaignId);
    const sandboxStatus = new Map((await database.db.select({ sampleId: executions.sampleId, status: executions.status }).from(executions)
      .innerJoin(samples, eq(samples.id, executions.sampleId)).where(eq(samples.campaignId, campaignId))).map((r) => [r.sampleId, r.status]));
    const verdicts = new Map(rows.map((r) =>
      [r.task_id, `${r.status}/${r.tests_passed}of${r.tests_total}/${sandboxStatus.get(r.sample_id ?? -1) ?? '-'}`]));
    const n = async (q: Promise<Array<{ n: number }>>) => Number((await q)[0]!.n);
    const resultRows = await n(database.db.select({ n: count() }).from(results).where(eq(results.campaignId, campaignId)));
    const sampleRows = await n(database.db.select({ n: count() }).from(samples).where(eq(samples.campaignId, campaignId)));
    const executionRows = await n(database.db.select({ n: count() }).from(executions)
      .innerJoin(samples, eq(samples.id, executions.sampleId)).where(eq(samples.campaignId, campaignId)));
    const finishEvents = await n(database.db.select({ n: count() }).from(events)
      .where(and(eq(events.campaignId, campaignId), eq(events.kind, 'problem_finished'))));
    const modelRetryEvents = await n(database.db.select({ n: count() }).from(events)
      .where(and(eq(events.campaignId, campaignId), eq(events.kind, 'model_retry'))));
    const problemIds = (await database.db.select({ id: results.problemId }).from(results).where(eq(results.campaignId, campaignId))).map((r) => r.id);
    const unfinished: string[] = [];
    let activityRetries = 0;
    let workflowTaskFailures = 0;
    const workflowIds = [campaignWorkflowId(campaignId), ...problemIds.map((id) => problemWorkflowId(campaignId, id))];
    for (const id of workflowIds) {
      const handle = client.workflow.getHandle(id);
      const d = await handle.describe();
      if (d.status.name !== 'COMPLETED') unfinished.push(`${id}: ${d.status.name}`);
      const history = await handle.fetchHistory();
      for (const e of history.events ?? []) {
        const attempt = e.activityTaskStartedEventAttributes?.attempt;
        if (attempt && attempt > 1) activityRetries += attempt - 1;
        if (e.workflowTaskTimedOutEventAttributes || e.workflowTaskFailedEventAttributes) workflowTaskFailures++;
      }
    }
    return {
      campaignId, summary, verdicts, unfinished, activityRetries, workflowTaskFailures, modelRetryEvents,
      rows: { results: resultRows, samples: sampleRows, executions: executionRows, finishEvents },
    };
  }

  test(`seed ${SEED}: worker kill -9, Temporal kill -9, Postgres restart, model errors/hangs/down, sandbox flood`, async () => {
    const problems = (await loadDataset('mbpp', { split: 'test' })).slice(0, 40);
    const knowledge = knowledgeFor(problems);
    const calm = await startSimulatedModelServer({ knowledge, modelName: 'sim', skill: 0.5 });
    // The same model (name, knowledge, skill): the same answers. Slower, so that the faults land mid-campaign.
    const stormy = await startSimulatedModelServer({ knowledge, modelName: 'sim', skill: 0.5, latencyMs: 400 });
    sims.push(calm, stormy);
    const spec = (s: SimulatedServer): ModelSpec => ({ kind: 'openai', baseUrl: s.url, model: 'sim', simulated: true });
    const opts = parseRunOptions({ dataset: 'mbpp', modelName: 'sim', maxProblems: PROBLEMS, concurrency: 3, seed: 40 });

    // 1. Undisturbed.
    const first = await startCampaign(ctx(), opts, spec(calm));
    const calmFacts = await facts(first.campaignId, await awaitCampaign(first.campaignId));

    // 2. Disturbed: the faults in a seeded random order, at seeded random moments.
    const random = rng(SEED);
    const injected: Record<string, number> = { worker: 0, temporal: 0, postgres: 0, model: 0, sandbox: 0 };
    let floodId: string | undefined;
    const faults: Record<string, () => Promise<void>> = {
      worker: async () => { await worker.kill9(); await sleep(200 + random() * 1000); await worker.start(); },
      temporal: async () => { await server.kill9(); await sleep(500 + random() * 1500); await server.up(); },
      postgres: async () => { await pg.restart(); },
      model: async () => {
        stormy.setFaults({ hang: 2 }); // the next requests get no answer ...
        await sleep(1000 + random() * 2000);
        await stormy.setDown(true); // ... until the server goes down (which resets them): connection refused for 3 s
        stormy.setFaults({ error500: 8 }); // and the first requests after it get 500s (the counts replace the hangs left)
        await sleep(3000);
        await stormy.setDown(false);
      },
      sandbox: async () => {
        const flood = await startCampaign(ctx(), parseRunOptions({ dataset: 'mbpp', modelName: 'sim', maxProblems: 40, concurrency: 40 }), spec(stormy));
        floodId = flood.campaignId;
      },
    };
    // Each fault fires when the disturbed campaign has finished a seeded random number of problems (1..15), so that
    // every fault lands mid-campaign with work still to do after it, whatever the machine's speed.
    const plan = Object.keys(faults).map((k) => ({ kind: k, at: 1 + Math.floor(random() * 15) })).sort((a, b) => a.at - b.at);
    const second = await startCampaign(ctx(), opts, spec(stormy));
    // Wait as `egcfg run` does, from the start: through every fault, the Temporal restart included.
    const stormWait = awaitCampaign(second.campaignId);
    const schedule: string[] = [];
    const started = Date.now();
    const doneSoFar = async () =>
      Number((await database.db.select({ n: count() }).from(results).where(eq(results.campaignId, second.campaignId)))[0]!.n);
    for (const { kind, at } of plan) {
      let done = await doneSoFar().catch(() => 0);
      const deadline = Date.now() + 300_000;
      while (done < at) {
        assert.ok(Date.now() < deadline, `the campaign did not reach ${at}/${PROBLEMS} problems within 300 s (at ${done}) before the '${kind}' fault`);
        await sleep(250);
        done = await doneSoFar().catch(() => done);
      }
      assert.ok(done < PROBLEMS, `the campaign finished before the '${kind}' fault (seed ${SEED}): the schedule proves nothing`);
      schedule.push(`${((Date.now() - started) / 1000).toFixed(1)}s ${kind} @${done}/${PROBLEMS}`);
      await faults[kind]!();
      injected[kind]!++;
    }
    const stormFacts = await facts(second.campaignId, await stormWait);
    const floodSummary = floodId ? await awaitCampaign(floodId) : undefined;

    // 3. Compare.
    const differences: string[] = [];
    for (const [task, v] of calmFacts.verdicts) {
      if (stormFacts.verdicts.get(task) !== v) differences.push(`${task}: ${v} vs ${stormFacts.verdicts.get(task) ?? 'missing'}`);
    }
    for (const task of stormFacts.verdicts.keys()) if (!calmFacts.verdicts.has(task)) differences.push(`${task}: only in the disturbed run`);
    const sim = stormy.stats().faultsInjected;
    const table = [
      `chaos seed ${SEED}; schedule: ${schedule.join(' → ')}`,
      '| run | faults injected | activity retries (histories) | workflow task failures | model_retry events | results | samples | executions | finish events | unfinished | pass@1 |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
      ...[['undisturbed', calmFacts, '0'], ['disturbed', stormFacts,
        `${Object.entries(injected).map(([k, v]) => `${k}×${v}`).join(' ')}; model 500×${sim.error500} hang×${sim.hang}`]] .map(([name, f, inj]) => {
        const x = f as RunFacts;
        return `| ${name as string} | ${inj as string} | ${x.activityRetries} | ${x.workflowTaskFailures} | ${x.modelRetryEvents} | ${x.rows.results} | ${x.rows.samples} | ${x.rows.executions} | ${x.rows.finishEvents} | ${x.unfinished.length} | ${x.summary.passAt1.toFixed(3)} |`;
      }),
      `differences: ${differences.length}${differences.length ? ` (${differences.join('; ')})` : ''}; worker restarts ${worker.exits.length}; flood campaign ${floodSummary?.problems ?? '?'} problems; client re-waits ${clientErrors.length}${clientErrors.length ? ` (${[...new Set(clientErrors)].join('; ')})` : ''}`,
    ].join('\n');
    console.log(table);

    assert.deepEqual(differences, []);
    assert.equal(stormFacts.summary.passAt1, calmFacts.summary.passAt1);
    assert.equal(stormFacts.summary.passed, calmFacts.summary.passed);
    for (const f of [calmFacts, stormFacts]) {
      assert.deepEqual(f.rows, { results: PROBLEMS, samples: PROBLEMS, executions: PROBLEMS, finishEvents: PROBLEMS });
      assert.deepEqual(f.unfinished, []);
    }
    assert.ok(calmFacts.summary.passed > 0 && calmFacts.summary.passed < PROBLEMS, 'a 0.5-skill model passes some problems, not all');
    assert.deepEqual(Object.values(injected), [1, 1, 1, 1, 1]);
    assert.ok(sim.error500 > 0, 'the model server did answer 500s');
    // The model faults land on whichever requests come next: the disturbed campaign's or the flood campaign's (both
    // talk to the stormy server), so retries are counted over both.
    const floodRetryEvents = floodId ? Number((await database.db.select({ n: count() }).from(events)
      .where(and(eq(events.campaignId, floodId), eq(events.kind, 'model_retry'))))[0]!.n) : 0;
    assert.ok(stormFacts.activityRetries + stormFacts.modelRetryEvents + floodRetryEvents > 0,
      `the faults were felt: something was retried (flood campaign model_retry events: ${floodRetryEvents})`);
    assert.equal(floodSummary?.problems, 40);
  });
});
