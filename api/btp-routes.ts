// BTP and experiment routes, as a Hono sub-app that ./app.ts mounts with app.route (the authentication middleware of
// /campaigns/* and /experiments* runs first; errors go to the parent's onError): what the dashboard's BTP sections,
// beams page and experiment pages show, as JSON.
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { getCampaign } from '../campaigns/service.ts';
import type { Database } from '../db/client.ts';
import type { AppEnv } from './app-env.ts';
import { beamsPage, BeamsPageSchema, BeamsQuerySchema, btpOverview, BtpOverviewSchema } from './btp-views.ts';
import { experimentNames, ExperimentSummarySchema, experimentView, ExperimentViewSchema } from './compare-views.ts';
import { ApiError } from './errors.ts';
import { CampaignIdParam, errorResponses, secured, validationHook } from './openapi-common.ts';

export function btpRoutes(db: Database): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(createRoute({
    method: 'get', path: '/campaigns/{id}/btp', tags: ['results'], security: secured,
    summary: 'A BTP campaign: pass@1 and the adapter served per iteration, training runs with their loss per step, the buffer, the training sets drawn',
    description: '`iterations`: iteration 0 evaluates the base target model, iteration i the LoRA adapter trained in it (`adapter`: its served name '
      + 'and folder; `evalCampaignId`: the baseline campaign that evaluated it). `trainingRuns[].losses`: the trainer\'s loss per optimizer step '
      + '(empty until the run finished; `lastStep`/`lastLoss` while it runs). `buffer.histogram`: P2Value in ten equal bins over [0, 1]. '
      + '`trainingSets[].entries`: the buffer entries drawn (with replacement) and how often. Other methods answer with empty lists.',
    request: { params: CampaignIdParam },
    responses: { 200: { description: 'The BTP read models', content: { 'application/json': { schema: BtpOverviewSchema } } }, ...errorResponses },
  }), async (c) => {
    const { id } = c.req.valid('param');
    await getCampaign(db, id);
    return c.json(await btpOverview(db, id), 200);
  });

  app.openapi(createRoute({
    method: 'get', path: '/campaigns/{id}/btp/beams', tags: ['results'], security: secured,
    summary: 'A BTP campaign\'s beams per problem for one iteration: pass rate, tests, possibility, P2Value, the candidate',
    description: 'Problems in dataset order, `per` a page (default 20); `iteration` defaults to the latest with beams.',
    request: { params: CampaignIdParam, query: BeamsQuerySchema },
    responses: { 200: { description: 'A page of problems with their beams', content: { 'application/json': { schema: BeamsPageSchema } } }, ...errorResponses },
  }), async (c) => {
    const { id } = c.req.valid('param');
    await getCampaign(db, id);
    return c.json(await beamsPage(db, id, c.req.valid('query')), 200);
  });

  app.openapi(createRoute({
    method: 'get', path: '/experiments', tags: ['results'], security: secured,
    summary: 'The experiments (`egcfg experiment`) whose campaigns are in this database, newest first',
    responses: { 200: { description: 'Experiment names', content: { 'application/json': { schema: z.object({ experiments: z.array(ExperimentSummarySchema) }) } } }, ...errorResponses },
  }), async (c) => c.json({ experiments: await experimentNames(db) }, 200));

  app.openapi(createRoute({
    method: 'get', path: '/experiments/{name}', tags: ['results'], security: secured,
    summary: 'One experiment: its campaigns and variants, the step3 bars, the step4 curves, the pass@1-per-iteration curves',
    request: { params: z.object({ name: z.string().min(1).max(200).openapi({ param: { name: 'name', in: 'path' }, example: 'btp-all-quick' }) }) },
    responses: { 200: { description: 'The experiment', content: { 'application/json': { schema: ExperimentViewSchema } } }, ...errorResponses },
  }), async (c) => {
    const { name } = c.req.valid('param');
    const view = await experimentView(db, name);
    if (!view) throw new ApiError(404, `no campaign belongs to an experiment named '${name}'`);
    return c.json(view, 200);
  });

  return app;
}
