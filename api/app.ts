// The HTTP API (and, mounted on the same app, the dashboard): campaigns, their live progress and event log, results in
// several formats, per-problem audits, evaluate uploads, health and metrics. Pure construction: `createApp` opens
// nothing and listens nowhere, so tests drive it with `app.request()`; `startApiServer` (./server.ts) serves it.
//
// Every route is declared with @hono/zod-openapi, so /openapi.json and /docs describe exactly what is validated.
// Method-specific read routes sit in sub-apps under /campaigns/{id}/...: an EG-CFG problem's steps
// (./problem-routes.ts), a BTP campaign's iterations, training runs, buffer and beams, and the experiments
// (./btp-routes.ts), with the same auth, errors and pagination.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import type { JSONParsed } from 'hono/utils/types';
import { and, asc, eq, getTableColumns, gt, sql } from 'drizzle-orm';
import { parseReplaySamples, samplesPerTask } from '../activities/model/replay.ts';
import { datasetNames, methods, parseRunOptions, runOptionsSchema, type RunOptions } from '../campaigns/options.ts';
import { validateCampaign } from '../campaigns/validate.ts';
import { campaignPins } from '../campaigns/pins.ts';
import { DatasetFilesSchema } from '../core/datasets/pins.ts';
import { modelUrlPolicy, type ModelServer } from '../core/model-servers.ts';
import { repoPath } from '../core/repo.ts';
import { apiRunOptions, campaignBodyIssues, campaignBodySchema, serverFolders, type ServerFolders } from './campaign-input.ts';
import {
  campaignPassAt1, campaignProgress, campaignResults, type DatasetPassAt1, getCampaign, listCampaigns, problemAudit,
  signalCampaign, startCampaign, type ResultRow, type ServiceContext,
} from '../campaigns/service.ts';
import type { Database } from '../db/client.ts';
import { events } from '../db/schema/index.ts';
import type { CampaignProgress, ModelSpec } from '../core/contracts.ts';
import { renderDocs } from './docs.ts';
import { problemRoutes } from './problem-routes.ts';
import { btpRoutes } from './btp-routes.ts';
import { latestIterationCounts } from './btp-views.ts';
import { CampaignIdParam, errorContent as json, errorResponses as errors, secured, validationHook } from './openapi-common.ts';
import { ApiError, badRequest, errorResponse, parseForm, zodIssues, type Issue } from './errors.ts';
import { healthReport, modelUrlsInUse, type HealthChecks } from './health.ts';
import { bodyLimits, DEFAULT_LIMITS, gunzipCapped, refuseHostileRequests, StreamSlots, type ApiLimits } from './limits.ts';
import { metricsText, RequestStats } from './metrics.ts';
import type { SimulatedModels } from './simulated-models.ts';
import { touchApiToken, verifyApiToken } from './tokens.ts';
import { mountDashboard } from './dashboard.ts';
import type { AppEnv, AuthConfig } from './app-env.ts';

export const TOKEN_COOKIE = 'egcfg_token';
/** Cookie-authenticated requests that change something must carry this header (a cross-site form cannot). */
export const CSRF_HEADER = 'x-egcfg-request';

export type { AppEnv, AuthConfig };

export interface AppOptions {
  db: Database;
  client: Client;
  auth?: AuthConfig;
  /** Campaigns created without a modelUrl use these simulated servers; absent, modelUrl is required. */
  simulated?: SimulatedModels;
  /** Where POST /evaluate keeps uploaded samples files (the workers read them from there). */
  uploadDir?: string;
  /** Base URL of the Temporal Web UI, for links to a campaign's workflow. */
  temporalUiUrl?: string;
  namespace?: string;
  /** Extra health checks (e.g. the sandbox of the in-process worker). */
  checks?: HealthChecks;
  /** `Secure` cookies (set when serving over https). */
  secureCookies?: boolean;
  /** The data folder: BTP work folders (btp/NAME) and model folders (models/NAME) given by name resolve here. */
  dataDir?: string;
  /** Where names resolve (default: from dataDir, see api/campaign-input.ts). */
  folders?: ServerFolders;
  /** The model servers campaigns may name (default: EGCFG_MODEL_SERVERS). */
  modelServers?: ModelServer[];
  /** Any http(s) modelUrl (default: EGCFG_ALLOW_ANY_MODEL_URL=1); keys still go only to configured servers. */
  allowAnyModelUrl?: boolean;
  /** Request size limits (defaults: DEFAULT_LIMITS). */
  limits?: Partial<ApiLimits>;
  log?: (line: string) => void;
}

