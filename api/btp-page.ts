// The BTP sections of the campaign page (pass@1 per iteration with the adapter served, the training loss curves, the
// buffer's size and P2Value distribution, the training set drawn per iteration) and the beams page
// (/ui/campaigns/{id}/beams: per problem, its beams with pass rates and P2Values). Every value is escaped by Hono's
// `html` tag; plots are server-side SVG (./plots.ts).
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { BeamsPage, BeamsQuery, BtpOverview, TrainingSet } from './btp-views.ts';
import { barChart, linesChart, lineChart } from './plots.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(2)}%`);
const f3 = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : x.toFixed(3));
const f4 = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : x.toFixed(4));
const ui = (id: string) => `/ui/campaigns/${encodeURIComponent(id)}`;
/** Drawn entries shown per iteration (the JSON route has them all). */
export const DRAWN_SHOWN = 50;

function iterationsTable(id: string, o: BtpOverview): Html {
  const rows = o.iterations.map((it) => html`<tr data-iteration="${it.iteration}"><td class="num">${it.iteration}</td>
<td>${it.adapter ? html`<code>${it.adapter.name}</code>${it.adapter.path ? html`<div class="muted small">${it.adapter.path}</div>` : ''}` : html`${it.model} <span class="muted">(base model)</span>`}</td>
<td class="num">${it.passed}/${it.problems}</td><td class="num"><b>${pct(it.passAt1)}</b></td><td class="num">${it.bufferSize}</td>
<td class="num">${it.trainingExamples ?? '–'}</td><td>${it.sampledWith ?? '–'}</td>
<td>${it.evalCampaignId ? html`<a href="${ui(it.evalCampaignId)}">${it.evalCampaignId}</a>` : '–'}</td></tr>`);
  return html`<table id="btp-iterations"><thead><tr><th class="num">iteration</th><th>model served (adapter)</th><th class="num">passed</th><th class="num">pass@1</th>
<th class="num">buffer</th><th class="num">training examples</th><th>beams sampled with</th><th>evaluation campaign</th></tr></thead><tbody>${rows}</tbody></table>
<p><a href="${ui(id)}/beams" id="beams-link">beams per problem →</a></p>`;
}

function trainingTable(o: BtpOverview): Html {
  if (!o.trainingRuns.length) return html`<p class="muted">no training run yet</p>`;
  const rows = o.trainingRuns.map((r) => html`<tr data-iteration="${r.iteration}"><td class="num">${r.iteration}</td><td>${r.status}</td><td class="num">${r.examples}</td>
<td class="num">${r.lastStep}</td><td class="num">${f4(r.losses[0] ?? null)}</td><td class="num">${f4(r.lastLoss)}</td><td class="num">${f4(r.initialEvalLoss)}</td><td class="num">${f4(r.finalEvalLoss)}</td>
<td>r=${r.lora.r ?? '–'} α=${r.lora.alpha ?? '–'} dropout=${r.lora.dropout ?? '–'} lr=${r.lora.learningRate ?? '–'} batch=${r.lora.batchSize ?? '–'}</td>
<td class="error-cell">${r.error ?? ''}</td></tr>`);
  return html`<table id="btp-training" class="compact"><thead><tr><th class="num">iteration</th><th>status</th><th class="num">examples</th><th class="num">steps</th>
<th class="num">first loss</th><th class="num">last loss</th><th class="num">eval loss before</th><th class="num">eval loss after</th><th>LoRA</th><th>error</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function trainingSetHtml(s: TrainingSet): Html {
  const draws = s.entries.reduce((a, e) => a + e.times, 0);
  return html`<details class="training-set" data-iteration="${s.iteration}"><summary>iteration ${s.iteration}: ${draws} draws of ${s.entries.length} distinct entries
<span class="muted">(${s.kind ?? '?'} sampling, α=${s.alpha ?? '?'}, k=${s.k ?? '?'}, from a buffer of ${s.bufferSize ?? '?'})</span></summary>
<table class="compact"><thead><tr><th>task</th><th class="num">P2Value</th><th class="num">times drawn</th><th>code hash</th></tr></thead>
<tbody>${s.entries.slice(0, DRAWN_SHOWN).map((e) => html`<tr><td>${e.taskId}</td><td class="num">${f3(e.p2value)}</td><td class="num">${e.times}</td><td><code>${e.codeHash.slice(0, 12)}</code></td></tr>`)}</tbody></table>
${s.entries.length > DRAWN_SHOWN ? html`<p class="muted">${s.entries.length - DRAWN_SHOWN} more in GET /campaigns/{id}/btp</p>` : ''}</details>`;
}

function btpPlots(o: BtpOverview): Html {
  const out: Html[] = [];
  if (o.iterations.length) {
    out.push(lineChart(o.iterations.map((p) => ({ x: p.iteration, y: 100 * p.passAt1 })), { id: 'plot-btp', title: 'pass@1 per BTP iteration (%)', xLabel: 'iteration', yLabel: 'pass@1 %', yMax: 100 }));
  }
  const curves = o.trainingRuns.filter((r) => r.losses.length).map((r) => ({ name: `iteration ${r.iteration}`, points: r.losses.map((y, i) => ({ x: i + 1, y })) }));
  if (curves.length) out.push(linesChart(curves, { id: 'plot-loss', title: 'training loss per step', xLabel: 'step', yLabel: 'loss' }));
  if (o.buffer.size) {
    out.push(barChart(o.buffer.histogram.map((b) => ({ label: b.from.toFixed(1), value: b.count })), { id: 'plot-p2value', title: `P2Value distribution of the buffer (${o.buffer.size} entries)`, xLabel: 'P2Value (bin start)', yLabel: 'entries' }));
  }
  if (o.iterations.length > 1) {
    out.push(barChart(o.iterations.map((it) => ({ label: String(it.iteration), value: it.bufferSize })), { id: 'plot-buffer', title: 'buffer size per iteration', xLabel: 'iteration', yLabel: 'entries' }));
  }
  return out.length ? html`<div class="plots">${out}</div>` : html``;
}

/** The score cards of a BTP campaign: pass@1 of each iteration's model on the evaluation problems. */
export function btpCards(o: BtpOverview): Html {
  if (!o.iterations.length) return html`<div class="score-cards" id="score-cards"><p class="muted">no iteration has been evaluated yet</p></div>`;
  return html`<div class="score-cards" id="score-cards">${o.iterations.map((it) => html`<div class="card score" data-iteration="${it.iteration}">
<div class="muted">iteration ${it.iteration} · ${it.adapter ? 'adapter' : 'base model'}</div><div class="big">${pct(it.passAt1)}</div>
<div class="muted">pass@1 · ${it.passed}/${it.problems} passed</div></div>`)}</div>`;
}

/** Where a BTP campaign's problems are: each iteration's evaluation campaign (and the beams of its training problems). */
export function btpProblemsNote(id: string, o: BtpOverview): Html {
  return html`<section id="problems-section"><h2>Problems</h2><p>Each iteration's model is scored by its own evaluation campaign (a baseline campaign with the problems table):</p>
<ul id="eval-campaigns">${o.iterations.filter((it) => it.evalCampaignId).map((it) => html`<li>iteration ${it.iteration}: <a href="${ui(it.evalCampaignId!)}">${it.evalCampaignId}</a> (${pct(it.passAt1)})</li>`)}</ul>
<p>The training problems' candidates: <a href="${ui(id)}/beams">beams per problem</a>.</p></section>`;
}

