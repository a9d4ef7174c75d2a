// Persistence activities: campaign status, per-problem results, events, summaries. Each write has a natural key.
import { and, count, eq, sql } from 'drizzle-orm';
import { meanPassAtK, SampleCountsSchema } from '../core/metrics.ts';
import { pgJson } from '../core/pg-text.ts';
import type { Database } from '../db/client.ts';
import { campaigns, events, problems, results, summaries } from '../db/schema/index.ts';
import type { CampaignSummary } from '../core/contracts.ts';
import type { EventKind, EventPayloadOf } from '../core/stored/events.ts';
import { resultDetailSchema, type ResultDetail } from '../core/stored/result-detail.ts';
import { activityLogger } from './log.ts';
import { campaignConfigSchema } from '../campaigns/options/stored.ts';
import { storedOfRow } from './stored-row.ts';

export interface RecordResultInput {
  campaignId: string;
  problemId: number;
  protocol: string;
  sampleId: number | null;
  passed: boolean;
  status: string;
  detail?: ResultDetail;
}

/** n of a baseline campaign's pass@k (its stored options; 1 when absent or unreadable). */
function campaignSamplesPerProblem(campaign: { id: string; config: unknown }): number {
  return storedOfRow(campaignConfigSchema, campaign.config, { table: 'campaigns', column: 'config', id: campaign.id }).samplesPerProblem ?? 1;
}


export function storeActivities(db: Database) {
  /** Unbiased pass@k for k in 1, 10, 100 (those ≤ n) over the campaign's problems; a problem that ended in error counts n samples, 0 correct. */
  async function samplePassAtK(campaignId: string, protocol: string, n: number): Promise<Record<string, number>> {
    const rows = await db.select({ id: results.id, detail: results.detail, status: results.status }).from(results)
      .where(and(eq(results.campaignId, campaignId), eq(results.protocol, protocol)));
    const counts = rows.map((r) => {
      if (r.status === 'error') return { n, c: 0 };
      const d = SampleCountsSchema.safeParse(storedOfRow(resultDetailSchema, r.detail, { table: 'results', column: 'detail', id: r.id }));
      if (!d.success) throw new Error(`campaign ${campaignId}: a result has no sample counts (${d.error.issues[0]?.message ?? 'bad detail'})`);
      return { n: d.data.samples, c: Math.min(d.data.correct, d.data.samples) };
    });
    const out: Record<string, number> = {};
    for (const k of [1, 10, 100]) {
      if (k > n) continue;
      out[String(k)] = meanPassAtK(counts, k) ?? 0;
    }
    return out;
  }

  async function appendEvent<K extends EventKind>(campaignId: string, key: string, kind: K, payload: EventPayloadOf<K>) {
    await db.insert(events).values({ campaignId, key, kind, payload: pgJson(payload) }).onConflictDoNothing();
  }

  return {
    appendEvent,

    async markCampaign(input: { campaignId: string; status: string; error?: string }): Promise<void> {
      const terminal = ['completed', 'cancelled', 'failed'].includes(input.status);
      await db.update(campaigns).set({
        status: input.status,
        error: input.error ?? null,
        updatedAt: new Date(),
        ...(terminal ? { finishedAt: new Date() } : {}),
      }).where(eq(campaigns.id, input.campaignId));
      await appendEvent(input.campaignId, `status:${input.status}`, 'campaign_status', { status: input.status });
      activityLogger({ campaignId: input.campaignId }).info({ status: input.status }, 'campaign status');
    },

    async recordResult(input: RecordResultInput): Promise<void> {
      const [problem] = await db.select({ taskId: problems.taskId }).from(problems).where(eq(problems.id, input.problemId));
      // The result and its problem_finished event in one transaction: a worker killed between the two would leave a
      // result whose event a retry (which skips recorded problems) never writes.
      await db.transaction(async (tx) => {
        await tx.insert(results).values({
          campaignId: input.campaignId,
          problemId: input.problemId,
          protocol: input.protocol,
          sampleId: input.sampleId,
          passed: input.passed,
          status: input.status,
          detail: pgJson(input.detail ?? {}),
        }).onConflictDoUpdate({
          target: [results.campaignId, results.problemId, results.protocol],
          set: { passed: input.passed, status: input.status, sampleId: input.sampleId, detail: pgJson(input.detail ?? {}) },
        });
        await tx.insert(events).values({
          campaignId: input.campaignId, key: `result:${input.protocol}:${input.problemId}`, kind: 'problem_finished',
          payload: pgJson({ problemId: input.problemId, taskId: problem?.taskId, protocol: input.protocol, passed: input.passed, status: input.status }),
        }).onConflictDoNothing();
      });
      activityLogger({ campaignId: input.campaignId, problemId: input.problemId })
        .info({ taskId: problem?.taskId, protocol: input.protocol, passed: input.passed, status: input.status }, 'result recorded');
    },

    async summarizeCampaign(input: { campaignId: string; protocol?: string }): Promise<CampaignSummary> {
      const protocol = input.protocol ?? 'default';
      const [campaign] = await db.select().from(campaigns).where(eq(campaigns.id, input.campaignId));
      if (!campaign) throw new Error(`unknown campaign ${input.campaignId}`);
      const [row] = await db.select({
        problems: count(),
        passed: sql<number>`count(*) filter (where ${results.passed})`.mapWith(Number),
      }).from(results).where(and(eq(results.campaignId, input.campaignId), eq(results.protocol, protocol)));
      const n = row?.problems ?? 0;
      const passed = row?.passed ?? 0;
      const perProblem = campaignSamplesPerProblem(campaign);
      const passAtKs = perProblem > 1 ? await samplePassAtK(input.campaignId, protocol, perProblem) : undefined;
      // With several samples per problem pass@1 is the estimator's (the mean of c/n), not the first sample's verdict.
      const passAt1 = passAtKs ? passAtKs['1']! : n === 0 ? 0 : passed / n;
      await db.insert(summaries).values({
        campaignId: input.campaignId, dataset: campaign.dataset, protocol, problems: n, passed, passAt1,
      }).onConflictDoUpdate({
        target: [summaries.campaignId, summaries.dataset, summaries.protocol],
        set: { problems: n, passed, passAt1 },
      });
      return {
        campaignId: input.campaignId, dataset: campaign.dataset, problems: n, passed, passAt1,
        model: campaign.model, simulated: campaign.simulated,
        ...(passAtKs ? { samplesPerProblem: perProblem, passAtK: passAtKs } : {}),
      };
    },
  };
}
