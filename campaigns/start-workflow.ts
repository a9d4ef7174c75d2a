// Starting a campaign's workflow after its row is written: if the start fails (Temporal unreachable, a rejected
// input), the row is marked failed with the reason and an event, instead of staying 'created' forever.
import { eq } from 'drizzle-orm';
import { campaigns, events } from '../db/schema/index.ts';
import type { Database } from '../db/client.ts';
import { pgJson } from '../core/pg-text.ts';

export async function startOrMarkFailed(db: Database, campaignId: string, start: () => Promise<unknown>): Promise<void> {
  try {
    await start();
  } catch (err) {
    const message = (err as Error).message.slice(0, 2000);
    await db.update(campaigns).set({ status: 'failed' }).where(eq(campaigns.id, campaignId)).catch(() => {});
    await db.insert(events).values({ campaignId, key: 'workflow_start_failed', kind: 'campaign_failed', payload: pgJson({ reason: 'the workflow could not be started', error: message }) })
      .onConflictDoNothing().catch(() => {});
    throw err;
  }
}
