// The BTP test stage's batch activity (activities/btp/test-beams.ts): several problems in one call, each distinct
// program run once in the real sandbox (a duplicate beam shares its verdict), pass rates and executions stored; a
// retry after a kill between the executions' insert and the beams' update runs nothing again; a finished batch
// called again changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { btpActivities } from '../../activities/btp/index.ts';
import { modelBackendCache } from '../../activities/model-backend.ts';
import { getSharedSandbox, type Sandbox } from '../../activities/sandbox/index.ts';
import { upsertProblems } from '../../campaigns/service.ts';
import { codeHash } from '../../core/btp/buffer.ts';
import { beamAttempt } from '../../core/btp/names.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import { openDatabase, type DatabaseHandle } from '../../db/client.ts';
import { beams, campaigns, executions, runs, samples } from '../../db/schema/index.ts';

describe('BTP test stage: one activity for several problems', { timeout: 180_000 }, () => {
  let h: DatabaseHandle;
  let problemIds: number[];
  let sandboxRuns = 0;
  const campaignId = 'c-test-batch';

  before(async () => {
    h = await openDatabase('memory://');
    const problems = (await loadDataset('mbpp', { split: 'test' })).slice(0, 3);
    problemIds = await upsertProblems(h.db, problems);
    await h.db.insert(campaigns).values({ id: campaignId, method: 'btp', dataset: 'mbpp', model: 'sim', simulated: true, config: {} });
    const [run] = await h.db.insert(runs).values({ campaignId, name: 'beams', config: {} }).returning();
    for (const [i, p] of problems.entries()) {
      // Beam 0 and 1: the reference solution (one program, two samples); beam 2: broken.
      const codes = [p.canonicalSolution, p.canonicalSolution, `${p.canonicalSolution}\nraise ValueError('broken')\n`];
      for (const [j, code] of codes.entries()) {
        const [s] = await h.db.insert(samples).values({ campaignId, runId: run!.id, problemId: problemIds[i]!, attempt: beamAttempt(1, j),
          code, model: 'sim', params: {} }).returning({ id: samples.id });
        await h.db.insert(beams).values({ campaignId, iteration: 1, problemId: problemIds[i]!, beamIndex: j, candidate: code,
          codeHash: codeHash(code), sampleId: s!.id, possibility: 0.5, model: 'sim' });
      }
    }
  }, { timeout: 120_000 });
  after(async () => { await h?.close(); }, { timeout: 60_000 });

  const activities = () => btpActivities({
    db: h.db, model: modelBackendCache(),
    sandbox: async (): Promise<Sandbox> => {
      const real = await getSharedSandbox();
      return Object.assign(Object.create(real) as Sandbox, { run: (req: Parameters<Sandbox['run']>[0]) => { sandboxRuns++; return real.run(req); } });
    },
  });
  const passRates = async () => (await h.db.select({ problemId: beams.problemId, passRate: beams.passRate }).from(beams)
    .where(eq(beams.campaignId, campaignId)).orderBy(asc(beams.problemId), asc(beams.beamIndex))).map((b) => b.passRate);

  test('tests every beam of the batch, each distinct program once, and is idempotent across a retry', async () => {
    const acts = activities();
    const env = new MockActivityEnvironment();
    const input = { campaignId, iteration: 1, problemIds };
    assert.deepEqual(await env.run(acts.btpTestBeamsBatch, input), { tested: 9, passed: 6 });
    assert.equal(sandboxRuns, 6, 'two distinct programs per problem');
    const rates = await passRates();
    assert.deepEqual(rates.map((r, k) => (k % 3 === 2 ? r! < 1 : r === 1)), Array(9).fill(true) as boolean[], JSON.stringify(rates));
    const sampleIds = (await h.db.select({ id: samples.id }).from(samples).where(eq(samples.campaignId, campaignId))).map((s) => s.id);
    assert.equal((await h.db.select().from(executions).where(and(inArray(executions.sampleId, sampleIds), eq(executions.suite, 'eval')))).length, 6);

    // A worker killed after storing the executions, before the pass rates: the retry reuses them.
    await h.db.update(beams).set({ passRate: null, testsPassed: null, testsTotal: null }).where(eq(beams.problemId, problemIds[1]!));
    assert.deepEqual(await env.run(acts.btpTestBeamsBatch, input), { tested: 9, passed: 6 });
    assert.equal(sandboxRuns, 6, 'nothing runs twice');
    assert.deepEqual(await passRates(), rates);
    // The one-problem activity (recorded histories) gives the same, from the stored rates.
    assert.deepEqual(await env.run(acts.btpTestBeams, { campaignId, iteration: 1, problemId: problemIds[2]! }), { tested: 3, passed: 2 });
    assert.equal(sandboxRuns, 6);
    assert.equal((await h.db.select().from(executions).where(inArray(executions.sampleId, sampleIds))).length, 6, 'no duplicate executions');
  });
});
