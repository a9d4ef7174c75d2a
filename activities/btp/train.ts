// (6) LoRA training: spawns python -m trainer.train --resume on the run's folder, heartbeats step and loss, records
// progress and metrics in training_runs. A retry (e.g. after the worker was killed) first kills the trainer the dead
// attempt left behind, then resumes from the newest checkpoint; a finished run is returned as recorded.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { trainerArgs } from '../../core/btp/index.ts';
import type { TrainerEvent } from '../../core/btp/trainer-protocol.ts';
import { spawnTrainer, trainerEnvStatus, type TrainerRunResult } from '../../core/trainer-env.ts';
import { trainingMetricsSchema, trainingRunConfigSchema, type TrainingMetrics } from '../../core/stored/btp.ts';
import type { Database } from '../../db/client.ts';
import { trainingRuns } from '../../db/schema/index.ts';
import { heartbeat } from '../heartbeat.ts';
import { storedOfRow } from '../stored-row.ts';
import { appendEvent, cancellationSignal } from './shared.ts';
import type { TrainAdapterResult } from './types.ts';

type TrainingRunRow = typeof trainingRuns.$inferSelect;

/** Kill a trainer that an earlier attempt of this run left behind (its worker was killed), before resuming. */
async function reapOrphanTrainer(outputDir: string): Promise<number | null> {
  const pidFile = join(outputDir, 'trainer.pid');
  if (!existsSync(pidFile)) return null;
  let info: { pid?: number; host?: string };
  try { info = JSON.parse(readFileSync(pidFile, 'utf8')) as typeof info; } catch { return null; }
  if (!info.pid || info.host !== hostname()) return null;
  let cmdline: string;
  try { cmdline = readFileSync(`/proc/${info.pid}/cmdline`, 'utf8'); } catch { return null; }
  if (!cmdline.includes('trainer.train') || !cmdline.includes(outputDir)) return null;
  try { process.kill(info.pid, 'SIGKILL'); } catch { return null; }
  for (let i = 0; i < 100 && existsSync(`/proc/${info.pid}`); i++) {
    const stat = (() => { try { return readFileSync(`/proc/${info.pid}/stat`, 'utf8'); } catch { return ''; } })();
    if (!stat || / Z /.test(stat)) break; // gone, or a zombie nobody reaps (its parent was killed)
    await new Promise((r) => setTimeout(r, 50));
  }
  return info.pid;
}

function trainResult(r: TrainingRunRow): TrainAdapterResult {
  const m = storedOfRow(trainingMetricsSchema, r.metrics, { table: 'training_runs', column: 'metrics', id: r.id });
  return { trainingRunId: r.id, adapterPath: r.adapterPath!, steps: r.lastStep, finalLoss: r.lastLoss,
    initialEvalLoss: m.initial_eval_loss ?? null, finalEvalLoss: m.final_eval_loss ?? null, resumedFromStep: m.resumed_from_step ?? null };
}

/** The run marked running (after reaping an orphan trainer; a retry is recorded as an event); this attempt's number. */
async function beginAttempt(db: Database, run: TrainingRunRow): Promise<number> {
  mkdirSync(run.outputDir, { recursive: true });
  const reaped = await reapOrphanTrainer(run.outputDir);
  const attempt = (() => { try { return Context.current().info.attempt; } catch { return 1; } })();
  await db.update(trainingRuns).set({ status: 'running', startedAt: run.startedAt ?? new Date(), updatedAt: new Date(), error: null })
    .where(eq(trainingRuns.id, run.id));
  if (reaped !== null || attempt > 1) {
    await appendEvent(db, run.campaignId, `btp:train:${run.iteration}:attempt:${attempt}`, 'btp_training_retry', { iteration: run.iteration, attempt, reapedPid: reaped, lastStep: run.lastStep });
  }
  return attempt;
}

/** The trainer's progress as it reports it: heartbeats, and training_runs written at most once a second (in order). */
function progressTracker(db: Database, run: TrainingRunRow) {
  const p = { lastStep: run.lastStep, lastLoss: run.lastLoss, resumedFrom: null as number | null, pending: Promise.resolve() as Promise<unknown> };
  let lastWrite = 0;
  const onEvent = (e: TrainerEvent) => {
    if (e.event === 'step') {
      p.lastStep = e.step; p.lastLoss = e.loss;
      heartbeat({ step: e.step, loss: e.loss });
      const now = Date.now();
      if (now - lastWrite > 1000) {
        lastWrite = now;
        p.pending = p.pending.then(() => db.update(trainingRuns).set({ lastStep: e.step, lastLoss: e.loss, updatedAt: new Date() }).where(eq(trainingRuns.id, run.id))).catch(() => {});
      }
    } else if (e.event === 'resume') {
      p.resumedFrom = e.from_step;
      heartbeat({ resumedFrom: e.from_step });
    } else if (e.event === 'checkpoint') {
      heartbeat({ checkpoint: e.step, step: p.lastStep, loss: p.lastLoss });
      p.pending = p.pending.then(() => db.update(trainingRuns).set({ lastStep: e.step, ...(p.lastLoss !== null ? { lastLoss: p.lastLoss } : {}), updatedAt: new Date() }).where(eq(trainingRuns.id, run.id))).catch(() => {});
    }
  };
  return { progress: p, onEvent };
}

