// Benchmark (not a test): the campaign page of a 5,000-problem campaign. A finished EG-CFG campaign (problems,
// samples, executions, results of three protocols with their winners, one problem_finished event per problem and
// protocol) is written straight into a fresh Postgres database; the API server (real HTTP, @hono/node-server) serves
// its page. Measures the page weight (HTML, and the stylesheet and script it loads) and the server time of the page
// with the problems table as it is first shown, sorted, filtered, searched and on its last page, then the load time
// in headless Chromium (navigation start to the load event) when it is installed. Prints one JSON line.
// Usage: npx tsx bench/dashboard.bench.ts [--problems N (5000)] [--repeat R (15)]
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { startApiServer } from '../api/server.ts';
import { campaignCost, latestEvents, problemsPage, ProblemsQuerySchema, scoreCards, solutionLines, winCounts } from '../api/campaign-views.ts';
import type { Database } from '../db/client.ts';
import { campaigns, events, executions, problems, results, runs, samples } from '../db/schema/index.ts';
import { freshPostgresDatabase } from '../test/support/services.ts';

const { values } = parseArgs({ options: { problems: { type: 'string' }, repeat: { type: 'string' } } });
const N = Number(values.problems ?? 5000);
const repeat = Number(values.repeat ?? 15);
const CHROMIUM = '/usr/bin/chromium';
const campaignId = '20261201-120000-bench0';

const chunks = <T>(xs: T[], n = 500): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, (i + 1) * n));

async function seed(db: Database): Promise<void> {
  await db.insert(campaigns).values({
    id: campaignId, method: 'eg-cfg', dataset: 'mbpp', model: 'simulated-deepseek', simulated: true, status: 'completed',
    config: { method: 'eg-cfg' }, workflowId: `campaign-${campaignId}`, problemsTotal: N, finishedAt: new Date(),
  });
  const [run] = await db.insert(runs).values({ campaignId, name: 't0.7-s3-d2', config: {} }).returning({ id: runs.id });
  const ids: number[] = [];
  for (const part of chunks(Array.from({ length: N }, (_, i) => i))) {
    const rows = await db.insert(problems).values(part.map((i) => ({
      contentHash: `bench-${campaignId}-${i}`, dataset: 'mbpp', taskId: `bench-${String(i).padStart(5, '0')}`, split: 'test', statement: `problem ${i}`, visibleTests: ['assert f(1) == 1'],
      problem: { dataset: 'mbpp' as const, taskId: `bench-${i}`, split: 'test' as const, entryPoint: 'f', statement: `problem ${i}`, visibleTests: ['assert f(1) == 1'], evalProgramTests: [], canonicalSolution: '', raw: {} }, raw: {},
    }))).returning({ id: problems.id });
    ids.push(...rows.map((r) => r.id));
  }
  const sampleIds: number[] = [];
  for (const part of chunks(ids.map((id, i) => ({ id, i })))) {
    const rows = await db.insert(samples).values(part.map(({ id, i }) => ({
      campaignId, runId: run!.id, problemId: id, attempt: 'gamma=3/try=0', code: `def f(x):\n    return x  # ${i}\n`, model: 'simulated-deepseek',
      params: {}, promptTokens: 300, completionTokens: 40, modelCalls: 12,
    }))).returning({ id: samples.id });
    sampleIds.push(...rows.map((r) => r.id));
  }
  const passedOf = (i: number) => i % 3 !== 2;
  for (const part of chunks(sampleIds.map((s, i) => ({ s, i })))) {
    await db.insert(executions).values(part.map(({ s, i }) => ({
      sampleId: s, suite: 'eval', status: passedOf(i) ? 'passed' : 'failed', passed: passedOf(i), testsPassed: passedOf(i) ? 3 : 1, testsTotal: 3, perTest: [], durationMs: 5,
    })));
    for (const protocol of ['paper', 'strict', 'default']) {
      await db.insert(results).values(part.map(({ s, i }) => ({
        campaignId, problemId: ids[i]!, protocol, passed: passedOf(i), sampleId: s, status: passedOf(i) ? 'passed' : 'failed',
        detail: { winner: passedOf(i) ? { agent: 't0.7-s3-d2', gamma: [0, 0.5, 1, 3][i % 4]!, generationId: 0 } : null },
      })));
      await db.insert(events).values(part.map(({ i }) => ({
        campaignId, key: `result:${protocol}:${ids[i]}`, kind: 'problem_finished',
        payload: { problemId: ids[i], taskId: `bench-${String(i).padStart(5, '0')}`, protocol, passed: passedOf(i), status: passedOf(i) ? 'passed' : 'failed' },
      })));
    }
  }
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Number(s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(1));
};

