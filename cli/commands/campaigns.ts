// `egcfg campaigns list|show|pause|resume|cancel|export`: a client of the HTTP API (egcfg serve), so it works
// against any server: --api URL (or EGCFG_API_URL, default http://127.0.0.1:8787) and --token T (or EGCFG_API_TOKEN).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { OptionsError } from '../../campaigns/options.ts';
import { SIMULATED_NOTE } from '../output.ts';
import { DEFAULT_API_PORT } from './serve.ts';
import { campaignsFlags as flags } from '../spec.ts';


const usage = 'egcfg campaigns list [--status S] [--dataset D] [--method M] [--limit N] [--cursor C] [--json]\n'
  + '       egcfg campaigns show ID [--watch] [--json]\n'
  + '       egcfg campaigns pause|resume|cancel ID\n'
  + '       egcfg campaigns export ID [--format json|jsonl|csv|evalplus] [--output FILE]\n'
  + 'options: --api URL (EGCFG_API_URL), --token T (EGCFG_API_TOKEN)';

export class ApiClientError extends Error {
  constructor(readonly status: number, message: string) { super(message); this.name = 'ApiClientError'; }
}

interface Progress { total: number; done: number; passed: number; errors: number; running: number; paused: boolean; state: string }
interface PassRow { dataset: string; protocol: string; problems: number; passed: number; errors: number; passAt1: number | null }
interface Detail {
  campaign: { id: string; method: string; dataset: string; model: string; simulated: boolean; status: string; createdAt: string; finishedAt: string | null; problemsTotal: number };
  progress: Progress; passAt1: PassRow[]; links: Record<string, string>;
}

export function apiClient(base: string, token: string | undefined) {
  const root = base.replace(/\/$/, '');
  async function request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    let res: Response;
    try {
      res = await fetch(`${root}${path}`, { ...init, headers });
    } catch (err) {
      throw new ApiClientError(0, `cannot reach the API at ${root} (${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}); start it with \`egcfg serve\` or pass --api URL`);
    }
    if (!res.ok) {
      let message = `HTTP ${res.status}`;
      try { const body = await res.json() as { error?: string }; if (body.error) message = body.error; } catch { /* not JSON */ }
      const hint = res.status === 401 ? ' (pass --token T or set EGCFG_API_TOKEN; create one with `egcfg tokens create`)' : '';
      throw new ApiClientError(res.status, `${message}${hint}`);
    }
    return res;
  }
  return {
    request,
    json: async <T>(path: string, init?: RequestInit): Promise<T> => (await request(path, init)).json() as Promise<T>,
  };
}

const pct = (x: number | null): string => (x === null ? '–' : `${(100 * x).toFixed(2)}`);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

