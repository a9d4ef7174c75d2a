// End to end through `egcfg tokens`, `egcfg serve` (zero-config local mode: its own Temporal dev server, PGlite and
// simulated model servers in a temporary data folder) and `egcfg campaigns` talking to it over HTTP.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoPath } from '../../core/repo.ts';
import { freePort, runEgcfg, type CliResult } from '../support/cli.ts';
import { stopLocalTemporal } from '../../cli/temporal-local.ts';

describe('egcfg serve + tokens + campaigns (local mode)', { timeout: 600_000 }, () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let server: ChildProcess | undefined;
  let serverExit: Promise<number>;
  let serverLog = '';
  let apiUrl = '';
  let token = '';

  const egcfg = (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> => runEgcfg(args, { ...env, ...extraEnv });

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'egcfg-serve-e2e-'));
    env = { ...process.env, EGCFG_DATA_DIR: dataDir, EGCFG_TEMPORAL_PORT: String(await freePort()) };
    for (const k of ['TEMPORAL_ADDRESS', 'DATABASE_URL', 'EGCFG_API_URL', 'EGCFG_API_TOKEN']) delete env[k];
  }, { timeout: 300_000 });
  after(async () => {
    if (server && server.exitCode === null) { server.kill('SIGTERM'); await serverExit; }
    stopLocalTemporal(dataDir);
  }, { timeout: 120_000 });

  test('tokens create prints a token once; list shows only its prefix', async () => {
    const r = await egcfg(['tokens', 'create', '--name', 'e2e']);
    assert.equal(r.code, 0, r.stderr);
    token = r.stdout.trim();
    assert.match(token, /^egcfg_[A-Za-z0-9_-]{20,}$/);
    const list = await egcfg(['tokens', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const rows = JSON.parse(list.stdout) as Array<{ name: string; prefix: string }>;
    assert.deepEqual(rows.map((t) => t.name), ['e2e']);
    assert.ok(!list.stdout.includes(token), 'the token itself is never shown again');
    assert.equal((await egcfg(['tokens', 'revoke', 'x'])).code, 2);
  });

  test('serve starts the API in local mode and prints its URL', async () => {
    const port = await freePort();
    server = spawn(process.execPath, [repoPath('cli', 'bin', 'egcfg.js'), 'serve', '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    serverExit = new Promise((resolve) => server!.on('close', (code) => resolve(code ?? -1)));
    server.stderr!.on('data', (d) => { serverLog += d; });
    let stdout = '';
    apiUrl = await new Promise<string>((resolve, reject) => {
      server!.stdout!.on('data', (d) => {
        stdout += d;
        const line = stdout.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve((JSON.parse(line) as { api_url: string }).api_url);
      });
      server!.on('close', (code) => reject(new Error(`serve exited with ${code}: ${serverLog}`)));
    });
    assert.equal(apiUrl, `http://127.0.0.1:${port}`);
    assert.match(serverLog, /zero-config local/);
    assert.match(serverLog, /SIMULATED model servers/);
    assert.match(serverLog, /1 active API token/);
    const health = await fetch(`${apiUrl}/healthz`);
    assert.equal(health.status, 200, await health.clone().text());
  });

  test('campaigns list / show --watch / export / pause over HTTP', async () => {
    const auth = { EGCFG_API_URL: apiUrl, EGCFG_API_TOKEN: token };
    const empty = await egcfg(['campaigns', 'list', '--json'], auth);
    assert.equal(empty.code, 0, empty.stderr);
    assert.deepEqual(JSON.parse(empty.stdout).campaigns, []);

    const res = await fetch(`${apiUrl}/campaigns`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ dataset: 'mbpp', modelName: 'simulated-deepseek', maxProblems: 4 }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const { campaignId } = await res.json() as { campaignId: string };

    const watched = await egcfg(['campaigns', 'show', campaignId, '--watch', '--interval', '300'], auth);
    assert.equal(watched.code, 0, watched.stderr);
    assert.match(watched.stdout, new RegExp(`campaign ${campaignId}: completed`));
    assert.match(watched.stdout, /pass@1 %/);
    assert.match(watched.stdout, /simulated-deepseek \[SIMULATED\]/);
    assert.match(watched.stdout, /4\/4 \(100%\)/);
    assert.match(watched.stdout, /workflow: http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows\/campaign-/);

    const listed = await egcfg(['campaigns', 'list', '--status', 'completed'], auth);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(listed.stdout.includes(campaignId));

    const out = join(dataDir, 'results.csv');
    const exported = await egcfg(['campaigns', 'export', campaignId, '--format', 'csv', '--output', out], auth);
    assert.equal(exported.code, 0, exported.stderr);
    const csv = readFileSync(out, 'utf8').trim().split('\r\n');
    assert.equal(csv[0], 'task_id,passed,status,sample_id,tests_passed,tests_total,code');
    const jsonl = await egcfg(['campaigns', 'export', campaignId], auth);
    assert.equal(jsonl.stdout.trim().split('\n').length, 4);

    const late = await egcfg(['campaigns', 'pause', campaignId], auth);
    assert.equal(late.code, 2);
    assert.match(late.stderr, /completed; it cannot be paused/);
    const unknown = await egcfg(['campaigns', 'show', 'nope'], auth);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown campaign 'nope'/);
    const anonymous = await egcfg(['campaigns', 'list'], { EGCFG_API_URL: apiUrl });
    assert.equal(anonymous.code, 2);
    assert.match(anonymous.stderr, /EGCFG_API_TOKEN/);
    const nowhere = await egcfg(['campaigns', 'list', '--api', 'http://127.0.0.1:9'], auth);
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.stderr, /cannot reach the API/);
  });

  test('serve stops cleanly on SIGTERM', async () => {
    server!.kill('SIGTERM');
    assert.equal(await serverExit, 0, serverLog);
  });
});
