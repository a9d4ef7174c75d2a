// Per-problem routes under /campaigns/{id}/problems, as a Hono sub-app that ./app.ts mounts with app.route (the
// authentication middleware of /campaigns/* runs first; errors go to the parent's onError).
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import type { Database } from '../db/client.ts';
import type { AppEnv } from './app-env.ts';
import { errorResponses, secured, TaskIdParam, validationHook } from './openapi-common.ts';
import { problemSteps, ProblemStepsSchema } from './problem-steps.ts';

export function problemRoutes(db: Database): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(createRoute({
    method: 'get', path: '/campaigns/{id}/problems/{taskId}/steps', tags: ['results'], security: secured,
    summary: 'An EG-CFG problem line by line: per agent and γ, each line\'s code so far, candidates, traces, signal, tokens with both top-k lists, cost',
    description: 'What the problem viewer (/ui/campaigns/{id}/problems/{taskId}) shows, as JSON. `generations` is in grid order, '
      + 'then γ, then try; each has its `lines` (one per decoded line; the steps with that line index: candidate sampling, '
      + 'make_executable, the traced runs and the signal, the line itself). A token\'s `uncond`/`cond` are the top-k lists of '
      + 'the unconditional and conditional (signal in the prompt) calls; `changed` marks where guidance changed the argmax. '
      + 'A baseline campaign\'s problem has no generations. Task ids with a slash are URL-encoded (`HumanEval%2F0`).',
    request: { params: TaskIdParam },
    responses: { 200: { description: 'The generations, line by line', content: { 'application/json': { schema: ProblemStepsSchema } } }, ...errorResponses },
  }), async (c) => {
    const { id, taskId } = c.req.valid('param');
    return c.json(await problemSteps(db, id, taskId), 200);
  });

  return app;
}