async function timed(url: string): Promise<{ ms: number; bytes: number; rows: number; status: number }> {
  const started = performance.now();
  const res = await fetch(url);
  const body = await res.text();
  return { ms: performance.now() - started, bytes: Buffer.byteLength(body), rows: (body.match(/<tr data-task=/g) ?? []).length, status: res.status };
}

async function browserLoad(url: string): Promise<Record<string, number> | null> {
  if (!existsSync(CHROMIUM)) return null;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage();
    const times: number[] = [];
    const response: number[] = [];
    const dom: number[] = [];
    for (let i = 0; i < Math.max(3, Math.ceil(repeat / 2)); i++) {
      await page.goto(url, { waitUntil: 'load' });
      const t = await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        return { load: nav.loadEventEnd - nav.startTime, response: nav.responseEnd - nav.startTime, dom: nav.domContentLoadedEventEnd - nav.startTime };
      });
      times.push(t.load);
      response.push(t.response);
      dom.push(t.dom);
    }
    return { p50: quantile(times, 0.5), p95: quantile(times, 0.95), response_end_p50: quantile(response, 0.5), dom_content_loaded_p50: quantile(dom, 0.5) };
  } finally {
    await browser.close();
  }
}

const db = await freshPostgresDatabase();
const server = await startApiServer({ db: db.db, client: {} as Client, auth: { mode: 'none' }, log: () => {} });
try {
  const seedStarted = performance.now();
  await seed(db.db);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const base = `${server.url}/ui/campaigns/${campaignId}`;
  const views: Record<string, string> = {
    first: '', sorted: '?sort=verdict&dir=desc', filtered: '?verdict=passed&gamma=3', searched: '?q=0042', last: `?page=${Math.ceil(N / 50)}`, per500: '?per=500',
  };
  const out: Record<string, { p50: number; p95: number; bytes: number; rows: number }> = {};
  for (const [name, q] of Object.entries(views)) {
    await timed(base + q); // warm
    const runs = [];
    for (let i = 0; i < repeat; i++) runs.push(await timed(base + q));
    if (runs.some((r) => r.status !== 200)) throw new Error(`${name}: status ${runs.find((r) => r.status !== 200)!.status}`);
    out[name] = { p50: quantile(runs.map((r) => r.ms), 0.5), p95: quantile(runs.map((r) => r.ms), 0.95), bytes: runs[0]!.bytes, rows: runs[0]!.rows };
  }
  // Where the server's time goes: each read of the campaign page on its own (p50 of `repeat`).
  const reads: Record<string, () => Promise<unknown>> = {
    events: () => latestEvents(db.db, campaignId), scoreCards: () => scoreCards(db.db, campaignId), cost: () => campaignCost(db.db, campaignId, 'eg-cfg'),
    problemsPage: () => problemsPage(db.db, campaignId, ProblemsQuerySchema.parse({})), winCounts: () => winCounts(db.db, campaignId),
    solutionLines: () => solutionLines(db.db, campaignId),
  };
  const readMs: Record<string, number> = {};
  for (const [name, read] of Object.entries(reads)) {
    const ms: number[] = [];
    for (let i = 0; i < repeat; i++) { const t = performance.now(); await read(); ms.push(performance.now() - t); }
    readMs[name] = quantile(ms, 0.5);
  }
  const css = Buffer.byteLength(await (await fetch(`${server.url}/static/dashboard.css`)).text());
  const js = Buffer.byteLength(await (await fetch(`${server.url}/static/dashboard.js`)).text());
  const browser = await browserLoad(base);
  console.log(JSON.stringify({
    bench: 'dashboard', problems: N, events: 3 * N, seed_seconds: Number(seedSeconds.toFixed(1)),
    page_kb: Number((out.first!.bytes / 1024).toFixed(1)), css_kb: Number((css / 1024).toFixed(1)), js_kb: Number((js / 1024).toFixed(1)),
    rows_shown: out.first!.rows, server_ms: Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { p50: v.p50, p95: v.p95, kb: Number((v.bytes / 1024).toFixed(1)), rows: v.rows }])),
    read_ms_p50: readMs, browser_load_ms: browser,
  }));
} finally {
  await server.close();
  await db.drop();
}
