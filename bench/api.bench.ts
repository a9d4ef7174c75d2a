// Benchmark (not a test): API latency under a bounded loopback load while a campaign runs. A fixed number of
// concurrent clients loop over GET /campaigns/{id} (live progress: a Temporal describe + query, plus pass@1 from
// Postgres) and the results routes (json, csv) of the running campaign, over real HTTP (@hono/node-server) against
// the real services (Temporal dev server, Postgres, in-process workers with nsjail, the simulated model server).
// Prints one JSON line: p50/p99 per route, request counts, errors, and how far the campaign got meanwhile.
// Usage: npx tsx bench/api.bench.ts [--clients N (16)] [--seconds S (20)] [--problems P (300)] [--concurrency C (8)]
import { parseArgs } from 'node:util';
import { modelBackendCache } from '../activities/model-backend.ts';
import { closeSharedSandbox, getSharedSandbox } from '../activities/sandbox/index.ts';
import { startApiServer } from '../api/server.ts';
import { simulatedModels } from '../api/simulated-models.ts';
import { createApiToken } from '../api/tokens.ts';
import { freshPostgresDatabase, startTestTemporal } from '../test/support/services.ts';
import { startWorkers } from '../workers/worker.ts';

const { values } = parseArgs({ options: {
  clients: { type: 'string' }, seconds: { type: 'string' }, problems: { type: 'string' }, concurrency: { type: 'string' },
} });
const clients = Number(values.clients ?? 16);
const seconds = Number(values.seconds ?? 20);
const problems = Number(values.problems ?? 300);
const concurrency = Number(values.concurrency ?? 8);

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
  while ((await detail()).progress.done < Math.min(10, problems)) await new Promise((r) => setTimeout(r, 200));
  const doneBefore = (await detail()).progress.done;

  const routes = {
    'GET /campaigns/{id}': `/campaigns/${campaignId}`,
    'GET /campaigns/{id}/results?format=json': `/campaigns/${campaignId}/results?format=json`,
    'GET /campaigns/{id}/results?format=csv': `/campaigns/${campaignId}/results?format=csv`,
  } as const;
  const names = Object.keys(routes) as Array<keyof typeof routes>;
  const latencies = new Map<string, number[]>(names.map((n) => [n, []]));
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  let turn = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < deadline) {
      // Half the requests read progress, the other half results (json and csv alternately).
      const name = turn % 2 === 0 ? names[0]! : names[1 + ((turn >> 1) % 2)]!;
      turn++;
      const started = performance.now();
      try {
        const r = await fetch(`${server.url}${routes[name]}`, { headers });
        await r.arrayBuffer();
        if (!r.ok) errors++;
        else latencies.get(name)!.push(performance.now() - started);
      } catch {
        errors++;
      }
    }
  }));
  const doneAfter = (await detail()).progress.done;
  const summary = Object.fromEntries(names.map((n) => {
    const xs = latencies.get(n)!.sort((a, b) => a - b);
    return [n, { requests: xs.length, p50_ms: round(quantile(xs, 0.5)), p99_ms: round(quantile(xs, 0.99)), max_ms: round(xs.at(-1) ?? NaN) }];
  }));
  const total = names.reduce((s, n) => s + latencies.get(n)!.length, 0);
  console.log(JSON.stringify({
    bench: 'api', clients, seconds, requests: total, requests_per_s: round(total / seconds), errors,
    campaign: { problems, concurrency, done_before_load: doneBefore, done_after_load: doneAfter },
    routes: summary, database: 'postgres', transport: 'http loopback (@hono/node-server)',
  }));
  await fetch(`${server.url}/campaigns/${campaignId}/cancel`, { method: 'POST', headers });
} finally {
  await server.close();
  await workers.shutdown();
  await sims.close();
  await env.teardown();
  await db.drop();
  await closeSharedSandbox();
}
