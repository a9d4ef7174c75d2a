// Guidance lost to the model's context (issue 11 item 10), counted per campaign for its summary: signal steps whose
// signal was fitted (entries dropped or a trace shortened), those fitted down to nothing (guidance skipped for the
// line), and steps whose conditional prompt the server still refused (`contextOverflow`, guidance off for the step).
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { egcfgGenerations, egcfgSteps } from '../../db/schema/index.ts';
import type { EgcfgGuidanceLoss } from '../../core/contracts.ts';

export async function guidanceLoss(db: Database, campaignId: string): Promise<EgcfgGuidanceLoss> {
  const [row] = await db.select({
    signalsFitted: sql<number>`count(*) filter (where ${egcfgSteps.summary} ? 'signalFit')`.mapWith(Number),
    signalsEmptied: sql<number>`count(*) filter (where (${egcfgSteps.summary} -> 'signalFit' ->> 'kept')::int = 0)`.mapWith(Number),
    overflowSteps: sql<number>`count(*) filter (where ${egcfgSteps.summary} ? 'contextOverflow')`.mapWith(Number),
  }).from(egcfgSteps)
    .innerJoin(egcfgGenerations, eq(egcfgGenerations.id, egcfgSteps.generationId))
    .where(eq(egcfgGenerations.campaignId, campaignId));
  return { signalsFitted: row?.signalsFitted ?? 0, signalsEmptied: row?.signalsEmptied ?? 0, overflowSteps: row?.overflowSteps ?? 0 };
}
