// The activities of the experiment workflow (workflows/experiment.ts): prepare one campaign of the study (its rows
// written, its launch recorded and returned, so the workflow starts it as a child), and write the report at the end.
// Idempotent: a retried prepare finds the launch recorded under the campaign id the workflow chose.
import { and, eq } from 'drizzle-orm';
import { heartbeat } from '../activities/heartbeat.ts';
import { storedOfRow } from '../activities/stored-row.ts';
import type { CampaignLaunch, ExperimentActivities } from '../core/experiment-contracts.ts';
import { pgJson } from '../core/pg-text.ts';
import { campaignLaunchSchema } from '../core/stored/experiment-launch.ts';
import type { Database } from '../db/client.ts';
import { campaigns, events } from '../db/schema/index.ts';
import { writeExperimentFiles } from './experiment-report.ts';
import { parseRunOptions } from './options.ts';
import { startCampaign } from './service.ts';

const LAUNCH_KEY = 'experiment_launch';

async function recordedLaunch(db: Database, campaignId: string): Promise<CampaignLaunch | undefined> {
  const [row] = await db.select({ id: events.id, payload: events.payload }).from(events).where(and(eq(events.campaignId, campaignId), eq(events.key, LAUNCH_KEY)));
  if (!row) return undefined;
  return storedOfRow(campaignLaunchSchema, row.payload, { table: 'events', column: 'payload', id: row.id });
}

export function experimentActivities(db: Database): ExperimentActivities {
  return {
    async prepareExperimentCampaign({ campaignId, experiment, entry }) {
      heartbeat({ campaignId });
      const done = await recordedLaunch(db, campaignId);
      if (done) return done;
      // A row without its launch: an earlier try died between the two writes. Mark it, and prepare under a new id.
      const [half] = await db.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.id, campaignId));
      let id = campaignId;
      if (half) {
        await db.update(campaigns).set({ status: 'failed' }).where(eq(campaigns.id, campaignId));
        await db.insert(events).values({ campaignId, key: 'experiment_prepare_abandoned', kind: 'campaign_failed', payload: { reason: 'an experiment retry found this campaign half-prepared' } })
          .onConflictDoNothing();
        for (let r = 1; ; r++) {
          id = `${campaignId}-r${r}`;
          const again = await recordedLaunch(db, id);
          if (again) return again;
          const [taken] = await db.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.id, id));
          if (!taken) break;
        }
      }
      const opts = parseRunOptions({ ...entry.options, experiment });
      let launch: CampaignLaunch | undefined;
      await startCampaign({
        db,
        deferLaunch: async (l) => {
          await db.insert(events).values({ campaignId: l.input.campaignId, key: LAUNCH_KEY, kind: 'experiment_campaign_prepared', payload: { ...pgJson(l) } })
            .onConflictDoNothing();
          launch = l;
        },
      }, opts, entry.target, { campaignId: id, ...(entry.source ? { sourceModel: entry.source } : {}) });
      if (!launch) throw new Error(`campaign ${id} was prepared without a launch`);
      return launch;
    },

    async writeExperimentReport({ meta, outcomes, seconds }) {
      heartbeat({ outputDir: meta.outputDir });
      return writeExperimentFiles(db, meta, outcomes, seconds);
    },
  };
}
