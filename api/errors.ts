// Errors the API answers with, always as JSON `{ error, issues? }`: a client mistake never becomes a 500.
import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { ReplayFileError } from '../activities/model/replay.ts';
import { OptionsError } from '../campaigns/options.ts';
import { UnknownCampaignError, UnknownProblemError } from '../campaigns/service.ts';
import { TrainEvalLeakError } from '../core/btp/index.ts';
import { DatasetFormatError, DatasetSelectionError } from '../core/datasets/index.ts';
import { SimulatedCapacityError } from './simulated-models.ts';

export interface Issue { field: string; message: string }

export class ApiError extends Error {
  constructor(readonly status: ContentfulStatusCode, message: string, readonly issues?: Issue[], readonly headers?: Record<string, string>) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (field: string, message: string): ApiError =>
  new ApiError(400, `${field}: ${message}`, [{ field, message }]);

/** zod issues as `{ field, message }`, with unknown keys named one by one. */
export function zodIssues(error: ZodError, prefix = ''): Issue[] {
  const out: Issue[] = [];
  for (const i of error.issues) {
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
    if (i.code === 'unrecognized_keys') {
      for (const key of i.keys) out.push({ field: [path, key].filter(Boolean).join('.'), message: 'unknown field' });
    } else {
      out.push({ field: path || '(body)', message: i.message });
    }
  }
  return out;
}

export const issuesMessage = (issues: Issue[]): string => issues.map((i) => `${i.field}: ${i.message}`).join('; ');

/** A form body (multipart or urlencoded); a malformed one (e.g. multipart without a boundary) is a 400, not a 500. */
export async function parseForm(c: Context): Promise<Record<string, string | File | (string | File)[]>> {
  try {
    return await c.req.parseBody();
  } catch (err) {
    throw badRequest('(body)', `malformed form body (${c.req.header('content-type') ?? 'no content-type'}): ${(err as Error).message}`);
  }
}

/** Map any thrown error to a JSON response. */
export function errorResponse(err: unknown, c: Context, log: (msg: string) => void): Response {
  if (err instanceof ApiError) {
    return c.json({ error: err.message, ...(err.issues ? { issues: err.issues } : {}) }, err.status, err.headers);
  }
  if (err instanceof UnknownCampaignError || err instanceof UnknownProblemError) return c.json({ error: err.message }, 404);
  if (err instanceof OptionsError) return c.json({ error: err.message, issues: err.issues }, 400);
  if (err instanceof ReplayFileError) {
    return c.json({ error: err.message, issues: [{ field: err.line > 0 ? `file:${err.line}` : 'file', message: err.message }] }, 400);
  }
  // The requested training and evaluation splits overlap (e.g. `split: "all"` with BTP): the body is at fault.
  if (err instanceof TrainEvalLeakError) return c.json({ error: err.message, issues: [{ field: 'trainSplits', message: err.message }] }, 400);
  if (err instanceof DatasetSelectionError) return c.json({ error: err.message, issues: [{ field: err.field, message: err.message }] }, 400);
  if (err instanceof DatasetFormatError) return c.json({ error: err.message, issues: [{ field: err.field ?? 'dataset', message: err.message }] }, 400);
  if (err instanceof SimulatedCapacityError) return c.json({ error: err.message }, 503, { 'retry-after': '30' });
  if (err instanceof HTTPException) {
    // A refusal that carries its own response (bearerAuth's, see ./auth.ts) is answered with it.
    if (err.res) return err.getResponse();
    const status = err.status;
    const message = err.message || (status === 400 ? 'bad request' : `HTTP ${status}`);
    const field = /JSON/i.test(message) ? '(body)' : undefined;
    return c.json({ error: message, ...(field ? { issues: [{ field, message }] } : {}) }, status);
  }
  // Anything else (a database error, a bug) is logged with an id; the body carries only the id: never SQL, a query's
  // parameters, a stack or a path.
  const id = randomUUID().slice(0, 8);
  log(`[api] error ${id}: ${c.req.method} ${c.req.path} failed: ${(err as Error)?.stack ?? String(err)}`);
  return c.json({ error: `internal error (id ${id}; the server log has the details)`, id }, 500);
}
