// The HTTP API (and, mounted on the same app, the dashboard): campaigns, their live progress and event log, results in
// several formats, per-problem audits, evaluate uploads, health and metrics. Pure construction: `createApp` opens
// nothing and listens nowhere, so tests drive it with `app.request()`; `startApiServer` (./server.ts) serves it.
//
// Every API route is declared with @hono/zod-openapi, so /openapi.json and /docs describe exactly what is validated.
// The routes live in sub-apps, one module each, mounted here with `app.route` in the order the OpenAPI document
// lists them; the middleware (latency, hostile requests, body limits, authentication) and the error handling are
// set here once, for all of them.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { ServiceContext } from '../campaigns/service.ts';
import { modelUrlPolicy } from '../core/model-servers.ts';
import { repoPath } from '../core/repo.ts';
import type { AppEnv, AuthConfig } from './app-env.ts';
import type { ApiDeps, AppOptions } from './app-options.ts';
import { requireToken } from './auth.ts';
import { btpRoutes } from './btp-routes.ts';
import { serverFolders } from './campaign-input.ts';
import { campaignReads } from './campaign-reads.ts';
import { campaignRoutes } from './campaign-routes.ts';
import { dashboardRoutes } from './dashboard.ts';
import { errorResponse } from './errors.ts';
import { evaluateRoute } from './evaluate-route.ts';
import { eventRoutes } from './event-routes.ts';
import { modelUrlsInUse } from './health.ts';
import { bodyLimits, DEFAULT_LIMITS, refuseHostileRequests, StreamSlots, type ApiLimits } from './limits.ts';
import { loginRoutes } from './login-routes.ts';
import { RequestStats } from './metrics.ts';
import { validationHook } from './openapi-common.ts';
import { opsRoutes } from './ops-routes.ts';
import { problemRoutes } from './problem-routes.ts';
import { resultRoutes } from './result-routes.ts';

export { CSRF_HEADER, TOKEN_COOKIE } from './auth.ts';
export { campaignBodySchema } from './campaign-input.ts';
export { EVENT_SETTLE_MS } from './event-routes.ts';
export { safeNext } from './login-routes.ts';
export { evalplusTaskId, resultsCsv } from './result-routes.ts';
export type { AppEnv, AppOptions, AuthConfig };

const documentInfo = {
  title: 'egcfg API',
  version: '0.1.0',
  description: 'Durable, auditable code-generation research campaigns (baseline sampling, EG-CFG execution-guided generation, the BTP fine-tuning cycle, replayed evaluations) on Temporal + Postgres + nsjail. '
    + 'Every route except /healthz, /metrics, /openapi.json and /docs needs a bearer token (`egcfg tokens create`).',
};

/** The options with their defaults, and the per-app state (stream slots, latency stats) every route module shares. */
function resolveDeps(opts: AppOptions): ApiDeps {
  const limits: ApiLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const envPolicy = modelUrlPolicy();
  const ctx: ServiceContext = { db: opts.db, client: opts.client };
  return {
    opts, db: opts.db, ctx, limits,
    auth: opts.auth ?? { mode: 'tokens' },
    log: opts.log ?? ((l: string) => console.error(l)),
    namespace: opts.namespace ?? 'default',
    uploadDir: opts.uploadDir ?? join(tmpdir(), 'egcfg-uploads'),
    folders: opts.folders ?? serverFolders(opts.dataDir ?? process.env.EGCFG_DATA_DIR ?? repoPath('.data')),
    urlPolicy: () => ({
      servers: opts.modelServers ?? envPolicy.servers, allowAny: opts.allowAnyModelUrl ?? envPolicy.allowAny,
      own: Object.values(opts.simulated?.running() ?? {}),
    }),
    streams: new StreamSlots(limits.sseStreamsPerToken, limits.sseStreamsTotal),
    stats: new RequestStats(),
  };
}

export function createApp(opts: AppOptions) {
  const deps = resolveDeps(opts);
  const { db, log, stats } = deps;
  opts.simulated?.setInUse?.(() => modelUrlsInUse(db));

  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http', scheme: 'bearer', description: 'A token from `egcfg tokens create` (or the egcfg_token cookie set by POST /login)',
  });

  // One error handler for every sub-app (none sets its own): JSON `{ error, issues? }`, never a stack.
  app.onError((err, c) => errorResponse(err, c, log));
  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    stats.observe(c.req.routePath || c.req.path, c.req.method, c.res.status, (performance.now() - started) / 1000);
  });
  // Before any route reads the body: NUL in the URL (400), compressed bodies (415), oversized bodies (413).
  app.use('*', refuseHostileRequests);
  app.use('*', bodyLimits(deps.limits));
  const auth = requireToken(db, deps.auth);
  for (const path of ['/campaigns', '/campaigns/*', '/evaluate', '/experiments', '/experiments/*']) app.use(path, auth);

  const reads = campaignReads(deps);
  app.route('/', campaignRoutes(deps, reads));
  app.route('/', eventRoutes(deps));
  app.route('/', resultRoutes(db));
  app.route('/', problemRoutes(db));
  app.route('/', btpRoutes(db));
  app.route('/', evaluateRoute(deps, reads));
  app.route('/', opsRoutes(deps, () => app.getOpenAPI31Document({ openapi: '3.1.0', info: documentInfo })));
  app.route('/', loginRoutes(deps));
  app.route('/', dashboardRoutes(deps, reads));
  return app;
}

export type App = ReturnType<typeof createApp>;
