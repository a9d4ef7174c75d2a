// The dashboard: server-rendered HTML pages over the same service functions as the JSON API, plus a little vanilla JS
// (./assets.ts) for live progress (SSE), the start form and the pause/resume/cancel buttons. No build step, no CDN.
// A Hono sub-app that ./app.ts mounts with app.route; every value is escaped by Hono's `html` tag.
import { Hono, type Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { datasetNames } from '../campaigns/options.ts';
import { listCampaigns, problemAudit, type DatasetPassAt1 } from '../campaigns/service.ts';
import type { Database } from '../db/client.ts';
import type { AppEnv } from './app-env.ts';
import type { ApiDeps } from './app-options.ts';
import { dashboardCss, dashboardJs } from './assets.ts';
import { TOKEN_COOKIE } from './auth.ts';
import { campaignPage } from './campaign-page.ts';
import type { CampaignReads } from './campaign-reads.ts';
import {
  campaignCost, latestEvents, choicesOf, problemsPage, ProblemsQuerySchema, scoreCards, solutionLines, winCounts, type ProblemsQuery,
} from './campaign-views.ts';
import { problemSteps } from './problem-steps.ts';
import { btpOverview } from './btp-views.ts';
import { costPoints, experimentNames } from './compare-views.ts';
import { mountBtpPages } from './dashboard-btp.ts';
import { eventItem, page, pct, statusBadge, when, type Html } from './dashboard-parts.ts';
import { costPlot, experimentLinks } from './experiment-page.ts';
import { plotCss } from './plots.ts';
import { problemBody } from './problem-page.ts';
import { startForm } from './start-form.ts';
import { problemViewer, viewerCss, viewerJs } from './problem-viewer.ts';
import { verifyApiToken } from './tokens.ts';

export function passAt1Table(rows: DatasetPassAt1[], simulated: boolean, model: string): Html {
  const body = rows.length
    ? rows.map((r) => html`<tr><td>${r.dataset}</td><td>${r.protocol}</td><td>${model}${simulated ? html` <span class="sim">simulated model</span>` : ''}</td>
<td class="num">${r.problems}</td><td class="num">${r.passed}</td><td class="num">${r.errors}</td><td class="num">${pct(r.passAt1)}</td></tr>`)
    : html`<tr><td colspan="7" class="muted">no problem has finished yet</td></tr>`;
  return html`<table id="pass-table"><thead><tr><th>dataset</th><th>protocol</th><th>model</th><th class="num">done</th><th class="num">passed</th><th class="num">errors</th><th class="num">pass@1 so far</th></tr></thead>
<tbody>${body}</tbody></table>${simulated ? html`<p class="sim-note" id="sim-note"><b>Simulated model</b>: these numbers exercise the pipeline and say nothing about any real model.</p>` : ''}`;
}

type Detail = Awaited<ReturnType<CampaignReads['detail']>>;

/** The campaign page: every read side by side (events first, so a problem finishing in between shows in both). */
async function campaignBody(db: Database, id: string, detail: Detail, query: ProblemsQuery): Promise<Html> {
  const { campaign, progress, passAt1, links } = detail;
  const method = campaign.method;
  const eventRows = await latestEvents(db, id);
  const [cards, cost, problems, wins, lines, btp] = await Promise.all([
    scoreCards(db, id, passAt1), campaignCost(db, id, method), problemsPage(db, id, query),
    method === 'eg-cfg' ? winCounts(db, id) : Promise.resolve([]),
    method === 'eg-cfg' ? solutionLines(db, id) : Promise.resolve([]),
    method === 'btp' ? btpOverview(db, id) : Promise.resolve(null),
  ]);
  return campaignPage({
    id, campaign, progress, links,
    passAt1Table: passAt1Table(passAt1, campaign.simulated, campaign.model),
    cards, cost, problems, query, choices: choicesOf(wins), wins, lines, btp,
    events: html`${eventRows.map((e) => eventItem(e))}`, lastEventId: eventRows.at(-1)?.id ?? 0,
  });
}

/** The campaigns list, its filters, the cost plot, the experiments and the start form. */
async function campaignsBody(db: Database, q: { status?: string; dataset?: string; cursor?: string }, simulatedAvailable: boolean): Promise<Html> {
  const { status, dataset, cursor } = q;
  const list = await listCampaigns(db, { limit: 25, ...(status ? { status } : {}), ...(dataset ? { dataset } : {}), ...(cursor ? { cursor } : {}) });
  const [points, experiments] = await Promise.all([costPoints(db, list.campaigns.map((r) => r.id)), cursor ? Promise.resolve([]) : experimentNames(db, 20)]);
  const rows = list.campaigns.map((r) => html`<tr><td><a href="/ui/campaigns/${r.id}">${r.id}</a></td><td>${statusBadge(r.status)}</td>
<td>${r.dataset}</td><td>${r.method}</td><td>${r.model}${r.simulated ? html` <span class="sim">simulated model</span>` : ''}</td>
<td class="num">${r.done}/${r.problemsTotal}</td><td class="num">${r.done ? pct(r.passed / r.done) : '–'}</td><td>${when(r.createdAt)}</td></tr>`);
  const qs = (extra: Record<string, string | undefined>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ status, dataset, ...extra })) if (v) p.set(k, v);
    return p.toString() ? `?${p}` : '';
  };
  const options = (values: readonly string[], current: string | undefined) =>
    [html`<option value="">all</option>`, ...values.map((v) => html`<option${v === current ? ' selected' : ''}>${v}</option>`)];
  return html`<h1>Campaigns</h1>
<form method="get" action="/ui" class="filters">status <select name="status">${options(['created', 'running', 'completed', 'cancelled', 'failed'], status)}</select>
dataset <select name="dataset">${options(datasetNames, dataset)}</select> <button type="submit">filter</button></form>
<table id="campaigns"><thead><tr><th>campaign</th><th>status</th><th>dataset</th><th>method</th><th>model</th><th class="num">done</th><th class="num">pass@1</th><th>created</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="8" class="muted">no campaigns yet</td></tr>`}</tbody></table>
${list.nextCursor ? html`<p><a href="/ui${qs({ cursor: list.nextCursor })}">older campaigns →</a></p>` : ''}
${costPlot(points)}${experimentLinks(experiments)}
<h2>Start a campaign</h2>
${startForm(simulatedAvailable)}`;
}

const notFound = (c: Context, heading: string, err: unknown) =>
  c.html(page('Not found', html`<h1>${heading}</h1><p>${(err as Error).message}</p>`), 404);

export function dashboardRoutes(deps: ApiDeps, reads: CampaignReads): Hono<AppEnv> {
  const { db, auth } = deps;
  const app = new Hono<AppEnv>();

  /** The dashboard needs the cookie from POST /login; without a valid one, go there. */
  async function signedIn(c: Context): Promise<Response | null> {
    if (auth.mode === 'none') return null;
    const token = getCookie(c, TOKEN_COOKIE);
    const next = encodeURIComponent(c.req.path + (new URL(c.req.url).search || ''));
    if (!token) return c.redirect(`/login?next=${next}`, 303);
    const check = await verifyApiToken(db, token);
    if (!check.ok) return c.redirect(`/login?next=${next}&error=${encodeURIComponent(check.reason === 'revoked' ? 'this token has been revoked' : 'invalid token')}`, 303);
    return null;
  }
  mountBtpPages(app, { db, signedIn });

  const asset = (body: string, type: string) => (c: Context) => c.body(body, 200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'max-age=300' });
  app.get('/static/viewer.js', asset(viewerJs, 'text/javascript'));
  app.get('/static/dashboard.css', asset(dashboardCss + viewerCss + plotCss, 'text/css'));
  app.get('/static/dashboard.js', asset(dashboardJs, 'text/javascript'));
  app.get('/', (c) => c.redirect('/ui', 302));

  app.get('/ui', async (c) => {
    const redirect = await signedIn(c);
    if (redirect) return redirect;
    const q = { status: c.req.query('status') || undefined, dataset: c.req.query('dataset') || undefined, cursor: c.req.query('cursor') || undefined };
    return c.html(page('Campaigns', await campaignsBody(db, q, deps.opts.simulated !== undefined)));
  });

  app.get('/ui/campaigns/:id', async (c) => {
    const redirect = await signedIn(c);
    if (redirect) return redirect;
    const id = c.req.param('id');
    let detail;
    try { detail = await reads.detail(id); } catch (err) {
      if ((err as Error).name === 'UnknownCampaignError') return notFound(c, 'Unknown campaign', err);
      throw err;
    }
    const parsed = ProblemsQuerySchema.safeParse(c.req.query());
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      return c.html(page('Bad request', html`<h1>Bad request</h1><p class="error">${issues}</p><p><a href="/ui/campaigns/${id}">the campaign</a></p>`), 400);
    }
    return c.html(page(`Campaign ${id}`, await campaignBody(db, id, detail, parsed.data), { campaignId: id }));
  });

  app.get('/ui/campaigns/:id/problems/:taskId', async (c) => {
    const redirect = await signedIn(c);
    if (redirect) return redirect;
    const id = c.req.param('id');
    const taskId = c.req.param('taskId');
    let audit;
    try { audit = await problemAudit(db, id, taskId); } catch (err) {
      const name = (err as Error).name;
      if (name === 'UnknownCampaignError' || name === 'UnknownProblemError') return notFound(c, 'Not found', err);
      throw err;
    }
    const viewer = audit.campaign.method === 'eg-cfg' ? problemViewer(await problemSteps(db, id, taskId)) : '';
    return c.html(page(`Problem ${audit.problem.taskId}`, problemBody(id, audit, viewer)));
  });

  return app;
}

