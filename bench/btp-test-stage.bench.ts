// Benchmark (not a test): the BTP test stage — every beam candidate of every problem against the problem's tests in
// the sandbox — (a) as the sandbox library's own rate (sandbox.run over the same programs, same lanes) and (b) through
// the platform: a workflow running the stage's orchestration (workflows/btp-test-stage.ts, as the BTP workflow runs it:
// batches of problems in btpTestBeamsBatch activities on the sandbox queue, which read the beams, run them in the
// sandbox, store executions and pass rates). Candidates: each MBPP problem's reference solution, broken for every
// third beam, made distinct by a comment. The two alternate for --rounds rounds (each platform round tests its own
// iteration's beams), so that a change in the machine's load weighs on both alike; the CPU time of each process
// (bench/cpu-probe.ts) is summed per side.
// Prints one JSON line: executions/s of both over all rounds and their ratio (goal: platform / library ≥ 0.8), and each round's.
// Usage: npx tsx bench/btp-test-stage.bench.ts [--problems N] [--beams B] [--concurrency C] [--rounds R] [--warmup W (default 1)]
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { Worker } from '@temporalio/worker';
import { z } from 'zod';
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
import { cpuDelta, cpuSnapshot, type CpuSnapshot } from './cpu-probe.ts';

const { values } = parseArgs({ options: { problems: { type: 'string' }, beams: { type: 'string' }, concurrency: { type: 'string' }, rounds: { type: 'string' }, warmup: { type: 'string' } } });
const N = Number(values.problems ?? 100);
const B = Number(values.beams ?? 5);
const R = Number(values.rounds ?? 2);
// Uncounted rounds first (both sides): the worker's first workflow tasks (bundle load, sticky cache) and the sandbox
// pool's first programs are start-up costs a campaign pays once, not per candidate.
const W = Number(values.warmup ?? 1);
const sandbox = await getSharedSandbox();
const lanes = Number(values.concurrency ?? sandbox.poolSize * 2);