export function progressLine(p: Progress): string {
  const share = p.total ? Math.floor((100 * p.done) / p.total) : 0;
  const width = 30;
  const filled = Math.round((width * share) / 100);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total} (${share}%) · ${p.passed} passed · ${p.errors} errors · ${p.running} running · ${p.paused ? 'PAUSED' : p.state}`;
}

function detailText(d: Detail): string {
  const c = d.campaign;
  const model = c.simulated ? `${c.model} [SIMULATED]` : c.model;
  const lines = [
    `campaign ${c.id}: ${c.status}${d.progress.paused ? ' (paused)' : ''}`,
    `  ${c.method} on ${c.dataset}, model ${model}, created ${c.createdAt}${c.finishedAt ? `, finished ${c.finishedAt}` : ''}`,
    `  ${progressLine(d.progress)}`,
    ...(d.links.temporal ? [`  workflow: ${d.links.temporal}`] : []),
    '',
    table(['dataset', 'protocol', 'model', 'done', 'passed', 'errors', 'pass@1 %'],
      d.passAt1.map((r) => [r.dataset, r.protocol, model, String(r.problems), String(r.passed), String(r.errors), pct(r.passAt1)])),
  ];
  if (c.simulated) lines.push('', `NOTE: ${SIMULATED_NOTE}.`);
  return lines.join('\n');
}

const terminal = new Set(['completed', 'cancelled', 'failed']);

export async function campaignsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({ args: rest, options: flags, strict: true, allowPositionals: true });
  const base = values.api ?? process.env.EGCFG_API_URL ?? `http://127.0.0.1:${DEFAULT_API_PORT}`;
  const client = apiClient(base, values.token ?? process.env.EGCFG_API_TOKEN);
  const needId = (): string => {
    const id = positionals[0];
    if (!id) throw new OptionsError([{ field: 'ID', message: `a campaign id is required\n${usage}` }]);
    return encodeURIComponent(id);
  };
  try {
    switch (sub) {
      case 'list': {
        const q = new URLSearchParams();
        for (const k of ['status', 'dataset', 'method', 'limit', 'cursor'] as const) if (values[k]) q.set(k, values[k]);
        const page = await client.json<{ campaigns: Array<Detail['campaign'] & { done: number; passed: number }>; nextCursor: string | null }>(`/campaigns${q.size ? `?${q}` : ''}`);
        if (values.json) { console.log(JSON.stringify(page)); return 0; }
        console.log(table(['campaign', 'status', 'dataset', 'method', 'model', 'done', 'pass@1 %', 'created'],
          page.campaigns.map((c) => [c.id, c.status, c.dataset, c.method, c.simulated ? `${c.model} [SIMULATED]` : c.model,
            `${c.done}/${c.problemsTotal}`, c.done ? pct(c.passed / c.done) : '–', c.createdAt])));
        if (page.nextCursor) console.log(`\nmore: egcfg campaigns list --cursor ${page.nextCursor}`);
        return 0;
      }
      case 'show': {
        const id = needId();
        if (!values.watch) {
          const d = await client.json<Detail>(`/campaigns/${id}`);
          console.log(values.json ? JSON.stringify(d) : detailText(d));
          return 0;
        }
        const interval = Number(values.interval ?? 1000);
        const tty = process.stderr.isTTY;
        let d = await client.json<Detail>(`/campaigns/${id}`);
        let last = '';
        while (!terminal.has(d.campaign.status)) {
          const line = progressLine(d.progress);
          if (tty) process.stderr.write(`\r${line}\x1b[K`);
          else if (line !== last) console.error(line);
          last = line;
          await new Promise((r) => setTimeout(r, interval));
          d = await client.json<Detail>(`/campaigns/${id}`);
        }
        if (tty) process.stderr.write('\n');
        console.log(values.json ? JSON.stringify(d) : detailText(d));
        return d.campaign.status === 'completed' ? 0 : 1;
      }
      case 'pause': case 'resume': case 'cancel': {
        const id = needId();
        await client.json(`/campaigns/${id}/${sub}`, { method: 'POST' });
        console.error(`[egcfg] campaign ${decodeURIComponent(id)}: ${sub} sent`);
        return 0;
      }
      case 'export': {
        const id = needId();
        const format = values.format ?? 'jsonl';
        const q = new URLSearchParams({ format, ...(values.protocol ? { protocol: values.protocol } : {}) });
        const body = await (await client.request(`/campaigns/${id}/results?${q}`)).text();
        if (values.output) {
          writeFileSync(values.output, body);
          console.error(`[egcfg] ${format} results of ${decodeURIComponent(id)} written to ${values.output}`);
        } else {
          process.stdout.write(body);
        }
        return 0;
      }
      default:
        throw new OptionsError([{ field: 'campaigns', message: `unknown subcommand '${sub ?? ''}'\n${usage}` }]);
    }
  } catch (err) {
    if (err instanceof ApiClientError) {
      console.error(`egcfg campaigns ${sub}: ${err.message}`);
      return err.status === 0 ? 1 : err.status >= 500 ? 1 : 2;
    }
    throw err;
  }
}
