// What every part of the campaign service shares: its context, campaign ids, storing problem versions and reading a
// campaign row. Its own module so that service.ts and the per-method starters (btp.ts, egcfg.ts) need not import
// each other.
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { eq, inArray } from 'drizzle-orm';
import type { Problem } from '../core/datasets/index.ts';
import { problemContentHash, storedProblem } from '../core/datasets/pins.ts';
import type { Database } from '../db/client.ts';
import { campaigns, problems } from '../db/schema/index.ts';
import { parseStored } from '../core/stored/parse.ts';
import { campaignConfigSchema } from './options/stored.ts';

export interface ServiceContext {
  db: Database;
  client: Client;
}

export const campaignWorkflowId = (campaignId: string): string => `campaign-${campaignId}`;

export function newCampaignId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * Store the problems (each an immutable version, addressed by its content hash: core/datasets/pins.ts) and return
 * their version ids in dataset order. A version already stored is reused as it is; nothing is ever rewritten.
 */
export async function upsertProblems(db: Database, list: Problem[]): Promise<number[]> {
  const ids: number[] = [];
  const chunk = 200;
  for (let i = 0; i < list.length; i += chunk) {
    const part = list.slice(i, i + chunk).map((p) => ({ p: storedProblem(p), hash: problemContentHash(p) }));
    const rows = part.map(({ p, hash }) => ({
      contentHash: hash,
      dataset: p.dataset,
      taskId: p.taskId,
      split: p.split,
      entryPoint: p.entryPoint,
      statement: p.statement,
      visibleTests: p.visibleTests,
      problem: p,
      raw: p.raw,
    }));
    await db.insert(problems).values(rows).onConflictDoNothing({ target: problems.contentHash });
    const found = await db.select({ id: problems.id, contentHash: problems.contentHash }).from(problems)
      .where(inArray(problems.contentHash, part.map((x) => x.hash)));
    const byHash = new Map(found.map((r) => [r.contentHash, r.id]));
    for (const { hash } of part) ids.push(byHash.get(hash)!);
  }
  return ids;
}

export class UnknownCampaignError extends Error {
  constructor(readonly campaignId: string) { super(`unknown campaign '${campaignId}'`); this.name = 'UnknownCampaignError'; }
}

export async function getCampaign(db: Database, campaignId: string) {
  const [row] = await db.select().from(campaigns).where(eq(campaigns.id, campaignId));
  if (!row) throw new UnknownCampaignError(campaignId);
  return { ...row, config: parseStored(campaignConfigSchema, row.config, { table: 'campaigns', column: 'config', id: campaignId }) };
}
