// Pages across campaigns: the campaigns list's cost-vs-pass@1 scatter plot and experiment links, and the experiment
// page (/ui/experiments/{name}: its campaigns, the step3 bars, the step4 curves, pass@1 per iteration). Every value is
// escaped by Hono's `html` tag; plots are server-side SVG (./plots.ts).
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { CostPoint, ExperimentView } from './compare-views.ts';
import { barChart, linesChart, scatterChart } from './plots.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(2)}%`);
const ui = (id: string) => `/ui/campaigns/${encodeURIComponent(id)}`;
/** A campaign id without its date and time (20261201-101500-a1b2c3-eval1 → a1b2c3-eval1). */
const shortId = (id: string): string => (/^\d{8}-\d{6}-/.test(id) ? id.slice(16) : id);
const compact = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(1)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : String(Math.round(x)));

/** The campaigns list's plot: tokens per finished problem against pass@1, one point per campaign on the page. */
export function costPlot(points: CostPoint[]): Html {
  if (!points.length) return html``;
  const simulated = points.some((p) => p.simulated);
  return html`<h2>Cost vs pass@1 <span class="muted">(campaigns on this page${simulated ? '; simulated models say nothing about any model' : ''})</span></h2>
<div class="plots">${scatterChart(points.map((p) => ({ x: p.tokensPerProblem, y: 100 * p.passAt1, label: `${p.method} ${shortId(p.campaignId)}`, href: ui(p.campaignId) })),
    { id: 'plot-cost', title: 'pass@1 (%) against tokens per problem', xLabel: 'prompt + completion tokens per finished problem', yLabel: 'pass@1 %', yMax: 100, width: 640, height: 300, xFormat: compact })}</div>`;
}

export function experimentLinks(names: Array<{ name: string; campaigns: number }>): Html {
  if (!names.length) return html``;
  return html`<h2>Experiments</h2><ul id="experiments">${names.map((e) => html`<li><a href="/ui/experiments/${encodeURIComponent(e.name)}">${e.name}</a> <span class="muted">${e.campaigns} campaigns</span></li>`)}</ul>`;
}

export function experimentBody(v: ExperimentView): Html {
  const tag = v.simulated ? ' (simulated model)' : '';
  const plots: Html[] = [];
  if (v.step3.length) {
    plots.push(barChart(v.step3.map((b) => ({ label: `${b.group}: ${b.label}`, value: b.passAt1 })), { id: 'plot-step3', title: `Step 3: ablation, pass@1 after training${tag}`, yLabel: 'pass@1 %', yMax: 100, width: 640 }));
  }
  for (const g of v.step4) {
    plots.push(linesChart([{ name: g.group, points: g.points }], { id: `plot-step4-${g.group}`, title: `Step 4: ${g.group}${tag}`, xLabel: g.group, yLabel: 'pass@1 %', yMax: 100 }));
  }
  if (v.curves.length) {
    plots.push(linesChart(v.curves.map((c) => ({ name: `${c.step}: ${c.label}`, points: c.points })), { id: 'plot-iterations', title: `pass@1 per iteration${tag}`, xLabel: 'iteration', yLabel: 'pass@1 %', yMax: 100 }));
  }
  const rows = v.campaigns.map((c) => html`<tr><td><a href="${ui(c.campaignId)}">${c.campaignId}</a></td><td>${c.method}</td><td>${c.status}</td><td>${c.steps.join(', ')}</td>
<td>${c.variants.map((x) => `${x.group}=${x.label}`).join('; ')}</td><td class="num">${pct(c.finalPassAt1)}</td>
<td>${c.iterations.map((i) => `${i.iteration}: ${pct(i.passAt1)}`).join(' · ')}</td></tr>`);
  return html`<p><a href="/ui">← campaigns</a></p><h1>Experiment <code>${v.name}</code>${v.simulated ? html` <span class="sim">simulated model</span>` : ''}</h1>
${v.simulated ? html`<p class="sim-note">Simulated model: LoRA training is real (tiny model), pass@1 comes from the simulated server and says nothing about any model.</p>` : ''}
${plots.length ? html`<div class="plots">${plots}</div>` : html`<p class="muted">no campaign of this experiment has a pass@1 yet</p>`}
<h2>Campaigns</h2><table id="experiment-campaigns"><thead><tr><th>campaign</th><th>method</th><th>status</th><th>steps</th><th>variants</th><th class="num">final pass@1</th><th>pass@1 per iteration</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}
