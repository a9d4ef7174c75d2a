// The public routes: health, Prometheus metrics, the OpenAPI document and its rendering (/docs), as a Hono sub-app
// that ./app.ts mounts with app.route. `document` builds the whole app's OpenAPI document (the root app's registry).
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { AppEnv } from './app-env.ts';
import type { ApiDeps } from './app-options.ts';
import { renderDocs, type OpenApiDocument } from './docs.ts';
import { healthReport } from './health.ts';
import { metricsText } from './metrics.ts';
import { validationHook } from './openapi-common.ts';

export function opsRoutes(deps: ApiDeps, document: () => OpenApiDocument): OpenAPIHono<AppEnv> {
  const { db, opts, stats } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(createRoute({
    method: 'get', path: '/healthz', tags: ['operations'],
    summary: 'Health of Temporal, the database, the model servers and the sandbox (each ok or error)',
    responses: {
      200: { description: 'All ok', content: { 'application/json': { schema: z.looseObject({ status: z.enum(['ok', 'error']) }) } } },
      503: { description: 'Something is not ok', content: { 'application/json': { schema: z.looseObject({ status: z.enum(['ok', 'error']) }) } } },
    },
  }), async (c) => {
    const report = await healthReport({ db, client: opts.client, ...(opts.simulated ? { simulated: opts.simulated } : {}), ...(opts.checks ? { checks: opts.checks } : {}) });
    return c.json(report, report.status === 'ok' ? 200 : 503);
  });

  app.openapi(createRoute({
    method: 'get', path: '/metrics', tags: ['operations'],
    summary: 'Prometheus metrics: campaigns by status, problems done, sandbox executions, model calls and tokens, API latency',
    responses: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: z.string() } } } },
  }), async (c) => c.text(await metricsText(db, stats), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }));

  app.get('/openapi.json', (c) => c.json(document()));
  app.get('/docs', (c) => c.html(renderDocs(document())));

  return app;
}
