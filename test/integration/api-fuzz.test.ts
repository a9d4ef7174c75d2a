// Property-based fuzzing of the HTTP API from its own OpenAPI document (schemathesis, PyPI): no generated request may
// get a 5xx answer, and every answer must match the documented responses. Real services behind the API. The hooks
// (api-fuzz-hooks.py) add NUL bytes and oversized fields to the generated requests.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { modelBackendCache } from '../../activities/model-backend.ts';
import { closeSharedSandbox, getSharedSandbox } from '../../activities/sandbox/index.ts';
import { startApiServer, type ApiServer } from '../../api/server.ts';
import { simulatedModels, type SimulatedModels } from '../../api/simulated-models.ts';
import { createApiToken } from '../../api/tokens.ts';
import { repoPath } from '../../core/repo.ts';
import { cacheDir } from '../../core/tools.ts';
import { startWorkers, type RunningWorkers } from '../../workers/worker.ts';
import { freshPostgresDatabase, startTestTemporal, type TestDatabase } from '../support/services.ts';

const schemathesis = join(cacheDir(), 'fuzz-venv', 'bin', 'schemathesis');

describe('API fuzzing from the OpenAPI document (schemathesis)', { timeout: 1_500_000 }, () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  let workers: RunningWorkers;
  let sims: SimulatedModels;
  let server: ApiServer;
  let token: string;

  before(async () => {
    execFileSync('bash', [repoPath('infra', 'fuzz-env.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
    [env, db] = await Promise.all([startTestTemporal(), freshPostgresDatabase()]);
    workers = await startWorkers({ connection: env.nativeConnection, deps: { db: db.db, sandbox: getSharedSandbox, model: modelBackendCache() } });
    sims = simulatedModels({ skill: 0.5 });
    server = await startApiServer({ db: db.db, client: env.client, auth: { mode: 'tokens' }, simulated: sims, log: () => {} });
    token = (await createApiToken(db.db, 'fuzz')).token;
  }, { timeout: 300_000 });
  after(async () => {
    await server?.close();
    await workers?.shutdown();
    await closeSharedSandbox();
    await sims?.close();
    await env?.teardown();
    await db?.drop();
  }, { timeout: 120_000 });

  test('no generated request gets a 5xx, and responses conform to the schema', { timeout: 20 * 60_000 }, async () => {
    assert.ok(existsSync(schemathesis), `schemathesis missing at ${schemathesis}`);
    const args = [
      'run', `${server.url}/openapi.json`,
      '--checks', 'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance',
      '--header', `Authorization: Bearer ${token}`,
      '--max-examples', process.env.EGCFG_FUZZ_EXAMPLES ?? '25',
      '--generation-deterministic',
      '--request-timeout', '30',
      // Tested directly in api.test.ts: the SSE stream follows a campaign until it ends, and /healthz rightly answers
      // 503 once the fuzzer has started campaigns against model URLs that do not exist.
      '--exclude-path-regex', '(/events|/healthz)$',
    ];
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve, reject) => {
      // The hooks add NUL bytes and oversized fields to generated requests (issue 13): still no 5xx.
      const hooks = repoPath('test', 'integration', 'api-fuzz-hooks.py');
      const child = spawn(schemathesis, args, { env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_HOOKS: hooks }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { out += d; });
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c ?? -1, output: out }));
    });
    assert.equal(code, 0, `schemathesis found problems:\n${output.slice(-6000)}`);
    assert.match(output, /passed|Passed|PASSED/, 'schemathesis reported its run');
  });
});
