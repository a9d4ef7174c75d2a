// Benchmark (not a test): the same replay evaluation of reference solutions, run
// (a) as a plain in-process loop calling the same activity functions (generate, execute, record), and
// (b) through the platform: a baseline campaign workflow (a replay campaign runs its problems in batched activities,
//     workflows/campaign.ts) on in-process workers.
// Up to 500 problems are the MBPP test split; more replicate it under new task ids (renamed entry points, bench/volume-support.ts)
// in the bench's own temporary data folder. Prints one JSON line: both wall times, their ratio (goal: ≤ 1.3), and the
// campaign's workflow history per continue-as-new run (events, bytes), read with the Temporal client.
// Worker tuning: --sandbox-slots S (sandbox activities in flight; default the worker's, 8), --workflow-slots W (workflow tasks in flight;
// default the worker's 40), --pollers P (per queue; default the SDK's), --max-cached N (sticky cache; default the SDK's).
// The JSON line records the settings and os.loadavg() before and after (the machine may be shared).
// Usage: npx tsx bench/baseline-orchestration.bench.ts [--problems N] [--concurrency C] [--max-batch B] [worker tuning]
import { mkdtempSync, rmSync } from 'node:fs';
import os, { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createActivities } from '../activities/index.ts';
import { modelBackendCache } from '../activities/model-backend.ts';
import { closeSharedSandbox, getSharedSandbox } from '../activities/sandbox/index.ts';
import { upsertProblems } from '../campaigns/service.ts';
import { loadDataset, type Problem } from '../core/datasets/index.ts';
import { campaigns, runs } from '../db/schema/index.ts';
import { startTestTemporal, freshPostgresDatabase } from '../test/support/services.ts';
import { defaultConcurrency, startWorkers } from '../workers/worker.ts';
import { historySizes, renameProblem, startProblemsCampaign, writeReplayFile } from './volume-support.ts';

const { values } = parseArgs({ options: {
  problems: { type: 'string' }, concurrency: { type: 'string' }, 'max-batch': { type: 'string' },
  'sandbox-slots': { type: 'string' }, 'workflow-slots': { type: 'string' }, pollers: { type: 'string' }, 'max-cached': { type: 'string' },
} });
const limit = Number(values.problems ?? 500);
const concurrency = Number(values.concurrency ?? 16);
const maxBatch = values['max-batch'] ? Number(values['max-batch']) : undefined;
const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
const tuning = {
  // The workers' own default unless asked: the bench measures the platform as it ships.
  sandboxSlots: num(values['sandbox-slots']) ?? defaultConcurrency.activities.sandbox ?? 8, workflowSlots: num(values['workflow-slots']),
  pollers: num(values.pollers), maxCached: num(values['max-cached']),
};
const load = (): number[] => loadavg().map((x) => +x.toFixed(2));
const loadBefore = load();

const mbpp = await loadDataset('mbpp', { split: 'test' });
const all: Problem[] = limit <= mbpp.length ? mbpp.slice(0, limit) : Array.from({ length: limit }, (_, i) => renameProblem(mbpp[i % mbpp.length]!, i));
const dir = mkdtempSync(join(tmpdir(), 'egcfg-bench-'));
const model = writeReplayFile(join(dir, 'canonical.jsonl'), all);

const db = await freshPostgresDatabase();
const env = await startTestTemporal();
const deps = { db: db.db, sandbox: getSharedSandbox, model: modelBackendCache() };
const sandbox = await getSharedSandbox();
try {
  // Warm-up: the sandbox pool and the workflow bundle, outside both timings.
  const workers = await startWorkers({ connection: env.nativeConnection, deps, concurrency: {
    activities: { sandbox: tuning.sandboxSlots, inference: concurrency, default: concurrency * 2 },
    ...(tuning.workflowSlots ? { workflowTasks: tuning.workflowSlots } : {}),
    ...(tuning.pollers ? { pollers: tuning.pollers } : {}),
    ...(tuning.maxCached !== undefined ? { maxCachedWorkflows: tuning.maxCached } : {}),
  } });
  await Promise.all(Array.from({ length: 8 }, () => sandbox.run({ program: 'x = 1', tests: [{ id: 't', code: 'assert x == 1' }] })));

  // (a) plain loop over the same activity functions, same concurrency.
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

  // (b) through the platform.
  const ctx = { db: db.db, client: env.client };
  const wfStart = performance.now();
  const created = await startProblemsCampaign(ctx, all, model, { concurrency, ...(maxBatch ? { maxBatch } : {}) });
  const summary = await env.client.workflow.getHandle(created.workflowId).result() as { problems: number; passed: number };
  const workflowMs = performance.now() - wfStart;
  await workers.shutdown();

  const perRun = [];
  for (const r of await historySizes(env.client, created.workflowId)) {
    const history = await env.client.workflow.getHandle(created.workflowId, r.runId).fetchHistory();
    const evs = history.events ?? [];
    perRun.push({
      events: evs.length, bytes: r.bytes,
      activities: evs.filter((e) => e.activityTaskScheduledEventAttributes).length,
      children: evs.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).length,
    });
  }
  console.log(JSON.stringify({
    bench: 'baseline-orchestration', problems: all.length, concurrency, max_batch: maxBatch ?? 'default',
    worker: { sandbox_slots: tuning.sandboxSlots, workflow_slots: tuning.workflowSlots ?? 'default', pollers: tuning.pollers ?? 'worker default', max_cached: tuning.maxCached ?? 'worker default' },
    loadavg: { before: loadBefore, after: load() }, cpus: os.availableParallelism(),
    workflow_ms: Math.round(workflowMs), loop_ms: Math.round(loopMs), ratio: +(workflowMs / loopMs).toFixed(3),
    workflow_passed: summary.passed, loop_passed: loopPassed, goal_ratio_max: 1.3,
    problems_per_s: { workflow: +(all.length / workflowMs * 1000).toFixed(1), loop: +(all.length / loopMs * 1000).toFixed(1) },
    history: {
      runs: perRun.length, max_events_per_run: Math.max(...perRun.map((r) => r.events)),
      max_bytes_per_run: Math.max(...perRun.map((r) => r.bytes ?? 0)),
      total_events: perRun.reduce((a, r) => a + r.events, 0), total_activities: perRun.reduce((a, r) => a + r.activities, 0),
      child_workflows: perRun.reduce((a, r) => a + r.children, 0), per_run: perRun,
    },
  }));
} finally {
  await closeSharedSandbox();
  await env.teardown();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
}
