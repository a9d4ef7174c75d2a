// What a campaign was run on, recorded when it starts: the dataset files with their sha256 (campaigns.dataset_files)
// and the problem version of each task it runs (campaign_problems, with the version's content hash). Audits look a
// campaign's problem up here, so a later campaign on a changed file never changes what an earlier one shows.
import { createHash } from 'node:crypto';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { datasetFile, type DatasetName } from '../core/datasets/index.ts';
import { datasetFileRecords, DatasetFilesSchema, type DatasetFile } from '../core/datasets/pins.ts';
import { parseStoredProblem } from '../core/datasets/problem-schema.ts';
import type { Database } from '../db/client.ts';
import { campaignProblems, campaigns, problems, results, samples } from '../db/schema/index.ts';

export type PinRole = 'eval' | 'train';

/** The file(s) a dataset is read from (the user's --dataset-file or the shipped one), with their sha256. */
export async function datasetFilesOf(dataset: DatasetName, file?: string): Promise<DatasetFile[]> {
  return datasetFileRecords(dataset, datasetFile(dataset, file));
}

/** Record a campaign's dataset files and problem versions (idempotent: a retry writes nothing new). */
export async function pinCampaign(
  db: Database, campaignId: string, pins: { files: DatasetFile[]; problems: Array<{ role: PinRole; ids: number[] }> },
): Promise<void> {
  const files = [...new Map(pins.files.map((f) => [`${f.dataset}\0${f.path}`, f])).values()];
  await db.update(campaigns).set({ datasetFiles: DatasetFilesSchema.parse(files) }).where(eq(campaigns.id, campaignId));
  for (const { role, ids } of pins.problems) {
    const chunk = 500;
    for (let i = 0; i < ids.length; i += chunk) {
      const part = ids.slice(i, i + chunk);
      const rows = await db.select({ id: problems.id, taskId: problems.taskId, contentHash: problems.contentHash })
        .from(problems).where(inArray(problems.id, part));
      const byId = new Map(rows.map((r) => [r.id, r]));
      await db.insert(campaignProblems).values(part.map((id, j) => {
        const p = byId.get(id);
        if (!p) throw new Error(`problem version ${id} does not exist`);
        return { campaignId, problemId: id, taskId: p.taskId, contentHash: p.contentHash, role, position: i + j };
      })).onConflictDoNothing();
    }
  }
}

/**
 * The problem version a campaign ran for a task: its pin, else (a campaign from before pins were recorded, whose
 * migration found no result or sample of that task) none.
 */
export async function campaignProblem(db: Database, campaignId: string, taskId: string) {
  const [pinned] = await db.select({ problem: problems }).from(campaignProblems)
    .innerJoin(problems, eq(problems.id, campaignProblems.problemId))
    .where(and(eq(campaignProblems.campaignId, campaignId), eq(campaignProblems.taskId, taskId)))
    .orderBy(sql`${campaignProblems.role} = 'eval' desc`, asc(campaignProblems.position)).limit(1);
  if (pinned) return checked(pinned.problem);
  // Rows written by a worker of the previous version after the migration (its pins were never recorded).
  const [ran] = await db.select({ problem: problems }).from(problems)
    .where(and(eq(problems.taskId, taskId), sql`${problems.id} in (
      select ${results.problemId} from ${results} where ${results.campaignId} = ${campaignId}
      union select ${samples.problemId} from ${samples} where ${samples.campaignId} = ${campaignId})`))
    .orderBy(asc(problems.id)).limit(1);
  return ran ? checked(ran.problem) : undefined;
}

/** A problems row with its `problem` validated (core/datasets/problem-schema.ts) as it is read back. */
const checked = <R extends { id: number; problem: unknown }>(row: R) => ({ ...row, problem: parseStoredProblem(row.problem, `problem version ${row.id}`) });

export interface CampaignPins {
  datasetFiles: DatasetFile[];
  /** How many problem versions it pinned, per role. */
  problems: { eval: number; train: number };
  /** sha256 over its evaluation problems' content hashes in order (one line each): one value for the whole set. */
  problemSetHash: string | null;
}

/** A campaign's pins, summarised for its audit (the API's campaign route, the dashboard). */
export async function campaignPins(db: Database, campaignId: string, datasetFiles: unknown): Promise<CampaignPins> {
  const rows = await db.select({ role: campaignProblems.role, contentHash: campaignProblems.contentHash }).from(campaignProblems)
    .where(eq(campaignProblems.campaignId, campaignId)).orderBy(asc(campaignProblems.role), asc(campaignProblems.position));
  const evalHashes = rows.filter((r) => r.role === 'eval').map((r) => r.contentHash);
  return {
    datasetFiles: DatasetFilesSchema.parse(datasetFiles),
    problems: { eval: evalHashes.length, train: rows.length - evalHashes.length },
    problemSetHash: evalHashes.length ? createHash('sha256').update(evalHashes.map((h) => `${h}\n`).join('')).digest('hex') : null,
  };
}

/** The pinned problems of a campaign in order: task id, content hash, role. */
export async function campaignProblemList(db: Database, campaignId: string) {
  return db.select({ taskId: campaignProblems.taskId, contentHash: campaignProblems.contentHash, role: campaignProblems.role, problemId: campaignProblems.problemId })
    .from(campaignProblems).where(eq(campaignProblems.campaignId, campaignId))
    .orderBy(asc(campaignProblems.role), asc(campaignProblems.position));
}
