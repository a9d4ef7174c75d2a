// Benchmark (not a test): the same replay evaluation of the MBPP test split's reference solutions, run
// (a) through the Temporal workflows (campaign → problem child workflows → activities) and
// (b) as a plain in-process loop calling the same activity functions.
// Prints one JSON line: both wall times and their ratio (goal: workflows / loop ≤ 1.3).
// Usage: npx tsx bench/baseline-orchestration.bench.ts [--problems N] [--concurrency C]
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createActivities } from '../activities/index.ts';
import { modelBackendCache } from '../activities/model-backend.ts';
import { closeSharedSandbox, getSharedSandbox } from '../activities/sandbox/index.ts';
import { parseRunOptions } from '../campaigns/options.ts';
import { startCampaign, upsertProblems, waitForCampaign } from '../campaigns/service.ts';
import { loadDataset } from '../core/datasets/index.ts';
import { campaigns, runs } from '../db/schema/index.ts';
import { startTestTemporal, freshPostgresDatabase } from '../test/support/services.ts';
import { startWorkers } from '../workers/worker.ts';
import type { ModelSpec } from '../core/contracts.ts';

const { values } = parseArgs({ options: { problems: { type: 'string' }, concurrency: { type: 'string' } } });
const limit = Number(values.problems ?? 500);
const concurrency = Number(values.concurrency ?? 16);

const all = (await loadDataset('mbpp', { split: 'test' })).slice(0, limit);
const dir = mkdtempSync(join(tmpdir(), 'egcfg-bench-'));
const samplesFile = join(dir, 'canonical.jsonl');
writeFileSync(samplesFile, all.map((p) => JSON.stringify({ task_id: p.taskId, solution: p.canonicalSolution })).join('\n') + '\n');
const model: ModelSpec = { kind: 'replay', samplesFile, model: 'replay:canonical' };

const db = await freshPostgresDatabase();
const env = await startTestTemporal();
const deps = { db: db.db, sandbox: getSharedSandbox, model: modelBackendCache() };
const sandbox = await getSharedSandbox();
try {
  // Warm-up: the sandbox pool and the workflow bundle, outside both timings.
  const workers = await startWorkers({ connection: env.nativeConnection, deps, concurrency: { activities: { sandbox: concurrency, inference: concurrency, default: concurrency * 2 } } });
  await Promise.all(Array.from({ length: 8 }, () => sandbox.run({ program: 'x = 1', tests: [{ id: 't', code: 'assert x == 1' }] })));
  const opts = parseRunOptions({ dataset: 'mbpp', modelName: model.model, samplesFile, maxProblems: limit, concurrency });

  // (b) plain loop over the same activity functions, same concurrency.
  const acts = createActivities(deps);
  const problemIds = await upsertProblems(db.db, all);
  await db.db.insert(campaigns).values({ id: 'loop', method: 'baseline', dataset: 'mbpp', model: model.model, simulated: false, config: {} });
  const [run] = await db.db.insert(runs).values({ campaignId: 'loop', name: 'baseline', config: {} }).returning();
  const params = { promptType: 'deepseek_instruct' as const, temperature: 0, topP: 0.95, maxTokens: 512, seed: 40 };
  const loopStart = performance.now();
  let next = 0;
  let loopPassed = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < problemIds.length) {
      const problemId = problemIds[next++]!;
      const sampleId = await acts.generateBaselineSample({ campaignId: 'loop', runId: run!.id, problemId, attempt: 'baseline', model, params });
      const v = await acts.executeSample({ sampleId, suite: 'eval' });
      await acts.recordResult({ campaignId: 'loop', problemId, protocol: 'default', sampleId, passed: v.passed, status: v.status });
      if (v.passed) loopPassed++;
    }
  }));
  await acts.summarizeCampaign({ campaignId: 'loop' });
  const loopMs = performance.now() - loopStart;

  // (a) through Temporal.
  const wfStart = performance.now();
  const created = await startCampaign({ db: db.db, client: env.client }, opts, model);
  const summary = await waitForCampaign({ db: db.db, client: env.client }, created.campaignId);
  const workflowMs = performance.now() - wfStart;
  await workers.shutdown();

  console.log(JSON.stringify({
    bench: 'baseline-orchestration', problems: all.length, concurrency,
    workflow_ms: Math.round(workflowMs), loop_ms: Math.round(loopMs), ratio: +(workflowMs / loopMs).toFixed(3),
    workflow_passed: summary.passed, loop_passed: loopPassed, goal_ratio_max: 1.3,
  }));
} finally {
  await closeSharedSandbox();
  await env.teardown();
  await db.drop();
}