/** Runs the trainer to its exit: a pid file for a later attempt to reap, heartbeats during its silent start, SIGTERM on cancel. */
async function runTrainer(db: Database, run: TrainingRunRow, attempt: number, signal: AbortSignal | undefined) {
  const cfg = storedOfRow(trainingRunConfigSchema, run.config, { table: 'training_runs', column: 'config', id: run.id });
  const outputDir = run.outputDir;
  const args = [...trainerArgs({ ...cfg.trainer, resume: true }), ...(cfg.debugStepSleep ? ['--debug-step-sleep', String(cfg.debugStepSleep)] : [])];
  const { progress, onEvent } = progressTracker(db, run);
  const proc = spawnTrainer('train', args, { onEvent });
  writeFileSync(join(outputDir, 'trainer.pid'), JSON.stringify({ pid: proc.child.pid, host: hostname(), trainingRunId: run.id, attempt }));
  // Startup (importing torch, loading the model) prints nothing for seconds: keep the heartbeat going meanwhile.
  const beat = setInterval(() => heartbeat({ step: progress.lastStep, loss: progress.lastLoss, alive: true }), 1000);
  const onCancel = () => { proc.child.kill('SIGTERM'); };
  signal?.addEventListener('abort', onCancel);
  let r: TrainerRunResult;
  try {
    r = await proc.done;
  } finally {
    clearInterval(beat);
    signal?.removeEventListener('abort', onCancel);
    await progress.pending;
    rmSync(join(outputDir, 'trainer.pid'), { force: true });
  }
  return { r, progress };
}

/** training_runs after the trainer exited: cancelled, failed (usage errors for good, others retried) or succeeded. */
async function recordExit(db: Database, run: TrainingRunRow, signal: AbortSignal | undefined,
  { r, progress }: Awaited<ReturnType<typeof runTrainer>>): Promise<void> {
  const { lastStep, lastLoss, resumedFrom } = progress;
  if (signal?.aborted) {
    await db.update(trainingRuns).set({ status: 'cancelled', lastStep, lastLoss, updatedAt: new Date() }).where(eq(trainingRuns.id, run.id));
    throw signal.reason ?? new Error(`training run ${run.id} cancelled at step ${lastStep}`);
  }
  const done = r.events.find<Extract<(typeof r.events)[number], { event: 'done' }>>((e) => e.event === 'done');
  if (r.code !== 0 || !done) {
    const err = r.events.find((e) => e.event === 'error') as { message?: string } | undefined;
    const message = `trainer exited with ${r.signal ?? `code ${r.code}`} at step ${lastStep}: ${err?.message ?? r.stderr.slice(-1500)}`;
    await db.update(trainingRuns).set({ status: r.code === 2 ? 'failed' : 'running', error: message, lastStep, lastLoss, updatedAt: new Date() }).where(eq(trainingRuns.id, run.id));
    if (r.code === 2) throw ApplicationFailure.nonRetryable(message, 'TrainerUsageError');
    throw new Error(message);
  }
  const metrics: TrainingMetrics = storedOfRow(trainingMetricsSchema, JSON.parse(readFileSync(done.metrics, 'utf8')), { table: 'metrics.json of training run', column: done.metrics, id: run.id });
  if (resumedFrom !== null && metrics.resumed_from_step === undefined) metrics.resumed_from_step = resumedFrom;
  const losses = metrics.losses ?? [];
  await db.update(trainingRuns).set({
    status: 'succeeded', adapterPath: done.adapter, metrics, lastStep: done.steps, lastLoss: done.final_loss ?? losses.at(-1) ?? lastLoss,
    finishedAt: new Date(), updatedAt: new Date(), error: null,
  }).where(eq(trainingRuns.id, run.id));
}

export async function train(db: Database, input: { trainingRunId: number }): Promise<TrainAdapterResult> {
  const [run] = await db.select().from(trainingRuns).where(eq(trainingRuns.id, input.trainingRunId));
  if (!run) throw ApplicationFailure.nonRetryable(`unknown training run ${input.trainingRunId}`);
  if (run.status === 'succeeded' && run.adapterPath) return trainResult(run);
  const env = trainerEnvStatus();
  if (!env.installed) throw ApplicationFailure.nonRetryable(`LoRA trainer unavailable: ${env.reason}`, 'TrainerEnvMissing');
  const attempt = await beginAttempt(db, run);
  const signal = cancellationSignal();
  await recordExit(db, run, signal, await runTrainer(db, run, attempt, signal));
  const [fin] = await db.select().from(trainingRuns).where(eq(trainingRuns.id, run.id));
  return trainResult(fin!);
}
