// POST /evaluate: score an uploaded evalplus samples file as a replay campaign, as a Hono sub-app that ./app.ts
// mounts with app.route (its authentication and body-limit middleware run first; errors go to its onError).
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { parseReplaySamples, samplesPerTask } from '../activities/model/replay.ts';
import { datasetNames, parseRunOptions, runOptionsSchema } from '../campaigns/options.ts';
import { startCampaign } from '../campaigns/service.ts';
import { validateCampaign } from '../campaigns/validate.ts';
import type { ModelSpec } from '../core/contracts.ts';
import type { AppEnv } from './app-env.ts';
import type { ApiDeps } from './app-options.ts';
import type { CampaignReads } from './campaign-reads.ts';
import { CreatedSchema } from './campaign-schemas.ts';
import { ApiError, badRequest, issuesMessage, parseForm, zodIssues } from './errors.ts';
import { gunzipCapped } from './limits.ts';
import { errorResponses as errors, secured, validationHook } from './openapi-common.ts';

const evaluateQuery = z.object({
  dataset: z.enum(datasetNames).optional().openapi({ description: 'required here or as a multipart field' }),
  split: runOptionsSchema.shape.split,
  maxProblems: z.coerce.number().int().positive().optional(),
  concurrency: z.coerce.number().int().positive().max(1000).optional(),
  name: z.string().min(1).max(200).refine((v) => !v.includes('\0'), 'must not contain NUL bytes').optional().openapi({ description: 'a name for the samples (default: the file name or its hash)' }),
});

/** The uploaded bytes, their file name, and the fields (query parameters, overridden by multipart fields). */
async function readUpload(c: Context): Promise<{ bytes: Buffer; fileName: string | undefined; fields: Record<string, string> }> {
  let fields: Record<string, string> = Object.fromEntries(Object.entries(c.req.query()));
  if (!(c.req.header('content-type') ?? '').startsWith('multipart/form-data')) {
    return { bytes: Buffer.from(await c.req.arrayBuffer()), fileName: undefined, fields };
  }
  const form = await parseForm(c);
  const file = form.file;
  if (!(file instanceof File)) throw badRequest('file', 'a multipart field "file" with the samples file is required');
  for (const [k, v] of Object.entries(form)) if (typeof v === 'string') fields = { ...fields, [k]: v };
  return { bytes: Buffer.from(await file.arrayBuffer()), fileName: file.name || undefined, fields };
}

export function evaluateRoute(deps: ApiDeps, reads: CampaignReads): OpenAPIHono<AppEnv> {
  const { ctx, log, limits, uploadDir } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

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
    const upload = await readUpload(c);
    let { bytes } = upload;
    const parsedQuery = evaluateQuery.safeParse(upload.fields);
    if (!parsedQuery.success) {
      const issues = zodIssues(parsedQuery.error);
      throw new ApiError(400, issuesMessage(issues), issues);
    }
    const q = parsedQuery.data;
    if (!q.dataset) throw badRequest('dataset', `required (one of ${datasetNames.join(', ')})`);
    if (bytes.length === 0) throw badRequest('file', 'the samples file is empty');
    if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzipCapped(bytes, limits.decompressedBytes);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const label = q.name ?? upload.fileName ?? `upload-${sha.slice(0, 12)}.jsonl`;
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
    return reads.created(c, r, model);
  });

  return app;
}
