// Self-rendered SVG plots of `egcfg experiment` (standalone files next to its tables; the dashboard draws its own).
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** A line chart: one polyline per series, y from 0 to a round maximum. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: { name: string; points: [number, number][] }[]): string {
  const W = 640, H = 400, L = 64, R = 24, T = 48, B = 56;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const x0 = xs.length ? Math.min(...xs) : 0, x1 = xs.length ? Math.max(...xs) : 1;
  const yMax = niceMax(Math.max(1, ...ys));
  const sx = (x: number) => L + (x1 === x0 ? (W - L - R) / 2 : ((x - x0) / (x1 - x0)) * (W - L - R));
  const sy = (y: number) => H - B - (y / yMax) * (H - T - B);
  const parts: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const y = (yMax * i) / 5;
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${sy(y)}" y2="${sy(y)}" stroke="#ddd"/><text x="${L - 6}" y="${sy(y) + 4}" text-anchor="end" font-size="11">${+y.toFixed(2)}</text>`);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) parts.push(`<text x="${sx(x)}" y="${H - B + 16}" text-anchor="middle" font-size="11">${+x.toFixed(3)}</text>`);
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const pts = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts}"/>`);
    for (const [x, y] of s.points) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3.5" fill="${c}"><title>${esc(s.name)}: ${x} → ${y.toFixed(2)}</title></circle>`);
    parts.push(`<text x="${W - R - 4}" y="${T + 14 * i}" text-anchor="end" font-size="11" fill="${c}">${esc(s.name)}</text>`);
  });
  return svg(W, H, title, [
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/>`,
    ...parts,
    `<text x="${(L + W - R) / 2}" y="${H - 16}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`,
    `<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 16 ${(T + H - B) / 2})">${esc(yLabel)}</text>`,
  ]);
}

/** A vertical bar chart with the value above each bar. */
export function barChart(title: string, yLabel: string, bars: { label: string; value: number }[]): string {
  const W = Math.max(480, 90 * bars.length + 100), H = 420, L = 64, R = 24, T = 48, B = 110;
  const yMax = niceMax(Math.max(1, ...bars.map((b) => b.value)));
  const sy = (y: number) => H - B - (y / yMax) * (H - T - B);
  const slot = (W - L - R) / Math.max(bars.length, 1);
  const parts: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const y = (yMax * i) / 5;
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${sy(y)}" y2="${sy(y)}" stroke="#ddd"/><text x="${L - 6}" y="${sy(y) + 4}" text-anchor="end" font-size="11">${+y.toFixed(2)}</text>`);
  }
  bars.forEach((b, i) => {
    const x = L + i * slot + slot * 0.15, w = slot * 0.7;
    parts.push(`<rect x="${x.toFixed(1)}" y="${sy(b.value).toFixed(1)}" width="${w.toFixed(1)}" height="${(H - B - sy(b.value)).toFixed(1)}" fill="${COLORS[i % COLORS.length]}"><title>${esc(b.label)}: ${b.value.toFixed(2)}</title></rect>`);
    parts.push(`<text x="${(x + w / 2).toFixed(1)}" y="${(sy(b.value) - 4).toFixed(1)}" text-anchor="middle" font-size="11">${b.value.toFixed(1)}</text>`);
    const cx = x + w / 2, cy = H - B + 12;
    parts.push(`<text x="${cx.toFixed(1)}" y="${cy}" text-anchor="end" font-size="11" transform="rotate(-35 ${cx.toFixed(1)} ${cy})">${esc(b.label)}</text>`);
  });
  return svg(W, H, title, [
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/>`,
    ...parts,
    `<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 16 ${(T + H - B) / 2})">${esc(yLabel)}</text>`,
  ]);
}

function svg(W: number, H: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    ...body, '</svg>', '',
  ].join('\n');
}
