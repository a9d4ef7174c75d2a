// The contracts between workflows, activities, the campaign service, the CLI and the API: small, serialisable inputs
// and outputs of the workflows. Large payloads (code, traces, logprobs) stay in Postgres: workflows carry database ids
// only. Types only, imported by all of them (so activities never import workflows/).
import type { z } from 'zod';
import type { VisibleTestAudit } from './egcfg/protocol.ts';
import type { CostCaps } from './egcfg/cost-caps.ts';
import type { modelSpecSchema } from './model-spec.ts';
import type * as F from './option-fields.ts';

/** A field's type as its schema in core/option-fields.ts says (the option of the same name has that schema). */
type Field<K extends keyof typeof F> = z.infer<(typeof F)[K]>;

/** How to reach the model (core/model-spec.ts). The API key never enters a workflow history: activities read EGCFG_MODEL_API_KEY. */
export type ModelSpec = z.infer<typeof modelSpecSchema>;

export type PromptType = Field<'promptTypeField'>;

export interface BaselineParams {
  promptType: PromptType;
  /** 'chat': the model's own chat template (instruct models); 'raw' (or absent, older campaigns): the promptType text as is. */
  promptFormat?: Field<'promptFormatField'>;
  temperature: number;
  topP: number;
  maxTokens: number;
  seed: number;
  /** pass@k: samples per problem (absent or 1: one sample, attempt 'baseline'); sample i > 0 uses seed + i. */
  samplesPerProblem?: Field<'samplesPerProblemField'>;
}

export interface ProblemInput {
  campaignId: string;
  runId: number;
  problemId: number;
  model: ModelSpec;
  params: BaselineParams;
}

export type ProblemStatus = 'passed' | 'failed' | 'error' | 'cancelled';

export interface ProblemOutcome {
  problemId: number;
  passed: boolean;
  status: ProblemStatus;
  sampleId: number | null;
}

/** The counters a campaign carries across continue-as-new. */
export interface CampaignCursor {
  cursor?: number;
  done?: number;
  passed?: number;
  errors?: number;
  paused?: boolean;
}

export interface CampaignInput extends CampaignCursor {
  campaignId: string;
  runId: number;
  /** The problems in order; absent: the campaign's pinned problems (campaign_problems, role 'eval', by position),
   *  `problemsTotal` of them, read a page at a time, so that the input stays small (workflows/campaign.ts). */
  problemIds?: number[];
  problemsTotal?: number;
  model: ModelSpec;
  params: BaselineParams;
  /** Problems in flight at once. */
  concurrency: number;
  /** Child workflows started per run before continuing as new, to keep histories bounded. */
  continueAsNewAfter?: number;
  /** Replay campaigns: the most problems per batched activity (workflows/campaign.ts; default 25). */
  maxBatch?: number;  /** Problem ids read per page when they are read in pages (default workflows/campaign-loop.ts PROBLEM_PAGE; tests set it small). */
  pageSize?: number;
}

/** Several problems of a baseline campaign as one activity (activities/baseline-batch.ts). */
export interface BaselineBatchInput {
  campaignId: string;
  runId: number;
  problemIds: number[];
  model: ModelSpec;
  params: BaselineParams;
}

export interface BaselineBatchOutcome {
  problems: number;
  passed: number;
  /** Problems recorded as errors (a non-retryable failure). */
  errors: number;
  /** Problems an earlier attempt of this batch had recorded (skipped). */
  reused: number;
}

export interface CampaignProgress {
  campaignId: string;
  total: number;
  done: number;
  passed: number;
  errors: number;
  running: number;
  paused: boolean;
  state: 'running' | 'paused' | 'finishing' | 'completed' | 'cancelled';
}

export interface CampaignSummary {
  campaignId: string;
  dataset: string;
  problems: number;
  passed: number;
  passAt1: number;
  model: string;
  simulated: boolean;
  /** With several samples per problem: the unbiased pass@k (Chen et al. 2021) for k in 1, 10, 100 where n ≥ k. */
  samplesPerProblem?: number;
  passAtK?: Record<string, number>;
}

// ------------------------------------------------------------------------------------------------ EG-CFG

/** One agent of an EG-CFG grid, with its per-configuration seed (spec §1.2, computed when the campaign is planned). */
export interface EgcfgAgentSpec {
  name: string;
  /** Position in the grid (tie-break order for selection). */
  index: number;
  t: number;
  s: number;
  /** Completion horizon in lines; null = unbounded. */
  d: Field<'horizonField'>;
  k: number;
  promptType: PromptType;
  /** Seed of retry 0 (retry r uses seed + r). */
  seed: number;
  /** The agent's row in `runs`. */
  runId: number;
}

