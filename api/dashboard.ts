// The dashboard: server-rendered HTML pages over the same service functions as the JSON API, plus a little vanilla JS
// (./assets.ts) for live progress (SSE), the start form and the pause/resume/cancel buttons. No build step, no CDN.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { datasetNames } from '../campaigns/options.ts';
import { listCampaigns, problemAudit, type DatasetPassAt1 } from '../campaigns/service.ts';
import type { Database } from '../db/client.ts';
import type { AppEnv, AuthConfig } from './app-env.ts';
import { dashboardCss, dashboardJs } from './assets.ts';
import { raw } from 'hono/html';
import { campaignPage, type CampaignPageData } from './campaign-page.ts';
import {
  campaignCost, latestEvents, choicesOf, problemsPage, ProblemsQuerySchema, scoreCards, solutionLines, winCounts, type ProblemsQuery,
} from './campaign-views.ts';
import { problemSteps } from './problem-steps.ts';
import { btpOverview } from './btp-views.ts';
import { costPoints, experimentNames } from './compare-views.ts';
import { mountBtpPages } from './dashboard-btp.ts';
import { costPlot, experimentLinks } from './experiment-page.ts';
import { plotCss } from './plots.ts';
import { startForm } from './start-form.ts';
import { problemViewer, viewerCss, viewerJs } from './problem-viewer.ts';
import { verifyApiToken } from './tokens.ts';

/** An html`` result as a string (the viewer's templates have no async parts; awaiting covers them anyway). */
const resolveHtml = async (h: ReturnType<typeof problemViewer>): Promise<string> => String(await h);

/** A value as text: strings as they are, null/undefined as nothing, objects as JSON (never '[object Object]'). */
const text = (v: unknown): string => {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return v === null || v === undefined ? '' : JSON.stringify(v);
};
const esc = (s: unknown): string => text(s).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]!));
const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(2)}%`);
const when = (d: unknown): string => {
  if (!d || !(d instanceof Date || typeof d === 'string' || typeof d === 'number')) return '–';
  return new Date(d).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
};

export interface DashboardOptions {
  db: Database;
  auth: AuthConfig;
  temporalUiUrl?: string;
  namespace: string;
  simulatedAvailable: boolean;
  detail: (id: string) => Promise<{
    campaign: Record<string, unknown>;
    progress: { total: number; done: number; passed: number; errors: number; running: number; paused: boolean; state: string; source: string };
    passAt1: DatasetPassAt1[];
    links: Record<string, string>;
  }>;
}

function page(title: string, body: string, opts: { campaignId?: string } = {}): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · egcfg</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/static/dashboard.css">
<script src="/static/dashboard.js" defer></script></head>
<body${opts.campaignId ? ` data-campaign="${esc(opts.campaignId)}"` : ''}>
<header class="top"><a href="/ui"><b>egcfg</b></a> · <a href="/ui">campaigns</a> · <a href="/docs">API reference</a> · <a href="/healthz">health</a>
<form method="post" action="/logout" class="inline"><button type="submit" class="link">sign out</button></form></header>
<main>${body}</main></body></html>`;
}

const statusBadge = (status: string, paused = false): string =>
  `<span class="badge ${esc(paused ? 'paused' : status)}" id="status-badge">${esc(paused ? 'paused' : status)}</span>`;

export function passAt1Table(rows: DatasetPassAt1[], simulated: boolean, model: string): string {
  const body = rows.length
    ? rows.map((r) => `<tr><td>${esc(r.dataset)}</td><td>${esc(r.protocol)}</td><td>${esc(model)}${simulated ? ' <span class="sim">simulated model</span>' : ''}</td>
<td class="num">${r.problems}</td><td class="num">${r.passed}</td><td class="num">${r.errors}</td><td class="num">${pct(r.passAt1)}</td></tr>`).join('')
    : '<tr><td colspan="7" class="muted">no problem has finished yet</td></tr>';
  return `<table id="pass-table"><thead><tr><th>dataset</th><th>protocol</th><th>model</th><th class="num">done</th><th class="num">passed</th><th class="num">errors</th><th class="num">pass@1 so far</th></tr></thead>
<tbody>${body}</tbody></table>${simulated ? `<p class="sim-note" id="sim-note"><b>Simulated model</b>: these numbers exercise the pipeline and say nothing about any real model.</p>` : ''}`;
}

