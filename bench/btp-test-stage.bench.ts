// Benchmark (not a test): the BTP test stage — every beam candidate of every problem against the problem's tests in
// the sandbox — (a) as the sandbox library's own rate (sandbox.run over the same programs, same lanes) and (b) through
// the platform: a workflow running the stage's orchestration (bench/btp-test-stage.workflow.ts: lanes of
// btpTestBeams activities on the sandbox queue, which read the beams, run executeSample, store executions and
// pass rates). Candidates: each MBPP problem's reference solution, broken for every third beam, made distinct by a comment.
// Prints one JSON line: executions/s of both and their ratio (goal: platform / library ≥ 0.8).
// Usage: npx tsx bench/btp-test-stage.bench.ts [--problems N] [--beams B] [--concurrency C]
import { parseArgs } from 'node:util';
import { Worker } from '@temporalio/worker';
import { modelBackendCache } from '../activities/model-backend.ts';
import { closeSharedSandbox, getSharedSandbox } from '../activities/sandbox/index.ts';
import { upsertProblems } from '../campaigns/service.ts';
import { codeHash } from '../core/btp/buffer.ts';
import { beamAttempt } from '../core/btp/names.ts';
import { buildEvaluation, loadDataset } from '../core/datasets/index.ts';
import { repoPath } from '../core/repo.ts';
import { beams, campaigns, runs, samples } from '../db/schema/index.ts';
import { startTestTemporal, freshPostgresDatabase } from '../test/support/services.ts';
import { startWorkers } from '../workers/worker.ts';
import { btpTestStageBench } from './btp-test-stage.workflow.ts';

const { values } = parseArgs({ options: { problems: { type: 'string' }, beams: { type: 'string' }, concurrency: { type: 'string' } } });
const N = Number(values.problems ?? 100);
const B = Number(values.beams ?? 5);
const sandbox = await getSharedSandbox();
const lanes = Number(values.concurrency ?? sandbox.poolSize * 2);

const problems = (await loadDataset('mbpp', { split: 'test' })).slice(0, N);
const candidate = (code: string, j: number) => (j % 3 === 2 ? `${code}\nraise ValueError('broken beam')\n` : code) + `\n# beam ${j}\n`;
const db = await freshPostgresDatabase();
const env = await startTestTemporal();
try {
  const problemIds = await upsertProblems(db.db, problems);
  const campaignId = 'btp-bench';
  await db.db.insert(campaigns).values({ id: campaignId, method: 'btp', dataset: 'mbpp', model: 'bench', simulated: false, config: {} });
  const [run] = await db.db.insert(runs).values({ campaignId, name: 'btp', config: {} }).returning();
  for (const [i, p] of problems.entries()) {
    for (let j = 0; j < B; j++) {
      const code = candidate(p.canonicalSolution, j);
      const [s] = await db.db.insert(samples).values({ campaignId, runId: run!.id, problemId: problemIds[i]!, attempt: beamAttempt(1, j),
        code, rawCompletion: code, model: 'bench', params: {} }).returning({ id: samples.id });
      await db.db.insert(beams).values({ campaignId, iteration: 1, problemId: problemIds[i]!, beamIndex: j, candidate: code,
        codeHash: codeHash(code), sampleId: s!.id, tokenCount: 1, possibility: 0.5, model: 'bench' });
    }
  }
  // Warm-up: the pool, outside both timings.
  await Promise.all(Array.from({ length: lanes }, () => sandbox.run({ program: 'x = 1', tests: [{ id: 't', code: 'assert x == 1' }] })));

  // (a) the sandbox library: the same programs, the same lanes.
  const jobs = problems.flatMap((p) => Array.from({ length: B }, (_, j) => buildEvaluation(p, candidate(p.canonicalSolution, j), 'eval')));
  let next = 0;
  let libPassed = 0;
  const libStart = performance.now();
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < jobs.length) {
      const e = jobs[next++]!;
      if ((await sandbox.run({ program: e.program, tests: e.tests, mode: 'verdict' })).passed) libPassed++;
    }
  }));
  const libMs = performance.now() - libStart;

  // (b) through the platform.
  const deps = { db: db.db, sandbox: getSharedSandbox, model: modelBackendCache() };
  const workers = await startWorkers({ connection: env.nativeConnection, deps, queues: ['sandbox'], concurrency: { activities: { sandbox: lanes } } });
  const stage = await Worker.create({ connection: env.nativeConnection, taskQueue: 'bench-btp-test-stage', workflowsPath: repoPath('bench', 'btp-test-stage.workflow.ts') });
  const stageRun = stage.run();
  const wfStart = performance.now();
  const out = await env.client.workflow.execute(btpTestStageBench, { workflowId: 'btp-test-stage', taskQueue: 'bench-btp-test-stage',
    args: [{ campaignId, iteration: 1, problemIds, concurrency: lanes }] });
  const wfMs = performance.now() - wfStart;
  stage.shutdown();
  await stageRun;
  await workers.shutdown();

  const executions = jobs.length;
  const lib = executions / libMs * 1000;
  const platform = out.tested / wfMs * 1000;
  console.log(JSON.stringify({
    bench: 'btp-test-stage', problems: N, beams_per_problem: B, executions, lanes, sandbox_pool: sandbox.poolSize,
    library_exec_per_s: +lib.toFixed(1), platform_exec_per_s: +platform.toFixed(1), ratio: +(platform / lib).toFixed(3), goal_ratio_min: 0.8,
    library_passed: libPassed, platform_passed: out.passed, library_ms: Math.round(libMs), platform_ms: Math.round(wfMs),
  }));
} finally {
  await closeSharedSandbox();
  await env.teardown();
  await db.drop();
}
