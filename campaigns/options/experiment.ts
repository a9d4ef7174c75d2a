// Options of `egcfg experiment` (the BTP study): which steps, how big, and the label each of its campaigns records.
// Its campaigns are ordinary baseline and btp campaigns, so it takes the BTP options too (campaigns/options/btp.ts).
import { z } from 'zod';
import { text } from './common.ts';
import { opt } from './field.ts';

export const experimentSteps = ['step1', 'step2', 'step2-finetune', 'step3', 'step4', 'big-to-small'] as const;
export type ExperimentStep = (typeof experimentSteps)[number];
export const experimentModes = ['quick', 'single', 'full'] as const;
export type ExperimentMode = (typeof experimentModes)[number];

/** Which experiment, step and variant a campaign belongs to; recorded in the campaign's config. */
export const experimentLabelSchema = opt(z.object({ name: text('experiment name', 200), step: text('experiment step', 200), variant: text('experiment variant', 200) }).optional(),
  'which experiment, step and variant a campaign belongs to (egcfg experiment); recorded in its config', { cli: false });

/** The experiment's own options (the flags of `egcfg experiment` besides the BTP ones and the service flags). */
export const experimentFields = {
  mode: opt(z.enum(experimentModes).default('quick'), 'quick: a few problems and steps (minutes on 2 cores); single: one step (--single-step); full: the paper sizes', { value: 'MODE' }),
  singleStep: opt(z.enum(experimentSteps).optional(), 'the one step to run (with or instead of --mode single)', { value: 'NAME' }),
  modelName: opt(z.string().default('simulated-deepseek'), 'the target model (simulated-*: the simulated servers)', { value: 'M' }),
  modelUrl: opt(z.string().optional(), "the target model's OpenAI-compatible server (needs --base-model-dir)", { value: 'URL' }),
  dataset: opt(z.enum(['mbpp', 'humaneval']).default('mbpp'), 'the evaluation dataset', { value: 'D' }),
  seed: opt(z.number().int().nonnegative().default(40), 'the sampling seed', { value: 'S' }),
  maxProblems: opt(z.number().int().positive().optional(), 'evaluation problems at most (default: by mode)'),
  trainingConcurrency: opt(z.number().int().positive().optional(), 'training runs at once in the in-process worker (default: 2 in quick mode, else 1)'),
};

export const experimentOptionsSchema = z.object({ ...experimentFields, experiment: experimentLabelSchema });
