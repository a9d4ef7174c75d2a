// The campaign page's body (/ui/campaigns/{id}): status and failure reason, live progress with the pause / resume /
// cancel buttons (disabled where they cannot apply), score cards per dataset and protocol, cost, plots, the problems
// table (server-side sort, filter, search, pagination through query parameters), the latest events. Every value is
// escaped by Hono's `html` tag.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { CampaignCost, ProblemsPage, ProblemsQuery, ScoreCard, WinCount } from './campaign-views.ts';
import { btpCards, btpProblemsNote, btpSections } from './btp-page.ts';
import type { BtpOverview } from './btp-views.ts';
import { barChart } from './plots.ts';
import type { CampaignConfig } from '../campaigns/options/stored.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface CampaignPageData {
  id: string;
  campaign: Record<string, unknown> & { status: string; method: string; dataset: string; model: string; simulated: boolean; error?: string | null; createdAt: string; finishedAt: string | null; config: Record<string, unknown> };
  progress: { total: number; done: number; passed: number; errors: number; running: number; paused: boolean; state: string };
  links: Record<string, string>;
  passAt1Table: Html;
  cards: ScoreCard[];
  cost: CampaignCost;
  problems: ProblemsPage;
  query: ProblemsQuery;
  choices: { agents: string[]; gammas: number[] };
  wins: WinCount[];
  lines: number[];
  /** The BTP read models (null for other methods). */
  btp: BtpOverview | null;
  events: Html;
  lastEventId: number;
}

/** The experiment (`egcfg experiment`) a campaign belongs to, from its config. */
const experimentName = (config: CampaignConfig): string | null => config.experiment?.name ?? null;

const terminal = new Set(['completed', 'cancelled', 'failed']);
const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(2)}%`);
const n0 = (x: number): string => Math.round(x).toLocaleString('en-US');
const n1 = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: 1 });
const when = (d: string | null): string => (d ? new Date(d).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–');

function controls(d: CampaignPageData): Html {
  const done = terminal.has(d.campaign.status);
  const paused = d.progress.paused || d.progress.state === 'paused';
  const why = done ? `the campaign has ${d.campaign.status}` : '';
  return html`<div class="actions"><button data-action="pause" id="pause-button"${done || paused ? ' disabled' : ''} title="${done ? why : paused ? 'already paused' : 'no new problem starts'}">Pause</button>
<button data-action="resume" id="resume-button"${done || !paused ? ' disabled' : ''} title="${done ? why : paused ? 'resume' : 'not paused'}">Resume</button>
<button data-action="cancel" id="cancel-button" class="danger"${done ? ' disabled' : ''} title="${done ? why : 'stop; finished results are kept'}">Cancel</button> <span id="action-message" role="status"></span></div>`;
}

function cardsHtml(cards: ScoreCard[]): Html {
  if (!cards.length) return html`<p class="muted">no problem has finished yet</p>`;
  return html`<div class="score-cards" id="score-cards">${cards.map((c) => html`<div class="card score" data-dataset="${c.dataset}" data-protocol="${c.protocol}">
<div class="muted">${c.dataset} · ${c.protocol}</div><div class="big">${pct(c.passAt1)}</div><div class="muted">pass@1 · ${c.passed}/${c.problems} passed${c.errors ? ` · ${c.errors} errors` : ''}</div>
${c.rsr === null ? '' : html`<div>RSR <b>${c.rsr.toFixed(2)}</b> <span class="muted">vs baseline <a href="/ui/campaigns/${c.baselineCampaignId ?? ''}">${c.baselineCampaignId ?? ''}</a></span></div>`}
${c.passAtK.map((p) => html`<div>pass@${p.k} <b>${pct(p.value)}</b></div>`)}</div>`)}</div>`;
}

function costHtml(c: CampaignCost): Html {
  const per = c.perSolved;
  return html`<table id="cost" class="compact"><thead><tr><th></th><th class="num">model calls</th><th class="num">prompt tokens</th><th class="num">completion tokens</th><th class="num">sandbox seconds</th></tr></thead>
