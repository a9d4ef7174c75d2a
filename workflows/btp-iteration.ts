// One training iteration i ≥ 1 of the BTP cycle (workflows/btp.ts): (1) beams and (2) their tests, (3)+(4) P2Value
// and the buffer, (5) the training set, (6) LoRA training, (7) the adapter served, (8) its evaluation.
import { ActivityCancellationType, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { adapterNameOf, beamSeed } from '../core/btp/names.ts';
import type { BtpIterationRecord, ModelSpec } from '../core/contracts.ts';
import { activityOptions } from './activity-options.ts';
import { evaluate } from './btp-evaluate.ts';
import { forEachTrainingProblem, gate, type BtpCycleState } from './btp-state.ts';
import { BTP_TEST_BATCHES_PATCH, TestStage } from './btp-test-stage.ts';

const store = proxyActivities<Activities>(activityOptions.default);
const inference = proxyActivities<Activities>(activityOptions.inference);
const sandbox = proxyActivities<Activities>(activityOptions.sandbox);

/** Self-improvement (source = target): later iterations sample from the newest adapter. Big-to-small: always the source. */
export function samplerOf(s: BtpCycleState): ModelSpec {
  const { input } = s;
  const sameModel = input.sourceModel.kind === 'openai' && input.targetModel.kind === 'openai'
    && input.sourceModel.model === input.targetModel.model && input.sourceModel.baseUrl === input.targetModel.baseUrl;
  const last = s.history.at(-1);
  return sameModel && last && last.trainingRunId !== null
    ? { ...input.targetModel, model: last.model, ...(last.baseUrl ? { baseUrl: last.baseUrl } : {}) } : input.sourceModel;
}

/** Stages (1)+(2): beams of every training problem, each problem tested once sampled; the candidates that passed. */
async function sampleAndTest(s: BtpCycleState, it: number, sampler: ModelSpec): Promise<number> {
  const { input } = s;
  const p = input.params;
  s.stage = 'sampling';
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
      campaignId: input.campaignId, iteration: it, numBeams: p.numBeams, testers: p.concurrency, gate: () => gate(s), onTested: (n) => { s.problemsDone += n; },
    });
    const sampling = forEachTrainingProblem(s, p.concurrency, async (problemId) => {
      await sample(problemId);
      tests.add(problemId);
    }, { count: false }).then(() => tests.close());
    candidatesPassed = (await Promise.all([tests.done, sampling]))[0].passed;
  } else {
    await forEachTrainingProblem(s, p.concurrency, async (problemId) => {
      await sample(problemId);
      const t = await sandbox.btpTestBeams({ campaignId: input.campaignId, iteration: it, problemId });
      candidatesPassed += t.passed;
    });
  }
  return candidatesPassed;
}

/** Stages (3)-(7): the buffer, the training set, the trained adapter and where it is served. */
async function trainAndServe(s: BtpCycleState, it: number) {
  const { input } = s;
  const p = input.params;
  const training = proxyActivities<Activities>({
    ...activityOptions.training,
    heartbeatTimeout: p.trainingHeartbeatTimeoutMs ?? activityOptions.training.heartbeatTimeout,
    retry: { ...activityOptions.training.retry, maximumAttempts: 20 },
    // A cancelled campaign waits for the trainer to checkpoint and exit before it is marked cancelled.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  await gate(s);
  s.stage = 'buffer';
  const buffer = await store.btpUpdateBuffer({
    campaignId: input.campaignId, iteration: it, p2valueAlpha: p.p2valueAlpha, bufferSize: p.bufferSize, eviction: p.eviction,
  });

  await gate(s);
  s.stage = 'training';
  const set = await store.btpSampleTrainingSet({
    campaignId: input.campaignId, iteration: it, trainSetSize: p.trainSetSize, sampling: p.sampling, seed: p.seed,
    // Read in pages: the activity reads the evaluation pins it guards against (activities/btp/training-set.ts).
    ...(s.problems.paged ? {} : { evalProblemIds: s.problems.eval }), promptType: p.promptType, trainPrompt: p.trainPrompt, bufferSize: p.bufferSize, eviction: p.eviction,
    ...(p.promptFormat ? { promptFormat: p.promptFormat } : {}),
    trainer: p.trainer, workDir: input.workDir,
  });
  const trained = await training.btpTrain({ trainingRunId: set.trainingRunId });

  await gate(s);
  s.stage = 'registering';
  const adapterName = adapterNameOf(input.targetModel.model, input.campaignId, it);
  const served = await inference.btpRegisterAdapter({
    model: input.targetModel, adapterName, adapterPath: trained.adapterPath, campaignId: input.campaignId, iteration: it,
    baseModelDir: p.trainer.baseModelDir,
  });
  return { buffer, set, trained, adapterName, served };
}

/** Iteration `it` from beams to its evaluation record. */
export async function runIteration(s: BtpCycleState, it: number): Promise<BtpIterationRecord> {
  const sampler = samplerOf(s);
  const candidatesPassed = await sampleAndTest(s, it, sampler);
  const { buffer, set, trained, adapterName, served } = await trainAndServe(s, it);
  return evaluate(s, it, adapterName, trained.trainingRunId, {
    role: 'adapter', sampledWith: sampler.model, candidatesPassed, buffer, trainingExamples: set.examples,
    trainSteps: trained.steps, finalLoss: trained.finalLoss, initialEvalLoss: trained.initialEvalLoss,
    finalEvalLoss: trained.finalEvalLoss, resumedFromStep: trained.resumedFromStep, adapterPath: trained.adapterPath,
    ...(served.baseUrl ? { servedAt: served.baseUrl } : {}),
  }, served.baseUrl);
}
