// Small server-side SVG plots for the dashboard: bar charts, line charts (one or several series) and scatter plots,
// with axes, ticks and a title, every label escaped by Hono's `html` tag. Our own ~150 lines rather than a charting
// library: the dashboard needs three chart kinds, rendered on the server with no script and no CDN, and the libraries that do that (vega, chart.js with
// a canvas) bring a DOM or native canvas dependency and megabytes for it.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface PlotOptions { title: string; id: string; width?: number; height?: number; yLabel?: string; xLabel?: string; yMax?: number; format?: (y: number) => string }

const M = { top: 28, right: 16, bottom: 44, left: 52 };
const fmt = (y: number): string => (Number.isInteger(y) ? String(y) : y.toFixed(2));

/** "Nice" axis ticks from 0 to at least max. */
export function ticks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = 0; v < max + step / 2; v += step) out.push(Number(v.toPrecision(12)));
  if (out[out.length - 1]! < max) out.push(out[out.length - 1]! + step);
  return out;
}

/** Axes, grid, ticks, labels and title around a chart's body; `mt`: the top margin (more when a legend sits there). */
function frame(o: PlotOptions, top: number, body: Html, xTicks: Html, mt = M.top): Html {
  const w = o.width ?? 480;
  const h = o.height ?? 240;
  const ih = h - mt - M.bottom;
  const y = (v: number) => mt + ih - (v / top) * ih;
  const f = o.format ?? fmt;
  const yt = ticks(top).filter((t) => t <= top + 1e-9);
  return html`<figure class="plot"><svg xmlns="http://www.w3.org/2000/svg" id="${o.id}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${o.title}">
<title>${o.title}</title>
<text x="${w / 2}" y="16" text-anchor="middle" class="plot-title">${o.title}</text>
${yt.map((t) => html`<line x1="${M.left}" x2="${w - M.right}" y1="${y(t)}" y2="${y(t)}" class="grid"/><text x="${M.left - 6}" y="${y(t) + 4}" text-anchor="end" class="tick">${f(t)}</text>`)}
<line x1="${M.left}" x2="${M.left}" y1="${mt}" y2="${mt + ih}" class="axis"/><line x1="${M.left}" x2="${w - M.right}" y1="${mt + ih}" y2="${mt + ih}" class="axis"/>
${o.yLabel ? html`<text transform="translate(12 ${mt + ih / 2}) rotate(-90)" text-anchor="middle" class="label">${o.yLabel}</text>` : ''}
${o.xLabel ? html`<text x="${M.left + (w - M.left - M.right) / 2}" y="${h - 6}" text-anchor="middle" class="label">${o.xLabel}</text>` : ''}
${xTicks}${body}</svg></figure>`;
}

/** Bars, one per label, from 0. */
export function barChart(data: Array<{ label: string; value: number }>, o: PlotOptions): Html {
  const w = o.width ?? 480;
  const h = o.height ?? 240;
  const iw = w - M.left - M.right;
  const ih = h - M.top - M.bottom;
  const top = o.yMax ?? ticks(Math.max(0, ...data.map((d) => d.value))).at(-1)!;
  const slot = iw / Math.max(1, data.length);
  const bw = Math.max(2, slot * 0.7);
  const f = o.format ?? fmt;
  const bars = data.map((d, i) => {
    const bh = top > 0 ? (d.value / top) * ih : 0;
    const x = M.left + i * slot + (slot - bw) / 2;
    return html`<rect x="${x}" y="${M.top + ih - bh}" width="${bw}" height="${bh}" class="bar"><title>${d.label}: ${f(d.value)}</title></rect>
<text x="${x + bw / 2}" y="${M.top + ih - bh - 3}" text-anchor="middle" class="value">${f(d.value)}</text>`;
  });
  const labels = data.map((d, i) => html`<text x="${M.left + i * slot + slot / 2}" y="${M.top + ih + 14}" text-anchor="middle" class="tick">${d.label}</text>`);
  return frame(o, top, html`${bars}`, html`${labels}`);
}

/** A line through the points (x in order), with a dot and its value at each point. */
export function lineChart(points: Array<{ x: number; y: number }>, o: PlotOptions): Html {
  return linesChart([{ name: '', points }], o);
}

export interface Series { name: string; points: Array<{ x: number; y: number }> }

/** At most `max` evenly spaced x values of `xs` (sorted, distinct), first and last included. */
export function thinTicks(xs: number[], max = 10): number[] {
  const u = [...new Set(xs)].sort((a, b) => a - b);
  if (u.length <= max) return u;
  const step = (u.length - 1) / (max - 1);
  return [...new Set(Array.from({ length: max }, (_, i) => u[Math.round(i * step)]!))];
}

/**
 * One line per series on shared axes (x from the smallest to the largest x of all series, y from 0), a legend
 * when there are several; dots and values at each point only while a series has at most 12 points.
 */
