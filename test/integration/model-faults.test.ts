// ModelClient retries and error reporting against a simulated server that misbehaves on purpose, over real HTTP.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { ModelClient, ModelServerError, toApplicationFailure, type RetryInfo } from '../../activities/model/openai-client.ts';
import { startSimulatedModelServer, type SimulatedServer, type SimulatedServerOptions } from '../../activities/model/simulated-server.ts';
import { waitFor } from '../support/wait.ts';

const knowledge = [{ keys: ['assert add(1, 2) == 3'], solution: 'def add(a, b):\n    return a + b', broken: [] }];
const req = { model: 'simulated-model', prompt: '### Instruction:\nassert add(1, 2) == 3\n### Response:\n', temperature: 0, max_tokens: 64 };

const servers: SimulatedServer[] = [];
async function serve(opts: Partial<SimulatedServerOptions> = {}): Promise<SimulatedServer> {
  const s = await startSimulatedModelServer({ knowledge, ...opts });
  servers.push(s);
  return s;
}
after(async () => { await Promise.all(servers.map((s) => s.close())); }, { timeout: 120_000 });

async function until(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  await waitFor(`condition ${cond.toString()}`, cond, { timeoutMs, intervalMs: 5 });
}

describe('retryable failures', { timeout: 300_000 }, () => {
  test('500s are retried with backoff until the server answers', async () => {
    const s = await serve({ faults: { error500: 2 } });
    const seen: RetryInfo[] = [];
    const client = new ModelClient({ baseUrl: s.url, maxRetries: 3, backoffMs: 2, onRetry: (i) => { seen.push(i); } });
    const r = await client.completions(req);
    assert.match(r.choices[0]!.text, /def add/);
    assert.deepEqual(seen.map((i) => [i.attempt, i.status, i.kind, i.delayMs]), [[1, 500, 'http', 2], [2, 500, 'http', 4]]);
    assert.match(seen[0]!.error, /HTTP 500: simulated internal server error/);
    assert.equal(s.stats().requests, 3);
    assert.equal(s.stats().faultsInjected.error500, 2);
  });

  test('too many 500s: a retryable error that says how often it tried', async () => {
    const s = await serve({ faults: { error500: 10 } });
    const client = new ModelClient({ baseUrl: s.url, maxRetries: 2, backoffMs: 1 });
    await assert.rejects(client.completions(req), (e: unknown) => {
      assert.ok(e instanceof ModelServerError);
      assert.equal(e.retryable, true);
      assert.equal(e.status, 500);
      assert.equal(e.attempts, 3);
      assert.ok(e.message.includes(`${s.url}/v1/completions`));
      assert.match(e.message, /gave up after 3 attempts/);
      return true;
    });
    assert.equal(s.stats().requests, 3);
  });

  test('429 is retried (per-call onRetry sees it)', async () => {
    const s = await serve({ faults: { error429: 1 } });
    const client = new ModelClient({ baseUrl: s.url, maxRetries: 2, backoffMs: 1 });
    const seen: RetryInfo[] = [];
    const r = await client.completions(req, { onRetry: (i) => { seen.push(i); } });
    assert.equal(r.choices.length, 1);
    assert.deepEqual(seen.map((i) => i.status), [429]);
  });

  test('a hung request times out and the retry succeeds', async () => {
    const s = await serve({ faults: { hang: 1 } });
    const seen: RetryInfo[] = [];
    const client = new ModelClient({ baseUrl: s.url, timeoutMs: 300, maxRetries: 2, backoffMs: 1, onRetry: (i) => { seen.push(i); } });
    const t = await client.tokenize('simulated-model', 'def f(): pass');
    assert.equal(await client.detokenize('simulated-model', t.tokens), 'def f(): pass');
    assert.deepEqual(seen.map((i) => i.kind), ['timeout']);
    assert.match(seen[0]!.error, /POST http:\/\/127\.0\.0\.1:\d+\/tokenize timed out after 300 ms/);
    assert.equal(s.stats().faultsInjected.hang, 1);
  });

  test('server down: retries, then an error naming the URL', async () => {
    const s = await serve({ faults: { down: true } });
    const seen: RetryInfo[] = [];
    const client = new ModelClient({ baseUrl: s.url, maxRetries: 2, backoffMs: 1, onRetry: (i) => { seen.push(i); } });
    await assert.rejects(client.completions(req), (e: unknown) => {
      assert.ok(e instanceof ModelServerError);
      assert.equal(e.kind, 'connection');
      assert.equal(e.retryable, true);
      assert.equal(e.attempts, 3);
      assert.equal(e.url, `${s.url}/v1/completions`);
      assert.ok(e.message.startsWith(`POST ${s.url}/v1/completions could not connect: ECONNREFUSED`), e.message);
      return true;
    });
    assert.equal(seen.length, 2);
  });

  test('a server that comes up while the client retries is reached', async () => {
    const down = await serve({ faults: { down: true } });
    const client = new ModelClient({
      baseUrl: down.url, maxRetries: 3, backoffMs: 1,
      onRetry: async (i) => { if (i.attempt === 1) await serve({ port: down.port }); },
    });
    const r = await client.completions(req);
    assert.match(r.choices[0]!.text, /def add/);
  });
});

