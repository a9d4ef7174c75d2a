// The contracts of `egcfg experiment` as a durable workflow (workflows/experiment.ts): the plan the CLI sends, the
// campaign launch an activity prepares for each entry (its rows written, its workflow not yet started: the experiment
// starts it as a child), and what the experiment returns. Types only, shared by workflows, campaigns and the CLI.
import type { BtpCycleInput, BtpCycleSummary, CampaignInput, CampaignSummary, EgcfgCampaignInput, ModelSpec } from './contracts.ts';

/** A campaign whose rows are written and whose workflow is to be started (by the caller, or as a child). */
export type CampaignLaunch =
  | { workflow: 'baselineCampaign'; workflowId: string; input: CampaignInput }
  | { workflow: 'egcfgCampaign'; workflowId: string; input: EgcfgCampaignInput }
  | { workflow: 'btpCycle'; workflowId: string; input: BtpCycleInput };

/** One table entry of the study: which step, table row / bar / curve point it is. */
export interface ExperimentVariant {
  step: string;
  group: string;
  label: string;
  value: string | number;
  method: 'baseline' | 'btp';
  /** Options on top of the step's base options. */
  over: Record<string, unknown>;
  roles?: 'big-to-small';
}

/** One campaign of the experiment: its parsed run options (JSON), models, and the table entries it serves. */
export interface ExperimentEntry {
  options: Record<string, unknown>;
  target: ModelSpec;
  source?: ModelSpec;
  variants: ExperimentVariant[];
}

export interface ExperimentReportMeta {
  name: string;
  mode: string;
  steps: string[];
  simulated: boolean;
  targetModel: string;
  sourceModel: string;
  dataset: string;
  seed: number;
  /** The folder the tables, plots and experiment.json go to (on the worker that runs the report activity). */
  outputDir: string;
  database: string;
}

export interface ExperimentInput {
  meta: ExperimentReportMeta;
  entries: ExperimentEntry[];
}

export interface ExperimentOutcome {
  variant: ExperimentVariant;
  campaignId: string;
  summary: CampaignSummary | BtpCycleSummary;
}

export interface ExperimentResult {
  name: string;
  campaigns: number;
  seconds: number;
  files: string[];
  outcomes: { step: string; group: string; label: string; campaignId: string; passAt1: number }[];
}

/** The activities the experiment workflow calls (campaigns/experiment-activities.ts). */
export interface ExperimentActivities {
  /** Writes the entry's campaign rows under `campaignId` (idempotent: a retry returns the recorded launch). */
  prepareExperimentCampaign(req: { campaignId: string; experiment: { name: string; step: string; variant: string }; entry: ExperimentEntry }): Promise<CampaignLaunch>;
  /** Tables (CSV + Markdown), plots (SVG) and experiment.json in the output folder; returns the file names. */
  writeExperimentReport(req: { meta: ExperimentReportMeta; outcomes: ExperimentOutcome[]; seconds: number }): Promise<string[]>;
}
