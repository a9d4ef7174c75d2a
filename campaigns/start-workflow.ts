// Starting a campaign's workflow after its row is written: if the start fails (Temporal unreachable, a rejected
// input), the row is marked failed with the reason and an event, instead of staying 'created' forever. A context
// that defers launches (an experiment's activity: the experiment workflow starts the campaign as its child) gets the
// launch handed back instead.
import { eq } from 'drizzle-orm';
import type { Client } from '@temporalio/client';
import { campaigns, events } from '../db/schema/index.ts';
import type { Database } from '../db/client.ts';
import { pgJson } from '../core/pg-text.ts';
import type { CampaignLaunch } from '../core/experiment-contracts.ts';
import { taskQueues } from '../workflows/activity-options.ts';
import { baselineCampaign } from '../workflows/campaign.ts';
import { btpCycle } from '../workflows/btp.ts';
import { egcfgCampaign } from '../workflows/egcfg.ts';

/** Where a prepared campaign goes: started on Temporal now, or handed to `deferLaunch` (which must record it). */
export type LaunchContext = { db: Database } & ({ client: Client; deferLaunch?: undefined } | { deferLaunch: (launch: CampaignLaunch) => Promise<void> });

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

/** Start a prepared campaign's workflow by function reference (typed arguments), or defer it. */
export async function launchCampaign(ctx: LaunchContext, launch: CampaignLaunch): Promise<void> {
  if (ctx.deferLaunch) return ctx.deferLaunch(launch);
  const { client } = ctx;
  const opts = { workflowId: launch.workflowId, taskQueue: taskQueues.default };
  await startOrMarkFailed(ctx.db, launch.input.campaignId, () => {
    switch (launch.workflow) {
      case 'baselineCampaign': return client.workflow.start(baselineCampaign, { ...opts, args: [launch.input] });
      case 'egcfgCampaign': return client.workflow.start(egcfgCampaign, { ...opts, args: [launch.input] });
      case 'btpCycle': return client.workflow.start(btpCycle, { ...opts, args: [launch.input] });
    }
  });
}
