// The dashboard's problem page body (/ui/campaigns/{id}/problems/{taskId}): the problem version the campaign ran,
// its verdicts, statement and tests, the EG-CFG viewer, every sample with its executions and per-test verdicts, the
// events. Every value is escaped by Hono's `html` tag.
import { html } from 'hono/html';
import type { problemAudit } from '../campaigns/service.ts';
import type { PerTest } from '../core/stored/per-test.ts';
import { eventItem, text, type Html } from './dashboard-parts.ts';

type Audit = Awaited<ReturnType<typeof problemAudit>>;

/**
 * One row of an execution's per-test table. A contest test (CodeContests) shows its judge verdict (accepted, wrong
 * answer, time limit, memory limit, runtime error, skipped) and the checker's message; other tests their status.
 */
function testRow(t: PerTest[number]): Html {
  const error = t.error;
  const verdict = 'verdict' in t ? t.verdict : null;
  const shown = verdict ?? t.status;
  const ok = verdict !== null ? verdict === 'accepted' : t.status === 'passed';
  const checker = 'checker' in t ? t.checker : '';
  const why = error ? html`<code>${error.type}</code> ${error.message}` : checker;
  return html`<tr><td><code>${text(t.id)}</code></td><td class="${ok ? 'pass' : verdict === 'skipped' ? 'muted' : 'fail'}">${shown.replace(/_/g, ' ')}</td>
<td>${why}</td><td class="num">${t.durationMs.toFixed(0)}</td></tr>`;
}

function sampleSection(s: Audit['samples'][number]): Html {
  return html`<section class="card sample"><h3>Sample ${s.id} <span class="muted">attempt ${text(s.attempt)} · ${text(s.model)}
· ${s.promptTokens}+${s.completionTokens} tokens · ${s.modelCalls} model call(s)</span></h3>
<h4>Code</h4><pre class="code" id="sample-code-${s.id}">${text(s.code)}</pre>
${s.rawCompletion !== null && s.rawCompletion !== s.code ? html`<details><summary>raw completion</summary><pre class="code">${text(s.rawCompletion)}</pre></details>` : ''}
${s.executions.map((e) => html`<h4>Execution ${e.id}: suite <code>${text(e.suite)}</code> — <span class="${e.passed ? 'pass' : 'fail'}">${text(e.status)}</span>
(${e.testsPassed}/${e.testsTotal} tests, ${e.durationMs.toFixed(0)} ms)</h4>
<table class="tests"><thead><tr><th>test</th><th>verdict</th><th>error</th><th class="num">ms</th></tr></thead><tbody>
${e.perTest.map(testRow)}</tbody></table>
${e.stdout ? html`<details><summary>stdout</summary><pre>${e.stdout}</pre></details>` : ''}${e.stderr ? html`<details><summary>stderr</summary><pre>${e.stderr}</pre></details>` : ''}`)}
</section>`;
}

/** `viewer`: the EG-CFG problem viewer (empty for other methods). */
export function problemBody(id: string, audit: Audit, viewer: Html | ''): Html {
  const p = audit.problem;
  const tests = (p.problem as { tests?: unknown }).tests;
  const verdicts = audit.results.map((r) => html`verdict (${r.protocol}): <b class="${r.passed ? 'pass' : 'fail'}" id="verdict-${r.protocol}">${r.passed ? 'passed' : 'failed'}</b> (${r.status})`);
  const samples = audit.samples.map(sampleSection);
  const events = audit.events.map((e) => eventItem(e));
  return html`<p><a href="/ui/campaigns/${id}">← campaign ${id}</a></p>
<h1>Problem <code>${p.taskId}</code> <span class="muted">${p.dataset} · ${p.split}</span></h1>
<p class="muted">version <code id="problem-hash">${p.contentHash}</code> (the content hash of what this campaign ran)</p>
<p>${verdicts.length ? verdicts.map((v, i) => (i === 0 ? v : html` · ${v}`)) : html`<span class="muted">no verdict yet</span>`}
${audit.campaign.simulated ? html` <span class="sim">simulated model</span>` : ''}</p>
<section class="card"><h2>Statement</h2><pre>${p.statement}</pre>
<h3>Visible tests</h3><pre class="code">${p.visibleTests.join('\n')}</pre>
${tests ? html`<details><summary>all tests</summary><pre class="code">${JSON.stringify(tests, null, 2)}</pre></details>` : ''}</section>
${viewer}
<h2>Samples</h2>${samples.length ? samples : html`<p class="muted">no sample yet</p>`}
<h2>Events</h2><ol>${events.length ? events : html`<li class="muted">none</li>`}</ol>`;
}
