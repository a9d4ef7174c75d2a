// Starting a BTP campaign: the training problems (MBPP train/prompt splits by default) and the evaluation problems
// (the dataset's test split), the split guard, the campaign and runs rows, then the btpCycle workflow.
// Called by startCampaign for method 'btp'.
import { resolve } from 'node:path';
import { assertTrainingProblems } from '../core/btp/index.ts';
import { loadDataset, type Problem } from '../core/datasets/index.ts';
import { campaigns, runs } from '../db/schema/index.ts';
import { launchCampaign, type LaunchContext } from './start-workflow.ts';
import type { BtpCycleInput, BtpParams, ModelSpec } from '../core/contracts.ts';
import { OptionsError, type RunOptions } from './options.ts';
import { upsertProblems } from './context.ts';
import { selectProblems } from '../core/datasets/select.ts';
import { datasetFilesOf, pinCampaign } from './pins.ts';

export function btpParams(opts: RunOptions): BtpParams {
  if (!opts.baseModelDir) throw new OptionsError([{ field: 'baseModelDir', message: 'method btp needs the target model\'s weights folder (--base-model-dir) for the LoRA trainer' }]);
  return {
    numBeams: opts.numBeams, beamTemperature: opts.beamTemperature, beamTopP: opts.topP, maxTokens: opts.maxTokens,
    promptType: opts.promptType, ...(opts.promptFormat ? { promptFormat: opts.promptFormat } : {}), trainPrompt: opts.trainPrompt, possibility: opts.possibility, p2valueAlpha: opts.p2valueAlpha,
    sampling: { kind: opts.samplingMethod, alpha: opts.samplingAlpha }, bufferSize: opts.bufferSize, eviction: opts.eviction,
    trainSetSize: opts.trainSetSize,
    trainer: {
      baseModelDir: resolve(opts.baseModelDir), loraR: opts.loraR, loraAlpha: opts.loraAlpha, loraDropout: opts.loraDropout,
      learningRate: opts.learningRate, epochs: opts.epochs, maxSteps: opts.maxSteps, batchSize: opts.batchSize,
      saveEvery: opts.saveEvery, maxLength: opts.maxLength, threads: opts.trainerThreads, device: opts.trainerDevice,
      ...(opts.debugStepSleep ? { debugStepSleep: opts.debugStepSleep } : {}),
    },
    eval: { promptType: opts.promptType, ...(opts.promptFormat ? { promptFormat: opts.promptFormat } : {}), temperature: opts.temperature, topP: opts.topP, maxTokens: opts.maxTokens, seed: opts.seed },
    seed: opts.seed, iterations: opts.iterations, patience: opts.patience, concurrency: opts.concurrency,
    ...(opts.trainingHeartbeatTimeoutMs ? { trainingHeartbeatTimeoutMs: opts.trainingHeartbeatTimeoutMs } : {}),
  };
}

/**
 * The training and evaluation problems a BTP campaign would use, checked (non-empty, no training problem evaluated)
 * without writing anything: the API runs this before it starts any model server or writes any row.
 */
export async function btpSelection(opts: RunOptions): Promise<{ evalSel: Problem[]; trainSel: Problem[] }> {
  const evalAll = await loadDataset(opts.dataset, { ...(opts.datasetFile ? { file: opts.datasetFile } : {}), split: opts.split ?? 'test' });
  const evalSel = selectProblems(evalAll, opts);
  const useFile = opts.datasetFile && opts.trainDataset === opts.dataset;
  const trainAll = (await loadDataset(opts.trainDataset, { ...(useFile ? { file: opts.datasetFile! } : {}), split: 'all' }))
    .filter((p) => (opts.trainSplits as string[]).includes(p.split));
  const trainSel = opts.maxTrainProblems ? trainAll.slice(0, opts.maxTrainProblems) : trainAll;
  if (evalSel.length === 0) throw new OptionsError([{ field: 'split', message: `dataset ${opts.dataset} has no problems in the evaluation split` }]);
  if (trainSel.length === 0) throw new OptionsError([{ field: 'trainSplits', message: `dataset ${opts.trainDataset} has no problems in ${opts.trainSplits.join(', ')}` }]);
  // Same benchmark task in both (e.g. --train-splits test): refused before anything runs. MBPP and MBPP-ET share
  // task ids (MBPP-ET is MBPP with more tests), so across the two the task ids are compared too.
  const mbppFamily = (d: string) => d === 'mbpp' || d === 'mbpp-et';
  if (mbppFamily(opts.dataset) && mbppFamily(opts.trainDataset)) assertTrainingProblems(trainSel.map((p) => p.taskId), evalSel.map((p) => p.taskId));
  return { evalSel, trainSel };
}

