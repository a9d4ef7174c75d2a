// Schema, migrations and idempotent writes on both drivers: the real Postgres server and embedded PGlite.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { count, eq } from 'drizzle-orm';
import { storeActivities } from '../../activities/store.ts';
import { openDatabase, redactUrl, type DatabaseHandle } from '../../db/client.ts';
import { campaigns, problems, results, runs, samples, summaries } from '../../db/schema/index.ts';
import { freshPostgresDatabase, type TestDatabase } from '../support/services.ts';
import { stubProblem } from '../support/stub-problem.ts';

/** drizzle wraps the driver's error; the driver's message is its cause. */
const isUniqueViolation = (err: unknown): boolean =>
  /duplicate key value violates unique constraint/.test(String((err as { cause?: Error }).cause?.message));

async function seed(h: DatabaseHandle) {
  const [p] = await h.db.insert(problems).values({
    contentHash: 'h11', dataset: 'mbpp', taskId: '11', split: 'test', entryPoint: 'f', statement: 's', visibleTests: ['assert f() == 1'],
    problem: stubProblem('11'), raw: {},
  }).returning();
  await h.db.insert(campaigns).values({ id: 'c1', method: 'baseline', dataset: 'mbpp', model: 'm', simulated: true, config: {} });
  const [r] = await h.db.insert(runs).values({ campaignId: 'c1', name: 'baseline', config: {} }).returning();
  return { problemId: p!.id, runId: r!.id };
}

for (const driver of ['postgres', 'pglite'] as const) {
  describe(`database on ${driver}`, { timeout: 120_000 }, () => {
    let h: DatabaseHandle;
    let pg: TestDatabase | undefined;
    before(async () => {
      if (driver === 'postgres') { pg = await freshPostgresDatabase(); h = pg; } else h = await openDatabase('memory://');
    }, { timeout: 300_000 });
    after(async () => { if (pg) await pg.drop(); else await h.close(); }, { timeout: 120_000 });

    test('migrations create every table and unique keys reject duplicates', async () => {
      const { problemId, runId } = await seed(h);
      const row = { campaignId: 'c1', runId, problemId, attempt: 'baseline', code: 'x', model: 'm', params: {} };
      await h.db.insert(samples).values(row);
      await assert.rejects(h.db.insert(samples).values(row), isUniqueViolation);
      await assert.rejects(
        h.db.insert(problems).values({ contentHash: 'h11', dataset: 'mbpp', taskId: '11', split: 'test', statement: 's', visibleTests: [], problem: stubProblem('11'), raw: {} }),
        isUniqueViolation,
      );
    });

    test('recording a result and a summary twice (an activity retry) leaves one row each', async () => {
      const [p] = await h.db.select().from(problems);
      const store = storeActivities(h.db);
      const input = { campaignId: 'c1', problemId: p!.id, protocol: 'default', sampleId: null, passed: true, status: 'passed' };
      await store.recordResult(input);
      await store.recordResult({ ...input, passed: false, status: 'failed' });
      const rows = await h.db.select().from(results).where(eq(results.campaignId, 'c1'));
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.passed, false, 'the retry updates the row in place');
      const s1 = await store.summarizeCampaign({ campaignId: 'c1' });
      const s2 = await store.summarizeCampaign({ campaignId: 'c1' });
      assert.deepEqual(s1, s2);
      assert.equal(s1.problems, 1);
      const [{ n }] = (await h.db.select({ n: count() }).from(summaries)) as [{ n: number }];
      assert.equal(n, 1);
    });

    test('an unknown campaign is a clear error', async () => {
      await assert.rejects(storeActivities(h.db).summarizeCampaign({ campaignId: 'nope' }), /unknown campaign nope/);
    });
  });
}

test('connection URLs are redacted before they are shown', { timeout: 120_000 }, () => {
  assert.equal(redactUrl('postgres://u:secret@h:1/db'), 'postgres://u:***@h:1/db');
});

test('a Postgres server that is not there gives an error naming it', { timeout: 120_000 }, async () => {
  await assert.rejects(openDatabase('postgres://u:pw@127.0.0.1:1/none'), /could not migrate Postgres at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/none/);
});