export interface EgcfgParams {
  /** γ values tried per agent, in order (default [0, 0.5, 1, 3]). */
  gammas: Field<'gammasField'>;
  /** Attempts per γ > 0 (γ = 0 always gets one). */
  retries: number;
  maxNewTokens: number;
  /** Top-k logprobs per one-token CFG call. */
  topLogprobs: number;
  /** max_tokens of the reasoning-prefix call and of the γ=0 completion. */
  reasoningMaxTokens: number;
  /** Reasoning tries and their completion tokens per γ (--reasoning-tries / --reasoning-tokens); absent = the authors' 10 × max_tokens. */
  reasoningBudget?: { tries: number; tokens: number };
  /** Per-line and per-problem token caps (core/egcfg/cost-caps.ts); absent = none. */
  costCaps?: CostCaps;
  /** Agents of one problem running at once. */
  maxAgents: number;
  earlyStop: boolean;
  /** Wall-clock cap of one generation (checked at signal refreshes). */
  wallCapMs: number;
  /** Per traced run of one test case. */
  traceTimeoutMs: number;
  /** Cap of one rendered trace, characters (the authors had none; a model's context does); the row says when it cut. */
  traceMaxChars: number;
  /** Heartbeat timeout of the generation's model and sandbox activities (default 10 s; the activities send liveness heartbeats every second): how soon a step of a killed worker is retried. */
  heartbeatTimeoutMs?: number;
  /** StartToClose of the generation's model activities (--step-timeout-min); absent = 15 minutes (workflows/activity-options.ts). */
  stepTimeoutMs?: number;
  /**
   * Scoring protocol the search serves (core/egcfg/protocol.ts): 'strict' (absent: older campaigns) stops at the
   * first program that passes the visible tests; 'paper' at the first that passes the authors' evaluation tests of
   * the dataset (`selectionSuite`: HumanEval's check(), CodeContests' private + generated tests, MBPP's test_list).
   */
  protocol?: Field<'protocolField'>;
  /** max_tokens of candidate sampling: 'paper' (512, absent) or 'horizon' ((d + 1) × 64; core/egcfg/candidates.ts). */
  candidateTokens?: Field<'candidateTokensField'>;
  /** The suite a generation must pass to win (selectionSuite(dataset, protocol)); absent = 'visible'. */
  selectionSuite?: 'visible' | 'eval' | 'eval-paper';
  /** The authors' prompt texts (--authors-prompts): the checkout, its commit and the texts' sha256; absent = ours (data/prompts/). */
  prompts?: { source: 'authors'; dir: string; commit: string | null; sha256: string };
  /** The fence instruction (core/prompts/egcfg.ts): 'auto' by model name, 'on', 'off'; absent (older campaigns) = 'off'. */
  fenceInstruction?: Field<'fenceInstructionField'>;
  /** How trace values are written (python/sandbox/tracer.py): 'authors' or 'python'; absent (older campaigns) = 'python'. */
  traceFormat?: Field<'traceFormatField'>;
  /** The function forced after the reasoning prefix (core/egcfg/forced-name.ts); absent (older campaigns) = 'entry-point'. */
  forcedName?: Field<'forcedNameField'>;
  /** The conditional prompt of a fenced prompt (core/egcfg/cond-quirk.ts); absent = 'clean'. */
  condPrompt?: Field<'condPromptField'>;
  /** 'chat': both sides rendered by the model's chat template (core/egcfg/chat-prompt.ts); absent (older campaigns) = 'raw'. */
  promptFormat?: Field<'promptFormatField'>;
}

export interface EgcfgGenerationInput {
  campaignId: string;
  problemId: number;
  model: ModelSpec;
  agent: EgcfgAgentSpec;
  gamma: number;
  gammaIndex: number;
  attempt: number;
  params: EgcfgParams;
}

export interface EgcfgGenerationOutcome {
  generationId: number;
  gamma: number;
  attempt: number;
  status: 'passed' | 'failed';
  passedVisible: boolean;
  /** Passed the selection suite (= passedVisible under strict); absent in histories of older workflows. */
  passedSelection?: boolean;
}

export interface EgcfgAgentInput {
  campaignId: string;
  problemId: number;
  model: ModelSpec;
  agent: EgcfgAgentSpec;
  params: EgcfgParams;
}