export function linesChart(series: Series[], o: PlotOptions): Html {
  const w = o.width ?? 480;
  const h = o.height ?? 240;
  const iw = w - M.left - M.right;
  // The legend sits between the title and the plot area, one row per `perRow` series.
  const perRow = Math.max(1, Math.floor(iw / 110));
  const mt = M.top + (series.length > 1 ? 12 * Math.ceil(series.length / perRow) : 0);
  const ih = h - mt - M.bottom;
  const all = series.flatMap((s) => s.points);
  const top = o.yMax ?? ticks(Math.max(0, ...all.map((p) => p.y))).at(-1)!;
  const xs = all.map((p) => p.x);
  const x0 = xs.length ? Math.min(...xs) : 0;
  const x1 = xs.length ? Math.max(...xs) : 1;
  const px = (x: number) => M.left + (x1 === x0 ? iw / 2 : ((x - x0) / (x1 - x0)) * iw);
  const py = (y: number) => mt + ih - (top > 0 ? (Math.max(0, y) / top) * ih : 0);
  const f = o.format ?? fmt;
  const lines = series.map((s, k) => {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    const path = pts.map((p, i) => `${i ? 'L' : 'M'}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
    const dots = pts.length > 12 ? '' : pts.map((p) => html`<circle cx="${px(p.x)}" cy="${py(p.y)}" r="3.5" class="dot s${k % 6}"><title>${s.name ? `${s.name} · ` : ''}${p.x}: ${f(p.y)}</title></circle>
${series.length === 1 ? html`<text x="${px(p.x)}" y="${py(p.y) - 7}" text-anchor="middle" class="value">${f(p.y)}</text>` : ''}`);
    return html`<path d="${path}" class="line s${k % 6}" data-series="${s.name}"><title>${s.name}</title></path>${dots}`;
  });
  const labels = thinTicks(xs).map((x) => html`<text x="${px(x)}" y="${mt + ih + 14}" text-anchor="middle" class="tick">${fmt(x)}</text>`);
  const ly = (k: number) => M.top + 4 + Math.floor(k / perRow) * 12;
  const legend = series.length > 1 ? series.map((s, k) => html`<g class="legend"><rect x="${M.left + 8 + (k % perRow) * 110}" y="${ly(k) - 4}" width="10" height="3" class="swatch s${k % 6}"/>
<text x="${M.left + 22 + (k % perRow) * 110}" y="${ly(k)}" class="tick">${s.name}</text></g>`) : '';
  return frame(o, top, html`${lines}${legend}`, html`${labels}`, mt);
}

/** Points on numeric axes (both from 0), each with its label as a tooltip and beside it. */
export function scatterChart(points: Array<{ x: number; y: number; label: string; href?: string }>, o: PlotOptions & { xFormat?: (x: number) => string }): Html {
  const w = o.width ?? 480;
  const h = o.height ?? 240;
  const iw = w - M.left - M.right;
  const ih = h - M.top - M.bottom;
  const top = o.yMax ?? ticks(Math.max(0, ...points.map((p) => p.y))).at(-1)!;
  const xt = ticks(Math.max(0, ...points.map((p) => p.x)));
  const right = xt.at(-1)!;
  const px = (x: number) => M.left + (right > 0 ? (x / right) * iw : 0);
  const py = (y: number) => M.top + ih - (top > 0 ? (y / top) * ih : 0);
  const f = o.format ?? fmt;
  const xf = o.xFormat ?? fmt;
  const dots = points.map((p) => {
    const dot = html`<circle cx="${px(p.x)}" cy="${py(p.y)}" r="4" class="dot"><title>${p.label}: ${xf(p.x)}, ${f(p.y)}</title></circle>`;
    // Labels of points in the right part of the plot go to their left, so that they stay inside it.
    const left = px(p.x) > M.left + 0.6 * iw;
    return html`${p.href ? html`<a href="${p.href}">${dot}</a>` : dot}<text x="${px(p.x) + (left ? -6 : 6)}" y="${py(p.y) - 5}" text-anchor="${left ? 'end' : 'start'}" class="value">${p.label}</text>`;
  });
  const labels = xt.map((x) => html`<text x="${px(x)}" y="${M.top + ih + 14}" text-anchor="middle" class="tick">${xf(x)}</text>`);
  return frame(o, top, html`${dots}`, html`${labels}`);
}

export const plotCss = `
.plots { display:flex; flex-wrap:wrap; gap:16px; } figure.plot { margin:0; background:var(--card); border:1px solid var(--line); border-radius:6px; }
svg .bar { fill:#6d95d8; } svg .line { fill:none; stroke:var(--accent); stroke-width:2; } svg .dot { fill:var(--accent); }
svg .grid { stroke:#eceff3; } svg .axis { stroke:#9aa4ae; } svg text { font:11px system-ui, sans-serif; fill:var(--fg); }
svg .s1 { stroke:#d0782a; fill:#d0782a; } svg .s2 { stroke:#2f9e5b; fill:#2f9e5b; } svg .s3 { stroke:#9b4fc2; fill:#9b4fc2; } svg .s4 { stroke:#c23b52; fill:#c23b52; } svg .s5 { stroke:#5f6b77; fill:#5f6b77; }
svg .line.s1, svg .line.s2, svg .line.s3, svg .line.s4, svg .line.s5 { fill:none; } svg .swatch { stroke:none; } svg .swatch.s0 { fill:var(--accent); }
svg .plot-title { font-weight:600; font-size:12.5px; } svg .value { fill:var(--muted); font-size:10px; } svg .tick { fill:var(--muted); }
`;
