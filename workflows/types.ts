// Small, serialisable inputs and outputs of the workflows. Large payloads (code, traces, logprobs) stay in Postgres:
// workflows carry database ids only.

/** How to reach the model. The API key never enters a workflow history: activities read EGCFG_MODEL_API_KEY. */
export type ModelSpec =
  | { kind: 'openai'; baseUrl: string; model: string; simulated: boolean }
  | { kind: 'replay'; samplesFile: string; model: string };

export type PromptType = 'deepseek_instruct' | 'long_code';

export interface BaselineParams {
  promptType: PromptType;
  temperature: number;
  topP: number;
  maxTokens: number;
  seed: number;
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

export interface CampaignInput {
  campaignId: string;
  runId: number;
  problemIds: number[];
  model: ModelSpec;
  params: BaselineParams;
  /** Problems in flight at once. */
  concurrency: number;
  /** Child workflows started per run before continuing as new, to keep histories bounded. */
  continueAsNewAfter?: number;
  /** Carried across continue-as-new. */
  cursor?: number;
  done?: number;
  passed?: number;
  errors?: number;
  paused?: boolean;
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
}
