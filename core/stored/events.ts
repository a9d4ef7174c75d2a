// events.payload as stored, by the row's kind: one zod schema per kind the platform writes, chosen by the `kind`
// column (a discriminated union over two columns). The writers are typed to their kind's payload (EventPayloadOf)
// and every read goes through eventPayloadOf, so a row whose payload is not its kind's fails naming the row. A kind
// this code does not write (an older row's) is read as the object it is.
import { z } from 'zod';
import { campaignLaunchSchema } from './experiment-launch.ts';
import { parseStored } from './parse.ts';

/** What one iteration's buffer update did; stored (with the iteration) as the payload of its 'btp:buffer:<it>' event. */
export const BufferUpdateOutcomeSchema = z.object({
  candidates: z.number(),
  added: z.number(),
  replaced: z.number(),
  duplicates: z.number(),
  rejected: z.number(),
  evicted: z.number(),
  skippedEmpty: z.number(),
  size: z.number(),
  meanPassRate: z.number(),
  meanP2value: z.number(),
});
export type BufferUpdateOutcome = z.infer<typeof BufferUpdateOutcomeSchema>;

const int = z.number().int();

/**
 * Each kind's payload, as its writer writes it. Loose: an older row's extra facts are kept as written (and the read
 * models show the payload as stored). Optional fields: absent from some writers' rows (taskId when the problem row
 * was not found; the baseline's model_retry has taskId, EG-CFG's the generation).
 */
export const eventPayloadSchemas = {
  /** activities/store.ts recordResult, with its result row. */
  problem_finished: z.looseObject({ problemId: int, taskId: z.string().optional(), protocol: z.string(), passed: z.boolean(), status: z.string() }),
  /** activities/store.ts markCampaign; activities/btp/evaluation.ts adds the BTP campaign's pass@1. */
  campaign_status: z.looseObject({ status: z.string(), passAt1: z.number().nullable().optional() }),
  /** campaigns/service.ts signalCampaign. */
  campaign_control: z.looseObject({ action: z.string(), by: z.string().nullable().optional() }),
  /** campaigns/start-workflow.ts, campaigns/experiment-activities.ts. */
  campaign_failed: z.looseObject({ reason: z.string(), error: z.string().optional() }),
  /** activities/baseline.ts (taskId), activities/egcfg/step-store.ts (generationId). */
  model_retry: z.looseObject({ problemId: int, taskId: z.string().optional(), generationId: int.optional(), attempt: int, error: z.string() }),
  /** activities/baseline.ts: the model server was unreachable, the activity retries. */
  model_unavailable: z.looseObject({ problemId: int, taskId: z.string(), error: z.string() }),
  /** activities/btp/evaluation.ts. */
  btp_iteration: z.looseObject({ iteration: int, passAt1: z.number(), model: z.string() }),
  /** activities/btp/train.ts. */
  btp_training_retry: z.looseObject({ iteration: int, attempt: int, reapedPid: int.nullable(), lastStep: int }),
  /** activities/btp/update-buffer.ts: the marker a retried update returns. */
  btp_buffer: BufferUpdateOutcomeSchema.extend({ iteration: int }).loose(),
  /** activities/btp/adapter.ts: a vLLM server's load, or a llama.cpp server started with the adapter (gguf, engine, pid). */
  btp_adapter_registered: z.looseObject({
    iteration: int, adapter: z.string(), path: z.string(), gguf: z.string().optional(), server: z.string(), engine: z.string().optional(),
    pid: int.optional(), alreadyLoaded: z.boolean(),
  }),
  /** campaigns/experiment-activities.ts: the launch a retried prepare replays. */
  experiment_campaign_prepared: campaignLaunchSchema,
} as const;

export type EventKind = keyof typeof eventPayloadSchemas;
export type EventPayloadOf<K extends EventKind> = z.infer<(typeof eventPayloadSchemas)[K]>;
/** events.payload: a known kind's payload, or an older kind's object as written. */
export type EventPayload = { [K in EventKind]: EventPayloadOf<K> }[EventKind] | Record<string, unknown>;

const otherKindSchema = z.record(z.string(), z.unknown());

const isKnownKind = (kind: string): kind is EventKind => Object.hasOwn(eventPayloadSchemas, kind);

/** The payload of an events row, validated by its kind; throws StoredShapeError naming the row and the bad fields. */
export function eventPayloadOf(row: { id: number; kind: string; payload: unknown }): EventPayload {
  const schema: z.ZodType<EventPayload> = isKnownKind(row.kind) ? eventPayloadSchemas[row.kind] : otherKindSchema;
  return parseStored(schema, row.payload, { table: 'events', column: `payload (kind ${row.kind})`, id: row.id });
}


/** An events row with its payload validated by its kind. */
export function eventOfRow<R extends { id: number; kind: string; payload: unknown }>(row: R): R & { payload: EventPayload } {
  return { ...row, payload: eventPayloadOf(row) };
}
