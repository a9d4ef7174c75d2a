// The inputs and results of the BTP activities (activities/btp/index.ts composes them).
import type { BtpParams, ModelSpec, PromptType } from '../../core/contracts.ts';

export interface SampleBeamsInput {
  campaignId: string;
  runId: number;
  iteration: number;
  problemId: number;
  model: ModelSpec;
  numBeams: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  promptType: PromptType;
  /** 'chat': the model's template, the answer opened with a ```python fence and stopped at its close (absent: raw). */
  promptFormat?: 'chat' | 'raw';
  seed: number;
  possibility: 'mean' | 'sum';
}

export interface RegisterAdapterInput {
  model: ModelSpec;
  adapterName: string;
  adapterPath: string;
  campaignId: string;
  iteration: number;
  /** The target model's Hugging Face folder (the trainer's base model): the GGUF converter reads its layout. */
  baseModelDir?: string;
}

export interface UpdateBufferInput {
  campaignId: string;
  iteration: number;
  p2valueAlpha: number;
  bufferSize: number;
  eviction: 'lowest-p2value' | 'oldest';
}

// What one iteration's buffer update did: a stored shape (the payload of its 'btp:buffer:<it>' event), in core/stored/events.ts.
export { BufferUpdateOutcomeSchema, type BufferUpdateOutcome } from '../../core/stored/events.ts';

export interface SampleTrainingSetInput {
  campaignId: string;
  iteration: number;
  trainSetSize: number;
  sampling: BtpParams['sampling'];
  seed: number;
  /** The evaluation problems: no training example may come from one of them. Absent: the campaign's 'eval' pins
   *  (campaign_problems), of which the activity reads those among the drawn problems (issue 16: no whole list here). */
  evalProblemIds?: number[];
  promptType: PromptType;
  /** Training example format (see trainingExample); with promptFormat 'chat' every example is in the chat format. */
  trainPrompt: 'compact' | 'eval';
  promptFormat?: 'chat' | 'raw';
  bufferSize: number;
  eviction: 'lowest-p2value' | 'oldest';
  trainer: BtpParams['trainer'];
  workDir: string;
}

export interface TrainAdapterResult {
  trainingRunId: number;
  adapterPath: string;
  steps: number;
  finalLoss: number | null;
  initialEvalLoss: number | null;
  finalEvalLoss: number | null;
  resumedFromStep: number | null;
}

export interface RecordIterationInput {
  campaignId: string;
  iteration: number;
  model: string;
  trainingRunId: number | null;
  problems: number;
  passed: number;
  passAt1: number;
  detail: Record<string, unknown>;
}
