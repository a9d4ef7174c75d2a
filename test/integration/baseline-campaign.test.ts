// A baseline campaign through the real Temporal dev server, the real Postgres server, nsjail and the simulated
// model server: stored rows, verdicts, idempotency, and a model server that fails or is down for a while.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { and, count, eq } from 'drizzle-orm';
import { createActivities } from '../../activities/index.ts';
import { modelBackendCache } from '../../activities/model-backend.ts';
import { startSimulatedModelServer } from '../../activities/model/simulated-server.ts';
import { getSharedSandbox } from '../../activities/sandbox/index.ts';
import { parseRunOptions } from '../../campaigns/options.ts';
import { campaignResults, startCampaign, waitForCampaign } from '../../campaigns/service.ts';
import { loadDataset, type Problem } from '../../core/datasets/index.ts';
import { events, executions, results, samples } from '../../db/schema/index.ts';
import { knowledgeFor } from '../../cli/simulated.ts';
import { waitFor } from '../support/wait.ts';
import { integrationServices } from '../support/integration.ts';

describe('baseline campaign (Temporal + Postgres + nsjail + simulated model)', { timeout: 600_000 }, () => {
  let problems: Problem[];
  const svc = integrationServices({
    setup: async () => { problems = (await loadDataset('mbpp', { split: 'test' })).slice(0, 6); },
  });

  const ctx = () => ({ db: svc.db.db, client: svc.env.client });

  test('every problem gets one sample, one execution and one result, and the verdicts are the sandbox\'s', async () => {
    const sim = await startSimulatedModelServer({ knowledge: knowledgeFor(problems), modelName: 'sim', skill: 0.5 });
    try {
      const opts = parseRunOptions({ dataset: 'mbpp', modelName: 'sim', maxProblems: problems.length, concurrency: 3 });
      const created = await startCampaign(ctx(), opts, { kind: 'openai', baseUrl: sim.url, model: 'sim', simulated: true });
      const summary = await waitForCampaign(ctx(), created.campaignId);
      assert.equal(summary.problems, problems.length);
      assert.equal(summary.simulated, true);
      const rows = await campaignResults(svc.db.db, created.campaignId);
      assert.equal(rows.length, problems.length);
      // The simulated model answers either the reference solution (which passes) or a broken variant.
      for (const row of rows) {
        const problem = problems.find((p) => p.taskId === row.task_id)!;
        const isReference = row.code!.trim() === problem.canonicalSolution.replace(/\r\n/g, '\n').trim();
        assert.equal(row.passed, isReference, `task ${row.task_id}: passed=${row.passed} but reference=${isReference}`);
        assert.equal(row.tests_total, 3);
      }
      assert.equal(summary.passed, rows.filter((r) => r.passed).length);
      assert.ok(summary.passed > 0 && summary.passed < problems.length, `a 0.5-skill model should pass some, not all (${summary.passed})`);
      const [{ n: sampleRows }] = (await svc.db.db.select({ n: count() }).from(samples).where(eq(samples.campaignId, created.campaignId))) as [{ n: number }];
      assert.equal(sampleRows, problems.length);
      const [{ n: execRows }] = (await svc.db.db.select({ n: count() }).from(executions).innerJoin(samples, eq(samples.id, executions.sampleId))
        .where(eq(samples.campaignId, created.campaignId))) as [{ n: number }];
      assert.equal(execRows, problems.length);
    } finally {
      await sim.close();
    }
  });

  test('activities are idempotent: running a problem\'s activities twice writes nothing twice', async () => {
    const sim = await startSimulatedModelServer({ knowledge: knowledgeFor(problems), modelName: 'sim' });
    try {
      const opts = parseRunOptions({ dataset: 'mbpp', modelName: 'sim', maxProblems: 1 });
      const created = await startCampaign(ctx(), opts, { kind: 'openai', baseUrl: sim.url, model: 'sim', simulated: true });
      await waitForCampaign(ctx(), created.campaignId);
      const [first] = await svc.db.db.select().from(samples).where(eq(samples.campaignId, created.campaignId));
      const requestsBefore = sim.stats().requests;
      const acts = createActivities({ db: svc.db.db, sandbox: getSharedSandbox, model: modelBackendCache() });
      const again = await acts.generateBaselineSample({
        campaignId: created.campaignId, runId: first!.runId, problemId: first!.problemId, attempt: 'baseline',
        model: { kind: 'openai', baseUrl: sim.url, model: 'sim', simulated: true },
        params: { promptType: 'deepseek_instruct', temperature: 0, topP: 0.95, maxTokens: 512, seed: 40 },
      });
      assert.equal(again, first!.id, 'the retry returns the stored sample');
      assert.equal(sim.stats().requests, requestsBefore, 'and does not call the model again');
      const v1 = await acts.executeSample({ sampleId: first!.id, suite: 'eval' });
      const v2 = await acts.executeSample({ sampleId: first!.id, suite: 'eval' });
      assert.deepEqual(v1, v2);
      const [{ n }] = (await svc.db.db.select({ n: count() }).from(executions).where(eq(executions.sampleId, first!.id))) as [{ n: number }];
      assert.equal(n, 1);
    } finally {
      await sim.close();
    }
  });

  test('a model server that answers 500s, then is down, makes the campaign wait and retry; nothing is lost', async () => {
    const knowledge = knowledgeFor(problems);
    // Reserve a port, keep it closed for a while (connection refused), then start the server there.
    const probe = await startSimulatedModelServer({ knowledge, modelName: 'sim' });
    const port = probe.port;
    await probe.close();
    const opts = parseRunOptions({ dataset: 'mbpp', modelName: 'sim', maxProblems: 3, concurrency: 3 });
    const created = await startCampaign(ctx(), opts, { kind: 'openai', baseUrl: `http://127.0.0.1:${port}`, model: 'sim', simulated: true });
    // Retries are visible as events while the server is down (waited for, not slept for).
    const waiting = await waitFor('model_retry events while the server is down', async () => {
      const rows = await svc.db.db.select().from(events).where(and(eq(events.campaignId, created.campaignId), eq(events.kind, 'model_retry')));
      return rows.length > 0 && rows;
    }, { timeoutMs: 60_000 });
    assert.ok(waiting.length > 0);
    const sim = await startSimulatedModelServer({ knowledge, modelName: 'sim', port, faults: { error500: 2 } });
    try {
      const summary = await waitForCampaign(ctx(), created.campaignId);
      assert.equal(summary.problems, 3);
      const rows = await svc.db.db.select().from(results).where(eq(results.campaignId, created.campaignId));
      assert.equal(rows.length, 3);
      assert.deepEqual(rows.filter((r) => r.status === "error").map((r) => r.detail), [], "no problem failed because the server was down");
    } finally {
      await sim.close();
    }
  });
});