const terminalStatuses = new Set(['completed', 'cancelled', 'failed']);
/** How old an event must be before a followed SSE stream sends it (see the events route). */
export const EVENT_SETTLE_MS = 500;
/** How long a campaign's progress query answer is reused, and how long a read waits for a first one. */
const LIVE_TTL_MS = 1000;
const QUERY_WAIT_MS = 1500;
const STALE_WAIT_MS = 250;

// ---- Schemas (request validation and documentation) ----


/** POST /campaigns: the campaign options of campaigns/options.ts, less the server-side file paths. */
export { campaignBodySchema };

const ProgressSchema = z.object({
  total: z.number().int(), done: z.number().int(), passed: z.number().int(), errors: z.number().int(),
  running: z.number().int(), paused: z.boolean(),
  state: z.enum(['created', 'running', 'paused', 'finishing', 'completed', 'cancelled', 'failed']),
  source: z.enum(['workflow', 'database']),
}).openapi('Progress');

const PassAt1Schema = z.object({
  dataset: z.string(), protocol: z.string(), problems: z.number().int(), passed: z.number().int(), errors: z.number().int(),
  passAt1: z.number().nullable(),
}).openapi('PassAt1');

const CampaignSchema = z.looseObject({
  id: z.string(), method: z.string(), dataset: z.string(), model: z.string(), simulated: z.boolean(), status: z.string(),
  problemsTotal: z.number().int(), workflowId: z.string().nullable(), createdAt: z.string(), finishedAt: z.string().nullable(),
  config: z.record(z.string(), z.unknown()),
}).openapi('Campaign');

const PinsSchema = z.object({
  datasetFiles: DatasetFilesSchema.openapi({ description: 'The files its problems were read from, with their sha256' }),
  problems: z.object({ eval: z.number().int(), train: z.number().int() }).openapi({ description: 'Problem versions pinned, per role' }),
  problemSetHash: z.string().nullable().openapi({ description: 'sha256 over the evaluation problems\' content hashes, in order (one per line)' }),
}).openapi('CampaignPins');

const CampaignDetailSchema = z.looseObject({
  campaign: CampaignSchema, progress: ProgressSchema, passAt1: z.array(PassAt1Schema),
  pins: PinsSchema,
  links: z.record(z.string(), z.string()),
}).openapi('CampaignDetail');

const CreatedSchema = z.object({
  campaignId: z.string(), workflowId: z.string(), problems: z.number().int(), simulated: z.boolean(), model: z.string(),
  links: z.record(z.string(), z.string()),
}).openapi('CreatedCampaign');

const listQuery = z.object({
  status: z.string().min(1).optional().openapi({ description: 'created | running | completed | cancelled | failed' }),
  dataset: z.enum(datasetNames).optional(),
  method: z.enum(methods).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).optional().openapi({ description: 'nextCursor of the previous page' }),
});

const resultsQuery = z.object({
  format: z.enum(['json', 'jsonl', 'csv', 'evalplus']).default('json'),
  protocol: z.string().min(1).default('default'),
});

const evaluateQuery = z.object({
  dataset: z.enum(datasetNames).optional().openapi({ description: 'required here or as a multipart field' }),
  split: runOptionsSchema.shape.split,
  maxProblems: z.coerce.number().int().positive().optional(),
  concurrency: z.coerce.number().int().positive().max(1000).optional(),
  name: z.string().min(1).max(200).refine((v) => !v.includes('\0'), 'must not contain NUL bytes').optional().openapi({ description: 'a name for the samples (default: the file name or its hash)' }),
});

const eventsQuery = z.object({
  after: z.coerce.number().int().nonnegative().optional().openapi({ description: 'resume after this event id (as the Last-Event-ID header does)' }),
  follow: z.enum(['true', 'false', '1', '0']).default('true').openapi({ description: 'false: send the events so far and close' }),
});


