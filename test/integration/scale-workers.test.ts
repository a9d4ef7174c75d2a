// Scale-out: three `egcfg worker` processes, one per task queue (default / inference / sandbox), against a Temporal
// dev server and Postgres, complete a campaign started by `egcfg run --no-worker`; each workflow's history shows
// which process ran which task. The connection settings for a real cluster (mTLS, API key) are built and validated.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client, Connection } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { startSimulatedModelServer } from '../../activities/model/simulated-server.ts';
import { parseRunOptions } from '../../campaigns/options.ts';
import { startCampaign, waitForCampaign } from '../../campaigns/service.ts';
import { parseWorkerArgs } from '../../cli/commands/worker.ts';
import { knowledgeFor } from '../../cli/simulated.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import {
  clientConnectionOptions, databasePoolSize, describeTemporal, temporalSettingsFromEnv, workerConnectionOptions,
  type TemporalSettings,
} from '../../cli/temporal-connection.ts';
import { repoPath } from '../../core/repo.ts';
import { results } from '../../db/schema/index.ts';
import { problemWorkflowId } from '../../workflows/campaign.ts';
import { activityIdentities, DevServer, WorkerProcess } from '../chaos/cluster.ts';
import { waitFor } from '../support/wait.ts';
import { freshPostgresDatabase, type TestDatabase } from '../support/services.ts';

describe('scale-out workers: one process per task queue', { timeout: 900_000 }, () => {
  let server: DevServer;
  let db: TestDatabase;
  let client: Client;
  let connection: Connection;
  const workers: Record<string, WorkerProcess> = {};

  before(async () => {
    [server, db] = await Promise.all([DevServer.start(), freshPostgresDatabase()]);
    ({ client, connection } = await server.client());
    const env = { ...process.env, EGCFG_DB_POOL: '4' };
    for (const queue of ['default', 'inference', 'sandbox']) {
      workers[queue] = new WorkerProcess(['--queues', queue, '--temporal-address', server.address, '--database-url', db.url,
        '--identity', `test-worker-${queue}`, `--concurrency-${queue}`, '4'], env);
    }
    await Promise.all(Object.values(workers).map((w) => w.start()));
  }, { timeout: 300_000 });
  after(async () => {
    await Promise.all(Object.values(workers).map((w) => w.kill9()));
    await connection?.close();
    await server?.stop();
    await db?.drop();
  }, { timeout: 120_000 });

  test('a campaign started with --no-worker completes; each queue\'s tasks ran in its own process; SIGTERM exits 0', async () => {
    const out = mkdtempSync(join(tmpdir(), 'egcfg-scale-'));
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const p = spawn(process.execPath, [repoPath('cli', 'bin', 'egcfg.js'), 'run', '--dataset', 'mbpp', '--model-name', 'sim', '--simulated',
        '--max-problems', '6', '--concurrency', '3', '--no-worker', '--quiet', '--temporal-address', server.address,
        '--database-url', db.url, '--output-dir', out], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => { stdout += d; });
      p.stderr.on('data', (d) => { stderr += d; });
      p.on('error', reject);
      p.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Worker: in-process/);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { campaign_id: string; problems: number };
    assert.equal(summary.problems, 6);

    const rows = await db.db.select().from(results).where(eq(results.campaignId, summary.campaign_id));
    assert.equal(rows.length, 6);
    for (const row of rows) {
      const ids = await activityIdentities(client, problemWorkflowId(summary.campaign_id, row.problemId));
      assert.deepEqual([...ids.get('generateBaselineSample') ?? []], ['test-worker-inference'], `problem ${row.problemId}`);
      assert.deepEqual([...ids.get('executeSample') ?? []], ['test-worker-sandbox'], `problem ${row.problemId}`);
      // recordResult is a local activity: it runs inside the workflow task, on the default worker.
      assert.deepEqual([...ids.get('(workflow task)') ?? []], ['test-worker-default'], `problem ${row.problemId}`);
    }

    for (const [queue, w] of Object.entries(workers)) {
      assert.equal(await w.terminate(), 0, `${queue} worker: ${w.stderr}`);
      assert.match(w.stderr, /SIGTERM: stopping/);
      assert.match(w.stderr, /\] stopped/);
    }
  });

  test('worker arguments are validated: unknown queue, no database, PGlite path', () => {
    assert.throws(() => parseWorkerArgs(['--queues', 'default,gpu', '--database-url', 'postgres://x@h/db'], {}), /unknown queue 'gpu'/);
    assert.throws(() => parseWorkerArgs(['--queues', 'default'], {}), /Postgres URL is required/);
    assert.throws(() => parseWorkerArgs(['--queues', 'sandbox', '--database-url', '/tmp/pglite'], {}), /postgres:\/\/ URL/);
    assert.throws(() => parseWorkerArgs(['--queues', 'sandbox', '--database-url', 'postgres://x@h/db', '--concurrency-sandbox', '0'], {}), /concurrency/);
    const ok = parseWorkerArgs(['--queues', 'inference, sandbox', '--concurrency-sandbox', '3'], { DATABASE_URL: 'postgres://x@h/db' });
    assert.deepEqual(ok.queues, ['inference', 'sandbox']);
    assert.equal(ok.concurrency.sandbox, 3);
    assert.equal(ok.shutdownGrace, '30s');
    assert.throws(() => parseWorkerArgs(['--shutdown-grace', 'soon'], { DATABASE_URL: 'postgres://x@h/db' }), /duration/);
  });

  test('cluster settings: mTLS files are read, an API key implies TLS and is never described, bad settings are named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'egcfg-tls-'));
    for (const f of ['cert.pem', 'key.pem', 'ca.pem']) writeFileSync(join(dir, f), `-----BEGIN ${f}-----\n`);
    const mtls = temporalSettingsFromEnv({}, {
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct', TEMPORAL_TLS_CERT: join(dir, 'cert.pem'),
      TEMPORAL_TLS_KEY: join(dir, 'key.pem'), TEMPORAL_TLS_CA: join(dir, 'ca.pem'), TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    }) as TemporalSettings;
    const w = workerConnectionOptions(mtls);
    assert.equal(w.address, 'ns.acct.tmprl.cloud:7233');
    const tls = w.tls as { clientCertPair: { crt: Buffer; key: Buffer }; serverRootCACertificate: Buffer; serverNameOverride: string };
    assert.equal(tls.clientCertPair.crt.toString(), '-----BEGIN cert.pem-----\n');
    assert.equal(tls.clientCertPair.key.toString(), '-----BEGIN key.pem-----\n');
    assert.equal(tls.serverRootCACertificate.toString(), '-----BEGIN ca.pem-----\n');
    assert.equal(tls.serverNameOverride, 'temporal.internal');
    assert.deepEqual(clientConnectionOptions(mtls).tls, w.tls);
    assert.equal(mtls.namespace, 'ns.acct');

    const keyed = temporalSettingsFromEnv({ address: 'eu.aws.api.temporal.io:7233' }, { TEMPORAL_API_KEY: 'tk-fake-123456' }) as TemporalSettings;
    const c = clientConnectionOptions(keyed);
    assert.equal(c.apiKey, 'tk-fake-123456');
    assert.deepEqual(c.tls, {});
    assert.doesNotMatch(describeTemporal(keyed), /tk-fake/);
    assert.match(describeTemporal(keyed), /API key/);

    const plain = temporalSettingsFromEnv({ address: '127.0.0.1:7233' }, {}) as TemporalSettings;
    assert.equal(workerConnectionOptions(plain).tls, undefined);
    assert.throws(() => temporalSettingsFromEnv({}, { TEMPORAL_TLS_CERT: '/x.pem' }), /go together/);
    assert.throws(() => temporalSettingsFromEnv({ address: 'no-port' }, {}), /HOST:PORT/);
    assert.throws(() => workerConnectionOptions({ ...plain, tlsCaFile: join(dir, 'missing.pem') }), /cannot read TEMPORAL_TLS_CA/);
    assert.equal(databasePoolSize({}), 10);
    assert.equal(databasePoolSize({ EGCFG_DB_POOL: '32' }), 32);
    assert.throws(() => databasePoolSize({ EGCFG_DB_POOL: 'many' }), /EGCFG_DB_POOL/);
  });
});