export interface EgcfgAgentOutcome {
  agent: string;
  passed: boolean;
  generationId: number | null;
  gamma: number | null;
  generations: number;
}

export interface EgcfgProblemInput {
  campaignId: string;
  problemId: number;
  model: ModelSpec;
  agents: EgcfgAgentSpec[];
  params: EgcfgParams;
}

export interface EgcfgProblemOutcome {
  problemId: number;
  /** Verdict under the paper protocol (see activities/egcfg/evaluate.ts). */
  paper: boolean;
  /** Verdict under the strict protocol. */
  strict: boolean;
  winner: { agent: string; gamma: number; generationId: number } | null;
}

export interface EgcfgCampaignInput extends CampaignCursor {
  campaignId: string;
  /** The problems in order; absent: the campaign's pinned problems, `problemsTotal` of them, read a page at a time
   *  (as for CampaignInput). */
  problemIds?: number[];
  problemsTotal?: number;
  model: ModelSpec;
  agents: EgcfgAgentSpec[];
  params: EgcfgParams;
  /** Problems in flight at once. */
  concurrency: number;
  /** A baseline campaign of the same model and dataset, for RSR. */
  baselineCampaignId?: string;
  continueAsNewAfter?: number;
}

export interface EgcfgProtocolSummary {
  protocol: 'paper' | 'strict';
  problems: number;
  passed: number;
  passAt1: number;
  /** Relative success rate (percent) vs the baseline campaign, when one was given, on the problems both scored. */
  rsr: number | null;
  /** The baseline's pass@1 on those common problems. */
  baselinePassAt1: number | null;
  /** With a baseline: how many problems both campaigns scored, and this campaign's pass@1 on them. */
  rsrProblems?: number;
  rsrPassAt1?: number | null;
  /** Why no RSR was computed (a baseline of another dataset or model, from before the start-time check). */
  rsrNote?: string;
}

/** Guidance lost to the model's context (activities/egcfg/guidance-loss.ts): signals fitted, fitted to nothing, and
 *  steps whose conditional prompt the server refused. */
export interface EgcfgGuidanceLoss {
  signalsFitted: number;
  signalsEmptied: number;
  overflowSteps: number;
}

export interface EgcfgCostSummary {
  generations: number;
  cancelledGenerations: number;
  modelCalls: number;
  tokenizerCalls: number;
  promptTokens: number;
  completionTokens: number;
  guidedTokens: number;
  changedTokens: number;
  sandboxRuns: number;
  sandboxMs: number;
  perProblem: { modelCalls: number; promptTokens: number; completionTokens: number; sandboxRuns: number } | null;
  /** Totals divided by the problems solved under the paper protocol (null when none). */
  perSolvedProblem: { modelCalls: number; promptTokens: number; completionTokens: number; sandboxRuns: number } | null;
  /** Absent in summaries written before it was counted. */
  guidanceLoss?: EgcfgGuidanceLoss;
  /** What the cost caps cut (core/egcfg/cost-caps.ts): lines decoded partly unguided, generations ended ('cost_cap'). Absent in older summaries. */
  costCaps?: { linesCapped: number; generationsCapped: number };
}

export interface EgcfgCampaignSummary extends CampaignSummary {
  method: 'eg-cfg';
  protocols: EgcfgProtocolSummary[];
  baselineCampaignId: string | null;
  cost: EgcfgCostSummary;
  /** The --protocol whose selection the search used (core/egcfg/protocol.ts); absent in older summaries. */
  selectionProtocol?: Field<'protocolField'>;
  /** EG-CFG's procedure (--egcfg-path, core/egcfg/local-path.ts); absent in older summaries (= endpoint). */
  egcfgPath?: Field<'egcfgPathField'>;
  /** Which prompt texts ran: `ours`, or `authors (<dir>, <commit>)` (--authors-prompts; core/prompts/authors.ts). */
  prompts?: string;
  /** The prompt format (--prompt-format): 'chat' (the model's template) or 'raw'; absent in older summaries (= raw). */
  promptFormat?: Field<'promptFormatField'>;
  /** HumanEval: problems without docstring-derived visible tests, and with wrong ones (null for other datasets). */
  visibleTests?: VisibleTestAudit | null;
}

// ------------------------------------------------------------------------------------------------ BTP