<tbody><tr><td>total</td><td class="num">${n0(c.modelCalls)}</td><td class="num">${n0(c.promptTokens)}</td><td class="num">${n0(c.completionTokens)}</td><td class="num">${n1(c.sandboxSeconds)} <span class="muted">(${n0(c.sandboxRuns)} runs)</span></td></tr>
<tr><td>per solved problem (${c.solved})</td>${per ? html`<td class="num">${n1(per.modelCalls)}</td><td class="num">${n0(per.promptTokens)}</td><td class="num">${n0(per.completionTokens)}</td><td class="num">${n1(per.sandboxSeconds)}</td>` : html`<td colspan="4" class="muted">nothing solved yet</td>`}</tr></tbody></table>
<p class="muted">Sandbox seconds are the summed durations of the sandboxed runs (scoring${c.sandboxRuns ? ', and EG-CFG\'s traced candidate runs' : ''}).</p>`;
}

function plotsHtml(d: CampaignPageData): Html {
  const out: Html[] = [];
  if (d.campaign.method === 'eg-cfg' && d.wins.length) {
    const byGamma = new Map<string, number>();
    const byAgent = new Map<string, number>();
    for (const w of d.wins) {
      const g = w.gamma === null ? '?' : `γ=${w.gamma}`;
      byGamma.set(g, (byGamma.get(g) ?? 0) + w.wins);
      byAgent.set(w.agent ?? '?', (byAgent.get(w.agent ?? '?') ?? 0) + w.wins);
    }
    out.push(barChart([...byGamma].map(([label, value]) => ({ label, value })), { id: 'plot-gamma', title: 'solved problems per winning γ', yLabel: 'problems' }));
    out.push(barChart([...byAgent].map(([label, value]) => ({ label, value })), { id: 'plot-agent', title: 'solved problems per winning agent', yLabel: 'problems' }));
  }
  if (d.campaign.method === 'eg-cfg' && d.lines.length) {
    const hist = new Map<number, number>();
    for (const n of d.lines) hist.set(n, (hist.get(n) ?? 0) + 1);
    const data = [...hist].sort((a, b) => a[0] - b[0]).map(([k, v]) => ({ label: String(k), value: v }));
    out.push(barChart(data, { id: 'plot-lines', title: 'lines per solution (non-empty)', xLabel: 'lines', yLabel: 'solutions' }));
  }
  return out.length ? html`<h2>Plots</h2><div class="plots">${out}</div>` : html``;
}

/** A link to this page with the problems query changed (defaults left out). */
function href(d: CampaignPageData, change: Partial<Record<keyof ProblemsQuery, string | number | undefined>>): string {
  const q: Record<string, string | number | undefined> = { ...d.query, ...change };
  const defaults: Record<string, string | number> = { sort: 'task', dir: 'asc', protocol: 'default', page: 1, per: 50 };
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '' && defaults[k] !== v) p.set(k, String(v));
  const s = p.toString();
  return `/ui/campaigns/${encodeURIComponent(d.id)}${s ? `?${s}` : ''}#problems-section`;
}

function problemsFilter(d: CampaignPageData, egcfg: boolean): Html {
  const q = d.query;
  const opt = (v: string, label: string, cur: string | undefined) => html`<option value="${v}"${v === (cur ?? '') ? ' selected' : ''}>${label}</option>`;
  return html`<form method="get" action="/ui/campaigns/${d.id}#problems-section" class="filters" id="problems-filter">
<label>search <input name="q" value="${q.q ?? ''}" placeholder="task id"></label>
<label>verdict <select name="verdict">${opt('', 'all', q.verdict)}${opt('passed', 'passed', q.verdict)}${opt('failed', 'failed', q.verdict)}${opt('error', 'error', q.verdict)}</select></label>
<label>error <input name="error" value="${q.error ?? ''}" placeholder="message contains"></label>
${egcfg ? html`<label>γ that won <select name="gamma">${opt('', 'any', q.gamma === undefined ? '' : String(q.gamma))}${d.choices.gammas.map((g) => opt(String(g), String(g), q.gamma === undefined ? '' : String(q.gamma)))}</select></label>
<label>agent <select name="agent">${opt('', 'any', q.agent)}${d.choices.agents.map((a) => opt(a, a, q.agent))}</select></label>` : ''}
<input type="hidden" name="sort" value="${q.sort}"><input type="hidden" name="dir" value="${q.dir}">
<label>per page <select name="per">${[25, 50, 100, 500].map((n) => opt(String(n), String(n), String(q.per)))}</select></label>
<button type="submit">apply</button> <a href="${href(d, { q: undefined, verdict: undefined, error: undefined, gamma: undefined, agent: undefined, page: 1 })}">clear</a></form>`;
}

