// The BTP cycle through the real Temporal dev server, Postgres, nsjail, the simulated model server and the real LoRA
// trainer on the tiny local model: one full iteration (beams, buffer rows, a trained adapter, the adapter registered,
// evaluations recorded), a training worker SIGKILLed mid-training (the activity retries on another worker and resumes
// from the checkpoint; nothing is duplicated), and the train/eval split guard.
//
// Run as `BTP_TRAINING_WORKER=1 node --import tsx <this file>`, the file is the training worker that test kills.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { NativeConnection } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { and, asc, count, eq } from 'drizzle-orm';
import { createActivities } from '../../activities/index.ts';
import { modelBackendCache } from '../../activities/model-backend.ts';
import { startSimulatedModelServer, type SimulatedServer } from '../../activities/model/simulated-server.ts';
import { closeSharedSandbox, getSharedSandbox } from '../../activities/sandbox/index.ts';
import { parseRunOptions, type RunOptionsInput } from '../../campaigns/options.ts';
import { campaignProgress, signalCampaign, startCampaign, waitForBtpCampaign } from '../../campaigns/service.ts';
import { knowledgeFor } from '../../cli/simulated.ts';
import { p2value, TrainEvalLeakError } from '../../core/btp/index.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import { spawnTrainer, trainerEnvStatus } from '../../core/trainer-env.ts';
import { openDatabase } from '../../db/client.ts';
import { beams, btpIterations, bufferEntries, campaigns, events, results, trainingRuns } from '../../db/schema/index.ts';
import { btpProgressQuery } from '../../workflows/btp-names.ts';
import type { BtpCycleSummary } from '../../core/contracts.ts';
import { startWorkers, type RunningWorkers } from '../../workers/worker.ts';
import { freshPostgresDatabase, startTestTemporal, type TestDatabase } from '../support/services.ts';
import { waitFor } from '../support/wait.ts';

