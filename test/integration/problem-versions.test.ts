// Campaigns are pinned to the problem versions they ran (issue 14): a later --dataset-file campaign that changes a
// problem adds a version (a row addressed by its content hash) and never rewrites the one an earlier campaign ran and
// is audited against. Real Temporal dev server, real PGlite, nsjail, a replay samples file (no model server).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, describe, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { and, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { egcfgProblemSteps } from '../../campaigns/egcfg.ts';
import { parseRunOptions } from '../../campaigns/options.ts';
import { campaignPins, campaignProblem } from '../../campaigns/pins.ts';
import { campaignResults, getCampaign, problemAudit, startCampaign, upsertProblems, waitForCampaign } from '../../campaigns/service.ts';
import type { ModelSpec } from '../../core/contracts.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import { problemContentHash } from '../../core/datasets/pins.ts';
import { repoPath } from '../../core/repo.ts';
import type { Database } from '../../db/client.ts';
import * as schema from '../../db/schema/index.ts';
import { campaignProblems, problems } from '../../db/schema/index.ts';
import { integrationServices } from '../support/integration.ts';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** MBPP tasks 11 and 12 as the shipped file has them, and a second version of the file where task 11 changed. */
function datasetVersions(dir: string) {
  const records = gunzipSync(readFileSync(repoPath('data', 'mbpp.jsonl.gz'))).toString('utf8').trim().split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.task_id === 11 || r.task_id === 12);
  const v1 = join(dir, 'v1.jsonl');
  writeFileSync(v1, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  // Version 2: a reworded statement and a first test that the reference solution fails.
  const changed = records.map((r) => r.task_id !== 11 ? r : {
    ...r, text: `${String(r.text)} (revised)`, test_list: ['assert remove_Occ("hello","l") == "hxo"', ...(r.test_list as string[]).slice(1)],
  });
  const v2 = join(dir, 'v2.jsonl');
  writeFileSync(v2, changed.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const samples = join(dir, 'samples.jsonl');
  writeFileSync(samples, records.map((r) => JSON.stringify({ task_id: `Mbpp/${String(r.task_id)}`, solution: String(r.code).replace(/\r\n/g, '\n') })).join('\n') + '\n');
  return { v1, v2, samples };
}

describe('problem versions: campaigns pinned by content hash (Temporal + PGlite + nsjail, replay model)', { timeout: 600_000 }, () => {
  let dir: string;
  const svc = integrationServices({ database: 'memory', setup: async () => { dir = mkdtempSync(join(tmpdir(), 'egcfg-pins-')); } });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  async function run(datasetFile: string, samplesFile: string): Promise<string> {
    const model: ModelSpec = { kind: 'replay', samplesFile, model: 'replay:pins' };
    const opts = parseRunOptions({ dataset: 'mbpp', datasetFile, samplesFile, modelName: model.model });
    const created = await startCampaign({ db: svc.db.db, client: svc.env.client }, opts, model);
    await waitForCampaign({ db: svc.db.db, client: svc.env.client }, created.campaignId);
    return created.campaignId;
  }

  test('two campaigns on two versions of one problem both stay auditable', async () => {
    const { v1, v2, samples } = datasetVersions(dir);
    const a = await run(v1, samples);
    const auditA = await problemAudit(svc.db.db, a, '11');
    const b = await run(v2, samples);

    // A's audit is unchanged by B: same version row, statement and tests; B shows its own version.
    const auditA2 = await problemAudit(svc.db.db, a, '11');
    const auditB = await problemAudit(svc.db.db, b, '11');
    assert.deepEqual(auditA2.problem, auditA.problem);
    assert.notEqual(auditB.problem.contentHash, auditA.problem.contentHash);
    assert.notEqual(auditB.problem.id, auditA.problem.id);
    assert.match(auditA.problem.contentHash, /^[0-9a-f]{64}$/);
    assert.ok(!auditA.problem.statement.includes('(revised)'));
    assert.ok(auditB.problem.statement.endsWith('(revised)'));
    assert.equal(auditA.problem.visibleTests[0], 'assert remove_Occ("hello","l") == "heo"');
    assert.equal(auditB.problem.visibleTests[0], 'assert remove_Occ("hello","l") == "hxo"');
    // The hash is the canonical-JSON hash of what the loader produced from that file.
    const [loadedV1] = (await loadDataset('mbpp', { file: v1 })).filter((p) => p.taskId === '11');
    assert.equal(auditA.problem.contentHash, problemContentHash(loadedV1!));

    // The activities scored each campaign on its pinned version: the same program passes v1's tests, fails v2's.
    const verdict = async (id: string, task: string) => (await campaignResults(svc.db.db, id)).find((r) => r.task_id === task)!;
    assert.equal((await verdict(a, '11')).passed, true);
    assert.equal((await verdict(b, '11')).passed, false);
    assert.deepEqual(auditB.results.map((r) => r.passed), [false]);

    // Each campaign records its dataset file's checksum and the hash of every problem it ran.
    assert.deepEqual((await getCampaign(svc.db.db, a)).datasetFiles.map((f) => f.sha256), [sha256(v1)]);
    assert.deepEqual((await getCampaign(svc.db.db, b)).datasetFiles.map((f) => f.sha256), [sha256(v2)]);
    const pinsOf = (id: string) => svc.db.db.select().from(campaignProblems).where(eq(campaignProblems.campaignId, id)).orderBy(campaignProblems.position);
    const [pinsA, pinsB] = [await pinsOf(a), await pinsOf(b)];
    assert.deepEqual(pinsA.map((p) => p.taskId), ['11', '12']);
    assert.equal(pinsA[0]!.contentHash, auditA.problem.contentHash);
    assert.equal(pinsB[0]!.contentHash, auditB.problem.contentHash);
    assert.equal(pinsA[1]!.problemId, pinsB[1]!.problemId, 'task 12 did not change: one version serves both');
    const summaryA = await campaignPins(svc.db.db, a, (await getCampaign(svc.db.db, a)).datasetFiles);
    assert.equal(summaryA.problems.eval, 2);
    assert.match(summaryA.problemSetHash!, /^[0-9a-f]{64}$/);

    // `egcfg show` reads the same pinned version.
    assert.equal((await egcfgProblemSteps(svc.db.db, a, '11')).problem.contentHash, auditA.problem.contentHash);
    assert.equal((await egcfgProblemSteps(svc.db.db, b, '11')).problem.contentHash, auditB.problem.contentHash);

    // Content-addressed: the first file again reuses its versions (no new row), and two versions of task 11 exist.
    const c = await run(v1, samples);
    assert.deepEqual((await pinsOf(c)).map((p) => p.problemId), pinsA.map((p) => p.problemId));
    const versions = await svc.db.db.select({ id: problems.id }).from(problems).where(and(eq(problems.dataset, 'mbpp'), eq(problems.taskId, '11')));
    assert.equal(versions.length, 2);
    await assert.rejects(problemAudit(svc.db.db, a, '13'), { name: 'UnknownProblemError' });
  });
});

describe('migration 0006 (problem versions) on a database from before it', { timeout: 120_000 }, () => {
  test('legacy problems get a legacy hash, campaigns are pinned to what they ran, and a new load adds a version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'egcfg-migrate-'));
    const client = new PGlite();
    try {
      // The migrations as they were before 0006.
      const old = join(dir, 'migrations');
      cpSync(repoPath('db', 'migrations'), old, { recursive: true });
      const journalFile = join(old, 'meta', '_journal.json');
      const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: Array<{ idx: number; tag: string }> };
      for (const e of journal.entries.filter((x) => x.idx >= 6)) rmSync(join(old, `${e.tag}.sql`));
      writeFileSync(journalFile, JSON.stringify({ ...journal, entries: journal.entries.filter((x) => x.idx < 6) }));
      const pg = drizzle(client, { schema });
      const db = pg as unknown as Database;
      await migrate(pg, { migrationsFolder: old });
      const [loaded] = (await loadDataset('mbpp')).filter((p) => p.taskId === '11');
      await db.execute(sql`insert into problems (dataset, task_id, split, entry_point, statement, visible_tests, problem, raw)
        values ('mbpp', '11', 'test', 'remove_Occ', 's', '[]'::jsonb, ${JSON.stringify(loaded)}::jsonb, '{}'::jsonb)`);
      await db.execute(sql`insert into campaigns (id, method, dataset, model, simulated, config) values ('old', 'baseline', 'mbpp', 'm', false, '{}'::jsonb)`);
      await db.execute(sql`insert into results (campaign_id, problem_id, protocol, passed, status) select 'old', id, 'default', true, 'passed' from problems`);

      await migrate(pg, { migrationsFolder: repoPath('db', 'migrations') });
      const [legacy] = await db.select().from(problems);
      assert.match(legacy!.contentHash, /^legacy:[0-9a-f]{64}$/);
      assert.equal((await campaignProblem(db, 'old', '11'))?.id, legacy!.id, 'the old campaign is pinned to the row its result names');
      const [newId] = await upsertProblems(db, [loaded!]);
      assert.notEqual(newId, legacy!.id, 'a new load is a version of its own; the legacy row stays as it was');
      assert.equal((await campaignProblem(db, 'old', '11'))?.statement, 's');
    } finally {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