/** A value as it travels in JSON (dates as ISO strings). */
/** The value as its JSON response carries it (dates become ISO strings). */
const jsonable = <T>(value: T): JSONParsed<T> => JSON.parse(JSON.stringify(value)) as JSONParsed<T>;

export function createApp(opts: AppOptions) {
  const { db, client } = opts;
  const auth: AuthConfig = opts.auth ?? { mode: 'tokens' };
  const log = opts.log ?? ((l: string) => console.error(l));
  const ctx: ServiceContext = { db, client };
  const uploadDir = opts.uploadDir ?? join(tmpdir(), 'egcfg-uploads');
  const namespace = opts.namespace ?? 'default';
  const stats = new RequestStats();
  const limits: ApiLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const folders = opts.folders ?? serverFolders(opts.dataDir ?? process.env.EGCFG_DATA_DIR ?? repoPath('.data'));
  const envPolicy = modelUrlPolicy();
  const urlPolicy = () => ({
    servers: opts.modelServers ?? envPolicy.servers, allowAny: opts.allowAnyModelUrl ?? envPolicy.allowAny,
    own: Object.values(opts.simulated?.running() ?? {}),
  });
  const streams = new StreamSlots(limits.sseStreamsPerToken, limits.sseStreamsTotal);
  opts.simulated?.setInUse?.(() => modelUrlsInUse(db));

  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http', scheme: 'bearer', description: 'A token from `egcfg tokens create` (or the egcfg_token cookie set by POST /login)',
  });

  app.onError((err, c) => errorResponse(err, c, log));
  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    stats.observe(c.req.routePath || c.req.path, c.req.method, c.res.status, (performance.now() - started) / 1000);
  });
  // Before any route reads the body: NUL in the URL (400), compressed bodies (415), oversized bodies (413).
  app.use('*', refuseHostileRequests);
  app.use('*', bodyLimits(limits));

  // ---- Authentication ----

  /** The token a request carries: the Authorization header, else the dashboard's cookie. */
  const presentedToken = (c: Context): { token: string; via: 'header' | 'cookie' } | null => {
    const header = c.req.header('authorization');
    if (header) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m) throw new ApiError(401, 'the Authorization header must be "Bearer <token>"', undefined, { 'www-authenticate': 'Bearer' });
      return { token: m[1]!, via: 'header' };
    }
    const cookie = getCookie(c, TOKEN_COOKIE);
    return cookie ? { token: cookie, via: 'cookie' } : null;
  };

  const requireToken: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (auth.mode === 'none') { c.set('tokenName', null); c.set('tokenId', null); return next(); }
    const presented = presentedToken(c);
    if (!presented) throw new ApiError(401, 'authentication required: send "Authorization: Bearer <token>" (egcfg tokens create)', undefined, { 'www-authenticate': 'Bearer' });
    const check = await verifyApiToken(db, presented.token);
    if (!check.ok) {
      if (check.reason === 'revoked') throw new ApiError(403, 'this token has been revoked');
      throw new ApiError(401, 'invalid token', undefined, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    if (presented.via === 'cookie' && c.req.method !== 'GET' && c.req.method !== 'HEAD' && !c.req.header(CSRF_HEADER)) {
      throw new ApiError(403, `cookie-authenticated ${c.req.method} requests must carry the ${CSRF_HEADER} header`);
    }
    c.set('tokenName', check.name);
    c.set('tokenId', check.id);
    void touchApiToken(db, check.id).catch(() => {});
    return next();
  };
  app.use('/campaigns', requireToken);
  app.use('/campaigns/*', requireToken);
  app.use('/evaluate', requireToken);
  app.use('/experiments', requireToken);
  app.use('/experiments/*', requireToken);

  // ---- Helpers ----

  const links = (id: string, workflowId: string | null): Record<string, string> => ({
    self: `/campaigns/${id}`, events: `/campaigns/${id}/events`, results: `/campaigns/${id}/results`, dashboard: `/ui/campaigns/${id}`,
    ...(opts.temporalUiUrl && workflowId
      ? { temporal: `${opts.temporalUiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}` }
      : {}),
  });

  // What only the workflow knows (problems in flight, paused, finishing) comes from its progress query; the counts
  // come from the database, which is authoritative and cheap. Queries run on the workers' workflow task slots, so
  // under load they are slow: one query per campaign at a time, its answer reused for LIVE_TTL_MS; a read waits at
  // most STALE_WAIT_MS for a fresh answer when a previous one can stand in, QUERY_WAIT_MS for a first one.
  const live = new Map<string, { at: number; value: CampaignProgress | null; inflight: Promise<void> | null }>();
  async function liveProgress(id: string): Promise<CampaignProgress | null> {
    let entry = live.get(id);
    if (!entry) { entry = { at: 0, value: null, inflight: null }; live.set(id, entry); }
    const e = entry;
    if (Date.now() - e.at > LIVE_TTL_MS && !e.inflight) {
      e.inflight = campaignProgress(ctx, id)
        .then((v) => { e.value = v; })
        .catch((err) => { log(`[api] progress query of ${id} failed: ${(err as Error).message}`); })
        .finally(() => { e.at = Date.now(); e.inflight = null; });
    }
    if (e.inflight) {
      // Wait for the answer on its way, briefly when a previous one can stand in.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([e.inflight, new Promise<void>((r) => { timer = setTimeout(r, e.value === null ? QUERY_WAIT_MS : STALE_WAIT_MS); })]);
      clearTimeout(timer);
    }
    return e.value;
  }
  /** After a signal, the next read asks the workflow again. */
  const invalidate = (id: string) => { const e = live.get(id); if (e) e.at = 0; };

  async function progressOf(campaign: Awaited<ReturnType<typeof getCampaign>>, passAt1: DatasetPassAt1[]): Promise<z.infer<typeof ProgressSchema>> {
    const mine = passAt1.filter((r) => r.protocol === 'default');
    // A BTP campaign's problems are scored by each iteration's evaluation campaign: its counts are the latest one's.
    const latest = campaign.method === 'btp' ? await latestIterationCounts(db, campaign.id) : null;
    const counts = latest ? { total: campaign.problemsTotal, ...latest } : {
      total: campaign.problemsTotal, done: mine.reduce((s, r) => s + r.problems, 0),
      passed: mine.reduce((s, r) => s + r.passed, 0), errors: mine.reduce((s, r) => s + r.errors, 0),
    };
    if (campaign.status === 'running' || campaign.status === 'created') {
      const p = await liveProgress(campaign.id);
      if (p) return { ...counts, running: p.running, paused: p.paused, state: p.state, source: 'workflow' };
    } else {
      live.delete(campaign.id);
    }
    const state = (['created', 'running', 'completed', 'cancelled', 'failed'] as const).find((s) => s === campaign.status) ?? 'running';
    return { ...counts, running: 0, paused: false, state, source: 'database' };
  }

  async function campaignDetail(id: string) {
    // Independent reads run side by side: a request costs one database round trip after authentication.
    const [campaign, passAt1] = await Promise.all([getCampaign(db, id), campaignPassAt1(db, id)]);
    const [progress, pins] = await Promise.all([progressOf(campaign, passAt1), campaignPins(db, id, campaign.datasetFiles)]);
    return { campaign: jsonable(campaign), progress, passAt1, pins, links: links(id, campaign.workflowId) };
  }

  /** Events after `afterId` in id order, each marked settled once it is older than EVENT_SETTLE_MS (database clock). */
  async function settledEvents(campaignId: string, afterId: number, limit: number) {
    return db.select({
      ...getTableColumns(events),
      settled: sql<boolean>`${events.createdAt} <= now() - make_interval(secs => ${EVENT_SETTLE_MS / 1000})`,
    }).from(events).where(and(eq(events.campaignId, campaignId), gt(events.id, afterId))).orderBy(asc(events.id)).limit(limit);
  }

  /** The SSE body of GET /campaigns/{id}/events (see its description). */
  async function sendEvents(stream: SSEStreamingApi, id: string, after: number, follow: boolean, aborted: () => boolean): Promise<void> {
    let lastId = after;
    let quietTerminalPolls = 0;
    let lastWrite = Date.now();
    while (!aborted()) {
      const campaign = await getCampaign(db, id);
      const batch = await settledEvents(id, lastId, 500);
      let held = false;
      for (const e of batch) {
        // Event ids come from a sequence: a later id can commit before an earlier one. Events younger than the
        // settle time wait for the next poll, so that a stream never skips an event a slower insert commits later.
        if (!e.settled && follow) { held = true; break; }
        const { settled: _settled, ...row } = e;
        await stream.writeSSE({ id: String(e.id), event: e.kind, data: JSON.stringify(jsonable(row)) });
        lastId = e.id;
        lastWrite = Date.now();
      }
      if (batch.length === 500 && !held) continue;
      if (!follow) break;
      // The status row is written just before its event: end only after a second quiet look at a finished campaign.
      if (terminalStatuses.has(campaign.status) && batch.length === 0) quietTerminalPolls++;
      else quietTerminalPolls = 0;
      if (quietTerminalPolls >= 2) break;
      if (Date.now() - lastWrite > 15_000) { await stream.write(': keep-alive\n\n'); lastWrite = Date.now(); }
      await stream.sleep(400);
    }
    if (!aborted()) await stream.writeSSE({ event: 'end', data: JSON.stringify({ campaignId: id, lastEventId: lastId }) });
  }

  async function modelFor(o: RunOptions): Promise<ModelSpec> {
    if (o.modelUrl) return { kind: 'openai', baseUrl: o.modelUrl, model: o.modelName, simulated: false };
    if (!opts.simulated) throw badRequest('modelUrl', 'required: this API server runs no simulated model server');
    return { kind: 'openai', baseUrl: await opts.simulated.urlFor(o.dataset, o.modelName), model: o.modelName, simulated: true };
  }

  const created = (c: Context, r: { campaignId: string; workflowId: string; problems: number }, model: ModelSpec) =>
    c.json({
      campaignId: r.campaignId, workflowId: r.workflowId, problems: r.problems, model: model.model,
      simulated: model.kind === 'openai' && model.simulated, links: links(r.campaignId, r.workflowId),
    }, 201, { location: `/campaigns/${r.campaignId}` });

  // ---- Campaigns ----

  app.openapi(createRoute({
    method: 'post', path: '/campaigns', tags: ['campaigns'], security: secured,
    summary: 'Start a campaign',
    description: 'Validates the options (modelUrl: one of the configured model servers; grid, workDir, baseModelDir: names resolved on the server), loads the problems, records the campaign and starts its Temporal workflow. A rejected request starts nothing and writes nothing.',
    request: { body: { required: true, content: { 'application/json': { schema: campaignBodySchema } } } },
    responses: {
      201: { description: 'Started', content: { 'application/json': { schema: CreatedSchema } } },
      503: { description: 'Every simulated model server this API may run is in use', content: json },
      ...errors,
    },
  }), async (c) => {
    // Everything is checked before anything starts: a rejected request starts no model server and writes no row.
    const o = apiRunOptions(c.req.valid('json'), folders, urlPolicy());
    await validateCampaign(o);
    const model = await modelFor(o);
    const r = await startCampaign(ctx, o, model);
    log(`[api] campaign ${r.campaignId} started by ${c.get('tokenName') ?? 'anonymous'}: ${o.dataset} ${o.method} ${r.problems} problems`);
    return created(c, r, model);
  }, (result, c) => {
    // A refused body: each issue names its field (a field of another method names that method). The refused input is
    // the result's `data` (@hono/zod-validator's Hook passes it; @hono/zod-openapi's type leaves it out).
    if (!result.success && result.target === 'json') {
      const issues = campaignBodyIssues(result.error, (result as { data?: unknown }).data);
      throw new ApiError(400, issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);
    }
    validationHook(result, c);
    return undefined;
  });

  app.openapi(createRoute({
    method: 'get', path: '/campaigns', tags: ['campaigns'], security: secured,
    summary: 'List campaigns', description: 'Newest first; filter by status, dataset and method; page with `limit` and `cursor` (= `nextCursor`).',
    request: { query: listQuery },
    responses: {
      200: { description: 'A page of campaigns', content: { 'application/json': { schema: z.object({ campaigns: z.array(CampaignSchema), nextCursor: z.string().nullable() }) } } },
      ...errors,
    },
  }), async (c) => {
    const q = c.req.valid('query');
    const page = await listCampaigns(db, { limit: q.limit, ...(q.status ? { status: q.status } : {}), ...(q.dataset ? { dataset: q.dataset } : {}),
      ...(q.method ? { method: q.method } : {}), ...(q.cursor ? { cursor: q.cursor } : {}) });
    return c.json(jsonable(page), 200);
  });

  app.openapi(createRoute({
    method: 'get', path: '/campaigns/{id}', tags: ['campaigns'], security: secured,
    summary: 'A campaign: status, live progress, pass@1 so far per dataset',
    request: { params: CampaignIdParam },
    responses: { 200: { description: 'The campaign', content: { 'application/json': { schema: CampaignDetailSchema } } }, ...errors },
  }), async (c) => c.json(await campaignDetail(c.req.valid('param').id), 200));

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    app.openapi(createRoute({
      method: 'post', path: `/campaigns/{id}/${action}`, tags: ['campaigns'], security: secured,
      summary: action === 'pause' ? 'Pause: no new problem starts; problems in flight finish'
        : action === 'resume' ? 'Resume a paused campaign' : 'Cancel: the campaign stops; finished results are kept',
      request: { params: CampaignIdParam },
      responses: {
        202: { description: 'Signal delivered', content: { 'application/json': { schema: z.object({ campaignId: z.string(), action: z.string() }) } } },
        409: { description: 'The campaign has already finished', content: json },
        ...errors,
      },
    }), async (c) => {
      const { id } = c.req.valid('param');
      const campaign = await getCampaign(db, id);
      if (terminalStatuses.has(campaign.status)) throw new ApiError(409, `campaign ${id} is ${campaign.status}; it cannot be ${action === 'cancel' ? 'cancelled' : `${action}d`}`);
      try {
        await signalCampaign(ctx, id, action, c.get('tokenName'));
        invalidate(id);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw new ApiError(409, `campaign ${id} has no running workflow (${err.message})`);
        throw err;
      }
      log(`[api] campaign ${id}: ${action} by ${c.get('tokenName') ?? 'anonymous'}`);
      return c.json({ campaignId: id, action }, 202);
    });
  }

  app.openapi(createRoute({
    method: 'get', path: '/campaigns/{id}/events', tags: ['campaigns'], security: secured,
    summary: 'The campaign event log as Server-Sent Events',
    description: 'Events in order (`id:` = the event id, `event:` = its kind, `data:` = the JSON row). Resumes after the '
      + '`Last-Event-ID` header (or `after`). With follow (the default) the stream stays open for new events and ends '
      + 'with `event: end` once the campaign has finished and every event was sent. A followed stream sends an event '
      + `once it is ${EVENT_SETTLE_MS} ms old, so that no event is skipped when inserts commit out of id order.`,
    request: { params: CampaignIdParam, query: eventsQuery },
    responses: {
      200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } },
      429: { description: 'Too many open event streams for this token (or on this server)', content: json },
      ...errors,
    },
  }), async (c) => {
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    await getCampaign(db, id);
    const header = c.req.header('last-event-id');
    let lastId = q.after ?? 0;
    if (header !== undefined && header !== '') {
      if (!/^\d+$/.test(header)) throw badRequest('Last-Event-ID', 'must be an event id (a non-negative integer)');
      lastId = Math.max(lastId, Number(header));
    }
    const follow = q.follow === 'true' || q.follow === '1';
    // A bounded number of open streams per token and in all (each polls the database): 429 beyond.
    const release = streams.acquire(c.get('tokenId') === null ? 'anonymous' : `token:${c.get('tokenId')}`);
    return streamSSE(c, async (stream) => {
      let aborted = false;
      stream.onAbort(() => { aborted = true; release(); });
      try {
        await sendEvents(stream, id, lastId, follow, () => aborted);
      } finally {
        release();
      }
    }, async (err, stream) => {
      release();
      log(`[api] event stream of ${id} failed: ${err.message}`);
      await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: 'the event stream failed; reconnect with Last-Event-ID' }) }).catch(() => {});
    });
  });

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
    request: { params: CampaignIdParam.extend({ taskId: z.string().min(1).openapi({ param: { name: 'taskId', in: 'path' }, example: '11' }) }) },
    responses: { 200: { description: 'The audit', content: { 'application/json': { schema: z.looseObject({ problem: z.looseObject({
      taskId: z.string(), contentHash: z.string().openapi({ description: 'The problem version this campaign ran (sha256 of its canonical JSON; `legacy:` for rows from before versioning)' }),
    }) }) } } }, ...errors },
  }), async (c) => {
    const { id, taskId } = c.req.valid('param');
    return c.json(jsonable(await problemAudit(db, id, taskId)), 200);
  });

  app.route('/', problemRoutes(db));
  app.route('/', btpRoutes(db));

  // ---- Evaluate an uploaded samples file ----

  app.openAPIRegistry.registerPath({
    method: 'post', path: '/evaluate', tags: ['campaigns'], security: secured,
    summary: 'Score an evalplus samples file (like `egcfg evaluate`)',
    description: 'The body is the samples file itself (JSON Lines `{"task_id", "solution"|"completion"}`, optionally gzip), '
      + 'with the dataset in the query; or multipart/form-data with a `file` field (and `dataset`, `split`, `maxProblems`, '
      + '`concurrency`, `name` as fields or query parameters). Starts a replay campaign and returns it.',
    request: {
      query: evaluateQuery,
      body: {
        required: true,
        content: {
          'application/x-ndjson': { schema: z.string() },
          'multipart/form-data': { schema: z.object({ file: z.string().openapi({ format: 'binary' }), dataset: z.enum(datasetNames).optional() }) },
        },
      },
    },
    responses: { 201: { description: 'Started', content: { 'application/json': { schema: CreatedSchema } } }, ...errors },
  });
  app.post('/evaluate', async (c) => {
    const contentType = c.req.header('content-type') ?? '';
    let fields: Record<string, string> = Object.fromEntries(Object.entries(c.req.query()));
    let bytes: Buffer;
    let fileName: string | undefined;
    if (contentType.startsWith('multipart/form-data')) {
      const form = await parseForm(c);
      const file = form.file;
      if (!(file instanceof File)) throw badRequest('file', 'a multipart field "file" with the samples file is required');
      bytes = Buffer.from(await file.arrayBuffer());
      fileName = file.name || undefined;
      for (const [k, v] of Object.entries(form)) if (typeof v === 'string') fields = { ...fields, [k]: v };
    } else {
      bytes = Buffer.from(await c.req.arrayBuffer());
    }
    const parsedQuery = evaluateQuery.safeParse(fields);
    if (!parsedQuery.success) {
      const issues = zodIssues(parsedQuery.error);
      throw new ApiError(400, issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);
    }
    const q = parsedQuery.data;
    if (!q.dataset) throw badRequest('dataset', `required (one of ${datasetNames.join(', ')})`);
    if (bytes.length === 0) throw badRequest('file', 'the samples file is empty');
    if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzipCapped(bytes, limits.decompressedBytes);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const label = q.name ?? fileName ?? `upload-${sha.slice(0, 12)}.jsonl`;
    const samples = parseReplaySamples(bytes.toString('utf8'), label); // 400 naming the bad line (ReplayFileError)
    if (samples.size === 0) throw badRequest('file', 'the samples file has no samples');
    samplesPerTask(samples, label); // several samples per task (pass@k) must be as many for every task: a 400 naming two
    const samplesFile = join(uploadDir, `${sha}.jsonl`);
    const o = parseRunOptions({
      dataset: q.dataset, method: 'baseline', modelName: `replay:${label}`, samplesFile,
      ...(q.split ? { split: q.split } : {}), ...(q.maxProblems ? { maxProblems: q.maxProblems } : {}),
      concurrency: q.concurrency ?? 16,
    });
    await validateCampaign(o);
    // Only a request that passed every check leaves a file behind.
    await mkdir(uploadDir, { recursive: true });
    await writeFile(samplesFile, bytes);
    const model: ModelSpec = { kind: 'replay', samplesFile, model: o.modelName };
    const r = await startCampaign(ctx, o, model);
    log(`[api] evaluate campaign ${r.campaignId}: ${samples.size} samples (${label}) on ${o.dataset}`);
    return created(c, r, model);
  });

  // ---- Operations ----

  app.openapi(createRoute({
    method: 'get', path: '/healthz', tags: ['operations'],
    summary: 'Health of Temporal, the database, the model servers and the sandbox (each ok or error)',
    responses: {
      200: { description: 'All ok', content: { 'application/json': { schema: z.looseObject({ status: z.enum(['ok', 'error']) }) } } },
      503: { description: 'Something is not ok', content: { 'application/json': { schema: z.looseObject({ status: z.enum(['ok', 'error']) }) } } },
    },
  }), async (c) => {
    const report = await healthReport({ db, client, ...(opts.simulated ? { simulated: opts.simulated } : {}), ...(opts.checks ? { checks: opts.checks } : {}) });
    return c.json(report, report.status === 'ok' ? 200 : 503);
  });

  app.openapi(createRoute({
    method: 'get', path: '/metrics', tags: ['operations'],
    summary: 'Prometheus metrics: campaigns by status, problems done, sandbox executions, model calls and tokens, API latency',
    responses: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: z.string() } } } },
  }), async (c) => c.text(await metricsText(db, stats), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }));

  const openApiDocument = () => app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'egcfg API',
      version: '0.1.0',
      description: 'Durable, auditable code-generation research campaigns (baseline sampling, EG-CFG execution-guided generation, the BTP fine-tuning cycle, replayed evaluations) on Temporal + Postgres + nsjail. '
        + 'Every route except /healthz, /metrics, /openapi.json and /docs needs a bearer token (`egcfg tokens create`).',
    },
  });
  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  app.get('/docs', (c) => c.html(renderDocs(openApiDocument() as unknown as Parameters<typeof renderDocs>[0])));

  // ---- Dashboard login (a cookie that holds the token; HttpOnly, SameSite=Strict) ----

  app.get('/login', (c) => c.html(loginPage(c.req.query('next'), c.req.query('error'))));
  app.post('/login', async (c) => {
    const form = await parseForm(c);
    const token = typeof form.token === 'string' ? form.token.trim() : '';
    const next = safeNext(typeof form.next === 'string' ? form.next : undefined);
    const check = token ? await verifyApiToken(db, token) : { ok: false as const, reason: 'invalid' as const };
    if (!check.ok) {
      const msg = check.reason === 'revoked' ? 'this token has been revoked' : 'invalid token';
      return c.html(loginPage(next, msg), check.reason === 'revoked' ? 403 : 401);
    }
    setCookie(c, TOKEN_COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/', secure: opts.secureCookies ?? false, maxAge: 30 * 24 * 3600 });
    return c.redirect(next, 303);
  });
  app.post('/logout', (c) => { deleteCookie(c, TOKEN_COOKIE, { path: '/' }); return c.redirect('/login', 303); });

  mountDashboard(app, {
    db, auth, ...(opts.temporalUiUrl ? { temporalUiUrl: opts.temporalUiUrl } : {}), namespace, simulatedAvailable: Boolean(opts.simulated),
    detail: campaignDetail,
  });

  return app;
}

