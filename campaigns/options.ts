// The options of a campaign, validated once here and shared by the CLI and the API, so both start the same workflows.
import { z } from 'zod';
import { httpUrlSchema } from '../core/model-servers.ts';

export const datasetNames = ['mbpp', 'mbpp-et', 'humaneval', 'humaneval-et', 'codecontests'] as const;
export const methods = ['baseline', 'eg-cfg', 'btp'] as const;

/** Longest model name accepted (vLLM names are ids or paths; the replay model is `replay:<file name>`). */
export const MAX_NAME_CHARS = 512;
/** Longest file or folder path accepted. */
export const MAX_PATH_CHARS = 4096;

/** A non-empty string of at most `max` characters without NUL (Postgres text cannot hold it; no name or path needs it), with messages that name `what`. */
export const text = (what: string, max: number) => z.string().min(1, `${what} must not be empty`)
  .max(max, `${what} longer than ${max} characters`)
  .refine((v) => !v.includes('\0'), `${what} must not contain NUL bytes`);

/** An inline EG-CFG grid (shaped like data/egcfg/*.json; validated by core/egcfg/grid.ts when the campaign starts). */
export const inlineGridSchema = z.record(z.string().max(200), z.unknown())
  .refine((g) => JSON.stringify(g).length <= 64 * 1024, 'an inline grid must be at most 64 KiB of JSON')
  .refine((g) => !JSON.stringify(g).includes('\\u0000'), 'grid must not contain NUL bytes');