if (process.env.BTP_TRAINING_WORKER === '1') {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const database = await openDatabase(process.env.DATABASE_URL!, { poolSize: 2 });
  const w = await startWorkers({ connection, queues: ['training'], deps: { db: database.db, sandbox: getSharedSandbox, model: modelBackendCache() } });
  // The test holds our stdin: when it goes away (even killed), so do we.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  process.stdout.write('ready\n');
  await w.done;
} else {
  const trainerEnv = trainerEnvStatus();
  const skip = trainerEnv.installed ? false : `trainer env not installed: ${trainerEnv.reason}`;

  describe('BTP cycle (Temporal + Postgres + nsjail + simulated model + LoRA trainer on the tiny model)', { timeout: 1_200_000, skip }, () => {
    let env: TestWorkflowEnvironment;
    let db: TestDatabase;
    let workers: RunningWorkers;
    let sim: SimulatedServer;
    let dir = '';
    let tinyModel = '';

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'egcfg-btp-'));
      tinyModel = join(dir, 'tiny');
      const built = spawnTrainer('tiny_model', ['--output', tinyModel]).done;
      [env, db] = await Promise.all([startTestTemporal(), freshPostgresDatabase()]);
      const r = await built;
      assert.equal(r.code, 0, r.stderr);
      const all = await loadDataset('mbpp', { split: 'all' });
      // checkLoraPath: the server refuses a path that is not a PEFT adapter folder, as vLLM would.
      sim = await startSimulatedModelServer({ knowledge: knowledgeFor(all), modelName: 'sim', skill: 0.5, checkLoraPath: true });
      // No training worker here: each test decides where training runs.
      workers = await startWorkers({
        connection: env.nativeConnection, queues: ['default', 'inference', 'sandbox'],
        deps: { db: db.db, sandbox: getSharedSandbox, model: modelBackendCache() },
      });
    }, { timeout: 300_000 });
    after(async () => {
      await workers?.shutdown();
      await closeSharedSandbox();
      await sim?.close();
      await env?.teardown();
      await db?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, { timeout: 120_000 });

    const ctx = () => ({ db: db.db, client: env.client });
    const options = (over: Partial<RunOptionsInput> = {}) => parseRunOptions({
      dataset: 'mbpp', method: 'btp', modelName: 'sim', maxProblems: 3, maxTrainProblems: 4, numBeams: 3, beamTemperature: 0.8,
      trainSetSize: 8, batchSize: 4, maxSteps: 6, saveEvery: 3, learningRate: 0.01, iterations: 1, concurrency: 4,
      baseModelDir: tinyModel, workDir: join(dir, 'work'), maxTokens: 256, ...over,
    });
    const model = () => ({ kind: 'openai' as const, baseUrl: sim.url, model: 'sim', simulated: true });
    const trainingWorker = () => startWorkers({
      connection: env.nativeConnection, queues: ['training'], deps: { db: db.db, sandbox: getSharedSandbox, model: modelBackendCache() },
    });

    /** Rows of a finished campaign that must hold whatever happened on the way. */
    async function checkStored(campaignId: string, summary: BtpCycleSummary, alpha: number, steps: number) {
      const beamRows = await db.db.select().from(beams).where(eq(beams.campaignId, campaignId));
      assert.equal(beamRows.length, 4 * 3, 'numBeams candidates per training problem');
      for (const b of beamRows) {
        assert.ok(b.passRate !== null && b.testsTotal === 3, `beam ${b.id} tested against all 3 tests`);
        assert.ok(b.possibility > 0 && b.possibility <= 1, `possibility ${b.possibility}`);
        assert.ok(Math.abs(b.p2value! - p2value(b.possibility, b.passRate, alpha)) < 1e-12);
      }
      // The buffer: one row per distinct (problem, normalised code) among the candidates, nothing twice.
      const buffer = await db.db.select().from(bufferEntries).where(eq(bufferEntries.campaignId, campaignId));
      const distinct = new Set(beamRows.filter((b) => b.candidate.trim() !== '').map((b) => `${b.problemId}:${b.codeHash}`));
      assert.equal(buffer.length, distinct.size);
      assert.ok(buffer.length > 0);
      const runs = await db.db.select().from(trainingRuns).where(eq(trainingRuns.campaignId, campaignId));
      assert.equal(runs.length, 1);
      const run = runs[0]!;
      assert.equal(run.status, 'succeeded', run.error ?? '');
      assert.ok(run.adapterPath && existsSync(join(run.adapterPath, 'adapter_config.json')), 'a PEFT adapter was written');
      assert.equal((run.metrics as { steps: number }).steps, steps);
      const lines = readFileSync(join(run.outputDir, 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { problem_id: number; completion: string });
      assert.equal(lines.length, 8);
      const bufferProblems = new Set(buffer.map((b) => b.problemId));
      for (const l of lines) assert.ok(bufferProblems.has(l.problem_id), 'every training example comes from the buffer');
      // Adapter registered under its name, pointing at the adapter folder.
      const it1 = summary.iterations.find((h) => h.iteration === 1)!;
      assert.equal(sim.stats().loraAdapters[it1.model], run.adapterPath);
      // One btp_iterations row per evaluation, each from a baseline campaign with one result per problem.
      const its = await db.db.select().from(btpIterations).where(eq(btpIterations.campaignId, campaignId)).orderBy(asc(btpIterations.iteration));
      assert.deepEqual(its.map((i) => [i.iteration, i.model]), [[0, 'sim'], [1, it1.model]]);
      assert.equal(its[1]!.trainingRunId, run.id);
      for (const h of summary.iterations) {
        const [{ n }] = (await db.db.select({ n: count() }).from(results).where(eq(results.campaignId, h.evalCampaignId))) as [{ n: number }];
        assert.equal(Number(n), 3, `evaluation ${h.evalCampaignId}: one result per evaluation problem`);
        const row = its.find((i) => i.iteration === h.iteration)!;
        assert.equal(row.passAt1, h.passAt1);
        assert.equal(row.passed, h.passed);
      }
      const [c] = await db.db.select().from(campaigns).where(eq(campaigns.id, campaignId));
      assert.equal(c!.status, 'completed');
      return { run, buffer, its };
    }

    test('one full iteration: beams tested, buffer rows, an adapter trained and registered, pass@1 per iteration recorded', async () => {
      const training = await trainingWorker();
      try {
        const created = await startCampaign(ctx(), options(), model());
        const summary = await waitForBtpCampaign(ctx(), created.campaignId);
        assert.equal(summary.method, 'btp');
        assert.equal(summary.simulated, true);
        assert.deepEqual(summary.iterations.map((h) => h.iteration), [0, 1]);
        const { run } = await checkStored(created.campaignId, summary, 0.5, 6);
        assert.equal((run.metrics as { resumed_from_step?: number }).resumed_from_step ?? null, null, 'an uninterrupted run resumes nothing');
        const drawn = (run.config as { sampling: { drawn: unknown[]; kind: string } }).sampling;
        assert.equal(drawn.kind, 'power');
        assert.equal(drawn.drawn.length, 8);
      } finally {
        await training.shutdown();
      }
    });

    test('a training worker SIGKILLed mid-training: the activity retries elsewhere and resumes from the checkpoint, nothing twice', async () => {
      let child: ChildProcess | undefined;
      let training: RunningWorkers | undefined;
      try {
        child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
          env: { ...process.env, BTP_TRAINING_WORKER: '1', TEMPORAL_ADDRESS: env.address, DATABASE_URL: db.url },
          stdio: ['pipe', 'pipe', 'inherit'],
        });
        await new Promise<void>((resolve, reject) => {
          child!.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); });
          child!.on('exit', (code) => reject(new Error(`training worker exited early (${code})`)));
        });
        const created = await startCampaign(ctx(), options({
          p2valueAlpha: 0.3, samplingMethod: 'rank', maxSteps: 40, saveEvery: 5, debugStepSleep: 0.15, trainingHeartbeatTimeoutMs: 3000,
        }), model());
        // Wait until the child's trainer has passed a checkpoint, then kill the worker process outright.
        const killedAt = await waitFor('the trainer past step 10', async () => {
          const [run] = await db.db.select().from(trainingRuns).where(eq(trainingRuns.campaignId, created.campaignId));
          assert.ok(!run || run.status !== 'succeeded', 'training finished before the kill');
          return run && run.lastStep >= 10 && run.lastStep;
        }, { timeoutMs: 300_000 });
        child.kill('SIGKILL');
        await new Promise((r) => child!.once('exit', r));
        training = await trainingWorker();
        const summary = await waitForBtpCampaign(ctx(), created.campaignId);
        const [run] = await db.db.select().from(trainingRuns).where(eq(trainingRuns.campaignId, created.campaignId));
        assert.equal(run!.status, 'succeeded');
        const m = run!.metrics as { steps: number; resumed_from_step: number; losses: number[] };
        assert.equal(m.steps, 40);
        assert.ok(m.resumed_from_step >= 5 && m.resumed_from_step <= killedAt + 5, `resumed from step ${m.resumed_from_step} (killed near ${killedAt})`);
        assert.equal(m.losses.length, 40);
        const retries = await db.db.select().from(events).where(and(eq(events.campaignId, created.campaignId), eq(events.kind, 'btp_training_retry')));
        assert.ok(retries.length >= 1, 'the retry is recorded');
        assert.equal(existsSync(join(run!.outputDir, 'trainer.pid')), false);
        // Everything else once: checkStored counts beams, buffer rows, iterations and results.
        await checkStored(created.campaignId, summary, 0.3, 40);
      } finally {
        if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await training?.shutdown();
      }
    });

    test('pause, resume and cancel: the progress query says so, a cancel stops the trainer and marks the campaign and its run', async () => {
      const training = await trainingWorker();
      try {
        const created = await startCampaign(ctx(), options({ maxSteps: 200, saveEvery: 5, debugStepSleep: 0.1, trainingHeartbeatTimeoutMs: 3000 }), model());
        const handle = env.client.workflow.getHandle(created.workflowId);
        await signalCampaign(ctx(), created.campaignId, 'pause');
        const paused = await handle.query(btpProgressQuery);
        assert.equal(paused.paused, true);
        assert.equal((await campaignProgress(ctx(), created.campaignId)).state, 'paused');
        await signalCampaign(ctx(), created.campaignId, 'resume');
        assert.equal((await handle.query(btpProgressQuery)).paused, false);
        await waitFor('the trainer past step 5', async () => {
          const [run] = await db.db.select().from(trainingRuns).where(eq(trainingRuns.campaignId, created.campaignId));
          return run && run.lastStep >= 5;
        }, { timeoutMs: 300_000 });
        assert.equal((await handle.query(btpProgressQuery)).stage, 'training');
        await signalCampaign(ctx(), created.campaignId, 'cancel');
        await assert.rejects(handle.result());
        const [c] = await db.db.select().from(campaigns).where(eq(campaigns.id, created.campaignId));
        assert.equal(c!.status, 'cancelled');
        const [run] = await db.db.select().from(trainingRuns).where(eq(trainingRuns.campaignId, created.campaignId));
        assert.equal(run!.status, 'cancelled', 'the training activity saw the cancellation before the campaign finished');
        assert.ok(run!.lastStep < 200);
        assert.equal(existsSync(join(run!.outputDir, 'trainer.pid')), false, 'the trainer is gone');
      } finally {
        await training.shutdown();
      }
    });

    test('the split guard: no campaign trains on evaluation problems, and the training-set activity refuses them', async () => {
      await assert.rejects(
        startCampaign(ctx(), options({ trainSplits: ['test'], maxTrainProblems: 5 }), model()),
        (err: unknown) => err instanceof TrainEvalLeakError && err.offendingIds.length === 3,
      );
      // MBPP-ET evaluation problems are MBPP tasks under another dataset name: caught by task id.
      await assert.rejects(
        startCampaign(ctx(), options({ dataset: 'mbpp-et', trainDataset: 'mbpp', trainSplits: ['test'], maxTrainProblems: 500 }), model()),
        (err: unknown) => err instanceof TrainEvalLeakError && err.offendingIds.length === 3,
      );
      // A buffer that holds a problem the evaluation uses (here: declared so) is refused before anything is written.
      const [c] = await db.db.select().from(campaigns).where(eq(campaigns.method, 'btp')).limit(1);
      const entries = await db.db.select().from(bufferEntries).where(eq(bufferEntries.campaignId, c!.id));
      assert.ok(entries.length > 0);
      const acts = createActivities({ db: db.db, sandbox: getSharedSandbox, model: modelBackendCache() });
      const o = options();
      await assert.rejects(
        acts.btpSampleTrainingSet({
          campaignId: c!.id, iteration: 99, trainSetSize: 50, sampling: { kind: 'power', alpha: 1 }, seed: 1,
          evalProblemIds: [...new Set(entries.map((e) => e.problemId))], promptType: 'deepseek_instruct', trainPrompt: 'compact', bufferSize: o.bufferSize, eviction: o.eviction,
          trainer: { baseModelDir: tinyModel, loraR: 8, loraAlpha: 16, loraDropout: 0, learningRate: 0.01, epochs: 1, maxSteps: 1, batchSize: 1, saveEvery: 0, maxLength: 64, threads: 1, device: 'cpu' },
          workDir: join(dir, 'guard'),
        }),
        (err: Error & { nonRetryable?: boolean; type?: string }) => /train\/eval leak/.test(err.message) && err.nonRetryable === true && err.type === 'TrainEvalLeakError',
      );
      const [{ n }] = (await db.db.select({ n: count() }).from(trainingRuns).where(and(eq(trainingRuns.campaignId, c!.id), eq(trainingRuns.iteration, 99)))) as [{ n: number }];
      assert.equal(Number(n), 0);
      assert.equal(existsSync(join(dir, 'guard', 'it-99', 'train.jsonl')), false);
    });
  });
}
