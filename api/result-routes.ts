// A campaign's results (JSON, JSON Lines, CSV, evalplus samples) and the audit of one problem, as a Hono sub-app that
// ./app.ts mounts with app.route (its authentication middleware on /campaigns/* runs first; errors go to its onError).
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { campaignPassAt1, campaignResults, getCampaign, problemAudit, type ResultRow } from '../campaigns/service.ts';
import type { Database } from '../db/client.ts';
import type { AppEnv } from './app-env.ts';
import { jsonable } from './campaign-schemas.ts';
import { CampaignIdParam, errorResponses as errors, secured, TaskIdParam, validationHook } from './openapi-common.ts';

const resultsQuery = z.object({
  format: z.enum(['json', 'jsonl', 'csv', 'evalplus']).default('json'),
  protocol: z.string().min(1).default('default'),
});

/** evalplus names MBPP tasks `Mbpp/<n>`; HumanEval ids already read `HumanEval/<n>`. */
export function evalplusTaskId(dataset: string, taskId: string): string {
  return dataset.startsWith('mbpp') && /^\d+$/.test(taskId) ? `Mbpp/${taskId}` : taskId;
}

const csvCell = (v: string | number | boolean | null | undefined): string => {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function resultsCsv(rows: ResultRow[]): string {
  const header = ['task_id', 'passed', 'status', 'sample_id', 'tests_passed', 'tests_total', 'code'] as const;
  return [header.join(','), ...rows.map((r) => header.map((h) => csvCell(r[h])).join(','))].join('\r\n') + '\r\n';
}

export function resultRoutes(db: Database): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(createRoute({
    method: 'get', path: '/campaigns/{id}/results', tags: ['results'], security: secured,
    summary: 'Per-problem results',
    description: '`json`: `{ campaign, passAt1, results }`; `jsonl`: one result per line; `csv`; `evalplus`: `{"task_id", "solution"}` lines that `egcfg evaluate` and evalplus read.',
    request: { params: CampaignIdParam, query: resultsQuery },
    responses: {
      200: {
        description: 'The results',
        content: {
          'application/json': { schema: z.looseObject({ results: z.array(z.looseObject({ task_id: z.string(), passed: z.boolean() })) }) },
          'application/x-ndjson': { schema: z.string() },
          'text/csv': { schema: z.string() },
        },
      },
      ...errors,
    },
  }), async (c) => {
    const { id } = c.req.valid('param');
    const { format, protocol } = c.req.valid('query');
    const [campaign, rows, passAt1] = await Promise.all([
      getCampaign(db, id), campaignResults(db, id, protocol), format === 'json' ? campaignPassAt1(db, id) : Promise.resolve([]),
    ]);
    const file = `${id}${format === 'evalplus' ? '-samples' : ''}.${format === 'evalplus' ? 'jsonl' : format}`;
    const disposition = { 'content-disposition': `attachment; filename="${file}"` };
    if (format === 'json') {
      return c.json({ campaign: jsonable(campaign), passAt1, results: rows }, 200);
    }
    if (format === 'jsonl') return c.body(rows.map((r) => JSON.stringify(r) + '\n').join(''), 200, { 'content-type': 'application/x-ndjson', ...disposition });
    if (format === 'csv') return c.body(resultsCsv(rows), 200, { 'content-type': 'text/csv; charset=utf-8', ...disposition });
    const lines = rows.filter((r) => r.code !== null).map((r) => JSON.stringify({ task_id: evalplusTaskId(campaign.dataset, r.task_id), solution: r.code }) + '\n');
    return c.body(lines.join(''), 200, { 'content-type': 'application/x-ndjson', ...disposition });
  });

  app.openapi(createRoute({
    method: 'get', path: '/campaigns/{id}/problems/{taskId}', tags: ['results'], security: secured,
    summary: 'Audit one problem: the problem, every sample, every execution with per-test verdicts, the verdicts, the events',
    description: 'Task ids that contain a slash (HumanEval/0) are URL-encoded: `HumanEval%2F0`.',
    request: { params: TaskIdParam },
    responses: { 200: { description: 'The audit', content: { 'application/json': { schema: z.looseObject({ problem: z.looseObject({
      taskId: z.string(), contentHash: z.string().openapi({ description: 'The problem version this campaign ran (sha256 of its canonical JSON; `legacy:` for rows from before versioning)' }),
    }) }) } } }, ...errors },
  }), async (c) => {
    const { id, taskId } = c.req.valid('param');
    return c.json(jsonable(await problemAudit(db, id, taskId)), 200);
  });

  return app;
}