/** Training and evaluation problems as database ids; throws TrainEvalLeakError if any training problem is evaluated. */
export async function btpProblems(ctx: Pick<LaunchContext, 'db'>, opts: RunOptions): Promise<{ trainProblemIds: number[]; evalProblemIds: number[] }> {
  const { evalSel, trainSel } = await btpSelection(opts);
  const evalProblemIds = await upsertProblems(ctx.db, evalSel);
  const trainProblemIds = await upsertProblems(ctx.db, trainSel);
  assertTrainingProblems(trainProblemIds, evalProblemIds);
  return { trainProblemIds, evalProblemIds };
}

export async function startBtpCampaign(
  ctx: LaunchContext, opts: RunOptions, target: ModelSpec, source: ModelSpec | undefined,
  c: { campaignId: string; workflowId: string },
): Promise<{ problems: number }> {
  if (target.kind !== 'openai' || (source && source.kind !== 'openai')) {
    throw new OptionsError([{ field: 'method', message: 'btp needs model servers (--model-url / --source-model-url or the simulated one), not a samples file' }]);
  }
  if (!opts.workDir) throw new OptionsError([{ field: 'workDir', message: 'method btp needs a folder for training sets and adapters' }]);
  const params = btpParams(opts);
  const { trainProblemIds, evalProblemIds } = await btpProblems(ctx, opts);
  const sourceModel = source ?? target;
  const simulated = target.simulated || (sourceModel.kind === 'openai' && sourceModel.simulated);
  await ctx.db.insert(campaigns).values({
    id: c.campaignId, method: 'btp', dataset: opts.dataset, model: target.model, simulated,
    config: { ...opts, sourceModelSpec: sourceModel, targetModelSpec: target, trainProblems: trainProblemIds.length, decoding: 'n-sampling-with-logprobs' },
    workflowId: c.workflowId, problemsTotal: evalProblemIds.length,
  });
  const trainFiles = opts.trainDataset === opts.dataset && opts.datasetFile ? opts.datasetFile : undefined;
  await pinCampaign(ctx.db, c.campaignId, {
    files: [...await datasetFilesOf(opts.dataset, opts.datasetFile), ...await datasetFilesOf(opts.trainDataset, trainFiles)],
    problems: [{ role: 'eval', ids: evalProblemIds }, { role: 'train', ids: trainProblemIds }],
  });
  const [run] = await ctx.db.insert(runs).values({ campaignId: c.campaignId, name: 'btp-beams', config: { numBeams: opts.numBeams, temperature: opts.beamTemperature } })
    .returning({ id: runs.id });
  // The ids stay in the pins (read in pages by the workflow: workflows/btp-problems.ts); the input names their counts.
  const input: BtpCycleInput = {
    campaignId: c.campaignId, runId: run!.id, trainProblemsTotal: trainProblemIds.length, evalProblemsTotal: evalProblemIds.length,
    sourceModel, targetModel: target, params,
    workDir: resolve(opts.workDir, c.campaignId),
  };
  await launchCampaign(ctx, { workflow: 'btpCycle', workflowId: c.workflowId, input });
  return { problems: evalProblemIds.length };
}
