// The EG-CFG problem viewer (/ui/campaigns/{id}/problems/{taskId}): per generation (agent × γ × try) the generation
// line by line — the code so far, each candidate (raw and executable) with its traces per visible test, the signal
// in force, the tokens chosen with both top-k lists and where guidance changed the argmax, and the line's cost.
// Every value goes through Hono's `html` tag (escaped); /static/viewer.js adds keyboard navigation (j/k, arrows).
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { ProblemSteps, ViewerGeneration, ViewerLine } from './problem-steps.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const show = (s: string): string => JSON.stringify(s);
const ms = (x: number): string => `${x.toFixed(0)} ms`;
const logp = (x: number): string => x.toFixed(3);

function topK(list: ViewerLine['tokens'][number]['uncond'] | null, chosen: number | null, argmax: number | null): Html {
  if (list === null) return html`<span class="muted">not asked</span>`;
  return html`<ol class="topk">${list.map((t) => html`<li class="${[t.id === chosen ? 'chosen' : '', t.id === argmax ? 'argmax' : ''].join(' ').trim()}"><code>${t.id}</code>${t.text === null ? '' : html` <code>${show(t.text)}</code>`} <span class="muted">${logp(t.logprob)}</span></li>`)}</ol>`;
}

function tokensTable(line: ViewerLine): Html {
  if (line.tokens.length === 0) return html`<p class="muted">no token was decoded for this line</p>`;
  const rows = line.tokens.map((t, i) => html`<tr class="${t.changed ? 'changed' : ''}">
<td class="num">${i}</td><td><code>${show(t.text)}</code>${t.id === null ? '' : html` <span class="muted">#${t.id}</span>`}</td>
<td>${t.guided ? 'guided' : html`<span class="muted">unguided</span>`}</td>
<td>${t.changed ? html`<b class="changed-mark">changed</b> <span class="muted">(unguided argmax ${t.uncondArgmax ?? '–'})</span>` : ''}</td>
<td>${topK(t.uncond, t.id, t.uncondArgmax)}</td><td>${topK(t.cond, t.id, t.condArgmax)}</td></tr>`);
  return html`<table class="tokens"><thead><tr><th class="num">#</th><th>token chosen</th><th>guidance</th><th>argmax</th>
<th>top-k unconditional</th><th>top-k conditional (with the signal)</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function candidatesHtml(line: ViewerLine): Html {
  if (line.candidates.length === 0) return html`<p class="muted">no candidates were sampled at this line (the signal in force was built earlier)</p>`;
  return html`${line.candidates.map((k) => html`<details class="candidate ${k.verdict.replace(' ', '-')}"${k.verdict === 'accepted' ? ' open' : ''}>
<summary>${k.side} request ${k.requestIndex} candidate ${k.candidateIndex}: <b>${k.verdict}</b>${k.traces.length ? ` · ${k.traces.length} trace(s)` : ''}</summary>
<h5>completion</h5><pre class="code">${k.completion}</pre>
${k.raw === null ? '' : html`<h5>raw program</h5><pre class="code">${k.raw}</pre>`}
${k.executable === null ? (k.prepareError ? html`<p class="error">${k.prepareError}</p>` : '') : html`<h5>executable</h5><pre class="code">${k.executable}</pre>`}
${k.traces.map((t) => html`<h5>trace of <code>${t.invocation}</code> <span class="muted">${t.status} · ${ms(t.durationMs)}${t.truncated ? ' · truncated' : ''}${t.firstLine !== line.index ? ` · first run at line ${t.firstLine}` : ''}</span></h5>
${t.trace === null ? html`<p class="muted">no trace (left out of the signal)</p>` : html`<pre class="code trace">${t.trace}</pre>`}`)}
</details>`)}`;
}

function costHtml(c: ViewerLine['cost']): Html {
  return html`<p class="cost" data-cost>${c.steps} step(s) · ${c.modelCalls} model call(s) · ${c.promptTokens} prompt + ${c.completionTokens} completion tokens
· ${c.tokenizerCalls} tokenizer call(s) · ${c.sandboxRuns} sandbox run(s), ${ms(c.sandboxMs)} · model wait ${ms(c.modelMs)} · ${ms(c.durationMs)} in all</p>`;
}

/** Guidance lost to the model's context on this line, said where the signal is shown. */
function contextLossHtml(line: ViewerLine): Html | string {
  const l = line.contextLoss;
  if (l === null) return '';
  const f = l.fitted;
  const fitted = f === null ? ''
    : f.kept === 0 ? html`<p class="error" data-context-loss="emptied">GUIDANCE SKIPPED: not even a shortened trace fits the model's ${f.contextTokens}-token context</p>`
      : html`<p class="error" data-context-loss="fitted">SIGNAL FITTED to the model's ${f.contextTokens}-token context: ${f.dropped} entries dropped${f.linesOmitted ? `, ${f.linesOmitted} earlier trace lines cut` : ''}</p>`;
  const refused = l.refused ? html`<p class="error" data-context-loss="refused">GUIDANCE SKIPPED: the server refused the conditional prompt as longer than its context</p>` : '';
  return html`${fitted}${refused}`;
}

function lineHtml(g: ViewerGeneration, line: ViewerLine, n: number): Html {
  const signal = line.signal === null ? html`<p class="muted">no signal built yet</p>`
    : line.signal === '' ? html`<p class="muted">empty signal (no candidate produced a trace): guidance skipped</p>`
      : html`<details><summary>signal (${line.signal.length} chars, built at line ${line.signalFromLine ?? '–'})</summary><pre class="code signal">${line.signal}</pre></details>`;
  return html`<section class="line" id="g${g.id}-line-${line.index}" data-line="${line.index}" data-pos="${n}">
<h3>Line ${line.index} <span class="muted">${line.guidedTokens} guided · ${line.changedTokens} changed by guidance${line.next ? ` · next: ${line.next}` : ''}</span></h3>
${costHtml(line.cost)}
<div class="cols"><div><h4>code so far</h4><pre class="code code-before">${line.codeBefore}</pre></div>
<div><h4>appended</h4>${line.appended === null ? html`<p class="muted">(the generation ended before this line)</p>` : html`<pre class="code appended">${line.appended}</pre>`}</div></div>
<h4>dynamic signal</h4>${signal}${contextLossHtml(line)}
<h4>candidates</h4>${candidatesHtml(line)}
${line.lineCap ? html`<p class="error" data-line-cap>LINE CAP: decoded unguided from token ${line.lineCap.unguidedFrom} (the line had spent ${line.lineCap.spentBefore} tokens before decoding; --line-token-cap ${line.lineCap.cap})</p>` : ''}
<h4>tokens</h4>${tokensTable(line)}
<details><summary>steps</summary><ul>${line.steps.map((s) => html`<li><code>[${s.seq}] ${s.kind}</code> ${JSON.stringify(s.summary)}${s.activityAttempt > 1 ? ` (activity attempt ${s.activityAttempt})` : ''}</li>`)}</ul></details>
</section>`;
}

function generationHtml(g: ViewerGeneration): Html {
  const verdicts = g.executions.map((e) => html`<span class="${e.passed ? 'pass' : 'fail'}">${e.suite} ${e.testsPassed}/${e.testsTotal}</span>`);
  const lineNav = g.lines.map((l, i) => html`<li><a href="#g${g.id}-line-${l.index}" data-pos="${i}">${l.index}</a> <code>${l.appended === null ? '…' : show(l.appended.trimEnd())}</code>${l.changedTokens ? html` <b class="changed-mark">${l.changedTokens}</b>` : ''}</li>`);
  return html`<section class="card gen" id="g${g.id}" data-gen="${g.id}" data-lines="${g.lines.length}" tabindex="-1">
<h2>${g.agent} · γ=${g.gamma} · try ${g.attempt}: <span class="${g.status === 'passed' ? 'pass' : g.status === 'failed' || g.status === 'error' ? 'fail' : 'muted'}">${g.status}</span>
${g.selected ? html`<span class="badge completed">selected</span>` : ''} <span class="muted">seed ${g.seed}${g.stopReason ? ` · stop ${g.stopReason}` : ''} · visible ${g.visiblePassed ?? '–'}/${g.visibleTotal ?? '–'}</span></h2>
${g.error ? html`<p class="error">${g.error}</p>` : ''}<p>${verdicts}</p>
${g.prefix === null ? '' : html`<details><summary>reasoning prefix</summary><pre class="code">${g.prefix}</pre></details>`}
${g.lines.length ? html`<p class="line-pos muted" aria-live="polite">line <b class="pos">1</b> of ${g.lines.length} — <kbd>j</kbd>/<kbd>k</kbd> or <kbd>↓</kbd>/<kbd>↑</kbd>: next/previous line · <kbd>n</kbd>/<kbd>p</kbd>: next/previous generation</p>
<div class="viewer"><ol class="line-nav">${lineNav}</ol><div class="lines">${g.lines.map((l, i) => lineHtml(g, l, i))}</div></div>`
    : html`<p class="muted">no guided lines (γ = 0 is one completion)</p>`}
${g.finalCode === null ? '' : html`<details><summary>final code</summary><pre class="code final-code">${g.finalCode}</pre></details>`}
${g.cost ? html`<p class="muted">cost: ${JSON.stringify(g.cost)}</p>` : ''}
</section>`;
}

/** The viewer's part of the problem page (the caller wraps it in the dashboard's page). */
export function problemViewer(d: ProblemSteps): Html {
  if (d.generations.length === 0) return html``;
  const index = d.generations.map((g) => html`<li><a href="#g${g.id}">${g.agent} γ=${g.gamma} try ${g.attempt}</a> <span class="${g.status === 'passed' ? 'pass' : 'muted'}">${g.status}</span>${g.selected ? ' (selected)' : ''}</li>`);
  return html`<h2>EG-CFG generation, line by line</h2>
<p id="viewer-status" class="muted" role="status"></p>
<ul class="gen-index">${index}</ul>
<div id="egcfg-viewer">${d.generations.map((g) => generationHtml(g))}</div>
<script src="/static/viewer.js" defer></script>`;
}

export const viewerCss = `
.gen-index { columns:2; }
.viewer { display:grid; grid-template-columns:220px 1fr; gap:14px; }
.line-nav { max-height:70vh; overflow:auto; font-size:12px; padding-left:28px; margin:0; }
.line-nav li.current { background:#dbe8ff; }
.js .gen .line { display:none; } .js .gen .line.current { display:block; }
.gen.active { outline:2px solid var(--accent); }
table.tokens td { font-size:12px; }
tr.changed { background:#fff4d6; }
.changed-mark { color:var(--sim); }
ol.topk { margin:0; padding-left:18px; } ol.topk li.chosen { font-weight:700; } ol.topk li.argmax::after { content:' ← argmax'; color:var(--muted); font-weight:400; }
.candidate { border-left:3px solid var(--line); padding-left:8px; margin:4px 0; } .candidate.accepted { border-color:var(--ok); }
pre.trace, pre.signal { max-height:320px; }
kbd { border:1px solid var(--line); border-radius:3px; padding:0 4px; font-size:11px; background:#fff; }
`;

/** Keyboard navigation: j/k or ↓/↑ (and →/←) move between lines of the active generation, n/p between generations. */
export const viewerJs = `
'use strict';
(function () {
  var gens = Array.prototype.slice.call(document.querySelectorAll('#egcfg-viewer .gen[data-lines]'))
    .filter(function (g) { return Number(g.getAttribute('data-lines')) > 0; });
  if (!gens.length) return;
  document.documentElement.classList.add('js');
  var status = document.getElementById('viewer-status');
  var active = 0;
  var pos = gens.map(function () { return 0; });
  function show(gi, li) {
    var g = gens[gi];
    var lines = g.querySelectorAll('.line');
    var n = lines.length;
    li = Math.max(0, Math.min(n - 1, li));
    pos[gi] = li;
    lines.forEach(function (l, i) { l.classList.toggle('current', i === li); });
    g.querySelectorAll('.line-nav li').forEach(function (l, i) { l.classList.toggle('current', i === li); });
    gens.forEach(function (x, i) { x.classList.toggle('active', i === gi); });
    active = gi;
    var cur = lines[li];
    g.querySelector('.line-pos .pos').textContent = String(li + 1);
    status.textContent = g.querySelector('h2').textContent.replace(/\\s+/g, ' ').trim() + ' — line ' + cur.getAttribute('data-line') + ' (' + (li + 1) + ' of ' + n + ')';
    status.setAttribute('data-gen', g.getAttribute('data-gen'));
    status.setAttribute('data-line', cur.getAttribute('data-line'));
    if (history.replaceState) history.replaceState(null, '', '#' + cur.id);
  }
  gens.forEach(function (g, gi) {
    g.querySelectorAll('.line-nav a').forEach(function (a) {
      a.addEventListener('click', function (ev) { ev.preventDefault(); show(gi, Number(a.getAttribute('data-pos'))); });
    });
    g.addEventListener('click', function () { if (active !== gi) show(gi, pos[gi]); });
  });
  var start = 0, startLine = 0;
  var m = /^#g(\\d+)(?:-line-(\\d+))?$/.exec(location.hash);
  if (m) gens.forEach(function (g, gi) {
    if (g.getAttribute('data-gen') !== m[1]) return;
    start = gi;
    if (m[2] !== undefined) g.querySelectorAll('.line').forEach(function (l, i) { if (l.getAttribute('data-line') === m[2]) startLine = i; });
  });
  gens.forEach(function (g, gi) { if (gi !== start) show(gi, 0); });
  show(start, startLine);
  document.addEventListener('keydown', function (ev) {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    var t = ev.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
    var k = ev.key;
    if (k === 'j' || k === 'ArrowDown' || k === 'ArrowRight') show(active, pos[active] + 1);
    else if (k === 'k' || k === 'ArrowUp' || k === 'ArrowLeft') show(active, pos[active] - 1);
    else if (k === 'n') show(Math.min(gens.length - 1, active + 1), pos[Math.min(gens.length - 1, active + 1)]);
    else if (k === 'p') show(Math.max(0, active - 1), pos[Math.max(0, active - 1)]);
    else return;
    ev.preventDefault();
    var cur = gens[active].querySelector('.line.current');
    if (cur && cur.scrollIntoView) cur.scrollIntoView({ block: 'nearest' });
  });
})();
`;
