// What the BTP activities share: the problem and buffer loaders, the events marker writer, the activity's cancellation
// signal and the model-server guard.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { asc, eq } from 'drizzle-orm';
import { ExperienceBuffer, type BufferSnapshot } from '../../core/btp/index.ts';
import type { ModelSpec } from '../../core/contracts.ts';
import type { EventKind, EventPayloadOf } from '../../core/stored/events.ts';
import type { Problem } from '../../core/datasets/index.ts';
import { pgJson } from '../../core/pg-text.ts';
import type { Database } from '../../db/client.ts';
import { bufferEntries, events, problems } from '../../db/schema/index.ts';
import { problemOfRow } from '../problem-row.ts';

/** Rows per set-based statement. */
export const CHUNK = 500;

/** The running activity's cancellation signal (undefined outside an activity). */
export function cancellationSignal(): AbortSignal | undefined {
  try { return Context.current().cancellationSignal; } catch { return undefined; }
}

export function openaiSpec(spec: ModelSpec, what: string): Extract<ModelSpec, { kind: 'openai' }> {
  if (spec.kind !== 'openai') throw ApplicationFailure.nonRetryable(`BTP ${what} needs a model server (vLLM or the simulated one), not a samples file`);
  return spec;
}

export async function loadProblem(db: Database, problemId: number): Promise<{ taskId: string; problem: Problem }> {
  const [row] = await db.select().from(problems).where(eq(problems.id, problemId));
  if (!row) throw ApplicationFailure.nonRetryable(`unknown problem id ${problemId}`);
  return { taskId: row.taskId, problem: problemOfRow(row.problem, problemId) };
}

/** An events row under its natural key (a retry writes nothing new). */
export async function appendEvent<K extends EventKind>(db: Database, campaignId: string, key: string, kind: K, payload: EventPayloadOf<K>): Promise<void> {
  await db.insert(events).values({ campaignId, key, kind, payload: pgJson(payload) }).onConflictDoNothing();
}

/** The buffer of a campaign as an ExperienceBuffer (rows in seq order). */
export async function loadBuffer(db: Database, campaignId: string, capacity: number, eviction: 'lowest-p2value' | 'oldest') {
  const rows = await db.select().from(bufferEntries).where(eq(bufferEntries.campaignId, campaignId)).orderBy(asc(bufferEntries.seq));
  const snapshot: BufferSnapshot = {
    version: 1,
    config: { capacity, eviction },
    nextSeq: rows.length ? Math.max(...rows.map((r) => r.seq)) + 1 : 0,
    entries: rows.map((r) => ({
      problemId: r.problemId, code: r.code, possibility: r.possibility, passRate: r.passRate, p2value: r.p2value,
      sourceModel: r.sourceModel, iteration: r.iteration, codeHash: r.codeHash, key: `${r.problemId}:${r.codeHash}`, seq: r.seq,
    })),
  };
  return { buffer: ExperienceBuffer.restore(snapshot), rows };
}