describe('a server that goes down and comes back (setDown)', { timeout: 300_000 }, () => {
  test('calls fail with connection errors while it is down and succeed once it is back', async () => {
    const s = await serve();
    const client = new ModelClient({ baseUrl: s.url, maxRetries: 0 });
    assert.match((await client.completions(req)).choices[0]!.text, /def add/);
    await s.setDown(true);
    await assert.rejects(client.completions(req), (e: unknown) => e instanceof ModelServerError && e.kind === 'connection' && e.retryable);
    const retrying = new ModelClient({ baseUrl: s.url, maxRetries: 2, backoffMs: 1, onRetry: async () => { await s.setDown(false); } });
    assert.match((await retrying.completions(req)).choices[0]!.text, /def add/);
    assert.equal(s.stats().byPath['/v1/completions'], 2);
  });
});

describe('non-retryable failures', { timeout: 300_000 }, () => {
  test('malformed JSON: a clear error quoting the body, no retry', async () => {
    const s = await serve({ faults: { malformed: 1 } });
    const client = new ModelClient({ baseUrl: s.url, maxRetries: 3, backoffMs: 1 });
    await assert.rejects(client.completions(req), (e: unknown) => {
      assert.ok(e instanceof ModelServerError);
      assert.equal(e.kind, 'malformed');
      assert.equal(e.retryable, false);
      assert.equal(e.attempts, 1);
      assert.match(e.message, /^malformed reply from http:\/\/127\.0\.0\.1:\d+\/v1\/completions \(HTTP 200\): not JSON/);
      assert.ok(e.message.includes('\\"text\\": \\"def f('), e.message);
      return true;
    });
    assert.equal(s.stats().requests, 1);
  });

  test('valid JSON of the wrong shape names the field', async () => {
    // A plain HTTP server standing in for a server of the wrong kind: it answers every request with JSON of another shape.
    const other = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"id":"x","object":"text_completion","created":1,"model":"m","choices":[{"index":0}]}'); });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const client = new ModelClient({ baseUrl: `http://127.0.0.1:${(other.address() as AddressInfo).port}`, maxRetries: 2 });
      await assert.rejects(client.completions(req), (e: unknown) => {
        assert.ok(e instanceof ModelServerError);
        assert.equal(e.kind, 'malformed');
        assert.equal(e.attempts, 1);
        assert.match(e.message, /unexpected shape: choices\.0\.text: .*; choices\.0\.finish_reason: /);
        assert.match(e.message, /body starts "\{\\"id\\":\\"x\\"/);
        return true;
      });
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
  });

  test('an aborted call stops at once with kind aborted', async () => {
    const s = await serve({ faults: { hang: 1 } });
    const client = new ModelClient({ baseUrl: s.url, timeoutMs: 60_000, maxRetries: 3 });
    const ac = new AbortController();
    const p = client.completions(req, { signal: ac.signal });
    await until(() => s.stats().requests === 1);
    ac.abort(new Error('activity cancelled'));
    await assert.rejects(p, (e: unknown) => e instanceof ModelServerError && e.kind === 'aborted' && !e.retryable);
    assert.equal(s.stats().requests, 1);
  });

  test('toApplicationFailure maps retryable onto the Temporal failure', async () => {
    const nr = toApplicationFailure(new ModelServerError('bad', { retryable: false, kind: 'http', status: 404, url: 'http://x/v1/completions', attempts: 1 }));
    assert.ok(nr instanceof ApplicationFailure);
    assert.equal(nr.nonRetryable, true);
    assert.equal(nr.type, 'ModelServerError');
    const r = toApplicationFailure(new ModelServerError('busy', { retryable: true, kind: 'http', status: 503, url: 'http://x/v1/completions', attempts: 5 }));
    assert.ok(r instanceof ApplicationFailure);
    assert.equal(r.nonRetryable, false);
    const other = new Error('x');
    assert.equal(toApplicationFailure(other), other);
  });
});
