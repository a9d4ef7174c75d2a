// The campaign routes: start (POST /campaigns), list, read one, and pause / resume / cancel, as a Hono sub-app that
// ./app.ts mounts with app.route (its authentication middleware on /campaigns* runs first; errors go to its onError).
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { WorkflowNotFoundError } from '@temporalio/client';
import { datasetNames, methods, type RunOptions } from '../campaigns/options.ts';
import { getCampaign, listCampaigns, signalCampaign, startCampaign } from '../campaigns/service.ts';
import { validateCampaign } from '../campaigns/validate.ts';
import type { ModelSpec } from '../core/contracts.ts';
import type { AppEnv } from './app-env.ts';
import type { ApiDeps } from './app-options.ts';
import { apiRunOptions, campaignBodyIssues, campaignBodySchema } from './campaign-input.ts';
import type { CampaignReads } from './campaign-reads.ts';
import { CampaignDetailSchema, CampaignSchema, CreatedSchema, jsonable, terminalStatuses } from './campaign-schemas.ts';
import { ApiError, badRequest, issuesMessage } from './errors.ts';
import { CampaignIdParam, errorContent as json, errorResponses as errors, secured, validationHook } from './openapi-common.ts';

const listQuery = z.object({
  status: z.string().min(1).optional().openapi({ description: 'created | running | completed | cancelled | failed' }),
  dataset: z.enum(datasetNames).optional(),
  method: z.enum(methods).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).optional().openapi({ description: 'nextCursor of the previous page' }),
});

const actionSummary = {
  pause: 'Pause: no new problem starts; problems in flight finish',
  resume: 'Resume a paused campaign',
  cancel: 'Cancel: the campaign stops; finished results are kept',
} as const;

export function campaignRoutes(deps: ApiDeps, reads: CampaignReads): OpenAPIHono<AppEnv> {
  const { db, ctx, log, opts } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  async function modelFor(o: RunOptions): Promise<ModelSpec> {
    if (o.modelUrl) return { kind: 'openai', baseUrl: o.modelUrl, model: o.modelName, simulated: false };
    if (!opts.simulated) throw badRequest('modelUrl', 'required: this API server runs no simulated model server');
    return { kind: 'openai', baseUrl: await opts.simulated.urlFor(o.dataset, o.modelName), model: o.modelName, simulated: true };
  }

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
    const o = apiRunOptions(c.req.valid('json'), deps.folders, deps.urlPolicy());
    await validateCampaign(o);
    const model = await modelFor(o);
    const r = await startCampaign(ctx, o, model);
    log(`[api] campaign ${r.campaignId} started by ${c.get('tokenName') ?? 'anonymous'}: ${o.dataset} ${o.method} ${r.problems} problems`);
    return reads.created(c, r, model);
  }, (result, c) => {
    // A refused body: each issue names its field (a field of another method names that method). The refused input is
    // the result's `data` (@hono/zod-validator's Hook passes it; @hono/zod-openapi's type leaves it out).
    if (!result.success && result.target === 'json') {
      const issues = campaignBodyIssues(result.error, 'data' in result ? result.data : undefined);
      throw new ApiError(400, issuesMessage(issues), issues);
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
  }), async (c) => c.json(await reads.detail(c.req.valid('param').id), 200));

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    app.openapi(createRoute({
      method: 'post', path: `/campaigns/{id}/${action}`, tags: ['campaigns'], security: secured,
      summary: actionSummary[action],
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
        reads.invalidate(id);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw new ApiError(409, `campaign ${id} has no running workflow (${err.message})`);
        throw err;
      }
      log(`[api] campaign ${id}: ${action} by ${c.get('tokenName') ?? 'anonymous'}`);
      return c.json({ campaignId: id, action }, 202);
    });
  }

  return app;
}