export type App = ReturnType<typeof createApp>;

/**
 * Only same-origin paths after login: one leading '/', then no second '/' or '\\' (browsers read '/\\host' as
 * '//host'), no control characters or whitespace (a tab or newline inside '/\t/host' is dropped by the URL parser),
 * and the path must resolve to this origin.
 */
export function safeNext(next: string | undefined): string {
  if (!next || next.length > 2048 || !next.startsWith('/') || next[1] === '/' || next[1] === '\\') return '/ui';
  // eslint-disable-next-line no-control-regex -- matching control characters is the point of this check
  if (/[\u0000-\u0020\u007f\\]/.test(next)) return '/ui';
  try {
    const base = new URL('http://egcfg.invalid/');
    const u = new URL(next, base);
    if (u.origin !== base.origin) return '/ui';
    return `${u.pathname}${u.search}${u.hash}`;
  } catch {
    return '/ui';
  }
}

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

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]!));

function loginPage(next: string | undefined, error: string | undefined): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>egcfg · sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/static/dashboard.css"></head>
<body><main class="narrow"><h1>egcfg dashboard</h1>
<form method="post" action="/login" class="card" id="login-form">
<p>Paste an API token (create one with <code>npx egcfg tokens create --name me</code>).</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<label>Token <input type="password" name="token" id="token" autocomplete="off" required></label>
<input type="hidden" name="next" value="${escapeHtml(safeNext(next))}">
<button type="submit">Sign in</button></form>
<p class="muted"><a href="/docs">API reference</a> · <a href="/healthz">health</a></p></main></body></html>`;
}

export { escapeHtml };
export type { Issue };