describe('graceful stop: SIGTERM lets model calls in flight finish', { timeout: 900_000 }, () => {
  test('the stopped worker completes its two calls (attempt 1, no second model request); a new worker finishes the campaign', async () => {
    const [server, db] = await Promise.all([DevServer.start(), freshPostgresDatabase()]);
    const { client, connection } = await server.client();
    const problems = (await loadDataset('mbpp', { split: 'test' })).slice(0, 2);
    const sim = await startSimulatedModelServer({ knowledge: knowledgeFor(problems), modelName: 'sim', latencyMs: 4000 });
    const common = ['--temporal-address', server.address, '--database-url', db.url];
    const rest = new WorkerProcess(['--queues', 'default,sandbox', ...common]);
    const first = new WorkerProcess(['--queues', 'inference', '--identity', 'inference-1', ...common]);
    const second = new WorkerProcess(['--queues', 'inference', '--identity', 'inference-2', ...common]);
    try {
      await Promise.all([rest.start(), first.start()]);
      const ctx = { db: db.db, client };
      const created = await startCampaign(ctx, parseRunOptions({ dataset: 'mbpp', modelName: 'sim', maxProblems: 2, concurrency: 2 }),
        { kind: 'openai', baseUrl: sim.url, model: 'sim', simulated: true });
      await waitFor('both model calls in flight', () => sim.stats().requests >= 2, { timeoutMs: 60_000 });
      assert.equal(sim.stats().requests, 2, 'both model calls are in flight');
      assert.equal(await first.terminate(), 0, first.stderr);
      await second.start();
      const summary = await waitForCampaign(ctx, created.campaignId);
      assert.equal(summary.problems, 2);
      assert.equal(sim.stats().requests, 2, 'no model call was made twice');
      const rows = await db.db.select().from(results).where(eq(results.campaignId, created.campaignId));
      for (const row of rows) {
        const history = await client.workflow.getHandle(problemWorkflowId(created.campaignId, row.problemId)).fetchHistory();
        const started = (history.events ?? []).map((e) => e.activityTaskStartedEventAttributes).filter((a) => a?.identity?.startsWith('inference-'));
        assert.deepEqual(started.map((a) => [a!.identity, a!.attempt]), [['inference-1', 1]], `problem ${row.problemId}`);
      }
    } finally {
      await Promise.all([rest.kill9(), first.kill9(), second.kill9()]);
      await sim.close();
      await connection.close();
      await server.stop();
      await db.drop();
    }
  });
});
