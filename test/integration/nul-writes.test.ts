// A NUL byte from a model never blocks a write (Postgres text/jsonb cannot hold U+0000; a retried insert would fail
// forever): BTP beams and samples, and EG-CFG executions, store it as U+FFFD, say so, and keep the original's verdict.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { and, eq } from 'drizzle-orm';
import { btpActivities } from '../../activities/btp/index.ts';
import { executeOnce } from '../../activities/egcfg/generation.ts';
import { modelBackendCache } from '../../activities/model-backend.ts';
import { startSimulatedModelServer, type SimulatedServer } from '../../activities/model/simulated-server.ts';
import { getSharedSandbox } from '../../activities/sandbox/index.ts';
import { upsertProblems } from '../../campaigns/service.ts';
import { loadDataset, type Problem } from '../../core/datasets/index.ts';
import { NUL_REPLACEMENT } from '../../core/pg-text.ts';
import { openDatabase, type DatabaseHandle } from '../../db/client.ts';
import { beams, campaigns, executions, runs, samples } from '../../db/schema/index.ts';

describe('NUL from a model (BTP beams, EG-CFG executions)', { timeout: 300_000 }, () => {
  let h: DatabaseHandle;
  let sim: SimulatedServer;
  let problem: Problem;
  let problemId: number;
  let runId: number;
  // The canonical solution plus a comment holding NUL: with NUL Python refuses the source (fails); with U+FFFD in
  // the comment it would pass. So a failing verdict proves the original program was judged, not the stored text.
  let nulSolution: string;

  before(async () => {
    h = await openDatabase('memory://');
    problem = (await loadDataset('mbpp', { split: 'all' })).find((p) => p.taskId === '11')!;
    nulSolution = `${problem.canonicalSolution.trim()}\n# model noise: \u0000\n`;
    [problemId] = (await upsertProblems(h.db, [problem])) as [number];
    await h.db.insert(campaigns).values({ id: 'c-nul', method: 'btp', dataset: 'mbpp', model: 'sim', simulated: true, config: {} });
    const [run] = await h.db.insert(runs).values({ campaignId: 'c-nul', name: 'beams', config: {} }).returning();
    runId = run!.id;
    sim = await startSimulatedModelServer({
      knowledge: [{ keys: [problem.visibleTests[0]!, `${problem.entryPoint}(`], solution: nulSolution, broken: [] }],
      modelName: 'sim', skill: 1,
    });
  }, { timeout: 300_000 });
  after(async () => {
    await sim?.close();
    await h?.close();
  }, { timeout: 120_000 });

  test('BTP beams: stored with U+FFFD, the sample says codeHadNul, the verdict is the original program\'s', async () => {
    const acts = btpActivities({ db: h.db, sandbox: getSharedSandbox, model: modelBackendCache() });
    const env = new MockActivityEnvironment();
    const input = {
      campaignId: 'c-nul', runId, iteration: 0, problemId, model: { kind: 'openai' as const, baseUrl: sim.url, model: 'sim', simulated: true },
      numBeams: 2, temperature: 0, topP: 1, maxTokens: 256, promptType: 'deepseek_instruct' as const, seed: 1, possibility: 'mean' as const,
    };
    const r = await env.run<[typeof input], { beams: number }, typeof acts.btpSampleBeams>(acts.btpSampleBeams, input);
    assert.equal(r.beams, 2);
    const rows = await h.db.select().from(beams).where(eq(beams.campaignId, 'c-nul'));
    assert.equal(rows.length, 2);
    for (const b of rows) {
      assert.ok(!b.candidate.includes('\0') && b.candidate.includes(NUL_REPLACEMENT), JSON.stringify(b.candidate));
      const [s] = await h.db.select().from(samples).where(eq(samples.id, b.sampleId!));
      assert.equal((s!.params as { codeHadNul?: boolean }).codeHadNul, true);
      assert.ok(!s!.rawCompletion!.includes('\0'));
    }
    const tested = await env.run(acts.btpTestBeams, { campaignId: 'c-nul', iteration: 0, problemId });
    assert.deepEqual(tested, { tested: 2, passed: 0 }, 'a program with NUL is refused by Python, as the model wrote it');
    // Again: the activity is idempotent (no duplicate rows, no failing insert).
    await env.run(acts.btpSampleBeams, input);
    assert.equal((await h.db.select().from(beams).where(eq(beams.campaignId, 'c-nul'))).length, 2);
  });

  test('EG-CFG executions: a sample flagged codeHadNul is run as the original, its output stored without NUL', async () => {
    const stored = nulSolution.replaceAll('\0', NUL_REPLACEMENT);
    const add = async (attempt: string, params: Record<string, unknown>) => {
      const [s] = await h.db.insert(samples).values({ campaignId: 'c-nul', runId, problemId, attempt, code: stored, model: 'sim', params }).returning();
      return s!.id;
    };
    const flagged = await add('egcfg-nul', { method: 'eg-cfg', codeHadNul: true });
    const plain = await add('egcfg-plain', { method: 'eg-cfg' });
    const deps = { db: h.db, sandbox: getSharedSandbox, model: modelBackendCache() };
    const env = new MockActivityEnvironment();
    const verdict = (id: number) => env.run(async () => (await executeOnce(deps, id, 'eval')).passed);
    assert.equal(await verdict(flagged), false, 'the NUL program fails, as written');
    assert.equal(await verdict(plain), true, 'the same text with U+FFFD in a comment passes');
    const [ex] = await h.db.select().from(executions).where(and(eq(executions.sampleId, flagged), eq(executions.suite, 'eval')));
    assert.ok(!JSON.stringify(ex!.perTest).includes('\\u0000') && !(ex!.stderr ?? '').includes('\0'));
  });
});