const problems = (await loadDataset('mbpp', { split: 'test' })).slice(0, N);
const candidate = (code: string, j: number) => (j % 3 === 2 ? `${code}\nraise ValueError('broken beam')\n` : code) + `\n# beam ${j}\n`;
const db = await freshPostgresDatabase();
const env = await startTestTemporal();
const addCpu = (a: CpuSnapshot, b: CpuSnapshot): CpuSnapshot => Object.fromEntries(Object.keys(b).map((k) => [k, (a[k] ?? 0) + b[k]!]));
try {
  const problemIds = await upsertProblems(db.db, problems);
  const campaignId = 'btp-bench';
  await db.db.insert(campaigns).values({ id: campaignId, method: 'btp', dataset: 'mbpp', model: 'bench', simulated: false, config: {} });
  const [run] = await db.db.insert(runs).values({ campaignId, name: 'btp', config: {} }).returning();
  // Iterations 1..R are the timed rounds, R+1..R+W the warm-up rounds (each platform round tests its own iteration's beams).
  for (let iteration = 1; iteration <= R + W; iteration++) {
    for (const [i, p] of problems.entries()) {
      const codes = Array.from({ length: B }, (_, j) => candidate(p.canonicalSolution, j));
      const ss = await db.db.insert(samples).values(codes.map((code, j) => ({ campaignId, runId: run!.id, problemId: problemIds[i]!,
        attempt: beamAttempt(iteration, j), code, rawCompletion: code, model: 'bench', params: {} }))).returning({ id: samples.id });
      await db.db.insert(beams).values(codes.map((code, j) => ({ campaignId, iteration, problemId: problemIds[i]!, beamIndex: j, candidate: code,
        codeHash: codeHash(code), sampleId: ss[j]!.id, tokenCount: 1, possibility: 0.5, model: 'bench' })));
    }
  }
  // Warm-up: the pool, outside both timings.
  await Promise.all(Array.from({ length: lanes }, () => sandbox.run({ program: 'x = 1', tests: [{ id: 't', code: 'assert x == 1' }] })));
  const PidRows = z.array(z.object({ pid: z.coerce.number() }));
  const pgPids = async () => PidRows.parse(await db.db.execute(sql`select pid from pg_stat_activity where datname = current_database()`)).map((r) => r.pid);
  const jobs = problems.flatMap((p) => Array.from({ length: B }, (_, j) => buildEvaluation(p, candidate(p.canonicalSolution, j), 'eval')));

  // (a) the sandbox library: the same programs, the same lanes.
  async function library(): Promise<{ ms: number; passed: number; cpu: CpuSnapshot }> {
    let next = 0;
    let passed = 0;
    const cpu0 = cpuSnapshot(await pgPids());
    const t0 = performance.now();
    await Promise.all(Array.from({ length: lanes }, async () => {
      while (next < jobs.length) {
        const e = jobs[next++]!;
        if ((await sandbox.run({ program: e.program, tests: e.tests, mode: 'verdict' })).passed) passed++;
      }
    }));
    const ms = performance.now() - t0;
    return { ms, passed, cpu: cpuDelta(cpu0, cpuSnapshot(await pgPids())) };
  }

  // (b) through the platform.
  const deps = { db: db.db, sandbox: getSharedSandbox, model: modelBackendCache() };
  const workers = await startWorkers({ connection: env.nativeConnection, deps, queues: ['sandbox'], concurrency: { activities: { sandbox: lanes } } });
  const stage = await Worker.create({ connection: env.nativeConnection, taskQueue: 'bench-btp-test-stage', workflowsPath: repoPath('bench', 'btp-test-stage.workflow.ts') });
  const stageRun = stage.run();
  async function platform(iteration: number): Promise<{ ms: number; passed: number; tested: number; cpu: CpuSnapshot }> {
    const cpu0 = cpuSnapshot(await pgPids());
    const t0 = performance.now();
    const out = await env.client.workflow.execute(btpTestStageBench, { workflowId: `btp-test-stage-${iteration}`, taskQueue: 'bench-btp-test-stage',
      args: [{ campaignId, iteration, problemIds, numBeams: B, concurrency: lanes }] });
    const ms = performance.now() - t0;
    return { ms, passed: out.passed, tested: out.tested, cpu: cpuDelta(cpu0, cpuSnapshot(await pgPids())) };
  }

  for (let w = 1; w <= W; w++) { await library(); await platform(R + w); }
  const rounds = [];
  let libCpu: CpuSnapshot = {};
  let wfCpu: CpuSnapshot = {};
  for (let r = 1; r <= R; r++) {
    const lib = await library();
    const wf = await platform(r);
    if (wf.tested !== jobs.length || wf.passed !== lib.passed) throw new Error(`round ${r}: platform tested ${wf.tested} (passed ${wf.passed}), library ${jobs.length} (passed ${lib.passed})`);
    libCpu = addCpu(libCpu, lib.cpu);
    wfCpu = addCpu(wfCpu, wf.cpu);
    rounds.push({ library_ms: Math.round(lib.ms), platform_ms: Math.round(wf.ms), ratio: +(lib.ms / wf.ms).toFixed(3), passed: wf.passed });
  }
  stage.shutdown();
  await stageRun;
  await workers.shutdown();

  const executions = jobs.length * R;
  const libMs = rounds.reduce((a, r) => a + r.library_ms, 0);
  const wfMs = rounds.reduce((a, r) => a + r.platform_ms, 0);
  const perExec = (c: CpuSnapshot) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, +(v / executions).toFixed(2)]));
  console.log(JSON.stringify({
    bench: 'btp-test-stage', problems: N, beams_per_problem: B, rounds: R, warmup_rounds: W, executions, lanes, sandbox_pool: sandbox.poolSize,
    library_exec_per_s: +(executions / libMs * 1000).toFixed(1), platform_exec_per_s: +(executions / wfMs * 1000).toFixed(1),
    ratio: +(libMs / wfMs).toFixed(3), goal_ratio_min: 0.8, per_round: rounds,
    library_cpu_ms_per_exec: perExec(libCpu), platform_cpu_ms_per_exec: perExec(wfCpu),
  }));
} finally {
  await closeSharedSandbox();
  await env.teardown();
  await db.drop();
}