export const runOptionsSchema = z.object({
  dataset: z.enum(datasetNames, { error: (iss) => `unknown dataset '${String(iss.input)}'; known datasets: ${datasetNames.join(', ')}` }),
  method: z.enum(methods, { error: (iss) => `unknown method '${String(iss.input)}'; known methods: ${methods.join(', ')}` }).default('baseline'),
  modelName: text('model name', MAX_NAME_CHARS),
  /** OpenAI-compatible server (vLLM). Absent: the simulated model server is started locally. */
  modelUrl: httpUrlSchema('model url').optional(),
  /** A user-supplied dataset file (e.g. the full MBPP-ET JSONL), validated like the shipped ones. */
  datasetFile: text('dataset file', MAX_PATH_CHARS).optional(),
  split: z.enum(['test', 'train', 'validation', 'prompt', 'all']).optional(),
  maxProblems: z.number().int().positive().optional(),
  /** Baseline pass@k: n samples per problem (seeded seed + i), scored with the unbiased estimator for k ≤ n. */
  samplesPerProblem: z.number().int().min(1).max(1000).optional(),
  /** A samples file's tasks without samples: 'skip' (default: scored on the tasks it covers) or 'fail' (counted as failed). */
  missing: z.enum(['skip', 'fail']).optional(),
  /** With maxProblems: a seeded random subset of that size (dataset order kept) instead of the first N. */
  subsetSeed: z.number().int().nonnegative().optional(),
  seed: z.number().int().nonnegative().default(40),
  temperature: z.number().min(0).max(2).default(0),
  topP: z.number().gt(0).max(1).default(0.95),
  maxTokens: z.number().int().positive().max(32768).default(512),
  promptType: z.enum(['deepseek_instruct', 'long_code']).default('deepseek_instruct'),
  /**
   * 'chat': the model's own chat template (how instruct models are evaluated by their authors); 'raw': the promptType
   * text as a plain completion prompt. Default: the catalogue's format for catalogue models, else raw.
   */
  promptFormat: z.enum(['chat', 'raw']).optional(),
  /** Force the model server's dialect instead of detecting it (vllm, llamacpp, openai). */
  modelBackend: z.enum(['vllm', 'llamacpp', 'openai']).optional(),
  concurrency: z.number().int().positive().max(1000).default(8),
  /** A samples file (evalplus JSONL) to replay instead of calling a model. */
  samplesFile: text('samples file', MAX_PATH_CHARS).optional(),

  // EG-CFG (method 'eg-cfg'; ignored by baseline). Without `grid`, one agent is built from temperature (t; 0 means
  // the paper grid's lowest value 0.7, since s unique candidates need sampling), numCandidates (s), horizon (d) and promptType.
  /** A grid file shaped like the authors' dynamic_signals_params.json (data/egcfg/*.json), or such a grid inline. */
  grid: z.union([text('grid', MAX_PATH_CHARS), inlineGridSchema]).optional(),
  /** CFG strengths tried per agent, in order. */
  gammas: z.array(z.number().min(0, 'gamma must be >= 0').max(100, 'gamma must be <= 100')).min(1, 'at least one gamma').max(64, 'at most 64 gammas').default([0, 0.5, 1, 3]),
  numCandidates: z.number().int().positive().max(64).default(3),
  /** Completion horizon d in lines; null = unbounded. */
  horizon: z.number().int().nonnegative().max(1000).nullable().default(2),
  /** Agents of one problem running at once. */
  maxAgents: z.number().int().positive().max(1000).default(4),
  /** Top-k logprobs per one-token CFG call (vLLM caps it with --max-logprobs, default 20). */
  topLogprobs: z.number().int().positive().max(20).default(5),
  maxNewTokens: z.number().int().positive().max(16384).default(512),
  /** Attempts per γ > 0 (retries_count; γ=0 gets one). */
  retries: z.number().int().positive().max(10).default(1),
  earlyStop: z.boolean().default(true),
  /** Wall-clock cap of one generation in minutes (checked at signal refreshes). */
  generationTimeoutMin: z.number().positive().max(24 * 60).default(40),
  /** max_tokens of the reasoning-prefix call and of the γ=0 completion (REASONING_TOKENS_QUERY_MAX_TOKENS). */
  reasoningMaxTokens: z.number().int().positive().max(32768).default(2048),
  /** Cap of one rendered trace in the signal, characters (the authors had no cap; the model's context has one). */
  traceMaxChars: z.number().int().positive().max(64 * 1024 * 1024).default(100_000),
  /**
   * EG-CFG scoring protocol that drives the search (core/egcfg/protocol.ts). 'strict': a problem stops at the first
   * program that passes its visible tests, then that program is scored once on the hidden tests. 'paper': as the
   * authors' session manager, it stops at the first program that passes the dataset's evaluation tests (MBPP: the
   * three test_list asserts; HumanEval: the official check(); CodeContests: private + generated tests) and is scored
   * on them. Both verdicts are stored either way; each says whether its selection was the one the search used.
   */
  protocol: z.enum(['strict', 'paper']).default('strict'),
  /**
   * max_tokens of each candidate-sampling request: 'paper' (the authors': 512, of which only d + 1 lines are kept) or
   * 'horizon' ((d + 1) × 64 tokens, at most 512): the same kept lines at a fraction of the completion tokens.
   */
  candidateTokens: z.enum(['paper', 'horizon']).default('paper'),
  /** A baseline campaign of the same model and dataset: RSR is computed against its pass@1. */
  baselineCampaign: text('baseline campaign', 200).optional(),
  /** Heartbeat timeout of the generation activities (how soon a killed worker's step is retried), ms. */
  heartbeatTimeoutMs: z.number().int().min(1000).max(600_000).optional(),

  // BTP (method 'btp'): beam sampling → testing → prioritized experience replay → LoRA training, evaluated per
  // iteration on `dataset` (its test split); trained on `trainDataset`'s `trainSplits` (never on an evaluation problem).
  /** Candidates per training problem per iteration (n samples with logprobs). */
  numBeams: z.number().int().positive().max(64).default(5),
  /** Sampling temperature of the candidates. */
  beamTemperature: z.number().min(0).max(2).default(0.8),
  /** P2Value = α·possibility + (1−α)·pass_rate. */
  p2valueAlpha: z.number().min(0).max(1).default(0.5),
  possibility: z.enum(['mean', 'sum']).default('mean'),
  samplingMethod: z.enum(['power', 'rank']).default('power'),
  samplingAlpha: z.number().min(0).max(100).default(1),
  bufferSize: z.number().int().positive().max(1_000_000).default(2000),
  eviction: z.enum(['lowest-p2value', 'oldest']).default('lowest-p2value'),
  /** Entries drawn from the buffer per iteration (the training set). */
  trainSetSize: z.number().int().positive().max(1_000_000).default(64),
  /** Training example format: 'compact' (task + tests → program; fits the tiny model) or 'eval' (the evaluation prompt → fenced program). */
  trainPrompt: z.enum(['compact', 'eval']).default('compact'),
  batchSize: z.number().int().positive().max(4096).default(8),
  loraR: z.number().int().positive().max(1024).default(8),
  loraAlpha: z.number().positive().max(4096).default(16),
  loraDropout: z.number().min(0).lt(1).default(0.05),
  learningRate: z.number().positive().max(1).default(2e-4),
  epochs: z.number().positive().max(1000).default(1),
  /** Exact optimizer steps per iteration (0: from epochs). */
  maxSteps: z.number().int().min(0).max(10_000_000).default(0),
  saveEvery: z.number().int().min(0).default(10),
  maxLength: z.number().int().min(16).max(32768).default(512),
  trainerThreads: z.number().int().min(0).max(1024).default(1),
  trainerDevice: z.string().regex(/^(auto|cpu|cuda(:\d+)?)$/, "trainer device must be 'auto', 'cpu', 'cuda' or 'cuda:N'").default('auto'),
  iterations: z.number().int().positive().max(1000).default(3),
  /** Stop once this many iterations in a row did not improve pass@1. */
  patience: z.number().int().positive().max(1000).default(1),
  /** The model that samples candidates (big-to-small: the big one); default: modelName. */
  sourceModel: text('source model', MAX_NAME_CHARS).optional(),
  sourceModelUrl: httpUrlSchema('source model url').optional(),
  /** The model that is fine-tuned and evaluated; default: modelName. */
  targetModel: text('target model', MAX_NAME_CHARS).optional(),
  /** The target model's weights (Hugging Face folder) for the trainer. */
  baseModelDir: text('base model dir', MAX_PATH_CHARS).optional(),
  /** Folder for training sets, checkpoints and adapters. */
  workDir: text('work dir', MAX_PATH_CHARS).optional(),
  trainDataset: z.enum(['mbpp', 'mbpp-et']).default('mbpp'),
  trainSplits: z.array(z.enum(['train', 'prompt', 'validation', 'test'])).min(1).max(4).default(['train', 'prompt']),
  maxTrainProblems: z.number().int().positive().optional(),
  /** Heartbeat timeout of the training activity, ms (how soon a killed training worker's run is retried). */
  trainingHeartbeatTimeoutMs: z.number().int().min(1000).max(3_600_000).optional(),
  /** Which experiment, step and variant a campaign belongs to (egcfg experiment); recorded in the campaign's config. */
  experiment: z.object({ name: text('experiment name', 200), step: text('experiment step', 200), variant: text('experiment variant', 200) }).optional(),
  /** Test-only: seconds the trainer sleeps per step. */
  debugStepSleep: z.number().min(0).max(10).optional(),
});

