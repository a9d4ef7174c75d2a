// The dashboard's static assets, served from memory: one stylesheet and one small vanilla script (no build step).

export const dashboardCss = `
:root { --fg:#1d232a; --muted:#6b7580; --bg:#fafbfc; --card:#fff; --line:#dde2e7; --ok:#11793b; --bad:#b42318; --accent:#2459b3; --sim:#8a5a00; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:var(--bg); }
header.top { padding:8px 20px; border-bottom:1px solid var(--line); background:var(--card); }
header.top form.inline { display:inline; float:right; }
main { padding:16px 20px 40px; max-width:1200px; }
main.narrow { max-width:520px; margin:40px auto; }
a { color:var(--accent); }
h1 { font-size:22px; } h2 { font-size:17px; margin-top:26px; } h3 { font-size:15px; } h4 { margin:12px 0 6px; }
table { border-collapse:collapse; width:100%; background:var(--card); margin:6px 0; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-weight:600; background:#f1f3f5; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
pre { background:#f4f5f7; padding:8px 10px; overflow:auto; border-radius:4px; white-space:pre-wrap; }
pre.code { font:12.5px/1.4 ui-monospace, Menlo, Consolas, monospace; white-space:pre; }
.card { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:12px 14px; margin:10px 0; }
.grid { display:grid; grid-template-columns:repeat(auto-fill, minmax(220px, 1fr)); gap:10px; }
.grid label { display:flex; flex-direction:column; gap:3px; }
input, select, button { font:inherit; padding:5px 8px; }
button { cursor:pointer; border:1px solid var(--line); background:#eef2f7; border-radius:4px; }
button.danger { color:var(--bad); }
button.link { border:none; background:none; color:var(--accent); padding:0; }
.actions { display:flex; gap:8px; align-items:center; }
.muted { color:var(--muted); }
.error { color:var(--bad); white-space:pre-wrap; }
.pass { color:var(--ok); font-weight:600; } .fail { color:var(--bad); font-weight:600; }
.badge { font-size:12px; padding:2px 8px; border-radius:10px; background:#e7ebf0; vertical-align:middle; }
.badge.running { background:#dbe8ff; } .badge.completed { background:#d7f2df; } .badge.cancelled, .badge.failed { background:#fde1dd; }
.badge.paused { background:#fff0c2; }
.sim { font-size:11px; color:var(--sim); border:1px solid #e0c27a; background:#fff8e6; padding:1px 6px; border-radius:8px; }
.sim-note { color:var(--sim); }
.req { font-size:11px; color:var(--bad); } .lock { font-size:11px; color:var(--sim); } .public { font-size:11px; color:var(--ok); }
.verb { display:inline-block; min-width:52px; font:600 12px ui-monospace, monospace; }
.verb.get { color:#11793b; } .verb.post { color:#2459b3; }
.op { border-top:1px solid var(--line); padding-top:6px; }
.toc { columns:2; }
.progress-row { display:flex; gap:12px; align-items:center; }
progress { width:60%; height:18px; }
.cols { display:grid; grid-template-columns:1fr 1fr; gap:20px; }
#events { max-height:420px; overflow:auto; font-size:12.5px; padding-left:26px; }
.filters { margin-bottom:8px; display:flex; flex-wrap:wrap; gap:8px; align-items:center; }
.score-cards { display:flex; flex-wrap:wrap; gap:10px; } .card.score { min-width:170px; margin:0; } .card.score .big { font-size:24px; font-weight:700; }
table.compact { width:auto; } button[disabled] { opacity:.5; cursor:not-allowed; }
.error-cell { font-size:12px; color:var(--bad); max-width:260px; overflow:hidden; text-overflow:ellipsis; }
.pager a { margin:0 4px; } fieldset.method-fields[hidden] { display:none; } fieldset.method-fields { margin-top:10px; border:1px solid var(--line); border-radius:6px; }
.field-error { font-size:12px; } .invalid { border-color:var(--bad); outline:1px solid var(--bad); }
 th a { color:inherit; text-decoration:none; }
`;

