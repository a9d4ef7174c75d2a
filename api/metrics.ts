// GET /metrics in the Prometheus text format: what the database says about campaigns, problems, samples (model
// calls, tokens) and sandbox executions, plus this API process's own request latencies.
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Request latency histograms per route, kept in memory. */
export class RequestStats {
  private readonly series = new Map<string, { labels: string; counts: number[]; sum: number; n: number }>();
  observe(route: string, method: string, status: number, seconds: number): void {
    const labels = `method="${method}",route="${esc(route)}",status="${status}"`;
    let s = this.series.get(labels);
    if (!s) { s = { labels, counts: BUCKETS.map(() => 0), sum: 0, n: 0 }; this.series.set(labels, s); }
    BUCKETS.forEach((b, i) => { if (seconds <= b) s.counts[i]!++; });
    s.sum += seconds;
    s.n++;
  }
  render(): string[] {
    const out = ['# HELP egcfg_api_request_duration_seconds Time this API process took to answer, by route.',
      '# TYPE egcfg_api_request_duration_seconds histogram'];
    for (const s of this.series.values()) {
      BUCKETS.forEach((b, i) => out.push(`egcfg_api_request_duration_seconds_bucket{${s.labels},le="${b}"} ${s.counts[i]}`));
      out.push(`egcfg_api_request_duration_seconds_bucket{${s.labels},le="+Inf"} ${s.n}`);
      out.push(`egcfg_api_request_duration_seconds_sum{${s.labels}} ${s.sum}`);
      out.push(`egcfg_api_request_duration_seconds_count{${s.labels}} ${s.n}`);
    }
    return out;
  }
}

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

type Row = Record<string, unknown>;
async function rows(db: Database, query: ReturnType<typeof sql>): Promise<Row[]> {
  const raw: unknown = await db.execute(query); // postgres.js: rows; PGlite: { rows }
  const r = raw as Row[] | { rows: Row[] };
  return Array.isArray(r) ? r : r.rows;
}

export async function metricsText(db: Database, stats: RequestStats): Promise<string> {
  const [byStatus, problemsDone, executionsBySuite, sampleTotals, egcfgModel] = await Promise.all([
    rows(db, sql`select status, method, dataset, count(*)::int as n from campaigns group by status, method, dataset order by 1, 2, 3`),
    rows(db, sql`select c.dataset, c.method, r.protocol, count(*)::int as n, (count(*) filter (where r.passed))::int as passed
      from results r join campaigns c on c.id = r.campaign_id group by 1, 2, 3 order by 1, 2, 3`),
    rows(db, sql`select suite, status, count(*)::int as n, coalesce(sum(duration_ms), 0)::float8 as ms from executions group by 1, 2 order by 1, 2`),
    rows(db, sql`select coalesce(sum(model_calls), 0)::int8 as calls, coalesce(sum(prompt_tokens), 0)::int8 as prompt,
      coalesce(sum(completion_tokens), 0)::int8 as completion, count(*)::int8 as n, coalesce(sum(model_ms), 0)::float8 as ms from samples`),
    rows(db, sql`select coalesce(sum(model_calls), 0)::int8 as calls, coalesce(sum(model_ms), 0)::float8 as ms from egcfg_steps`),
  ]);
  const out: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  const labels = (o: Record<string, unknown>) => Object.entries(o).map(([k, v]) => `${k}="${esc(String(v))}"`).join(',');

  metric('egcfg_campaigns', 'gauge', 'Campaigns by status, method and dataset.');
  for (const r of byStatus) out.push(`egcfg_campaigns{${labels({ status: r.status, method: r.method, dataset: r.dataset })}} ${Number(r.n)}`);
  metric('egcfg_problems_done_total', 'counter', 'Problems with a recorded verdict, by dataset, method and scoring protocol.');
  for (const r of problemsDone) out.push(`egcfg_problems_done_total{${labels({ dataset: r.dataset, method: r.method, protocol: r.protocol })}} ${Number(r.n)}`);
  metric('egcfg_problems_passed_total', 'counter', 'Problems whose verdict is passed.');
  for (const r of problemsDone) out.push(`egcfg_problems_passed_total{${labels({ dataset: r.dataset, method: r.method, protocol: r.protocol })}} ${Number(r.passed)}`);
  metric('egcfg_sandbox_executions_total', 'counter', 'Sandboxed executions by test suite and status.');
  for (const r of executionsBySuite) out.push(`egcfg_sandbox_executions_total{${labels({ suite: r.suite, status: r.status })}} ${Number(r.n)}`);
  metric('egcfg_sandbox_execution_seconds_total', 'counter', 'Total wall time of sandboxed executions by suite and status.');
  for (const r of executionsBySuite) out.push(`egcfg_sandbox_execution_seconds_total{${labels({ suite: r.suite, status: r.status })}} ${Number(r.ms) / 1000}`);
  const s = sampleTotals[0] ?? {};
  metric('egcfg_samples_total', 'counter', 'Stored samples (generated or replayed programs).');
  out.push(`egcfg_samples_total ${Number(s.n ?? 0)}`);
  metric('egcfg_model_calls_total', 'counter', 'Model calls recorded with the samples.');
  out.push(`egcfg_model_calls_total ${Number(s.calls ?? 0)}`);
  metric('egcfg_model_tokens_total', 'counter', 'Tokens recorded with the samples, by kind.');
  out.push(`egcfg_model_tokens_total{kind="prompt"} ${Number(s.prompt ?? 0)}`, `egcfg_model_tokens_total{kind="completion"} ${Number(s.completion ?? 0)}`);
  // Model latency as a sum and a count (mean = seconds / calls), for baseline/BTP samples and EG-CFG steps.
  const e = egcfgModel[0] ?? {};
  metric('egcfg_model_seconds_total', 'counter', 'Wall time spent waiting for model servers, by source.');
  out.push(`egcfg_model_seconds_total{source="samples"} ${Number(s.ms ?? 0) / 1000}`, `egcfg_model_seconds_total{source="egcfg_steps"} ${Number(e.ms ?? 0) / 1000}`);
  metric('egcfg_model_requests_total', 'counter', 'Model calls behind egcfg_model_seconds_total, by source.');
  out.push(`egcfg_model_requests_total{source="samples"} ${Number(s.calls ?? 0)}`, `egcfg_model_requests_total{source="egcfg_steps"} ${Number(e.calls ?? 0)}`);
  out.push(...stats.render());
  return out.join('\n') + '\n';
}
