// The BTP fine-tuning cycle as one durable workflow per campaign. Iteration 0 evaluates the base target model; each
// iteration i ≥ 1 then runs
//   (1) beam sampling per training problem (n samples with logprobs, 'inference')  → beams rows
//   (2) testing each candidate against all of the problem's tests ('sandbox'; several problems per activity as
//       they are sampled: btp-test-stage.ts)                                       → pass_rate
//   (3) P2Value and (4) the experience buffer (dedupe, capacity, eviction; state in Postgres, 'default')
//   (5) prioritized sampling of the training set (power|rank, seeded; split guard)  → train.jsonl + training_runs
//   (6) LoRA training ('training': resumable Python trainer, heartbeats step+loss)   → adapter
//   (7) registering the adapter with the target model's server ('inference')
//   (8) evaluation: a baseline campaign (child workflow) on the evaluation problems under the adapter's name
// and records pass@1 in btp_iterations. It stops after `iterations` or once pass@1 has not improved for `patience`
// iterations in a row; continues-as-new after every iteration (bounded history). Pause/resume/cancel like the
// baseline campaign (a pause is forwarded to the running evaluation campaign).
import {
  ActivityCancellationType, CancellationScope, condition, ContinueAsNew, continueAsNew, getExternalWorkflowHandle, isCancellation,
  patched, proxyActivities, setHandler, startChild,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { activityOptions, taskQueues } from './activity-options.ts';
import { adapterNameOf, beamSeed, evalCampaignIdOf } from '../core/btp/names.ts';
import { btpProgressQuery } from './btp-names.ts';
import { BTP_TEST_BATCHES_PATCH, TestStage } from './btp-test-stage.ts';
export { btpProgressQuery } from './btp-names.ts';
import { baselineCampaign, failureMessage } from './campaign.ts';
import { cancelRequestedBeforeContinue } from './campaign-loop.ts';
import { pauseSignal, progressQuery, resumeSignal } from './signals.ts';
import type {
  BtpCycleInput, BtpCycleSummary, BtpIterationRecord, BtpProgress, BtpStage, CampaignProgress, ModelSpec,
} from '../core/contracts.ts';

const store = proxyActivities<Activities>(activityOptions.default);
const inference = proxyActivities<Activities>(activityOptions.inference);
const sandbox = proxyActivities<Activities>(activityOptions.sandbox);

/** Whether pass@1 should stop the cycle: `patience` iterations in a row without beating the best before them. */
export function shouldStop(history: readonly BtpIterationRecord[], patience: number): boolean {
  let best = -1;
  let since = 0;
  for (const h of history) {
    if (h.passAt1 > best) { best = h.passAt1; since = 0; } else since++;
  }
  return history.length > 1 && since >= patience;
}

export async function btpCycle(input: BtpCycleInput): Promise<BtpCycleSummary> {
  const p = input.params;
  const history: BtpIterationRecord[] = [...(input.history ?? [])];
  let iteration = input.nextIteration ?? 0;
  let paused = input.paused ?? false;
  let stage: BtpStage = 'starting';
  let problemsDone = 0;
  let problemsTotal = 0;
  let evalChild: string | null = null;

  const training = proxyActivities<Activities>({
    ...activityOptions.training,
    heartbeatTimeout: p.trainingHeartbeatTimeoutMs ?? activityOptions.training.heartbeatTimeout,
    retry: { ...activityOptions.training.retry, maximumAttempts: 20 },
    // A cancelled campaign waits for the trainer to checkpoint and exit before it is marked cancelled.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });

  const forward = (signal: typeof pauseSignal | typeof resumeSignal) => {
    if (evalChild) void getExternalWorkflowHandle(evalChild).signal(signal).catch(() => { /* the child may have finished */ });
  };
  setHandler(pauseSignal, () => { paused = true; forward(pauseSignal); });
  setHandler(resumeSignal, () => { paused = false; forward(resumeSignal); });
  const state = (): CampaignProgress['state'] => (stage === 'cancelled' ? 'cancelled' : stage === 'done' ? 'completed' : paused ? 'paused' : 'running');
  setHandler(progressQuery, (): CampaignProgress => ({
    campaignId: input.campaignId, total: p.iterations + 1, done: history.length, passed: history.at(-1)?.passed ?? 0, errors: 0,
    running: stage === 'done' || stage === 'cancelled' ? 0 : 1, paused, state: state(),
  }));
  setHandler(btpProgressQuery, (): BtpProgress => ({
    campaignId: input.campaignId, iteration, iterations: p.iterations, stage, paused, history: [...history], problemsDone, problemsTotal,
  }));

  const gate = () => condition(() => !paused);

  /** `count`: whether each item done counts in the progress (false: the caller counts). */
  async function forEachLimited<T>(items: readonly T[], limit: number, fn: (x: T) => Promise<void>, opts: { count: boolean } = { count: true }): Promise<void> {
    let next = 0;
    problemsDone = 0;
    problemsTotal = items.length;
    const lane = async () => {
      while (next < items.length) {
        await gate();
        const x = items[next++]!;
        await fn(x);
        if (opts.count) problemsDone++;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  }

  async function evaluate(it: number, modelName: string, trainingRunId: number | null, detail: Record<string, unknown>, baseUrl?: string): Promise<BtpIterationRecord> {
    await gate();
    stage = 'evaluating';
    const ev = await store.btpCreateEvalCampaign({ campaignId: input.campaignId, iteration: it, modelName });
    evalChild = `campaign-${ev.campaignId}`;
    const model: ModelSpec = { ...input.targetModel, model: modelName, ...(baseUrl ? { baseUrl } : {}) };
    const child = await startChild(baselineCampaign, {
      workflowId: evalChild,
      taskQueue: taskQueues.default,
      args: [{ campaignId: ev.campaignId, runId: ev.runId, problemIds: input.evalProblemIds, model, params: p.eval, concurrency: p.concurrency, paused }],
    });
    const summary = await child.result();
    evalChild = null;
    const rec = await store.btpRecordIteration({
      campaignId: input.campaignId, iteration: it, model: modelName, trainingRunId, problems: summary.problems, passed: summary.passed,
      passAt1: summary.passAt1, detail: { ...detail, evalCampaignId: ev.campaignId },
    });
    const record: BtpIterationRecord = {
      iteration: it, model: modelName, passAt1: summary.passAt1, passed: summary.passed, problems: summary.problems,
      evalCampaignId: evalCampaignIdOf(input.campaignId, it), trainingRunId, bufferSize: rec.bufferSize, ...(baseUrl ? { baseUrl } : {}),
    };
    history.push(record);
    return record;
  }

  try {
    if (iteration === 0) {
      await store.markCampaign({ campaignId: input.campaignId, status: 'running' });
      await evaluate(0, input.targetModel.model, null, { role: 'base target model' });
      iteration = 1;
    }
    let stoppedBecause: BtpCycleSummary['stoppedBecause'] = 'iterations';
    if (shouldStop(history, p.patience)) stoppedBecause = 'no-improvement';
    else if (iteration <= p.iterations) {
      const it = iteration;
      // Self-improvement (source = target): later iterations sample from the newest adapter. Big-to-small: always the source.
      const sameModel = input.sourceModel.kind === 'openai' && input.targetModel.kind === 'openai'
        && input.sourceModel.model === input.targetModel.model && input.sourceModel.baseUrl === input.targetModel.baseUrl;
      const last = history.at(-1);
      const sampler: ModelSpec = sameModel && last && last.trainingRunId !== null
        ? { ...input.targetModel, model: last.model, ...(last.baseUrl ? { baseUrl: last.baseUrl } : {}) } : input.sourceModel;

      stage = 'sampling';
      let candidatesPassed = 0;
      const sample = (problemId: number) => inference.btpSampleBeams({
        campaignId: input.campaignId, runId: input.runId, iteration: it, problemId, model: sampler, numBeams: p.numBeams,
        temperature: p.beamTemperature, topP: p.beamTopP, maxTokens: p.maxTokens, promptType: p.promptType,
        ...(p.promptFormat ? { promptFormat: p.promptFormat } : {}),
        seed: beamSeed(p.seed, it), possibility: p.possibility,
      });
      if (patched(BTP_TEST_BATCHES_PATCH)) {
        // Sampling lanes hand each problem to the test stage, whose batches test several problems per activity.
        const tests = new TestStage({
          campaignId: input.campaignId, iteration: it, numBeams: p.numBeams, testers: p.concurrency, gate, onTested: (n) => { problemsDone += n; },
        });
        const sampling = forEachLimited(input.trainProblemIds, p.concurrency, async (problemId) => {
          await sample(problemId);
          tests.add(problemId);
        }, { count: false }).then(() => tests.close());
        candidatesPassed = (await Promise.all([tests.done, sampling]))[0].passed;
      } else {
        await forEachLimited(input.trainProblemIds, p.concurrency, async (problemId) => {
          await sample(problemId);
          const t = await sandbox.btpTestBeams({ campaignId: input.campaignId, iteration: it, problemId });
          candidatesPassed += t.passed;
        });
      }

      await gate();
      stage = 'buffer';
      const buffer = await store.btpUpdateBuffer({
        campaignId: input.campaignId, iteration: it, p2valueAlpha: p.p2valueAlpha, bufferSize: p.bufferSize, eviction: p.eviction,
      });

      await gate();
      stage = 'training';
      const set = await store.btpSampleTrainingSet({
        campaignId: input.campaignId, iteration: it, trainSetSize: p.trainSetSize, sampling: p.sampling, seed: p.seed,
        evalProblemIds: input.evalProblemIds, promptType: p.promptType, trainPrompt: p.trainPrompt, bufferSize: p.bufferSize, eviction: p.eviction,
        ...(p.promptFormat ? { promptFormat: p.promptFormat } : {}),
        trainer: p.trainer, workDir: input.workDir,
      });
      const trained = await training.btpTrain({ trainingRunId: set.trainingRunId });

      await gate();
      stage = 'registering';
      const adapterName = adapterNameOf(input.targetModel.model, input.campaignId, it);
      const served = await inference.btpRegisterAdapter({
        model: input.targetModel, adapterName, adapterPath: trained.adapterPath, campaignId: input.campaignId, iteration: it,
        baseModelDir: p.trainer.baseModelDir,
      });

      await evaluate(it, adapterName, trained.trainingRunId, {
        role: 'adapter', sampledWith: sampler.model, candidatesPassed, buffer, trainingExamples: set.examples,
        trainSteps: trained.steps, finalLoss: trained.finalLoss, initialEvalLoss: trained.initialEvalLoss,
        finalEvalLoss: trained.finalEvalLoss, resumedFromStep: trained.resumedFromStep, adapterPath: trained.adapterPath,
        ...(served.baseUrl ? { servedAt: served.baseUrl } : {}),
      }, served.baseUrl);
      if (it < p.iterations && !shouldStop(history, p.patience)) {
        const cancelled = cancelRequestedBeforeContinue(input.campaignId); // a cancel that came with the last result
        if (cancelled) throw cancelled;
        await continueAsNew<typeof btpCycle>({ ...input, nextIteration: it + 1, history, paused });
      }
      if (it < p.iterations && shouldStop(history, p.patience)) stoppedBecause = 'no-improvement';
    }

    stage = 'done';
    const best = history.reduce((a, b) => (b.passAt1 > a.passAt1 ? b : a), history[0]!);
    const lastRec = history.at(-1)!;
    const info = await store.btpFinish({ campaignId: input.campaignId, status: 'completed', passAt1: lastRec.passAt1 });
    return {
      campaignId: input.campaignId, dataset: info.dataset, model: info.model, simulated: info.simulated, method: 'btp',
      problems: lastRec.problems, passed: lastRec.passed, passAt1: lastRec.passAt1,
      iterations: history, bestIteration: best.iteration, bestPassAt1: best.passAt1, stoppedBecause,
    };
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    if (isCancellation(err)) {
      stage = 'cancelled';
      await CancellationScope.nonCancellable(() => store.btpFinish({ campaignId: input.campaignId, status: 'cancelled', passAt1: history.at(-1)?.passAt1 ?? null }));
      throw err;
    }
    if (err instanceof Error) {
      await store.btpFinish({ campaignId: input.campaignId, status: 'failed', passAt1: history.at(-1)?.passAt1 ?? null, error: failureMessage(err) });
    }
    throw err;
  }
}
