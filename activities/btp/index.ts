// BTP activities: beam sampling, testing, P2Value + the experience buffer (state in Postgres), prioritized sampling
// of the training set (with the train/eval split guard), LoRA training (a resumable Python process), adapter
// registration and the bookkeeping of each iteration, one module per stage, composed here. Every write has a natural
// unique key, so a retry never duplicates a row:
//   beams (campaign, iteration, problem, beam) · samples (campaign, run, problem, 'btp:<it>:<beam>')
//   buffer update of an iteration: one transaction + an events marker 'btp:buffer:<it>'
//   training_runs (campaign, iteration) · btp_iterations (campaign, iteration) · eval campaign id '<campaign>-eval<it>'
import type { ActivityDeps } from '../deps.ts';
import { alive } from '../heartbeat.ts';
import { registerAdapter } from './adapter.ts';
import { createEvalCampaign, finishBtp, recordIteration } from './evaluation.ts';
import { sampleBeams } from './sample-beams.ts';
import { testBeams, type TestBeamsInput, type TestBeamsOutcome } from './test-beams.ts';
import { train } from './train.ts';
import { sampleTrainingSet } from './training-set.ts';
import type {
  BufferUpdateOutcome, RecordIterationInput, RegisterAdapterInput, SampleBeamsInput, SampleTrainingSetInput, TrainAdapterResult, UpdateBufferInput,
} from './types.ts';
import { updateBuffer } from './update-buffer.ts';

export { BEAM_DECODING } from './sample-beams.ts';
export { fenced, trainingExample } from './training-set.ts';
export type {
  BufferUpdateOutcome, RecordIterationInput, RegisterAdapterInput, SampleBeamsInput, SampleTrainingSetInput, TrainAdapterResult, UpdateBufferInput,
} from './types.ts';

export function btpActivities(deps: ActivityDeps) {
  const { db } = deps;
  return {
    /** (1) n candidates for one training problem with their token logprobs; possibility = exp(mean logprob). */
    btpSampleBeams: alive((input: SampleBeamsInput): Promise<{ beams: number; model: string }> => sampleBeams(db, input)),

    /** (2) Each candidate of one problem against all of its tests in the sandbox → tests passed, pass_rate. */
    btpTestBeams: alive((input: { campaignId: string; iteration: number; problemId: number }): Promise<TestBeamsOutcome> =>
      testBeams(deps, { campaignId: input.campaignId, iteration: input.iteration, problemIds: [input.problemId] })),

    /** (2) for several problems in one activity (workflows/btp-test-stage.ts): a constant number of database round trips. */
    btpTestBeamsBatch: alive((input: TestBeamsInput): Promise<TestBeamsOutcome> => testBeams(deps, input)),

    /** (3)+(4) P2Value of every candidate of the iteration, then the experience buffer (activities/btp/update-buffer.ts). */
    btpUpdateBuffer: (input: UpdateBufferInput): Promise<BufferUpdateOutcome> => updateBuffer(db, input),

    /** (5) The training set of an iteration: seeded prioritized draws from the buffer, split-guarded (training-set.ts). */
    btpSampleTrainingSet: (input: SampleTrainingSetInput): Promise<{ trainingRunId: number; examples: number; dataFile: string }> =>
      sampleTrainingSet(db, input),

    /** (6) LoRA training in a resumable Python process, heartbeating step and loss (train.ts). */
    btpTrain: (input: { trainingRunId: number }): Promise<TrainAdapterResult> => train(db, input),

    /** (7) Serve the adapter under its own name: vLLM loads it, llama.cpp gets a server of its own (adapter.ts). */
    btpRegisterAdapter: alive((input: RegisterAdapterInput): Promise<{ alreadyLoaded: boolean; baseUrl?: string }> => registerAdapter(deps, input)),

    /** (8) The campaign row of one iteration's evaluation (a baseline campaign of the adapter, or of the base model). */
    btpCreateEvalCampaign: (input: { campaignId: string; iteration: number; modelName: string }): Promise<{ campaignId: string; runId: number }> =>
      createEvalCampaign(db, input),

    /** pass@1 of one iteration, with the buffer size at that point. */
    btpRecordIteration: (input: RecordIterationInput): Promise<{ bufferSize: number }> => recordIteration(db, input),

    /** Campaign status (+ the summary row of the last evaluation) for the BTP campaign. */
    btpFinish: (input: { campaignId: string; status: 'completed' | 'cancelled' | 'failed'; passAt1: number | null; error?: string }): Promise<{ dataset: string; model: string; simulated: boolean }> =>
      finishBtp(db, input),
  };
}