/** The campaign page's BTP part. */
export function btpSections(id: string, o: BtpOverview): Html {
  const b = o.buffer;
  return html`<section id="btp-section"><h2>BTP iterations</h2>
${o.iterations.length ? iterationsTable(id, o) : html`<p class="muted">no iteration has been evaluated yet</p>`}
${btpPlots(o)}
<h3>Replay buffer</h3><p id="btp-buffer">${b.size} entries over ${b.problems} problems · mean P2Value ${f3(b.meanP2value)} · mean pass rate ${f3(b.meanPassRate)}
${b.byIteration.length ? html` · by iteration: ${b.byIteration.map((x) => `${x.iteration}: ${x.entries}`).join(', ')}` : ''}</p>
<h3>LoRA training</h3>${trainingTable(o)}
<h3>Training sets drawn</h3>${o.trainingSets.length ? o.trainingSets.map(trainingSetHtml) : html`<p class="muted">none drawn yet</p>`}</section>`;
}

function beamsHref(id: string, q: BeamsQuery, change: Partial<Record<keyof BeamsQuery, string | number | undefined>>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...q, ...change })) if (v !== undefined && v !== '' && !(k === 'page' && v === 1) && !(k === 'per' && v === 20)) p.set(k, String(v));
  const s = p.toString();
  return `${ui(id)}/beams${s ? `?${s}` : ''}`;
}

/** /ui/campaigns/{id}/beams: per problem of one iteration, its beams (pass rate, tests, possibility, P2Value, code). */
export function beamsBody(id: string, page: BeamsPage, q: BeamsQuery): Html {
  const problems = page.problems.map((p) => html`<section class="card beam-problem" data-task="${p.taskId}"><h3>${p.taskId} <span class="muted">${p.passing}/${p.beams.length} beams pass every test · mean pass rate ${f3(p.meanPassRate)}</span></h3>
<table class="beams"><thead><tr><th class="num">beam</th><th class="num">pass rate</th><th class="num">tests</th><th class="num">possibility</th><th class="num">P2Value</th><th class="num">tokens</th><th>candidate</th></tr></thead>
<tbody>${p.beams.map((b) => html`<tr><td class="num">${b.beamIndex}</td><td class="num ${b.passRate === 1 ? 'pass' : ''}">${f3(b.passRate)}</td><td class="num">${b.testsPassed ?? '–'}/${b.testsTotal ?? '–'}</td>
<td class="num">${f3(b.possibility)}</td><td class="num">${f3(b.p2value)}</td><td class="num">${b.tokenCount ?? '–'}</td><td><details><summary>code</summary><pre class="code">${b.candidate}</pre></details></td></tr>`)}</tbody></table></section>`);
  const pager = page.pages > 1 ? html`<p class="pager" id="pager">${page.page > 1 ? html`<a href="${beamsHref(id, q, { iteration: page.iteration ?? undefined, page: page.page - 1 })}" id="prev-page">‹ previous</a>` : ''}
page <b>${page.page}</b> of ${page.pages} ${page.page < page.pages ? html`<a href="${beamsHref(id, q, { iteration: page.iteration ?? undefined, page: page.page + 1 })}" id="next-page">next ›</a>` : ''}</p>` : '';
  return html`<p><a href="${ui(id)}">← campaign ${id}</a></p><h1>Beams of campaign <code>${id}</code></h1>
<form method="get" action="${ui(id)}/beams" class="filters" id="beams-filter"><label>iteration <select name="iteration">${page.iterations.map((i) => html`<option${i === page.iteration ? ' selected' : ''}>${i}</option>`)}</select></label>
<label>search <input name="q" value="${q.q ?? ''}" placeholder="task id"></label><button type="submit">show</button></form>
<p class="muted" id="beams-count">${page.total} problems${page.iteration === null ? '' : ` in iteration ${page.iteration}`}</p>
${problems.length ? problems : html`<p class="muted">no beams${page.iteration === null ? ' yet' : ''}</p>`}${pager}`;
}