export type RunOptionsInput = z.input<typeof runOptionsSchema>;
export type RunOptions = z.output<typeof runOptionsSchema>;

/** Validate, turning zod's issues into one message that names each field and its problem. */
export function parseRunOptions(input: unknown): RunOptions {
  const parsed = runOptionsSchema.safeParse(input);
  if (!parsed.success) throw new OptionsError(parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })));
  return parsed.data;
}

export class OptionsError extends Error {
  constructor(readonly issues: Array<{ field: string; message: string }>) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join('; '));
    this.name = 'OptionsError';
  }
}

/** Checks of the problem selection and sampling options that need no data: every way of starting a campaign runs them. */
export function checkSelectionOptions(opts: RunOptions): void {
  if (opts.samplesPerProblem !== undefined && opts.samplesPerProblem > 1) {
    if (opts.method !== 'baseline') throw new OptionsError([{ field: 'samplesPerProblem', message: 'several samples per problem (pass@k) are a baseline option' }]);
    if (opts.temperature === 0) throw new OptionsError([{ field: 'samplesPerProblem', message: 'pass@k needs sampling: with temperature 0 every sample is the same (set --temperature, e.g. 0.8)' }]);
    if (opts.samplesFile) throw new OptionsError([{ field: 'samplesPerProblem', message: 'a replayed samples file has its own samples' }]);
  }
  if (opts.subsetSeed !== undefined && opts.maxProblems === undefined) {
    throw new OptionsError([{ field: 'subsetSeed', message: 'a subset seed needs maxProblems (--max-problems N): the size of the subset' }]);
  }
}
