// Pieces of the OpenAPI document shared by the route modules (./app.ts and its sub-apps): the error body, the
// standard error responses, the bearer-token requirement and the campaign id path parameter.
import { z, type Hook } from '@hono/zod-openapi';
import { ApiError, zodIssues } from './errors.ts';

export const ErrorSchema = z.object({
  error: z.string(),
  issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
}).openapi('Error');

export const CampaignIdParam = z.object({ id: z.string().min(1).openapi({ param: { name: 'id', in: 'path' }, example: '20261129-101500-a1b2c3' }) });
export const TaskIdParam = CampaignIdParam.extend({ taskId: z.string().min(1).openapi({ param: { name: 'taskId', in: 'path' }, example: '11' }) });

export const errorContent = { 'application/json': { schema: ErrorSchema } } as const;
export const errorResponses = {
  400: { description: 'Bad request: `issues` names each field', content: errorContent },
  401: { description: 'Missing or invalid bearer token', content: errorContent },
  403: { description: 'Revoked token', content: errorContent },
  404: { description: 'Unknown campaign or problem', content: errorContent },
  413: { description: 'The request body (or the decompressed upload) is larger than the limit', content: errorContent },
  415: { description: 'A compressed request body (Content-Encoding): send it as it is', content: errorContent },
} as const;
export const secured = [{ bearerAuth: [] }];

/** Every route module's defaultHook: a request that fails validation is a 400 naming each field (path., query.). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the hook serves every route module, whatever its environment
export const validationHook: Hook<any, any, any, any> = (result) => {
  if (!result.success) {
    const where = result.target === 'json' ? '' : result.target === 'param' ? 'path' : result.target;
    const issues = zodIssues(result.error, where === 'query' || where === 'path' ? where : '');
    throw new ApiError(400, issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);
  }
};