/** Trainer options of a BTP campaign (core/btp/trainer-protocol.ts TrainConfig, less the per-run paths). */
export interface BtpTrainerParams {
  /** Folder of the base model (and tokenizer) that the LoRA adapter is trained on: the target model's weights. */
  baseModelDir: string;
  loraR: number;
  loraAlpha: number;
  loraDropout: number;
  learningRate: number;
  epochs: number;
  /** Exact optimizer steps per iteration; 0 derives them from epochs. */
  maxSteps: number;
  batchSize: number;
  saveEvery: number;
  maxLength: number;
  threads: number;
  device: Field<'trainerDeviceField'>;
  targetModules?: string[];
  /** Test-only: seconds the trainer sleeps per step (python --debug-step-sleep), so a kill lands mid-training. */
  debugStepSleep?: number;
}

export interface BtpParams {
  /** Candidates per training problem per iteration (n samples with logprobs: vLLM's OpenAI server has no beam search). */
  numBeams: number;
  beamTemperature: number;
  beamTopP: number;
  maxTokens: number;
  promptType: PromptType;
  /** How beams are asked for and training prompts written: 'chat' (the model's template; instruct models) or 'raw' (absent: raw). */
  promptFormat?: Field<'promptFormatField'>;
  /** Training example format: 'compact' (task + tests docstring → bare program) or 'eval' (the evaluation prompt → fenced program). */
  trainPrompt: Field<'trainPromptField'>;
  /** possibility = exp(mean token logprob) ('mean') or exp(sum) ('sum'). */
  possibility: Field<'possibilityField'>;
  /** P2Value = α·possibility + (1−α)·pass_rate. */
  p2valueAlpha: number;
  sampling: { kind: Field<'samplingKindField'>; alpha: number };
  bufferSize: number;
  eviction: Field<'evictionField'>;
  /** Entries drawn (with replacement) from the buffer per iteration: the training set. */
  trainSetSize: number;
  trainer: BtpTrainerParams;
  /** Evaluation decoding (pass@1: greedy by default). */
  eval: BaselineParams;
  seed: number;
  /** Training iterations (iteration 0 is the base model's evaluation). */
  iterations: number;
  /** Stop once this many iterations in a row did not improve the best pass@1. */
  patience: number;
  /** Training problems (beam sampling) and evaluation problems in flight at once. */
  concurrency: number;
  /** Heartbeat timeout of the training activity (how soon a killed training worker's run is retried), ms. */
  trainingHeartbeatTimeoutMs?: number;
}

export interface BtpIterationRecord {
  iteration: number;
  model: string;
  passAt1: number;
  passed: number;
  problems: number;
  evalCampaignId: string;
  trainingRunId: number | null;
  bufferSize: number;
  /** The server that serves this iteration's model when it is not the target model's (a llama.cpp server started with the adapter). */
  baseUrl?: string;
}

export interface BtpCycleInput {
  campaignId: string;
  /** The `runs` row holding the beam samples. */
  runId: number;
  /** The training and evaluation problems in order (inputs written before issue 16). Absent: the campaign's pins
   *  (campaign_problems, roles 'train' and 'eval', by position), `trainProblemsTotal` and `evalProblemsTotal` of them,
   *  read a page at a time (workflows/btp-problems.ts), so that no input or history event carries either list. */
  trainProblemIds?: number[];
  evalProblemIds?: number[];
  trainProblemsTotal?: number;
  evalProblemsTotal?: number;
  /** Problem ids read per page (default workflows/campaign-loop.ts PROBLEM_PAGE; tests set it small). */
  pageSize?: number;
  /** The model that samples candidates (big-to-small: the big one). */
  sourceModel: ModelSpec;
  /** The model that is fine-tuned and evaluated; adapters are served under their own names by its server. */
  targetModel: ModelSpec;
  params: BtpParams;
  /** Folder for training sets, checkpoints and adapters (shared with the training workers). */
  workDir: string;
  /** Carried across continue-as-new. */
  nextIteration?: number;
  history?: BtpIterationRecord[];
  paused?: boolean;
}

export type BtpStage = 'starting' | 'evaluating' | 'sampling' | 'testing' | 'buffer' | 'training' | 'registering' | 'done' | 'cancelled';

export interface BtpProgress {
  campaignId: string;
  iteration: number;
  iterations: number;
  stage: BtpStage;
  paused: boolean;
  history: BtpIterationRecord[];
  problemsDone: number;
  problemsTotal: number;
}

export interface BtpCycleSummary extends CampaignSummary {
  method: 'btp';
  iterations: BtpIterationRecord[];
  bestIteration: number;
  bestPassAt1: number;
  stoppedBecause: 'iterations' | 'no-improvement';
}