type Detail = Awaited<ReturnType<DashboardOptions['detail']>>;

/** The campaign page: every read side by side (events first, so a problem finishing in between shows in both). */
async function campaignBody(db: Database, id: string, detail: Detail, query: ProblemsQuery): Promise<string> {
  const { campaign, progress, passAt1, links } = detail;
  const method = text(campaign.method);
  const eventRows = await latestEvents(db, id);
  const [cards, cost, problems, wins, lines, btp] = await Promise.all([
    scoreCards(db, id, passAt1), campaignCost(db, id, method), problemsPage(db, id, query),
    method === 'eg-cfg' ? winCounts(db, id) : Promise.resolve([]),
    method === 'eg-cfg' ? solutionLines(db, id) : Promise.resolve([]),
    method === 'btp' ? btpOverview(db, id) : Promise.resolve(null),
  ]);
  const html = campaignPage({
    id, campaign: campaign as CampaignPageData['campaign'], progress, links,
    passAt1Table: passAt1Table(passAt1, Boolean(campaign.simulated), text(campaign.model)),
    cards, cost, problems, query, choices: choicesOf(wins), wins, lines, btp,
    events: raw(eventRows.map((e) => eventItem(e)).join('')), lastEventId: eventRows.at(-1)?.id ?? 0,
  });
  return String(await html);
}

