// The HTTP API against the real services: a Temporal dev server, a fresh Postgres database, in-process workers with
// nsjail, and simulated model servers. Every route's success path, bad input (400 naming the field), auth
// (401/403), unknown ids (404), pause/resume, cancel, SSE order and resumption, evaluate uploads.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { count, eq } from 'drizzle-orm';
import type { SimulatedServer } from '../../activities/model/simulated-server.ts';
import { createApp, type App } from '../../api/app.ts';
import { createApiToken, revokeApiToken } from '../../api/tokens.ts';
import { waitForCampaign } from '../../campaigns/service.ts';
import { knowledgeFor } from '../../cli/simulated.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import { samples } from '../../db/schema/index.ts';
import { sleep, waitFor } from '../support/wait.ts';
import { integrationServices } from '../support/integration.ts';

interface SseEvent { id?: string; event: string; data: string }

/** Read a text/event-stream body to its end (the server closes it after `event: end`). */
async function readSse(res: Response): Promise<SseEvent[]> {
  const text = await res.text();
  const out: SseEvent[] = [];
  for (const frame of text.split('\n\n')) {
    if (!frame.trim() || frame.startsWith(':')) continue;
    const e: SseEvent = { event: 'message', data: '' };
    for (const line of frame.split('\n')) {
      const [k, ...rest] = line.split(':');
      const v = rest.join(':').replace(/^ /, '');
      if (k === 'id') e.id = v;
      else if (k === 'event') e.event = v;
      else if (k === 'data') e.data += v;
    }
    out.push(e);
  }
  return out;
}


