// A fake model API key (EGCFG_MODEL_API_KEY=sk-fake-…) is used — the model server receives it as a Bearer token —
// and appears nowhere else: not in any workflow history (every field of every event, payload bytes decoded), not in
// the worker's or the CLI's output (structured logs included), not in any database row.
// Positive controls show each search can find things (the campaign id and the model URL are there). The same run
// checks that every structured activity log line carries the campaign, problem and workflow ids.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client, Connection } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import postgres from 'postgres';
import { startSimulatedModelServer, type SimulatedServer } from '../../activities/model/simulated-server.ts';
import { knowledgeFor } from '../../cli/simulated.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import { repoPath } from '../../core/repo.ts';
import { results } from '../../db/schema/index.ts';
import { campaignWorkflowId } from '../../campaigns/service.ts';
import { problemWorkflowId } from '../../workflows/campaign.ts';
import { DevServer, WorkerProcess } from '../chaos/cluster.ts';
import { freshPostgresDatabase, type TestDatabase } from '../support/services.ts';

const SECRET = `sk-fake-${randomBytes(12).toString('hex')}`;

/** Every string and every byte field (payload data decoded as UTF-8) in a decoded protobuf object, joined. */
function allText(o: unknown, out: string[] = []): string[] {
  if (typeof o === 'string') out.push(o);
  else if (o instanceof Uint8Array) out.push(Buffer.from(o).toString('utf8'));
  else if (Array.isArray(o)) for (const x of o) allText(x, out);
  else if (o && typeof o === 'object') for (const v of Object.values(o)) allText(v, out);
  return out;
}

/** A pass-through proxy in front of the model server that records the Authorization headers it sees. */
async function recordingProxy(target: string): Promise<{ url: string; auth: string[]; server: Server }> {
  const auth: string[] = [];
  const t = new URL(target);
  const server = createServer((req, res) => {
    auth.push(String(req.headers.authorization ?? ''));
    const up = request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => { res.writeHead(502).end(); });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, auth, server };
}

describe('secrets: a model API key never reaches histories, logs or the database', { timeout: 600_000 }, () => {
  let server: DevServer;
  let db: TestDatabase;
  let client: Client;
  let connection: Connection;
  let worker: WorkerProcess;
  let sim: SimulatedServer;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;

  before(async () => {
    [server, db] = await Promise.all([DevServer.start(), freshPostgresDatabase()]);
    ({ client, connection } = await server.client());
    const problems = (await loadDataset('mbpp', { split: 'test' })).slice(0, 4);
    sim = await startSimulatedModelServer({ knowledge: knowledgeFor(problems), modelName: 'sim', skill: 0.5, faults: { error500: 3 } });
    proxy = await recordingProxy(sim.url);
    worker = new WorkerProcess(['--queues', 'default,inference,sandbox', '--temporal-address', server.address, '--database-url', db.url],
      // The legacy key goes only to the URLs it is bound to (core/model-servers.ts): here, the model server's proxy.
      { ...process.env, EGCFG_MODEL_API_KEY: SECRET, EGCFG_MODEL_API_KEY_URLS: proxy.url, EGCFG_LOG_LEVEL: 'debug' });
    await worker.start();
  }, { timeout: 300_000 });
  after(async () => {
    await worker?.kill9();
    await new Promise<void>((r) => (proxy ? proxy.server.close(() => r()) : r()));
    await sim?.close();
    await connection?.close();
    await server?.stop();
    await db?.drop();
  }, { timeout: 120_000 });

  test('the key is sent to the model server and found nowhere else', async () => {
    const out = mkdtempSync(join(tmpdir(), 'egcfg-secrets-'));
    const cli = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const p = spawn(process.execPath, [repoPath('cli', 'bin', 'egcfg.js'), 'run', '--dataset', 'mbpp', '--model-name', 'sim', '--simulated',
        '--model-url', proxy.url, '--max-problems', '4', '--no-worker', '--temporal-address', server.address,
        '--database-url', db.url, '--output-dir', out], { env: { ...process.env, EGCFG_MODEL_API_KEY: SECRET }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      p.stdout.on('data', (d) => { output += d; });
      p.stderr.on('data', (d) => { output += d; });
      p.on('error', reject);
      p.on('close', (code) => resolve({ code, output }));
    });
    assert.equal(cli.code, 0, cli.output);
    const summary = JSON.parse(cli.output.trim().split('\n').at(-1)!) as { campaign_id: string; problems: number };
    assert.equal(summary.problems, 4);
    const campaignId = summary.campaign_id;

    // The key was in use: every model request carried it (500s included, so error paths ran too).
    assert.ok(proxy.auth.length >= 4 + 3, `requests seen: ${proxy.auth.length}`);
    assert.ok(proxy.auth.every((a) => a === `Bearer ${SECRET}`), 'every request carried the key');
    assert.equal(sim.stats().faultsInjected.error500, 3);

    // Histories: every event of the campaign workflow and of each problem workflow, as encoded protobuf bytes.
    const problemIds = (await db.db.select({ id: results.problemId }).from(results).where(eq(results.campaignId, campaignId))).map((r) => r.id);
    assert.equal(problemIds.length, 4);
    for (const id of [campaignWorkflowId(campaignId), ...problemIds.map((p) => problemWorkflowId(campaignId, p))]) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      const bytes = allText(history).join('\n');
      assert.ok(bytes.includes(campaignId), `control: the history of ${id} names its campaign`);
      assert.ok(bytes.includes(proxy.url), `control: the history of ${id} holds the model URL`);
      assert.ok(!bytes.includes(SECRET), `the key is in the history of ${id}`);
    }

    // Logs: the worker's and the CLI's whole output.
    await worker.terminate();
    const logs = worker.stderr + cli.output;
    assert.ok(logs.includes(campaignId), 'control: the logs name the campaign');
    assert.ok(!logs.includes(SECRET), 'the key is in the logs');
    assert.ok(!logs.includes('egcfg:egcfg@'), 'the database password is in the logs');
    // Structured lines: every activity line carries campaign, problem and workflow ids.
    const lines = worker.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const activityLines = lines.filter((l) => l.activity !== undefined);
    assert.ok(activityLines.length >= 4 * 3, `activity log lines: ${activityLines.length}`);
    for (const l of activityLines) {
      assert.equal(typeof l.workflowId, 'string', JSON.stringify(l));
      assert.equal(l.campaignId, campaignId, JSON.stringify(l));
      if (String(l.workflowId).includes('-problem-')) assert.equal(typeof l.problemId, 'number', JSON.stringify(l));
    }
    assert.ok(lines.some((l) => l.msg === 'model call failed; retrying'), 'the 500s were logged');
    assert.ok(lines.some((l) => l.msg === 'sample stored' && l.activity === 'generateBaselineSample'));

    // The database: every row of every table, as text.
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      const tables = await sql<{ name: string }[]>`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`;
      assert.ok(tables.length >= 5, `tables: ${tables.map((t) => t.name).join(', ')}`);
      let all = '';
      for (const { name } of tables) {
        const [row] = await sql.unsafe(`select coalesce(string_agg(t::text, E'\\n'), '') as text from "${name}" t`);
        all += String((row as unknown as { text: string }).text);
      }
      assert.ok(all.includes(campaignId) && all.includes(proxy.url), 'control: the rows name the campaign and the model URL');
      assert.ok(!all.includes(SECRET), 'the key is in a database row');
    } finally {
      await sql.end();
    }
  });
});