function problemsTable(d: CampaignPageData): Html {
  const egcfg = d.campaign.method === 'eg-cfg';
  const q = d.query;
  const head = (key: ProblemsQuery['sort'], label: string, cls = '') => {
    const active = q.sort === key;
    const dir = active && q.dir === 'asc' ? 'desc' : 'asc';
    return html`<th class="${cls}"><a href="${href(d, { sort: key, dir, page: 1 })}"${active ? html` aria-sort="${q.dir === 'asc' ? 'ascending' : 'descending'}"` : ''}>${label}${active ? (q.dir === 'asc' ? ' ▲' : ' ▼') : ''}</a></th>`;
  };
  const filtered = Boolean(q.q || q.verdict || q.error || q.gamma !== undefined || q.agent);
  const live = !filtered && q.page === 1 && q.sort === 'task' && q.dir === 'asc' && d.problems.total < q.per;
  const rows = d.problems.rows.map((r) => html`<tr data-task="${r.taskId}"><td><a href="/ui/campaigns/${d.id}/problems/${encodeURIComponent(r.taskId)}">${r.taskId}</a></td>
<td class="${r.passed ? 'pass' : 'fail'}">${r.passed ? 'passed' : 'failed'}</td><td>${r.status}</td><td class="num">${r.testsPassed ?? '–'}/${r.testsTotal ?? '–'}</td>
${egcfg ? html`<td>${r.agent ?? '–'}</td><td class="num">${r.gamma ?? '–'}</td>` : ''}<td class="error-cell">${r.error ?? ''}</td></tr>`);
  const p = d.problems;
  const pager = p.pages > 1 ? html`<p class="pager" id="pager">${p.page > 1 ? html`<a href="${href(d, { page: 1 })}">« first</a> <a href="${href(d, { page: p.page - 1 })}" id="prev-page">‹ previous</a>` : ''}
page <b>${p.page}</b> of ${p.pages} ${p.page < p.pages ? html`<a href="${href(d, { page: p.page + 1 })}" id="next-page">next ›</a> <a href="${href(d, { page: p.pages })}">last »</a>` : ''}</p>` : '';
  return html`<section id="problems-section"><h2>Problems <span class="muted" id="problems-count">${p.total} ${filtered ? 'matching' : 'finished'}</span></h2>
${problemsFilter(d, egcfg)}
<table id="problems" data-live="${live ? '1' : '0'}"><thead><tr>${head('task', 'task')}${head('verdict', 'verdict')}${head('status', 'status')}${head('tests', 'tests', 'num')}
${egcfg ? html`${head('agent', 'agent that won')}${head('gamma', 'γ that won', 'num')}` : ''}<th>error</th></tr></thead>
<tbody>${rows}</tbody></table>${p.rows.length ? '' : html`<p class="muted">${filtered ? 'no problem matches' : 'no problem has finished yet'}</p>`}${pager}</section>`;
}

export function campaignPage(d: CampaignPageData): Html {
  const c = d.campaign;
  const p = d.progress;
  const paused = p.paused || p.state === 'paused';
  const shown = paused && !terminal.has(c.status) ? 'paused' : c.status;
  const fraction = p.total ? p.done / p.total : 0;
  return html`<h1>Campaign <code>${d.id}</code> <span class="badge ${shown}" id="status-badge">${shown}</span></h1>
<p>${c.method} on <b>${c.dataset}</b> · model <b>${c.model}</b>${c.simulated ? html` <span class="sim">simulated model</span>` : ''}
· created ${when(c.createdAt)}${c.finishedAt ? ` · finished ${when(c.finishedAt)}` : ''}
${d.links.temporal ? html` · <a href="${d.links.temporal}" target="_blank" rel="noopener" id="temporal-link">workflow in the Temporal UI</a>` : ''}
${experimentName(c.config) ? html` · experiment <a href="/ui/experiments/${encodeURIComponent(experimentName(c.config)!)}" id="experiment-link">${experimentName(c.config)}</a>` : ''}</p>
${c.status === 'failed' ? html`<p class="error card" id="failure-reason" role="alert"><b>Failed:</b> ${c.error ?? 'no reason was recorded'}</p>` : ''}
<section class="card"><div class="progress-row"><progress id="progress" max="${p.total}" value="${p.done}"></progress>
<span id="progress-text">${p.done}/${p.total} (${Math.floor(100 * fraction)}%)</span></div>
<p id="progress-detail">${p.passed} passed · ${p.errors} errors · ${p.running} running · state <b id="state">${p.state}</b></p>
${controls(d)}</section>
<h2>Scores</h2>${d.btp ? btpCards(d.btp) : cardsHtml(d.cards)}
<details><summary>pass@1 table</summary><div id="pass-wrap">${d.passAt1Table}</div></details>
<h2>Cost</h2>${costHtml(d.cost)}
${d.btp ? btpSections(d.id, d.btp) : ''}
${plotsHtml(d)}
<p>Results: <a href="/campaigns/${d.id}/results?format=json">json</a> · <a href="/campaigns/${d.id}/results?format=jsonl">jsonl</a>
· <a href="/campaigns/${d.id}/results?format=csv">csv</a> · <a href="/campaigns/${d.id}/results?format=evalplus">evalplus samples</a></p>
<div class="cols">${d.btp ? btpProblemsNote(d.id, d.btp) : problemsTable(d)}
<section><h2>Events <span class="muted">(latest)</span></h2><ol id="events" data-last-event="${d.lastEventId}">${d.events}</ol></section></div>
<details><summary>configuration</summary><pre>${JSON.stringify(c.config, null, 2)}</pre></details>`;
}