describe('HTTP API (Temporal + Postgres + nsjail + simulated model)', { timeout: 900_000 }, () => {
  let slow: SimulatedServer;
  let app: App;
  let token: string;
  let revoked: string;

  const svc = integrationServices({
    simulated: { skill: 0.5 },
    setup: async () => {
      // A slow model for pause and cancel: every answer takes a while, so problems are visibly in flight.
      slow = await svc.startSimulatedServer({ knowledge: knowledgeFor(await loadDataset('mbpp', { split: 'all' })), latencyMs: 400, modelName: 'slow' });
      // The slow server is a configured model server: API callers may name only those (issue 13).
      app = createApp({ db: svc.db.db, client: svc.env.client, auth: { mode: 'tokens' }, simulated: svc.sims, temporalUiUrl: 'http://127.0.0.1:8233', log: () => {},
        modelServers: [{ url: slow.url, name: 'slow' }] });
      token = (await createApiToken(svc.db.db, 'test')).token;
      const r = await createApiToken(svc.db.db, 'revoked');
      await revokeApiToken(svc.db.db, r.id);
      revoked = r.token;
    },
  });

  const api = (path: string, init: RequestInit & { auth?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    const t = init.auth === undefined ? token : init.auth;
    if (t !== null) headers.set('authorization', `Bearer ${t}`);
    return app.request(path, { ...init, headers });
  };
  const postJson = (path: string, body: unknown) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const fields = async (res: Response) => ((await res.json()) as { issues?: Array<{ field: string }> }).issues?.map((i) => i.field) ?? [];

  let doneId = ''; // a finished simulated campaign, shared by the read-only tests

  test('POST /campaigns starts a campaign on the simulated model; SSE delivers its events in order', async () => {
    const res = await postJson('/campaigns', { dataset: 'mbpp', modelName: 'sim-api', maxProblems: 5, concurrency: 2 });
    assert.equal(res.status, 201, await res.clone().text());
    const created = await res.json() as { campaignId: string; problems: number; simulated: boolean; links: Record<string, string> };
    assert.equal(created.problems, 5);
    assert.equal(created.simulated, true);
    assert.match(created.links.temporal!, /^http:\/\/127\.0\.0\.1:8233\/namespaces\/default\/workflows\/campaign-/);
    doneId = created.campaignId;

    const stream = await api(`/campaigns/${doneId}/events`);
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = await readSse(stream);
    assert.equal(events.at(-1)!.event, 'end', 'a followed stream ends once the campaign has finished');
    const logged = events.filter((e) => e.event !== 'end');
    const ids = logged.map((e) => Number(e.id));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'events arrive in id order');
    assert.equal(new Set(ids).size, ids.length, 'no event twice');
    const finished = logged.filter((e) => e.event === 'problem_finished').map((e) => JSON.parse(e.data).payload);
    assert.equal(finished.length, 5);
    assert.ok(finished.every((p) => p.status !== 'error'), `no problem errored: ${JSON.stringify(finished)}`);
    assert.equal(logged[0]!.event, 'campaign_status');
    assert.deepEqual(JSON.parse(logged.at(-1)!.data).payload, { status: 'completed' });

    // Resume after an event id: only later events come, in order.
    const mid = ids[2]!;
    const rest = (await readSse(await api(`/campaigns/${doneId}/events`, { headers: { 'last-event-id': String(mid) } }))).filter((e) => e.event !== 'end');
    assert.deepEqual(rest.map((e) => Number(e.id)), ids.filter((i) => i > mid));
    const snapshot = (await readSse(await api(`/campaigns/${doneId}/events?follow=false&after=${ids[0]}`))).filter((e) => e.event !== 'end');
    assert.deepEqual(snapshot.map((e) => Number(e.id)), ids.slice(1));
    assert.equal((await api(`/campaigns/${doneId}/events`, { headers: { 'last-event-id': 'abc' } })).status, 400);
  });

  test('GET /campaigns/{id}: status, progress and per-dataset pass@1', async () => {
    const res = await api(`/campaigns/${doneId}`);
    assert.equal(res.status, 200);
    const d = await res.json() as { campaign: { status: string; simulated: boolean }; progress: { done: number; total: number; state: string }; passAt1: Array<{ dataset: string; problems: number; passed: number; passAt1: number }> };
    assert.equal(d.campaign.status, 'completed');
    assert.equal(d.campaign.simulated, true);
    assert.equal(d.progress.done, 5);
    assert.equal(d.progress.total, 5);
    assert.equal(d.progress.state, 'completed');
    assert.equal(d.passAt1.length, 1);
    assert.equal(d.passAt1[0]!.dataset, 'mbpp');
    assert.equal(d.passAt1[0]!.problems, 5);
    assert.equal(d.passAt1[0]!.passAt1, d.passAt1[0]!.passed / 5);
  });

  test('GET /campaigns/{id}/results in json, jsonl, csv and evalplus', async () => {
    const j = await (await api(`/campaigns/${doneId}/results`)).json() as { results: Array<{ task_id: string; passed: boolean; code: string }> };
    assert.equal(j.results.length, 5);
    const jsonl = await api(`/campaigns/${doneId}/results?format=jsonl`);
    assert.match(jsonl.headers.get('content-type')!, /ndjson/);
    const lines = (await jsonl.text()).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines, j.results);
    const csv = await (await api(`/campaigns/${doneId}/results?format=csv`)).text();
    assert.equal(csv.split('\r\n')[0], 'task_id,passed,status,sample_id,tests_passed,tests_total,code');
    assert.ok(csv.includes(`${j.results[0]!.task_id},${j.results[0]!.passed},`));
    const evalplus = (await (await api(`/campaigns/${doneId}/results?format=evalplus`)).text()).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(evalplus.map((e) => e.task_id), j.results.map((r) => `Mbpp/${r.task_id}`));
    assert.deepEqual(evalplus.map((e) => e.solution), j.results.map((r) => r.code));
    const bad = await api(`/campaigns/${doneId}/results?format=xml`);
    assert.equal(bad.status, 400);
    assert.deepEqual(await fields(bad), ['query.format']);
  });

  test('GET /campaigns/{id}/problems/{taskId}: the audit of one problem', async () => {
    const { results } = await (await api(`/campaigns/${doneId}/results`)).json() as { results: Array<{ task_id: string; passed: boolean }> };
    const first = results[0]!;
    const res = await api(`/campaigns/${doneId}/problems/${encodeURIComponent(first.task_id)}`);
    assert.equal(res.status, 200);
    const a = await res.json() as {
      problem: { taskId: string; statement: string }; results: Array<{ passed: boolean }>; events: Array<{ kind: string }>;
      samples: Array<{ code: string; executions: Array<{ suite: string; testsTotal: number; perTest: Array<{ id: string; status: string }> }> }>;
    };
    assert.equal(a.problem.taskId, first.task_id);
    assert.ok(a.problem.statement.length > 0);
    assert.equal(a.samples.length, 1);
    const exec = a.samples[0]!.executions[0]!;
    assert.equal(exec.suite, 'eval');
    assert.equal(exec.perTest.length, exec.testsTotal);
    assert.ok(exec.perTest.every((t) => typeof t.status === 'string'));
    assert.equal(a.results[0]!.passed, first.passed);
    assert.deepEqual(a.events.map((e) => e.kind), ['problem_finished']);
    assert.equal(a.samples[0]!.executions.length, 1);
    assert.equal((await api(`/campaigns/${doneId}/problems/999999`)).status, 404);
  });

  test('GET /campaigns filters by status, dataset and method and pages with a cursor', async () => {
    const second = await postJson('/campaigns', { dataset: 'humaneval', modelName: 'sim-api', maxProblems: 2 });
    assert.equal(second.status, 201);
    const secondId = (await second.json() as { campaignId: string }).campaignId;
    await waitForCampaign({ db: svc.db.db, client: svc.env.client }, secondId);
    // The HumanEval audit route takes an encoded task id with a slash.
    const audit = await api(`/campaigns/${secondId}/problems/${encodeURIComponent('HumanEval/0')}`);
    assert.equal(audit.status, 200);

    const all = await (await api('/campaigns?limit=100')).json() as { campaigns: Array<{ id: string }>; nextCursor: string | null };
    assert.ok(all.campaigns.length >= 2);
    const ids = all.campaigns.map((c) => c.id);
    assert.deepEqual(ids, [...ids].sort().reverse(), 'newest first');
    const he = await (await api('/campaigns?dataset=humaneval')).json() as { campaigns: Array<{ id: string; dataset: string }> };
    assert.deepEqual(he.campaigns.map((c) => c.id), [secondId]);
    const completed = await (await api('/campaigns?status=completed&method=baseline')).json() as { campaigns: Array<{ status: string }> };
    assert.ok(completed.campaigns.length >= 2 && completed.campaigns.every((c) => c.status === 'completed'));
    const page1 = await (await api('/campaigns?limit=1')).json() as { campaigns: Array<{ id: string }>; nextCursor: string };
    assert.equal(page1.campaigns.length, 1);
    assert.equal(page1.nextCursor, page1.campaigns[0]!.id);
    const page2 = await (await api(`/campaigns?limit=1&cursor=${page1.nextCursor}`)).json() as { campaigns: Array<{ id: string }> };
    assert.equal(page2.campaigns[0]!.id, ids[1]);
    const bad = await api('/campaigns?limit=0&dataset=nope');
    assert.equal(bad.status, 400);
    assert.deepEqual((await fields(bad)).sort(), ['query.dataset', 'query.limit']);
  });

  test('bad bodies answer 400 naming each field', async () => {
    let res = await postJson('/campaigns', { dataset: 'nope', temperature: 9 });
    assert.equal(res.status, 400);
    assert.deepEqual((await fields(res)).sort(), ['dataset', 'modelName', 'temperature']);
    res = await postJson('/campaigns', { dataset: 'mbpp', modelName: 'x', datasetFile: '/etc/passwd', colour: 'red' });
    assert.equal(res.status, 400);
    assert.deepEqual((await fields(res)).sort(), ['colour', 'datasetFile']);
    res = await postJson('/campaigns', { dataset: 'mbpp', modelName: 'x', modelUrl: 'not a url', maxProblems: -1 });
    assert.deepEqual((await fields(res)).sort(), ['maxProblems', 'modelUrl']);
    res = await api('/campaigns', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"dataset": ' });
    assert.equal(res.status, 400);
    assert.deepEqual(await fields(res), ['(body)']);
    const noSim = createApp({ db: svc.db.db, client: svc.env.client, log: () => {} });
    res = await noSim.request('/campaigns', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ dataset: 'mbpp', modelName: 'x' }) });
    assert.equal(res.status, 400);
    assert.deepEqual(await fields(res), ['modelUrl']);
  });

  test('auth: 401 without or with a bad token, 403 with a revoked one; health, docs and assets are public', async () => {
    for (const [path, method] of [['/campaigns', 'GET'], ['/campaigns', 'POST'], [`/campaigns/${doneId}`, 'GET'], [`/campaigns/${doneId}/results`, 'GET'],
      [`/campaigns/${doneId}/pause`, 'POST'], [`/campaigns/${doneId}/events`, 'GET'], ['/evaluate', 'POST']] as const) {
      const none = await api(path, { method, auth: null });
      assert.equal(none.status, 401, `${method} ${path} without a token`);
      assert.match(none.headers.get('www-authenticate') ?? '', /Bearer/);
      assert.equal((await api(path, { method, auth: 'egcfg_not-a-real-token' })).status, 401, `${method} ${path} with a bad token`);
      assert.equal((await api(path, { method, auth: revoked })).status, 403, `${method} ${path} with a revoked token`);
    }
    assert.equal((await app.request('/campaigns', { headers: { authorization: 'Basic abc' } })).status, 401);
    // The dashboard cookie: POST /login sets it; a cookie-authenticated POST needs the x-egcfg-request header.
    const login = await app.request('/login', { method: 'POST', body: new URLSearchParams({ token, next: '/ui' }) });
    assert.equal(login.status, 303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    assert.match(login.headers.get('set-cookie')!, /HttpOnly/i);
    assert.equal((await app.request('/campaigns', { headers: { cookie } })).status, 200);
    assert.equal((await app.request(`/campaigns/${doneId}/pause`, { method: 'POST', headers: { cookie } })).status, 403);
    assert.equal((await app.request('/login', { method: 'POST', body: new URLSearchParams({ token: revoked }) })).status, 403);
    assert.equal((await app.request('/ui')).status, 303, 'the dashboard sends a stranger to the login page');
    assert.equal((await app.request('/ui', { headers: { cookie } })).status, 200);

    const health = await app.request('/healthz');
    const h = await health.json() as { status: string; checks: Record<string, { status: string; detail: string }> };
    assert.equal(health.status, 200, JSON.stringify(h));
    assert.deepEqual(Object.keys(h.checks).sort(), ['database', 'model', 'sandbox', 'temporal']);
    assert.ok(Object.values(h.checks).every((c) => c.status === 'ok'));
    // A failing check makes the whole report 503, naming which part failed.
    const broken = createApp({ db: svc.db.db, client: svc.env.client, log: () => {}, checks: { sandbox: async () => { throw new Error('nsjail is missing'); } } });
    const bad = await broken.request('/healthz');
    assert.equal(bad.status, 503);
    const b = await bad.json() as typeof h;
    assert.equal(b.status, 'error');
    assert.deepEqual(b.checks.sandbox, { ...b.checks.sandbox, status: 'error', detail: 'nsjail is missing' });
    assert.equal(b.checks.database!.status, 'ok');
    const doc = await (await app.request('/openapi.json')).json() as { paths: Record<string, unknown> };
    for (const p of ['/campaigns', '/campaigns/{id}', '/campaigns/{id}/pause', '/campaigns/{id}/resume', '/campaigns/{id}/cancel', '/campaigns/{id}/events',
      '/campaigns/{id}/results', '/campaigns/{id}/problems/{taskId}', '/evaluate', '/healthz', '/metrics']) assert.ok(doc.paths[p], `openapi documents ${p}`);
    const docs = await app.request('/docs');
    assert.equal(docs.status, 200);
    const html = await docs.text();
    assert.ok(html.includes('/campaigns/{id}/problems/{taskId}') && html.includes('modelName'));
    assert.equal((await app.request('/static/dashboard.js')).status, 200);
    assert.equal((await app.request('/static/dashboard.css')).status, 200);
  });

  test('unknown ids and routes answer 404 JSON', async () => {
    for (const [path, method] of [['/campaigns/nope', 'GET'], ['/campaigns/nope/results', 'GET'], ['/campaigns/nope/events', 'GET'],
      ['/campaigns/nope/pause', 'POST'], ['/campaigns/nope/resume', 'POST'], ['/campaigns/nope/cancel', 'POST'], ['/campaigns/nope/problems/11', 'GET'],
      ['/no/such/route', 'GET']] as const) {
      const res = await api(path, { method });
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(typeof ((await res.json()) as { error: string }).error, 'string');
    }
    const finished = await api(`/campaigns/${doneId}/pause`, { method: 'POST' });
    assert.equal(finished.status, 409, 'a finished campaign cannot be paused');
  });

  test('pause: no new problem starts; resume: the campaign completes', async () => {
    const res = await postJson('/campaigns', { dataset: 'mbpp', modelName: 'slow', modelUrl: slow.url, maxProblems: 8, concurrency: 2 });
    assert.equal(res.status, 201);
    const id = (await res.json() as { campaignId: string }).campaignId;
    type Detail = { campaign: { status: string }; progress: { done: number; running: number; paused: boolean; state: string; total: number } };
    const detail = async () => (await (await api(`/campaigns/${id}`)).json()) as Detail;
    await waitFor('a first problem done', async () => (await detail()).progress.done >= 1, { timeoutMs: 120_000 });
    assert.equal((await api(`/campaigns/${id}/pause`, { method: 'POST' })).status, 202);
    let d = await waitFor('paused with nothing running', async () => {
      const now = await detail();
      return now.progress.paused && now.progress.running === 0 && now;
    }, { timeoutMs: 120_000 });
    assert.equal(d.progress.state, 'paused');
    const doneAtPause = d.progress.done;
    assert.ok(doneAtPause < 8, 'paused before the end');
    const sampleCount = async () => Number((await svc.db.db.select({ n: count() }).from(samples).where(eq(samples.campaignId, id)))[0]!.n);
    const samplesAtPause = await sampleCount();
    const requestsAtPause = slow.stats().requests;
    await sleep(2000); // an observation window, not a wait: while paused, nothing may start in it
    d = await detail();
    assert.equal(d.progress.done, doneAtPause, 'no problem finished while paused');
    assert.equal(d.progress.running, 0, 'no problem started while paused');
    assert.equal(await sampleCount(), samplesAtPause, 'no sample was generated while paused');
    assert.equal(slow.stats().requests, requestsAtPause, 'the model was not called while paused');
    assert.equal((await api(`/campaigns/${id}/resume`, { method: 'POST' })).status, 202);
    const summary = await waitForCampaign({ db: svc.db.db, client: svc.env.client }, id);
    assert.equal(summary.problems, 8);
    d = await detail();
    assert.equal(d.campaign.status, 'completed');
    assert.equal(d.progress.done, 8);
    const rs = ((await (await api(`/campaigns/${id}/results`)).json()) as { results: Array<{ status: string }> }).results;
    assert.ok(rs.length === 8 && rs.every((r) => r.status !== 'error'), 'every problem ran (none errored)');
  });

  test('cancel: the campaign ends cancelled and keeps the results it had', async () => {
    const res = await postJson('/campaigns', { dataset: 'mbpp', modelName: 'slow', modelUrl: slow.url, maxProblems: 12, concurrency: 1 });
    const id = (await res.json() as { campaignId: string }).campaignId;
    const finished = async () => ((await (await api(`/campaigns/${id}/results`)).json()) as { results: Array<{ task_id: string }> }).results;
    await waitFor('two results', async () => (await finished()).length >= 2, { timeoutMs: 120_000 });
    assert.equal((await api(`/campaigns/${id}/cancel`, { method: 'POST' })).status, 202);
    const d = await waitFor('the campaign cancelled', async () => {
      const now = (await (await api(`/campaigns/${id}`)).json()) as { campaign: { status: string }; progress: { state: string } };
      return now.campaign.status === 'cancelled' && now;
    }, { timeoutMs: 120_000 });
    assert.equal(d.progress.state, 'cancelled');
    const kept = await finished();
    assert.ok(kept.length >= 2 && kept.length < 12, `finished results are kept (${kept.length})`);
    const events = (await readSse(await api(`/campaigns/${id}/events`))).filter((e) => e.event === 'campaign_status').map((e) => JSON.parse(e.data).payload.status);
    assert.deepEqual(events, ['running', 'cancelled']);
    assert.equal((await api(`/campaigns/${id}/resume`, { method: 'POST' })).status, 409);
    const list = await (await api('/campaigns?status=cancelled')).json() as { campaigns: Array<{ id: string }> };
    assert.deepEqual(list.campaigns.map((c) => c.id), [id]);
  });

  test('POST /evaluate scores an uploaded evalplus file (raw body and multipart) like the campaign that produced it', async () => {
    const exported = await (await api(`/campaigns/${doneId}/results?format=evalplus`)).text();
    const original = ((await (await api(`/campaigns/${doneId}/results`)).json()) as { results: Array<{ task_id: string; passed: boolean }> }).results;
    const raw = await api('/evaluate?dataset=mbpp&maxProblems=5', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: exported });
    assert.equal(raw.status, 201, await raw.clone().text());
    const r1 = await raw.json() as { campaignId: string; simulated: boolean; model: string };
    assert.equal(r1.simulated, false);
    assert.match(r1.model, /^replay:/);
    const form = new FormData();
    form.set('file', new Blob([exported], { type: 'application/x-ndjson' }), 'samples.jsonl');
    form.set('dataset', 'mbpp');
    form.set('maxProblems', '5');
    const multi = await api('/evaluate', { method: 'POST', body: form });
    assert.equal(multi.status, 201, await multi.clone().text());
    const r2 = await multi.json() as { campaignId: string; model: string };
    assert.equal(r2.model, 'replay:samples.jsonl');
    for (const id of [r1.campaignId, r2.campaignId]) {
      await waitForCampaign({ db: svc.db.db, client: svc.env.client }, id);
      const replayed = ((await (await api(`/campaigns/${id}/results`)).json()) as { results: Array<{ task_id: string; passed: boolean }> }).results;
      assert.deepEqual(replayed.map((r) => [r.task_id, r.passed]), original.map((r) => [r.task_id, r.passed]));
    }
    let bad = await api('/evaluate?dataset=mbpp', { method: 'POST', body: '{"task_id": "Mbpp/2", "solution": "x"}\nnot json\n' });
    assert.equal(bad.status, 400);
    assert.deepEqual(await fields(bad), ['file:2']);
    bad = await api('/evaluate', { method: 'POST', body: exported });
    assert.deepEqual(await fields(bad), ['dataset']);
    bad = await api('/evaluate?dataset=mbpp', { method: 'POST', body: '' });
    assert.deepEqual(await fields(bad), ['file']);
  });

  test('GET /metrics: campaigns by status, problems done, sandbox executions, model latency', async () => {
    const res = await app.request('/metrics');
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^egcfg_campaigns\{status="completed",method="baseline",dataset="mbpp"\} \d+$/m);
    assert.match(text, /^egcfg_campaigns\{status="cancelled",method="baseline",dataset="mbpp"\} 1$/m);
    assert.match(text, /^egcfg_problems_done_total\{dataset="mbpp",method="baseline",protocol="default"\} \d+$/m);
    assert.match(text, /^egcfg_sandbox_executions_total\{suite="eval",status="\w+"\} \d+$/m);
    assert.match(text, /^egcfg_api_request_duration_seconds_count\{method="GET",route="\/campaigns\/:id",status="200"\} \d+$/m);
    // Model latency: the campaigns above called the simulated model, so time was spent waiting for it.
    const seconds = Number(/^egcfg_model_seconds_total\{source="samples"\} (\S+)$/m.exec(text)?.[1]);
    const requests = Number(/^egcfg_model_requests_total\{source="samples"\} (\S+)$/m.exec(text)?.[1]);
    assert.ok(requests > 0 && seconds > 0, `model latency recorded: ${seconds} s over ${requests} calls`);
  });
});
