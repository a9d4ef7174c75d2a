// What every part of the campaign service shares: its context, campaign ids, the problems table and reading a
// campaign row. Its own module so that service.ts and the per-method starters (btp.ts, egcfg.ts) need not import
// each other.
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { eq, sql } from 'drizzle-orm';
import type { Problem } from '../core/datasets/index.ts';
import type { Database } from '../db/client.ts';
import { campaigns, problems } from '../db/schema/index.ts';

export interface ServiceContext {
  db: Database;
  client: Client;
}

export const campaignWorkflowId = (campaignId: string): string => `campaign-${campaignId}`;

export function newCampaignId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** `excluded.<column>` of an upsert: the value the insert proposed. */
const sqlExcluded = (column: string) => sql.raw(`excluded.${column}`);

/** Insert (or refresh) the problems of a dataset and return their database ids in dataset order. */
export async function upsertProblems(db: Database, list: Problem[]): Promise<number[]> {
  const ids: number[] = [];
  const chunk = 200;
  for (let i = 0; i < list.length; i += chunk) {
    const rows = list.slice(i, i + chunk).map((p) => ({
      dataset: p.dataset,
      taskId: p.taskId,
      split: p.split,
      entryPoint: p.entryPoint,
      statement: p.statement,
      visibleTests: p.visibleTests,
      problem: p as unknown as Record<string, unknown>,
      raw: p.raw,
    }));
    const inserted = await db.insert(problems).values(rows).onConflictDoUpdate({
      target: [problems.dataset, problems.taskId],
      set: { problem: sqlExcluded('problem'), raw: sqlExcluded('raw'), split: sqlExcluded('split'),
        statement: sqlExcluded('statement'), visibleTests: sqlExcluded('visible_tests'), entryPoint: sqlExcluded('entry_point') },
    }).returning({ id: problems.id, taskId: problems.taskId });
    const byTask = new Map(inserted.map((r) => [r.taskId, r.id]));
    for (const p of list.slice(i, i + chunk)) ids.push(byTask.get(p.taskId)!);
  }
  return ids;
}

export class UnknownCampaignError extends Error {
  constructor(readonly campaignId: string) { super(`unknown campaign '${campaignId}'`); this.name = 'UnknownCampaignError'; }
}

export async function getCampaign(db: Database, campaignId: string) {
  const [row] = await db.select().from(campaigns).where(eq(campaigns.id, campaignId));
  if (!row) throw new UnknownCampaignError(campaignId);
  return row;
}
