// The security suite (issue 13): each probe an attacker or a careless user tried against the API, as one case with
// the expected status, no leak in the answer, no row written (and no file kept, no server started) for a rejected
// request, and the server still healthy afterwards. Real services: a Temporal dev server, a fresh Postgres database,
// in-process workers with nsjail, simulated model servers.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, describe, test } from 'node:test';
import { count, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { getSharedSandbox } from '../../activities/sandbox/index.ts';
import { createApp, safeNext, type App } from '../../api/app.ts';
import { errorResponse } from '../../api/errors.ts';
import { SimulatedCapacityError, simulatedModels } from '../../api/simulated-models.ts';
import { createApiToken } from '../../api/tokens.ts';
import { waitForCampaign } from '../../campaigns/service.ts';
import { campaigns, executions, results, samples } from '../../db/schema/index.ts';
import { integrationServices } from '../support/integration.ts';

const T = { timeout: 120_000 };
/** Text that must never appear in an answer: SQL, a file's contents, a key. */
const LEAKS = /\b(select|insert into|update|delete from)\b.*\b(from|values|set|where)\b|root:x:0|FILE-SECRET|sk-test-secret|\/etc\/shadow/i;

/** An HTTP server that records every request it gets (a URL a caller chose: it must get nothing). */
async function captureServer(): Promise<{ url: string; got: IncomingHttpHeaders[]; close(): Promise<void> }> {
  const got: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => { got.push(req.headers); res.writeHead(404).end(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got, close: () => new Promise((r) => server.close(() => r())) };
}

describe('security probes against the API (issue 13)', { timeout: 900_000 }, () => {
  let app: App;
  let token: string;
  let capture: Awaited<ReturnType<typeof captureServer>>;
  const dir = mkdtempSync(join(tmpdir(), 'egcfg-security-'));
  const gridsDir = join(dir, 'grids');
  const uploadDir = join(dir, 'uploads');
  const logged: string[] = [];

  const svc = integrationServices({
    simulated: { skill: 1, maxServers: 4 },
    setup: async () => {
      capture = svc.track(await captureServer());
      // A "grid" whose contents must never be quoted back.
      mkdirSync(gridsDir, { recursive: true });
      writeFileSync(join(gridsDir, 'secret.json'), 'root:x:0:0:FILE-SECRET:/root:/bin/bash\n');
      app = createApp({
        db: svc.db.db, client: svc.env.client, auth: { mode: 'tokens' }, simulated: svc.sims, uploadDir, log: (l) => logged.push(l),
        folders: { gridsDir, workRoot: join(dir, 'btp'), modelDirs: [join(dir, 'models')] },
        modelServers: [], allowAnyModelUrl: false,
        limits: { bodyBytes: 64 * 1024, uploadBytes: 256 * 1024, decompressedBytes: 1024 * 1024, sseStreamsPerToken: 2, sseStreamsTotal: 16 },
      });
      token = (await createApiToken(svc.db.db, 'security')).token;
    },
  });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  const api = (path: string, init: RequestInit & { auth?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    if (init.auth !== null) headers.set('authorization', `Bearer ${init.auth ?? token}`);
    return app.request(path, { ...init, headers });
  };
  const postJson = (path: string, body: unknown) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const rows = async () => {
    const [c] = await svc.db.db.select({ n: count() }).from(campaigns);
    const [s] = await svc.db.db.select({ n: count() }).from(samples);
    return { campaigns: Number(c!.n), samples: Number(s!.n) };
  };

  /** The answer has `status`, is JSON naming `field` (when given), leaks nothing; no row was written. */
  async function refused(res: Response, status: number, field?: string, before?: { campaigns: number; samples: number }) {
    const text = await res.text();
    assert.equal(res.status, status, text.slice(0, 500));
    assert.doesNotMatch(text, LEAKS);
    assert.ok(text.length < 20_000, `a short answer, not ${text.length} characters`);
    const body = JSON.parse(text) as { error: string; issues?: Array<{ field: string }> };
    assert.equal(typeof body.error, 'string');
    if (field) assert.ok(body.issues?.some((i) => i.field === field), `issues name ${field}: ${text.slice(0, 300)}`);
    if (before) assert.deepEqual(await rows(), before, 'no row written for a rejected request');
    return body;
  }
  async function healthy() {
    const res = await app.request('/healthz');
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.ok(text.length < 20_000);
  }

  test('modelUrl: file:, javascript:, credentials and unconfigured URLs are refused; the chosen URL gets no request', T, async () => {
    const before = await rows();
    for (const modelUrl of ['file:///etc/passwd', 'javascript:alert(1)', 'gopher://127.0.0.1:25/', 'http://user:sk-test-secret@127.0.0.1:1/', capture.url, 'http://169.254.169.254/latest/meta-data']) {
      await refused(await postJson('/campaigns', { dataset: 'mbpp', modelName: 'm', modelUrl, maxProblems: 1 }), 400, 'modelUrl', before);
    }
    await refused(await postJson('/campaigns', { dataset: 'mbpp', method: 'btp', modelName: 'm', sourceModelUrl: capture.url, maxProblems: 1 }), 400, 'sourceModelUrl', before);
    assert.equal(capture.got.length, 0, 'a URL the caller chose never receives a request (nor a key)');
    assert.deepEqual(svc.sims.running(), {}, 'no simulated server started');
    await healthy();
  });

  test('server paths: grid, workDir and baseModelDir only by name; a file is never quoted', T, async () => {
    const before = await rows();
    for (const grid of ['/etc/shadow', '../../../etc/passwd', 'a/b', '.hidden']) {
      await refused(await postJson('/campaigns', { dataset: 'mbpp', method: 'eg-cfg', modelName: 'g', grid, maxProblems: 1 }), 400, 'grid', before);
    }
    await refused(await postJson('/campaigns', { dataset: 'mbpp', method: 'eg-cfg', modelName: 'g', grid: 'secret', maxProblems: 1 }), 400, 'grid', before);
    await refused(await postJson('/campaigns', { dataset: 'mbpp', method: 'eg-cfg', modelName: 'g', grid: 'nope', maxProblems: 1 }), 400, 'grid', before);
    await refused(await postJson('/campaigns', { dataset: 'mbpp', method: 'eg-cfg', modelName: 'g', grid: { t: 'x' }, maxProblems: 1 }), 400, 'grid', before);
    for (const workDir of ['/', '/tmp/x', '../x']) {
      await refused(await postJson('/campaigns', { dataset: 'mbpp', method: 'btp', modelName: 'b', workDir, baseModelDir: 'tiny', maxProblems: 1 }), 400, 'workDir', before);
    }
    for (const baseModelDir of ['/etc', '..', 'missing']) {
      await refused(await postJson('/campaigns', { dataset: 'mbpp', method: 'btp', modelName: 'b', workDir: 'w', baseModelDir, maxProblems: 1 }), 400, 'baseModelDir', before);
    }
    for (const extra of [{ datasetFile: '/etc/passwd' }, { samplesFile: '/etc/passwd' }]) {
      await refused(await postJson('/campaigns', { dataset: 'mbpp', modelName: 'x', ...extra }), 400, Object.keys(extra)[0], before);
    }
    // The authors' prompt checkout is a folder the server would read: the CLI's option only, never the API's.
    for (const authorsPrompts of ['/etc', '/root', '.']) {
      await refused(await postJson('/campaigns', { dataset: 'mbpp', method: 'eg-cfg', modelName: 'x', authorsPrompts, maxProblems: 1 }), 400, 'authorsPrompts', before);
    }
    assert.deepEqual(svc.sims.running(), {}, 'a rejected request starts no simulated server');
    await healthy();
  });

  test('POST /campaigns takes exactly one method\'s options: a field of another method, an unknown or hostile method is a 400 naming it', T, async () => {
    const before = await rows();
    const base = { dataset: 'mbpp', modelName: 'm', maxProblems: 1 };
    const why = async (body: unknown, field: string, message: RegExp) => {
      const answer = await refused(await postJson('/campaigns', body), 400, field, before);
      const issue = (answer.issues as Array<{ field: string; message: string }>).find((i) => i.field === field)!;
      assert.match(issue.message, message, JSON.stringify(answer));
    };
    // No method: a baseline campaign (the documented default), so another method's field names its method.
    await why({ ...base, numBeams: 3 }, 'numBeams', /an option of method btp, not of baseline.*set "method": "btp"/);
    await why({ ...base, method: 'eg-cfg', numBeams: 3, trainDataset: 'mbpp' }, 'trainDataset', /an option of method btp, not of eg-cfg/);
    await why({ ...base, method: 'btp', gammas: [0, 3] }, 'gammas', /an option of method eg-cfg, not of btp/);
    await why({ ...base, method: 'baseline', grid: 'quick_grid' }, 'grid', /an option of method eg-cfg/);
    await why({ ...base, method: 'BTP' }, 'method', /unknown method "BTP"; known methods: baseline, eg-cfg, btp/);
    await why({ ...base, method: ['btp'] }, 'method', /unknown method/);
    await why({ ...base, method: null }, 'method', /unknown method/);
    await why({ ...base, method: { toString: 'btp' } }, 'method', /unknown method/);
    await why(JSON.parse('{"dataset":"mbpp","modelName":"m","__proto__":{"method":"btp","numBeams":3}}'), '__proto__', /unknown field/);
    await why({ ...base, colour: 'red' }, 'colour', /unknown field/);
    await refused(await postJson('/campaigns', [base]), 400, undefined, before);
    await refused(await postJson('/campaigns', 'baseline'), 400, undefined, before);
    // The OpenAPI document carries the same union: one schema per method, each closed, method defaulting to baseline.
    const doc = await (await app.request('/openapi.json')).json() as { components: { schemas: Record<string, { oneOf?: Array<{ properties: Record<string, { default?: unknown }>; additionalProperties?: boolean; required?: string[] }> }> } };
    const members = doc.components.schemas.CampaignOptions!.oneOf!;
    assert.equal(members.length, 3);
    assert.ok(members.every((m) => m.additionalProperties === false));
    assert.equal(members[0]!.properties.method!.default, 'baseline');
    assert.ok('numBeams' in members[2]!.properties && !('numBeams' in members[0]!.properties) && !('gammas' in members[2]!.properties));
    await healthy();
  });

  test('NUL bytes: in body fields, ids in paths, query parameters: 400, no SQL in the answer', T, async () => {
    const before = await rows();
    await refused(await postJson('/campaigns', { dataset: 'mbpp', modelName: 'a\u0000b', maxProblems: 1 }), 400, 'modelName', before);
    await refused(await postJson('/campaigns', { dataset: 'mbpp', modelName: 'a', baselineCampaign: 'x\u0000', maxProblems: 1 }), 400, 'baselineCampaign', before);
    for (const path of ['/campaigns/abc%00def', '/campaigns/x/problems/11%00', '/campaigns?status=%00', '/campaigns?cursor=a%00b', '/campaigns/x/results?protocol=%00']) {
      await refused(await api(path), 400, '(url)');
    }
    await refused(await api('/evaluate?dataset=mbpp&name=a%00b', { method: 'POST', body: '{"task_id": "Mbpp/11", "solution": "x"}\n' }), 400, '(url)', before);
    assert.deepEqual(svc.sims.running(), {});
    await healthy();
  });

  test('an unexpected error (e.g. from the database) is a 500 with an id, never SQL; the detail goes to the log', T, async () => {
    const lines: string[] = [];
    const h = new Hono();
    h.onError((err, c) => errorResponse(err, c, (l) => lines.push(l)));
    h.get('/boom', () => { throw new Error('insert into "samples" ("code") values ($1) -- invalid byte sequence for encoding "UTF8": 0x00'); });
    const res = await h.request('/boom');
    const body = await refused(res, 500) as { error: string; id?: string };
    assert.match(body.id ?? '', /^[0-9a-f]{8}$/);
    assert.ok(lines.some((l) => l.includes(body.id!) && l.includes('insert into')), 'the log has the detail under the same id');
  });

  test('sizes: a huge field or body is 413/400 at once; a compressed body is refused; no row, no server', T, async () => {
    const before = await rows();
    const started = performance.now();
    await refused(await postJson('/campaigns', { dataset: 'mbpp', modelName: 'x'.repeat(10 * 1024 * 1024) }), 413, '(body)', before);
    assert.ok(performance.now() - started < 5000, 'refused at once');
    await refused(await postJson('/campaigns', { dataset: 'mbpp', modelName: 'x'.repeat(40_000) }), 400, 'modelName', before);
    await refused(await postJson('/campaigns', { dataset: 'mbpp', modelName: 'm', gammas: Array.from({ length: 1000 }, () => 1) }), 400, 'gammas', before);
    const gz = await api('/campaigns', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ dataset: 'mbpp', modelName: 'm' })) });
    await refused(gz, 415, '(body)', before);
    assert.deepEqual(svc.sims.running(), {});
    await healthy();
  });

  test('uploads: too large, or a gzip bomb, is 413 and leaves no file', T, async () => {
    const before = await rows();
    const big = Buffer.alloc(300 * 1024, 0x61);
    await refused(await api('/evaluate?dataset=mbpp', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: big }), 413, '(body)', before);
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { level: 9 }); // ~64 KB expanding to 64 MiB
    assert.ok(bomb.length < 256 * 1024);
    const started = performance.now();
    await refused(await api('/evaluate?dataset=mbpp', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bomb }), 413, '(body)', before);
    assert.ok(performance.now() - started < 10_000, 'stopped at the cap, not after expanding everything');
    const form = new FormData();
    form.set('file', new Blob([big]), 'big.jsonl');
    form.set('dataset', 'mbpp');
    await refused(await api('/evaluate', { method: 'POST', body: form }), 413, '(body)', before);
    let files: string[] = [];
    try { files = readdirSync(uploadDir); } catch { /* never created */ }
    assert.deepEqual(files, [], 'no upload kept on disk');
    await healthy();
  });

  test('a rejected POST starts no simulated server; the servers are bounded and reaped', T, async () => {
    const before = await rows();
    await refused(await postJson('/campaigns', { dataset: 'mbpp', method: 'eg-cfg', modelName: 'fresh-1', grid: 'missing', maxProblems: 1 }), 400, 'grid', before);
    await refused(await postJson('/campaigns', { dataset: 'mbpp', method: 'btp', modelName: 'fresh-2', maxProblems: 1 }), 400, 'baseModelDir', before);
    await refused(await postJson('/campaigns', { dataset: 'mbpp', modelName: 'fresh-3', split: 'all', maxProblems: 0 }), 400, 'maxProblems', before);
    await refused(await postJson('/campaigns', { dataset: 'mbpp', method: 'eg-cfg', modelName: 'fresh-4', gammas: [1, 1], maxProblems: 1 }), 400, 'gammas', before);
    assert.deepEqual(svc.sims.running(), {}, 'nothing started for rejected requests');

    let inUse = new Set<string>();
    const bounded = simulatedModels({ maxServers: 2, graceMs: 0, reapEveryMs: 0, inUse: async () => inUse });
    try {
      const a = await bounded.urlFor('mbpp', 'a');
      const b = await bounded.urlFor('mbpp', 'b');
      inUse = new Set([a, b]);
      await assert.rejects(bounded.urlFor('mbpp', 'c'), SimulatedCapacityError, 'beyond the cap with every server in use');
      inUse = new Set([a]);
      await bounded.urlFor('mbpp', 'c'); // 'b' is idle: reaped to make room
      assert.deepEqual(Object.keys(bounded.running()).sort(), ['mbpp/a', 'mbpp/c']);
      const gone = await fetch(`${b}/v1/models`).then(() => 'answered', () => 'closed');
      assert.equal(gone, 'closed', 'the reaped server is stopped');
    } finally {
      await bounded.close();
    }
  });

  test('/healthz reports a sandbox running endless programs as busy, not dead', T, async () => {
    const sandbox = await getSharedSandbox();
    const endless = Array.from({ length: sandbox.poolSize }, () => sandbox.run({
      program: 'while True:\n    pass', tests: [{ id: 't', code: 'pass' }], timeoutMs: 4000,
    }));
    try {
      const started = performance.now();
      const res = await app.request('/healthz');
      const report = await res.json() as { status: string; checks: { sandbox: { status: string; detail: string } } };
      assert.equal(res.status, 200, JSON.stringify(report));
      assert.equal(report.checks.sandbox.status, 'ok');
      assert.match(report.checks.sandbox.detail, /busy/);
      assert.ok(performance.now() - started < 5000, 'answered without waiting for the sandbox');
    } finally {
      const done = await Promise.all(endless);
      assert.ok(done.every((r) => r.status === 'timeout'));
    }
    await healthy();
  });

  test('login next=: only same-origin paths', T, async () => {
    for (const next of ['//evil.example/x', '/\\evil.example/x', '/\t/evil.example', 'javascript:alert(1)', 'http://evil.example/', '\\\\evil.example', '']) {
      assert.equal(safeNext(next), '/ui', JSON.stringify(next));
      const form = new URLSearchParams({ token, next });
      const res = await app.request('/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
      assert.equal(res.status, 303);
      const location = res.headers.get('location') ?? '';
      assert.ok(location.startsWith('/') && !location.startsWith('//') && !location.startsWith('/\\'), `${JSON.stringify(next)} -> ${location}`);
      const page = await (await app.request(`/login?next=${encodeURIComponent(next)}`)).text();
      assert.doesNotMatch(page, /evil\.example/);
    }
    assert.equal(safeNext('/ui/campaigns/x?tab=1#top'), '/ui/campaigns/x?tab=1#top');
  });

  test('SSE: open streams are capped per token (429 beyond) and the server stays responsive', T, async () => {
    // A finished campaign to follow: a replayed upload of one solution.
    const up = await api('/evaluate?dataset=mbpp&maxProblems=1', { method: 'POST', body: '{"task_id": "Mbpp/11", "solution": "x = 1"}\n' });
    assert.equal(up.status, 201, await up.clone().text());
    const { campaignId } = await up.json() as { campaignId: string };
    const controllers: AbortController[] = [];
    const open: Response[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const ac = new AbortController();
        controllers.push(ac);
        const res = await api(`/campaigns/${campaignId}/events`, { signal: ac.signal });
        assert.equal(res.status, 200);
        open.push(res);
      }
      await refused(await api(`/campaigns/${campaignId}/events`), 429);
      const started = performance.now();
      await healthy();
      assert.ok(performance.now() - started < 5000);
    } finally {
      for (const res of open) await res.body?.cancel().catch(() => {});
      for (const ac of controllers) ac.abort();
    }
    await waitForCampaign({ db: svc.db.db, client: svc.env.client }, campaignId);
    // Closed streams free their slots.
    const again = await api(`/campaigns/${campaignId}/events?follow=false`);
    assert.equal(again.status, 200);
    await again.text();
  });

  test('verdicts: an always-equal object is suspicious_eq, never passed; a NUL in a solution ends as a verdict, not a hang', T, async () => {
    const cheat = 'class Eq:\n    def __eq__(self, other):\n        return True\n    __hash__ = object.__hash__\n\ndef remove_Occ(s, ch):\n    return Eq()\n';
    const nul = 'def remove_Occ(s, ch):\n    return "\u0000"\n';
    for (const [solution, status] of [[cheat, 'suspicious_eq'], [nul, 'syntax_error']] as const) {
      const up = await api('/evaluate?dataset=mbpp&maxProblems=1', { method: 'POST', body: `${JSON.stringify({ task_id: 'Mbpp/11', solution })}\n` });
      assert.equal(up.status, 201, await up.clone().text());
      const { campaignId } = await up.json() as { campaignId: string };
      const summary = await waitForCampaign({ db: svc.db.db, client: svc.env.client }, campaignId);
      assert.equal(summary.passed, 0);
      const [r] = await svc.db.db.select().from(results).where(eq(results.campaignId, campaignId));
      assert.equal(r!.passed, false);
      const [x] = await svc.db.db.select().from(executions).where(eq(executions.sampleId, r!.sampleId!));
      assert.equal(x!.status, status);
      const audit = await (await api(`/campaigns/${campaignId}/problems/11`)).text();
      assert.doesNotMatch(audit, LEAKS);
    }
    await healthy();
  });
});