export const dashboardJs = `
'use strict';
(function () {
  var HEADERS = { 'x-egcfg-request': '1' };
  function $(sel) { return document.querySelector(sel); }
  function el(tag, attrs, text) { var e = document.createElement(tag); for (var k in attrs || {}) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; return e; }
  function pct(x) { return x === null || x === undefined ? '–' : (100 * x).toFixed(2) + '%'; }

  // ---- start-campaign form (api/start-form.ts): the chosen method's fieldset, errors beside their fields ----
  var form = $('#start-form');
  if (form) {
    var methodSel = form.querySelector('select[name=method]');
    var syncMethod = function () {
      form.querySelectorAll('fieldset.method-fields').forEach(function (fs) {
        var on = fs.getAttribute('data-method') === methodSel.value; fs.disabled = !on; fs.hidden = !on;
      });
    };
    if (methodSel) { methodSel.addEventListener('change', syncMethod); syncMethod(); }
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var body = {};
      Array.prototype.forEach.call(form.elements, function (f) {
        if (!f.name || f.matches(':disabled')) return;
        var kind = f.getAttribute('data-kind');
        if (kind === 'boolean') { body[f.name] = f.checked; return; }
        var v = String(f.value).trim();
        if (v === '') return;
        if (kind === 'number') body[f.name] = Number(v);
        else if (kind === 'numbers') body[f.name] = v.split(',').map(function (x) { return x.trim(); }).filter(Boolean).map(Number);
        else body[f.name] = v;
      });
      var errors = $('#form-errors'); errors.textContent = '';
      form.querySelectorAll('[data-error-for]').forEach(function (s) { s.textContent = ''; });
      form.querySelectorAll('.invalid').forEach(function (s) { s.classList.remove('invalid'); });
      fetch('/campaigns', { method: 'POST', headers: Object.assign({ 'content-type': 'application/json' }, HEADERS), body: JSON.stringify(body), credentials: 'same-origin' })
        .then(function (r) { return r.json().then(function (j) { return { status: r.status, body: j }; }); })
        .then(function (r) {
          if (r.status === 201) { location.href = '/ui/campaigns/' + encodeURIComponent(r.body.campaignId); return; }
          var issues = r.body.issues || [];
          issues.forEach(function (i) {
            var slot = form.querySelector('[data-error-for="' + String(i.field).split('.')[0] + '"]');
            if (!slot) return;
            slot.textContent = (slot.textContent ? slot.textContent + '; ' : '') + i.message;
            var input = slot.parentNode.querySelector('input, select'); if (input) input.classList.add('invalid');
          });
          errors.textContent = issues.map(function (i) { return i.field + ': ' + i.message; }).join('\\n') || r.body.error;
        })
        .catch(function (e) { errors.textContent = String(e); });
    });
  }

  // ---- campaign detail: live progress over SSE, actions ----
  var id = document.body.getAttribute('data-campaign');
  if (!id) return;
  var base = '/campaigns/' + encodeURIComponent(id);

  function render(d) {
    var p = d.progress;
    var bar = $('#progress'); bar.max = p.total; bar.value = p.done;
    $('#progress-text').textContent = p.done + '/' + p.total + ' (' + (p.total ? Math.floor(100 * p.done / p.total) : 0) + '%)';
    $('#progress-detail').innerHTML = '';
    $('#progress-detail').append(p.passed + ' passed · ' + p.errors + ' errors · ' + p.running + ' running · state ', el('b', { id: 'state' }, p.state));
    var finished = ['completed', 'cancelled', 'failed'].indexOf(d.campaign.status) >= 0;
    var paused = !finished && (p.paused || p.state === 'paused');
    var badge = $('#status-badge'); var shown = paused ? 'paused' : d.campaign.status;
    badge.textContent = shown; badge.className = 'badge ' + shown;
    var pb = $('#pause-button'), rb = $('#resume-button'), cb = $('#cancel-button');
    if (pb) pb.disabled = finished || paused;
    if (rb) rb.disabled = finished || !paused;
    if (cb) cb.disabled = finished;
    var tbody = $('#pass-table tbody'); tbody.innerHTML = '';
    if (!d.passAt1.length) { var tr0 = el('tr'); var td0 = el('td', { colspan: '7', 'class': 'muted' }, 'no problem has finished yet'); tr0.append(td0); tbody.append(tr0); }
    d.passAt1.forEach(function (r) {
      var tr = el('tr');
      var model = el('td', {}, d.campaign.model + ' ');
      if (d.campaign.simulated) model.append(el('span', { 'class': 'sim' }, 'simulated model'));
      tr.append(el('td', {}, r.dataset), el('td', {}, r.protocol), model, el('td', { 'class': 'num' }, String(r.problems)),
        el('td', { 'class': 'num' }, String(r.passed)), el('td', { 'class': 'num' }, String(r.errors)), el('td', { 'class': 'num' }, pct(r.passAt1)));
      tbody.append(tr);
    });
  }

  var pending = null;
  function refresh() {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      fetch(base, { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.json() : null; }).then(function (d) { if (d) render(d); }).catch(function () {});
    }, 300);
  }

  var list = $('#events');
  function addProblemRow(p) {
    if (!p.taskId || p.protocol !== 'default') return;
    // Only the unfiltered first page grows live; a sorted, filtered or later page is what the server chose.
    var table = $('#problems');
    if (!table || table.getAttribute('data-live') !== '1') return;
    var tbody = $('#problems tbody');
    var known = false;
    tbody.querySelectorAll('tr[data-task]').forEach(function (row) { if (row.getAttribute('data-task') === String(p.taskId)) known = true; });
    if (known) return;
    var tr = el('tr', { 'data-task': String(p.taskId) }); var td = el('td');
    td.append(el('a', { href: '/ui/campaigns/' + encodeURIComponent(id) + '/problems/' + encodeURIComponent(p.taskId) }, p.taskId));
    tr.append(td, el('td', { 'class': p.passed ? 'pass' : 'fail' }, p.passed ? 'passed' : 'failed'), el('td', {}, p.status), el('td', { 'class': 'num' }, ''));
    tbody.append(tr);
  }
  function onEvent(ev) {
    var e; try { e = JSON.parse(ev.data); } catch (_) { return; }
    if (list.querySelector('li[data-id="' + e.id + '"]')) return;
    var li = el('li', { 'data-id': String(e.id) });
    li.append(el('span', { 'class': 'muted' }, new Date(e.createdAt).toISOString().replace('T', ' ').replace(/\\.\\d+Z$/, 'Z') + ' '), el('code', {}, e.kind),
      ' ' + (e.kind === 'problem_finished' ? (e.payload.taskId + (e.payload.protocol && e.payload.protocol !== 'default' ? ' [' + e.payload.protocol + ']' : '') + ': ' + (e.payload.passed ? 'passed' : 'failed') + ' (' + e.payload.status + ')')
        : e.kind === 'campaign_status' ? e.payload.status
          : e.kind === 'campaign_control' ? e.payload.action + (e.payload.by ? ' by ' + e.payload.by : '')
            : typeof e.payload.error === 'string' ? (e.payload.taskId ? e.payload.taskId + ': ' : '') + e.payload.error : JSON.stringify(e.payload)));
    list.append(li); list.setAttribute('data-last-event', String(e.id));
    if (e.kind === 'problem_finished') addProblemRow(e.payload);
    if (e.kind === 'btp_iteration' || (e.kind === 'campaign_status' && $('#btp-section'))) reloadSections();
    refresh();
  }
  // Server-rendered sections that change with a BTP iteration (plots, tables): fetched again and swapped in.
  var reloading = null;
  function reloadSections() {
    if (reloading) return;
    reloading = setTimeout(function () {
      reloading = null;
      fetch(location.pathname + location.search, { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.text() : null; }).then(function (text) {
        if (!text) return;
        var doc = new DOMParser().parseFromString(text, 'text/html');
        ['#btp-section', '#score-cards', '#problems-section'].forEach(function (sel) {
          var now = $(sel), next = doc.querySelector(sel);
          if (now && next) now.replaceWith(document.importNode(next, true));
        });
      }).catch(function () {});
    }, 500);
  }
  if (window.EventSource) {
    var es = new EventSource(base + '/events?after=' + (list.getAttribute('data-last-event') || '0'));
    ['problem_finished', 'campaign_status', 'campaign_control', 'campaign_failed', 'model_retry', 'model_unavailable',
      'btp_buffer', 'btp_training_retry', 'btp_adapter_registered', 'btp_iteration', 'message'].forEach(function (k) { es.addEventListener(k, onEvent); });
    es.addEventListener('end', function () { es.close(); refresh(); });
    es.onerror = function () { refresh(); };
  }
  // Progress also moves between events (problems start): poll gently while the page is open.
  setInterval(refresh, 3000);

  document.querySelectorAll('button[data-action]').forEach(function (b) {
    b.addEventListener('click', function () {
      var action = b.getAttribute('data-action');
      if (action === 'cancel' && !confirm('Cancel this campaign? Finished results are kept.')) return;
      var msg = $('#action-message'); msg.textContent = action + '…';
      fetch(base + '/' + action, { method: 'POST', headers: HEADERS, credentials: 'same-origin' })
        .then(function (r) { return r.json().then(function (j) { msg.textContent = r.ok ? action + ': sent' : (j.error || ('HTTP ' + r.status)); refresh(); }); })
        .catch(function (e) { msg.textContent = String(e); });
    });
  });
})();
`;
