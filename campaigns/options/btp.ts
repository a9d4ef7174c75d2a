// Options of BTP (method 'btp'): beam sampling -> testing -> prioritized experience replay -> LoRA training,
// evaluated per iteration on `dataset` (its test split); trained on `trainDataset`'s `trainSplits` (never on an
// evaluation problem). `egcfg experiment` takes these flags too.
import { z } from 'zod';
import { httpUrlSchema } from '../../core/model-servers.ts';
import { MAX_NAME_CHARS, MAX_PATH_CHARS, text } from './common.ts';
import { evictionField, possibilityField, samplingKindField, trainerDeviceField, trainPromptField } from '../../core/option-fields.ts';
import { opt } from './field.ts';

export const btpFields = {
  numBeams: opt(z.number().int().positive().max(64).default(5), 'candidates per training problem per iteration (n samples with logprobs)', { form: true }),
  beamTemperature: opt(z.number().min(0).max(2).default(0.8), 'sampling temperature of the candidates', { value: 'T', form: true }),
  p2valueAlpha: opt(z.number().min(0).max(1).default(0.5), 'P2Value = alpha * possibility + (1 - alpha) * pass_rate', { value: 'A', form: true }),
  possibility: opt(possibilityField.default('mean'), 'possibility of a candidate from its token logprobs', { value: 'P' }),
  samplingMethod: opt(samplingKindField.default('power'), 'prioritized replay: P2Value power or rank sampling', { value: 'M', form: true }),
  samplingAlpha: opt(z.number().min(0).max(100).default(1), 'the sampling exponent alpha', { value: 'A' }),
  bufferSize: opt(z.number().int().positive().max(1_000_000).default(2000), 'replay buffer capacity', { form: true }),
  eviction: opt(evictionField.default('lowest-p2value'), 'which entry a full buffer drops', { value: 'E' }),
  trainSetSize: opt(z.number().int().positive().max(1_000_000).default(64), 'entries drawn from the buffer per iteration (the training set)', { form: true }),
  trainPrompt: opt(trainPromptField.default('compact'), "training example format: 'compact' (task + tests -> program) or 'eval' (the evaluation prompt -> fenced program)", { value: 'F' }),
  batchSize: opt(z.number().int().positive().max(4096).default(8), 'training batch size'),
  loraR: opt(z.number().int().positive().max(1024).default(8), 'LoRA rank r', { value: 'R', form: true }),
  loraAlpha: opt(z.number().positive().max(4096).default(16), 'LoRA alpha', { value: 'A' }),
  loraDropout: opt(z.number().min(0).lt(1).default(0.05), 'LoRA dropout', { value: 'P' }),
  learningRate: opt(z.number().positive().max(1).default(2e-4), 'learning rate', { value: 'LR', form: true }),
  epochs: opt(z.number().positive().max(1000).default(1), 'training epochs per iteration', { value: 'E', form: true }),
  maxSteps: opt(z.number().int().min(0).max(10_000_000).default(0), 'exact optimizer steps per iteration (0: from epochs)'),
  saveEvery: opt(z.number().int().min(0).default(10), 'checkpoint every N steps'),
  maxLength: opt(z.number().int().min(16).max(32768).default(512), 'longest training example, tokens'),
  trainerThreads: opt(z.number().int().min(0).max(1024).default(1), 'CPU threads of the trainer (0: all)'),
  trainerDevice: opt(trainerDeviceField.default('auto'), 'the trainer\'s device: auto, cpu, cuda or cuda:N', { value: 'DEV', parse: 'text' }),
  iterations: opt(z.number().int().positive().max(1000).default(3), 'BTP iterations', { form: true }),
  patience: opt(z.number().int().positive().max(1000).default(1), 'stop once this many iterations in a row did not improve pass@1'),
  sourceModel: opt(text('source model', MAX_NAME_CHARS).optional(), 'the model that samples candidates (big-to-small: the big one); default: the model name', { value: 'NAME', form: true }),
  sourceModelUrl: opt(httpUrlSchema('source model url').optional(), "the source model's server (default: the model url)", { value: 'URL' }),
  targetModel: opt(text('target model', MAX_NAME_CHARS).optional(), 'the model that is fine-tuned and evaluated; default: the model name', { value: 'NAME', form: true }),
  baseModelDir: opt(text('base model dir', MAX_PATH_CHARS).optional(), "the target model's weights (Hugging Face folder) for the trainer", { value: 'DIR', parse: 'path', form: true }),
  workDir: opt(text('work dir', MAX_PATH_CHARS).optional(), 'folder for training sets, checkpoints and adapters', { value: 'DIR', parse: 'path', form: true }),
  trainDataset: opt(z.enum(['mbpp', 'mbpp-et']).default('mbpp'), 'the dataset trained on', { value: 'D', form: true }),
  trainSplits: opt(z.array(z.enum(['train', 'prompt', 'validation', 'test'])).min(1).max(4).default(['train', 'prompt']), "the training dataset's splits trained on", { value: 'S,S', parse: 'strings' }),
  maxTrainProblems: opt(z.number().int().positive().optional(), 'at most N training problems', { form: true }),
  trainingHeartbeatTimeoutMs: opt(z.number().int().min(1000).max(3_600_000).optional(), "heartbeat timeout of the training activity, ms (how soon a killed training worker's run is retried)", { cli: false }),
  debugStepSleep: opt(z.number().min(0).max(10).optional(), 'test-only: seconds the trainer sleeps per step', { cli: false }),
};
