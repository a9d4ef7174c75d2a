// Benchmark (not a test): API latency under a bounded loopback load while a campaign runs. A fixed number of
// concurrent clients loop over GET /campaigns/{id} (live progress: a Temporal describe + query, plus pass@1 from
// Postgres) and the results routes (json, csv) of the running campaign, over real HTTP (@hono/node-server) against
// the real services (Temporal dev server, Postgres, in-process workers with nsjail, the simulated model server).
// Prints one JSON line: p50/p99 per route, request counts, errors, event-loop delay, how far the campaign got
// meanwhile, and the same load again once the campaign has completed (the API's own cost, without the workers).
// Usage: npx tsx bench/api.bench.ts [--clients N (16)] [--seconds S (20)] [--problems P (300)] [--concurrency C (8)]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { modelBackendCache } from '../activities/model-backend.ts';
import { closeSharedSandbox, getSharedSandbox } from '../activities/sandbox/index.ts';
import { startApiServer } from '../api/server.ts';
import { simulatedModels } from '../api/simulated-models.ts';
import { createApiToken } from '../api/tokens.ts';
import { waitForCampaign } from '../campaigns/service.ts';
import { freshPostgresDatabase, startTestTemporal } from '../test/support/services.ts';
import { startWorkers } from '../workers/worker.ts';

const { values } = parseArgs({ options: {
  clients: { type: 'string' }, seconds: { type: 'string' }, problems: { type: 'string' }, concurrency: { type: 'string' },
} });
const clients = Number(values.clients ?? 16);
const seconds = Number(values.seconds ?? 20);
const problems = Number(values.problems ?? 300);
const concurrency = Number(values.concurrency ?? 8);

/** The load: `clients` concurrent loops, half the requests on the first path, the rest alternating over the others. */
const LOAD_CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const { base, headers, paths, clients, seconds } = workerData;
const latencies = paths.map(() => []);
let errors = 0;
let turn = 0;
const deadline = performance.now() + seconds * 1000;
Promise.all(Array.from({ length: clients }, async () => {
  while (performance.now() < deadline) {
    const i = turn % 2 === 0 ? 0 : 1 + ((turn >> 1) % (paths.length - 1));
    turn++;
    const started = performance.now();
    try {
      const r = await fetch(base + paths[i], { headers });
      await r.arrayBuffer();
      if (r.ok) latencies[i].push(performance.now() - started); else errors++;
    } catch { errors++; }
  }
})).then(() => parentPort.postMessage({ latencies, errors }));
`;

const quantile = (sorted: number[], q: number): number => {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
};
const round = (x: number) => Math.round(x * 100) / 100;

const db = await freshPostgresDatabase();
const env = await startTestTemporal();
const sims = simulatedModels({ skill: 0.6 });
const workers = await startWorkers({ connection: env.nativeConnection, deps: { db: db.db, sandbox: getSharedSandbox, model: modelBackendCache() } });
const server = await startApiServer({ db: db.db, client: env.client, simulated: sims, log: () => {} });
try {
  const { token } = await createApiToken(db.db, 'bench');
  const headers = { authorization: `Bearer ${token}` };
  const res = await fetch(`${server.url}/campaigns`, {
    method: 'POST', headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ dataset: 'mbpp', modelName: 'simulated-bench', maxProblems: problems, concurrency }),
  });
  if (res.status !== 201) throw new Error(`could not start the campaign: ${res.status} ${await res.text()}`);
  const { campaignId } = await res.json() as { campaignId: string };
  const detail = async () => (await (await fetch(`${server.url}/campaigns/${campaignId}`, { headers })).json()) as { progress: { done: number; total: number } };
  // Load starts once problems are finishing, so the results routes have rows to read.
  const deadline = Date.now() + 600_000;
  while ((await detail()).progress.done < Math.min(10, problems)) {
    if (Date.now() > deadline) throw new Error('the campaign did not finish 10 problems within 600 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  const doneBefore = (await detail()).progress.done;

  const routes = {
    'GET /campaigns/{id}': `/campaigns/${campaignId}`,
    'GET /campaigns/{id}/results?format=json': `/campaigns/${campaignId}/results?format=json`,
    'GET /campaigns/{id}/results?format=csv': `/campaigns/${campaignId}/results?format=csv`,
  } as const;
  const names = Object.keys(routes) as Array<keyof typeof routes>;

  async function measure(forSeconds: number) {
    // The clients run in a worker thread: their fetch work stays off the event loop the API shares with the
    // in-process workers (as under `egcfg serve`), which is what is measured.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const worker = new Worker(LOAD_CLIENT, {
      eval: true, workerData: { base: server.url, headers, paths: names.map((n) => routes[n]), clients, seconds: forSeconds },
    });
    const { latencies, errors } = await new Promise<{ latencies: number[][]; errors: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    loop.disable();
    const total = latencies.reduce((acc, xs) => acc + xs.length, 0);
    return {
      requests: total, requests_per_s: round(total / forSeconds), errors,
      routes: Object.fromEntries(names.map((n, i) => {
        const xs = latencies[i]!.sort((a, b) => a - b);
        return [n, { requests: xs.length, p50_ms: round(quantile(xs, 0.5)), p99_ms: round(quantile(xs, 0.99)), max_ms: round(xs.at(-1) ?? NaN) }];
      })),
      event_loop_delay_ms: { p50: round(loop.percentile(50) / 1e6), p99: round(loop.percentile(99) / 1e6) },
    };
  }

  const running = await measure(seconds);
  const doneAfter = (await detail()).progress.done;
  // The same load once the campaign has finished: what the API costs by itself, without the workers' work.
  await waitForCampaign({ db: db.db, client: env.client }, campaignId);
  const idle = await measure(Math.max(5, seconds / 2));
  console.log(JSON.stringify({
    bench: 'api', clients, seconds, ...running,
    campaign: { problems, concurrency, done_before_load: doneBefore, done_after_load: doneAfter },
    idle_after_completion: { requests_per_s: idle.requests_per_s, errors: idle.errors, routes: idle.routes },
    database: 'postgres', transport: 'http loopback (@hono/node-server)',
  }));
} finally {
  await server.close();
  await workers.shutdown();
  await sims.close();
  await env.teardown();
  await db.drop();
  await closeSharedSandbox();
}
