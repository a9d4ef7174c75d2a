// What a campaign is pinned to. A problem version's identity is the sha256 of its canonical JSON (keys sorted, as
// safe-stable-stringify writes them), taken over exactly what the problems table stores (the normalised problem with
// NUL replaced, as jsonb holds it): equal content gives one hash, so one version row serves every campaign that ran
// that content, and any change to a statement, a test or the raw record gives a new hash and a new row (rows are
// never rewritten). The dataset files a campaign read are recorded with their sha256 too.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stringify } from 'safe-stable-stringify';
import { z } from 'zod';
import { pgJson } from '../pg-text.ts';
import type { Problem } from './types.ts';

/** The problem as stored (jsonb cannot hold NUL): what the hash covers and what activities load back. */
export const storedProblem = (p: Problem): Problem => pgJson(p);

/** sha256 (hex) of the canonical JSON of the stored problem. */
export function problemContentHash(p: Problem): string {
  return createHash('sha256').update(stringify(storedProblem(p)), 'utf8').digest('hex');
}

/** One file a campaign's problems were read from (campaigns.dataset_files). */
export const DatasetFileSchema = z.object({
  /** The dataset the file was read as (a BTP campaign reads its evaluation and training datasets). */
  dataset: z.string(),
  /** Absolute path when read (a shipped file: its path in this checkout). */
  path: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});
export type DatasetFile = z.infer<typeof DatasetFileSchema>;
export const DatasetFilesSchema = z.array(DatasetFileSchema);

/** The sha256 and size of each file of a dataset path list (`a.jsonl` or CodeContests' `a.parquet,b.parquet`). */
export async function datasetFileRecords(dataset: string, paths: string): Promise<DatasetFile[]> {
  const out: DatasetFile[] = [];
  for (const path of paths.split(',')) {
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    out.push({ dataset, path, sha256: hash.digest('hex'), bytes });
  }
  return out;
}
