// (3)+(4) P2Value of every candidate of the iteration, then the experience buffer: dedupe by (problem, normalised
// code), capacity and eviction by core/btp ExperienceBuffer, applied to the buffer_entries rows in one transaction.
// Done once per iteration: the events marker 'btp:buffer:<it>' holds the outcome, which a retry returns.
import { ApplicationFailure } from '@temporalio/common';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { p2value as p2valueOf, type ExperienceBuffer } from '../../core/btp/index.ts';
import type { Database } from '../../db/client.ts';
import { beams, bufferEntries, events } from '../../db/schema/index.ts';
import { CHUNK, loadBuffer } from './shared.ts';
import { eventPayloadSchemas } from '../../core/stored/events.ts';
import { storedOfRow } from '../stored-row.ts';
import type { BufferUpdateOutcome, UpdateBufferInput } from './types.ts';

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];
type BeamRow = typeof beams.$inferSelect;
type BufferRow = typeof bufferEntries.$inferSelect;

/**
 * The outcome a finished update stored in its marker's payload, as it was stored (its `iteration` too); validated: a
 * malformed row fails the activity for good (no retry can change it), naming the row.
 */
function recordedOutcome(row: { id: number; kind: string; payload: unknown }, marker: string): BufferUpdateOutcome {
  if (row.kind !== 'btp_buffer') throw ApplicationFailure.nonRetryable(`events row ${row.id} (${marker}) is a ${row.kind} event, not btp_buffer`, 'StoredShapeError');
  return storedOfRow(eventPayloadSchemas.btp_buffer, row.payload, { table: 'events', column: 'payload', id: row.id });
}

/** P2Value of each beam and its offer to the buffer: the counts, the changed p2values, and which beam each new entry came from. */
function offerBeams(rows: BeamRow[], buffer: ExperienceBuffer, input: UpdateBufferInput) {
  const beamIdByKey = new Map<string, number>();
  const o: BufferUpdateOutcome = { candidates: rows.length, added: 0, replaced: 0, duplicates: 0, rejected: 0, evicted: 0, skippedEmpty: 0, size: 0, meanPassRate: 0, meanP2value: 0 };
  const p2updates: { id: number; p2: number }[] = [];
  for (const b of rows) {
    if (b.passRate === null) throw new Error(`beam ${b.id} (problem ${b.problemId}, beam ${b.beamIndex}) was not tested`);
    const p2 = p2valueOf(b.possibility, b.passRate, input.p2valueAlpha);
    if (b.p2value !== p2) p2updates.push({ id: b.id, p2 });
    o.meanPassRate += b.passRate / rows.length;
    o.meanP2value += p2 / rows.length;
    if (b.candidate.trim() === '') { o.skippedEmpty++; continue; }
    const r = buffer.add({ problemId: b.problemId, code: b.candidate, possibility: b.possibility, passRate: b.passRate, p2value: p2, sourceModel: b.model, iteration: input.iteration });
    if (r.status === 'added') { o.added++; if (r.evicted) o.evicted++; beamIdByKey.set(r.entry.key, b.id); }
    else if (r.status === 'replaced') { o.replaced++; beamIdByKey.set(r.entry.key, b.id); }
    else if (r.status === 'duplicate') o.duplicates++;
    else o.rejected++;
  }
  return { outcome: o, p2updates, beamIdByKey };
}

/** The buffer's new state written set-based (one statement per 500 rows): p2values, removed entries, changed entries. */
async function writeBuffer(tx: Tx, input: UpdateBufferInput, buffer: ExperienceBuffer, before: BufferRow[],
  { p2updates, beamIdByKey }: Pick<ReturnType<typeof offerBeams>, 'p2updates' | 'beamIdByKey'>): Promise<number> {
  for (let i = 0; i < p2updates.length; i += CHUNK) {
    const vals = sql.join(p2updates.slice(i, i + CHUNK).map((u) => sql`(${u.id}::bigint, ${u.p2}::double precision)`), sql`, `);
    await tx.execute(sql`update ${beams} set p2value = v.p from (values ${vals}) as v(id, p) where ${beams.id} = v.id`);
  }
  const after = buffer.entries();
  const keep = new Set(after.map((e) => e.key));
  const removed = before.filter((r) => !keep.has(`${r.problemId}:${r.codeHash}`)).map((r) => r.id);
  for (let i = 0; i < removed.length; i += CHUNK) await tx.delete(bufferEntries).where(inArray(bufferEntries.id, removed.slice(i, i + CHUNK)));
  const beforeByKey = new Map(before.map((r) => [`${r.problemId}:${r.codeHash}`, r]));
  const changed = after.filter((e) => beforeByKey.get(e.key)?.seq !== e.seq).map((e) => ({
    campaignId: input.campaignId, problemId: e.problemId, code: e.code, codeHash: e.codeHash, possibility: e.possibility,
    passRate: e.passRate, p2value: e.p2value, sourceModel: e.sourceModel, iteration: e.iteration, seq: e.seq,
    beamId: beamIdByKey.get(e.key) ?? null,
  }));
  const ex = (c: string) => sql.raw(`excluded.${c}`);
  for (let i = 0; i < changed.length; i += CHUNK) {
    await tx.insert(bufferEntries).values(changed.slice(i, i + CHUNK)).onConflictDoUpdate({
      target: [bufferEntries.campaignId, bufferEntries.problemId, bufferEntries.codeHash],
      set: { code: ex('code'), possibility: ex('possibility'), passRate: ex('pass_rate'), p2value: ex('p2value'), sourceModel: ex('source_model'),
        iteration: ex('iteration'), seq: ex('seq'), beamId: ex('beam_id'), updatedAt: new Date() },
    });
  }
  return after.length;
}

export async function updateBuffer(db: Database, input: UpdateBufferInput): Promise<BufferUpdateOutcome> {
  const marker = `btp:buffer:${input.iteration}`;
  const [done] = await db.select().from(events).where(and(eq(events.campaignId, input.campaignId), eq(events.key, marker)));
  if (done) return recordedOutcome(done, marker);
  return db.transaction(async (tx) => {
    const rows = await tx.select().from(beams).where(and(eq(beams.campaignId, input.campaignId), eq(beams.iteration, input.iteration)))
      .orderBy(asc(beams.problemId), asc(beams.beamIndex));
    const { buffer, rows: before } = await loadBuffer(tx, input.campaignId, input.bufferSize, input.eviction);
    const offered = offerBeams(rows, buffer, input);
    const o = offered.outcome;
    o.size = await writeBuffer(tx, input, buffer, before, offered);
    await tx.insert(events).values({ campaignId: input.campaignId, key: marker, kind: 'btp_buffer', payload: { iteration: input.iteration, ...o } })
      .onConflictDoNothing();
    return o;
  });
}
