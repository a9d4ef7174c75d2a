// What a workflow's histories hold, over its chain of runs (from the latest back to the first through continue-as-new):
// the events, the encoded bytes (the protobuf History, as the server stores and sends it), and every array of numbers
// in a JSON payload of any event (inputs, activity inputs and results, child inputs, continue-as-new inputs): the test
// of issue 16 looks there for a list of all of a campaign's problem ids.
import type { Client, WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

export interface HistoryStats {
  runs: number;
  events: number;
  bytes: number;
  /** The largest history of one run, bytes. */
  maxRunBytes: number;
  /** Every array of numbers found in a payload, in event order. */
  numberArrays: number[][];
}

/** The arrays of numbers anywhere in a decoded JSON value. */
function numberArrays(v: unknown, out: number[][]): void {
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every((x) => typeof x === 'number')) out.push(v);
    else for (const x of v) numberArrays(x, out);
  } else if (v && typeof v === 'object') {
    for (const x of Object.values(v)) numberArrays(x, out);
  }
}

/** Each payload (an object with `data` bytes) under a history value, decoded as JSON where it is JSON. */
function payloadValues(v: unknown, out: unknown[]): void {
  if (Array.isArray(v)) for (const x of v) payloadValues(x, out);
  else if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') {
      try { out.push(JSON.parse(Buffer.from(o.data).toString('utf8'))); } catch { /* not JSON */ }
      return;
    }
    for (const x of Object.values(o)) payloadValues(x, out);
  }
}

export async function historyStats(client: Client, workflowId: string): Promise<HistoryStats> {
  const stats: HistoryStats = { runs: 0, events: 0, bytes: 0, maxRunBytes: 0, numberArrays: [] };
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    const h: History = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const bytes = proto.temporal.api.history.v1.History.encode(h).finish().length;
    stats.runs++;
    stats.events += h.events?.length ?? 0;
    stats.bytes += bytes;
    stats.maxRunBytes = Math.max(stats.maxRunBytes, bytes);
    const values: unknown[] = [];
    payloadValues(h.events ?? [], values);
    for (const v of values) numberArrays(v, stats.numberArrays);
    runId = h.events![0]!.workflowExecutionStartedEventAttributes!.continuedExecutionRunId ?? undefined;
  }
  return stats;
}

/** Whether `arrays` hold one that contains every id of `ids`. */
export const holdsAll = (arrays: readonly number[][], ids: readonly number[]): boolean =>
  arrays.some((a) => { const set = new Set(a); return ids.every((id) => set.has(id)); });
