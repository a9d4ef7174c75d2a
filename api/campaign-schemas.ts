// The response schemas the campaign routes share (POST /campaigns and POST /evaluate answer the same CreatedCampaign;
// GET /campaigns and GET /campaigns/{id} the same Campaign), and `jsonable`, the value as its JSON response carries it.
import { z } from '@hono/zod-openapi';
import type { JSONParsed } from 'hono/utils/types';
import { DatasetFileSchema } from '../core/datasets/pins.ts';

export const ProgressSchema = z.object({
  total: z.number().int(), done: z.number().int(), passed: z.number().int(), errors: z.number().int(),
  running: z.number().int(), paused: z.boolean(),
  state: z.enum(['created', 'running', 'paused', 'finishing', 'completed', 'cancelled', 'failed']),
  source: z.enum(['workflow', 'database']),
}).openapi('Progress');
export type Progress = z.infer<typeof ProgressSchema>;

export const PassAt1Schema = z.object({
  dataset: z.string(), protocol: z.string(), problems: z.number().int(), passed: z.number().int(), errors: z.number().int(),
  passAt1: z.number().nullable(),
}).openapi('PassAt1');

export const CampaignSchema = z.looseObject({
  id: z.string(), method: z.string(), dataset: z.string(), model: z.string(), simulated: z.boolean(), status: z.string(),
  problemsTotal: z.number().int(), workflowId: z.string().nullable(), createdAt: z.string(), finishedAt: z.string().nullable(),
  config: z.record(z.string(), z.unknown()),
}).openapi('Campaign');

const PinsSchema = z.object({
  // The array is made here, with the z that @hono/zod-openapi extended: a schema built in core/ before that module was
  // first loaded (a test that imports core/ before api/) has no .openapi.
  datasetFiles: z.array(DatasetFileSchema).openapi({ description: 'The files its problems were read from, with their sha256' }),
  problems: z.object({ eval: z.number().int(), train: z.number().int() }).openapi({ description: 'Problem versions pinned, per role' }),
  problemSetHash: z.string().nullable().openapi({ description: 'sha256 over the evaluation problems\' content hashes, in order (one per line)' }),
}).openapi('CampaignPins');

export const CampaignDetailSchema = z.looseObject({
  campaign: CampaignSchema, progress: ProgressSchema, passAt1: z.array(PassAt1Schema),
  pins: PinsSchema,
  links: z.record(z.string(), z.string()),
}).openapi('CampaignDetail');

export const CreatedSchema = z.object({
  campaignId: z.string(), workflowId: z.string(), problems: z.number().int(), simulated: z.boolean(), model: z.string(),
  links: z.record(z.string(), z.string()),
}).openapi('CreatedCampaign');

/** The value as its JSON response carries it (dates become ISO strings). */
export const jsonable = <T>(value: T): JSONParsed<T> => JSON.parse(JSON.stringify(value)) as JSONParsed<T>;

/** Campaign statuses after which nothing changes (no signal applies; an event stream ends). */
export const terminalStatuses = new Set(['completed', 'cancelled', 'failed']);