export function mountDashboard(app: OpenAPIHono<AppEnv>, o: DashboardOptions): void {
  const { db } = o;

  /** The dashboard needs the cookie from POST /login; without a valid one, go there. */
  async function signedIn(c: Context): Promise<Response | null> {
    if (o.auth.mode === 'none') return null;
    const token = getCookie(c, 'egcfg_token');
    const next = encodeURIComponent(c.req.path + (new URL(c.req.url).search || ''));
    if (!token) return c.redirect(`/login?next=${next}`, 303);
    const check = await verifyApiToken(db, token);
    if (!check.ok) return c.redirect(`/login?next=${next}&error=${encodeURIComponent(check.reason === 'revoked' ? 'this token has been revoked' : 'invalid token')}`, 303);
    return null;
  }
  mountBtpPages(app, { db, signedIn, page, esc });

  app.get('/static/viewer.js', (c) => c.body(viewerJs, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=300' }));
  app.get('/static/dashboard.css', (c) => c.body(dashboardCss + viewerCss + plotCss, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'max-age=300' }));
  app.get('/static/dashboard.js', (c) => c.body(dashboardJs, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=300' }));
  app.get('/', (c) => c.redirect('/ui', 302));

  app.get('/ui', async (c) => {
    const redirect = await signedIn(c);
    if (redirect) return redirect;
    const status = c.req.query('status') || undefined;
    const dataset = c.req.query('dataset') || undefined;
    const cursor = c.req.query('cursor') || undefined;
    const list = await listCampaigns(db, { limit: 25, ...(status ? { status } : {}), ...(dataset ? { dataset } : {}), ...(cursor ? { cursor } : {}) });
    const [points, experiments] = await Promise.all([costPoints(db, list.campaigns.map((r) => r.id)), cursor ? Promise.resolve([]) : experimentNames(db, 20)]);
    const rows = list.campaigns.map((r) => `<tr><td><a href="/ui/campaigns/${esc(r.id)}">${esc(r.id)}</a></td><td>${statusBadge(r.status)}</td>
<td>${esc(r.dataset)}</td><td>${esc(r.method)}</td><td>${esc(r.model)}${r.simulated ? ' <span class="sim">simulated model</span>' : ''}</td>
<td class="num">${r.done}/${r.problemsTotal}</td><td class="num">${r.done ? pct(r.passed / r.done) : '–'}</td><td>${when(r.createdAt)}</td></tr>`).join('');
    const qs = (extra: Record<string, string | undefined>) => {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries({ status, dataset, ...extra })) if (v) p.set(k, v);
      return p.toString() ? `?${p}` : '';
    };
    const options = (values: readonly string[], current: string | undefined) =>
      ['<option value="">all</option>', ...values.map((v) => `<option${v === current ? ' selected' : ''}>${esc(v)}</option>`)].join('');
    const body = `<h1>Campaigns</h1>
<form method="get" action="/ui" class="filters">status <select name="status">${options(['created', 'running', 'completed', 'cancelled', 'failed'], status)}</select>
dataset <select name="dataset">${options(datasetNames, dataset)}</select> <button type="submit">filter</button></form>
<table id="campaigns"><thead><tr><th>campaign</th><th>status</th><th>dataset</th><th>method</th><th>model</th><th class="num">done</th><th class="num">pass@1</th><th>created</th></tr></thead>
<tbody>${rows || '<tr><td colspan="8" class="muted">no campaigns yet</td></tr>'}</tbody></table>
${list.nextCursor ? `<p><a href="/ui${qs({ cursor: list.nextCursor })}">older campaigns →</a></p>` : ''}
${String(await costPlot(points))}${String(await experimentLinks(experiments))}
<h2>Start a campaign</h2>
${String(await startForm(o.simulatedAvailable))}`;
    return c.html(page('Campaigns', body));
  });

  app.get('/ui/campaigns/:id', async (c) => {
    const redirect = await signedIn(c);
    if (redirect) return redirect;
    const id = c.req.param('id');
    let detail;
    try { detail = await o.detail(id); } catch (err) {
      if ((err as Error).name === 'UnknownCampaignError') return c.html(page('Not found', `<h1>Unknown campaign</h1><p>${esc((err as Error).message)}</p>`), 404);
      throw err;
    }
    const parsed = ProblemsQuerySchema.safeParse(c.req.query());
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      return c.html(page('Bad request', `<h1>Bad request</h1><p class="error">${esc(issues)}</p><p><a href="/ui/campaigns/${esc(id)}">the campaign</a></p>`), 400);
    }
    const body = await campaignBody(db, id, detail, parsed.data);
    return c.html(page(`Campaign ${id}`, body, { campaignId: id }));
  });

  app.get('/ui/campaigns/:id/problems/:taskId', async (c) => {
    const redirect = await signedIn(c);
    if (redirect) return redirect;
    const id = c.req.param('id');
    const taskId = c.req.param('taskId');
    let audit;
    try { audit = await problemAudit(db, id, taskId); } catch (err) {
      const name = (err as Error).name;
      if (name === 'UnknownCampaignError' || name === 'UnknownProblemError') return c.html(page('Not found', `<h1>Not found</h1><p>${esc((err as Error).message)}</p>`), 404);
      throw err;
    }
    const p = audit.problem;
    const samplesHtml = audit.samples.map((s) => `<section class="card sample"><h3>Sample ${s.id} <span class="muted">attempt ${esc(s.attempt)} · ${esc(s.model)}
· ${s.promptTokens}+${s.completionTokens} tokens · ${s.modelCalls} model call(s)</span></h3>
<h4>Code</h4><pre class="code" id="sample-code-${s.id}">${esc(s.code)}</pre>
${s.rawCompletion !== null && s.rawCompletion !== s.code ? `<details><summary>raw completion</summary><pre class="code">${esc(s.rawCompletion)}</pre></details>` : ''}
${s.executions.map((e) => `<h4>Execution ${e.id}: suite <code>${esc(e.suite)}</code> — <span class="${e.passed ? 'pass' : 'fail'}">${esc(e.status)}</span>
(${e.testsPassed}/${e.testsTotal} tests, ${e.durationMs.toFixed(0)} ms)</h4>
<table class="tests"><thead><tr><th>test</th><th>verdict</th><th>error</th><th class="num">ms</th></tr></thead><tbody>
${(e.perTest as Array<Record<string, unknown>>).map(testRow).join('')}</tbody></table>
${e.stdout ? `<details><summary>stdout</summary><pre>${esc(e.stdout)}</pre></details>` : ''}${e.stderr ? `<details><summary>stderr</summary><pre>${esc(e.stderr)}</pre></details>` : ''}`).join('')}
</section>`).join('');
    const tests = (p.problem as { tests?: unknown }).tests;
    const viewer = audit.campaign.method === 'eg-cfg' ? await resolveHtml(problemViewer(await problemSteps(db, id, taskId))) : '';
    const body = `<p><a href="/ui/campaigns/${esc(id)}">← campaign ${esc(id)}</a></p>
<h1>Problem <code>${esc(p.taskId)}</code> <span class="muted">${esc(p.dataset)} · ${esc(p.split)}</span></h1>
<p class="muted">version <code id="problem-hash">${esc(p.contentHash)}</code> (the content hash of what this campaign ran)</p>
<p>${audit.results.map((r) => `verdict (${esc(r.protocol)}): <b class="${r.passed ? 'pass' : 'fail'}" id="verdict-${esc(r.protocol)}">${r.passed ? 'passed' : 'failed'}</b> (${esc(r.status)})`).join(' · ') || '<span class="muted">no verdict yet</span>'}
${audit.campaign.simulated ? ' <span class="sim">simulated model</span>' : ''}</p>
<section class="card"><h2>Statement</h2><pre>${esc(p.statement)}</pre>
<h3>Visible tests</h3><pre class="code">${esc(p.visibleTests.join('\n'))}</pre>
${tests ? `<details><summary>all tests</summary><pre class="code">${esc(JSON.stringify(tests, null, 2))}</pre></details>` : ''}</section>
${viewer}
<h2>Samples</h2>${samplesHtml || '<p class="muted">no sample yet</p>'}
<h2>Events</h2><ol>${audit.events.map((e) => eventItem(e)).join('') || '<li class="muted">none</li>'}</ol>`;
    return c.html(page(`Problem ${p.taskId}`, body));
  });
}

/**
 * One row of an execution's per-test table. A contest test (CodeContests) shows its judge verdict (accepted, wrong
 * answer, time limit, memory limit, runtime error, skipped) and the checker's message; other tests their status.
 */
function testRow(t: Record<string, unknown>): string {
  const error = t.error as { type?: string; message?: string } | undefined;
  const verdict = typeof t.verdict === 'string' ? t.verdict : null;
  const shown = verdict ?? String(t.status);
  const ok = verdict !== null ? verdict === 'accepted' : t.status === 'passed';
  const checker = typeof t.checker === 'string' && t.checker !== '' ? esc(t.checker) : '';
  const why = error ? `<code>${esc(error.type ?? '')}</code> ${esc(error.message ?? '')}` : checker;
  return `<tr><td><code>${esc(t.id)}</code></td><td class="${ok ? 'pass' : verdict === 'skipped' ? 'muted' : 'fail'}">${esc(shown.replace(/_/g, ' '))}</td>
<td>${why}</td><td class="num">${typeof t.durationMs === 'number' ? t.durationMs.toFixed(0) : ''}</td></tr>`;
}

function eventItem(e: { id: number; kind: string; payload: Record<string, unknown>; createdAt: Date | string }): string {
  return `<li data-id="${e.id}"><span class="muted">${when(e.createdAt)}</span> <code>${esc(e.kind)}</code> ${esc(summarise(e.kind, e.payload))}</li>`;
}

function summarise(kind: string, p: Record<string, unknown>): string {
  if (kind === 'problem_finished') {
    return `${text(p.taskId ?? p.problemId)}${p.protocol && p.protocol !== 'default' ? ` [${text(p.protocol)}]` : ''}: ${p.passed ? 'passed' : 'failed'} (${text(p.status)})`;
  }
  if (kind === 'campaign_status') return String(p.status);
  if (kind === 'campaign_control') return `${text(p.action)}${p.by ? ` by ${text(p.by)}` : ''}`;
  // Errors (model_unavailable, campaign_failed, …) with their message.
  if (typeof p.error === 'string') return `${p.taskId ? `${text(p.taskId)}: ` : ''}${p.error}`;
  return JSON.stringify(p);
}
