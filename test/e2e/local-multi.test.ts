// Local mode is multi-tenant (issue 13): three egcfg processes at once — a run in folder A, and `serve` plus a run in
// folder B — give exactly the results of the same runs one by one in a fresh folder. Each folder has its own Temporal
// dev server and task queues, and one owner of its PGlite: the run in B writes the database `serve` reads, and a token
// revoked by `egcfg tokens revoke` while `serve` runs is refused by that server at once.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readTemporalRecord, stopLocalTemporal } from '../../cli/temporal-local.ts';
import { repoPath } from '../../core/repo.ts';
import { stopLocalDatabase } from '../../db/local-owner.ts';
import { runEgcfg, type CliResult } from '../support/cli.ts';

const PORTS = '19000-19999';
const folders: string[] = [];
const folder = (name: string): string => { const d = mkdtempSync(join(tmpdir(), `egcfg-multi-${name}-`)); folders.push(d); return d; };
const envFor = (dataDir: string): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, EGCFG_DATA_DIR: dataDir, EGCFG_LOCAL_PORTS: PORTS };
  for (const k of ['TEMPORAL_ADDRESS', 'DATABASE_URL', 'EGCFG_TEMPORAL_PORT']) delete env[k];
  return env;
};

/** The two campaigns: small, seeded, simulated model. */
const runArgs = (dataset: string, out: string) =>
  ['run', '--dataset', dataset, '--method', 'baseline', '--model-name', 'simulated-deepseek', '--max-problems', '5', '--seed', '11', '--output-dir', out];

/** What must not depend on who else runs: per problem, everything but database ids. */
function results(out: string): unknown[] {
  return readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const { sample_id: _id, ...rest } = JSON.parse(l) as Record<string, unknown>;
    return rest;
  });
}
const summaryOf = (r: CliResult) => {
  const { campaign_id: _c, output_dir: _o, database: _d, ...rest } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  return rest;
};

function startServe(env: NodeJS.ProcessEnv, port: number): Promise<{ child: ChildProcess; apiUrl: string; token: string; log: () => string; exit: Promise<number> }> {
  const child = spawn(process.execPath, [repoPath('cli', 'bin', 'egcfg.js'), 'serve', '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  let stdout = '';
  child.stderr.on('data', (d) => { log += d; });
  const exit = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      const token = /EGCFG_API_TOKEN=(\S+)/.exec(log)?.[1];
      if (line && token) resolve({ child, apiUrl: (JSON.parse(line) as { api_url: string }).api_url, token, log: () => log, exit });
    });
    void exit.then((code) => reject(new Error(`serve exited with ${code}: ${log}`)));
  });
}

after(() => { for (const d of folders) { stopLocalTemporal(d); stopLocalDatabase(d); } }, { timeout: 120_000 });

describe('local mode: several processes, several folders', { timeout: 900_000 }, () => {
  test('run in A, serve + run in B, at once = the same runs one by one', async () => {
    // One by one, in a fresh folder.
    const ref = folder('ref');
    const refMbpp = await runEgcfg(runArgs('mbpp', join(ref, 'mbpp')), envFor(ref));
    assert.equal(refMbpp.code, 0, refMbpp.stderr.slice(-3000));
    const refHe = await runEgcfg(runArgs('humaneval', join(ref, 'he')), envFor(ref));
    assert.equal(refHe.code, 0, refHe.stderr.slice(-3000));

    // At once: folder A runs MBPP; folder B serves and runs HumanEval.
    const a = folder('a');
    const b = folder('b');
    const serving = startServe(envFor(b), 19000 + Math.floor(Math.random() * 1000));
    const [runA, runB, serve] = await Promise.all([
      runEgcfg(runArgs('mbpp', join(a, 'mbpp')), envFor(a)),
      runEgcfg(runArgs('humaneval', join(b, 'he')), envFor(b)),
      serving,
    ]);
    try {
      assert.equal(runA.code, 0, runA.stderr.slice(-3000));
      assert.equal(runB.code, 0, runB.stderr.slice(-3000));
      assert.deepEqual(results(join(a, 'mbpp')), results(join(ref, 'mbpp')));
      assert.deepEqual(results(join(b, 'he')), results(join(ref, 'he')));
      assert.deepEqual(summaryOf(runA), summaryOf(refMbpp));
      assert.deepEqual(summaryOf(runB), summaryOf(refHe));

      // Each folder its own Temporal dev server, in the port range, and its own queues.
      const [ta, tb] = [readTemporalRecord(a), readTemporalRecord(b)];
      assert.ok(ta && tb);
      assert.notEqual(ta.port, tb.port);
      assert.notEqual(ta.pid, tb.pid);
      for (const p of [ta.port, tb.port]) assert.ok(p >= 19000 && p <= 19999, `port ${p} in ${PORTS}`);
      const queueOf = (r: CliResult) => /egcfg-default-([0-9a-f]+)/.exec(r.stderr)?.[1];
      assert.ok(queueOf(runA) && queueOf(runB));
      assert.notEqual(queueOf(runA), queueOf(runB));
      // The run in B and `serve` share B's database through its one owner: the API lists B's campaign, not A's.
      assert.match(runB.stderr, /owned by pid \d+, egcfg database server/);
      const auth = { authorization: `Bearer ${serve.token}` };
      const listed = await (await fetch(`${serve.apiUrl}/campaigns`, { headers: auth })).json() as { campaigns: { id: string; dataset: string }[] };
      assert.deepEqual(listed.campaigns.map((c) => c.dataset), ['humaneval']);
      assert.equal(listed.campaigns[0]!.id, JSON.parse(runB.stdout.trim().split('\n').at(-1)!).campaign_id);

      // A token revoked while `serve` runs is refused by the running server at once.
      const created = await runEgcfg(['tokens', 'create', '--name', 'to-revoke'], envFor(b));
      assert.equal(created.code, 0, created.stderr);
      const token = created.stdout.trim();
      const tokens = JSON.parse((await runEgcfg(['tokens', 'list', '--json'], envFor(b))).stdout) as { id: number; name: string }[];
      const id = tokens.find((t) => t.name === 'to-revoke')!.id;
      assert.equal((await fetch(`${serve.apiUrl}/campaigns`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      const revoked = await runEgcfg(['tokens', 'revoke', String(id)], envFor(b));
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.equal((await fetch(`${serve.apiUrl}/campaigns`, { headers: { authorization: `Bearer ${token}` } })).status, 403);
    } finally {
      serve.child.kill('SIGTERM');
      assert.equal(await serve.exit, 0, serve.log().slice(-2000));
    }
  });
});
