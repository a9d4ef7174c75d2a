// The workflow inputs (core/contracts.ts: CampaignInput, EgcfgCampaignInput, BtpCycleInput and their params) against
// the campaign option schemas they are built from (campaigns/options/, z.infer): every field a workflow input takes
// from an option has exactly that option's type, checked both ways at compile time. A new choice added to an option's
// schema but not to the workflow contract (or the reverse) fails `tsc` here, before any campaign could carry it.
// Types only: nothing here runs, and workflow code (replayed from recorded histories) is untouched.
import type { BaselineParams, BtpParams, EgcfgAgentSpec, EgcfgParams, ModelSpec } from '../core/contracts.ts';
import type { BaselineOptions, BtpOptions, EgcfgOptions } from './options.ts';

/** true when A and B are the same type (each assignable to the other). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;
type Defined<T> = Exclude<T, undefined>;
type OpenaiModel = Extract<ModelSpec, { kind: 'openai' }>;

/** Each entry names the input field and the option it is built from (campaigns/service.ts, egcfg.ts, btp.ts). */
export type WorkflowInputChecks = [
  // baselineCampaign (CampaignInput.params) and a BTP iteration's evaluation (BtpParams.eval)
  Check<Same<BaselineParams['promptType'], BaselineOptions['promptType']>>,
  Check<Same<Defined<BaselineParams['promptFormat']>, Defined<BaselineOptions['promptFormat']>>>,
  Check<Same<BaselineParams['temperature'], BaselineOptions['temperature']>>,
  Check<Same<BaselineParams['seed'], BaselineOptions['seed']>>,
  Check<Same<Defined<BaselineParams['samplesPerProblem']>, Defined<BaselineOptions['samplesPerProblem']>>>,
  Check<Same<Defined<OpenaiModel['dialect']>, Defined<BaselineOptions['modelBackend']>>>,
  // egcfgCampaign (EgcfgCampaignInput.params, .agents)
  Check<Same<EgcfgParams['gammas'], EgcfgOptions['gammas']>>,
  Check<Same<Defined<EgcfgParams['protocol']>, EgcfgOptions['protocol']>>,
  Check<Same<Defined<EgcfgParams['candidateTokens']>, EgcfgOptions['candidateTokens']>>,
  Check<Same<EgcfgParams['earlyStop'], EgcfgOptions['earlyStop']>>,
  Check<Same<EgcfgAgentSpec['d'], EgcfgOptions['horizon']>>,
  Check<Same<EgcfgAgentSpec['promptType'], EgcfgOptions['promptType']>>,
  Check<Same<Defined<EgcfgParams['promptFormat']>, Defined<EgcfgOptions['promptFormat']>>>,
  // btpCycle (BtpCycleInput.params)
  Check<Same<BtpParams['possibility'], BtpOptions['possibility']>>,
  Check<Same<BtpParams['eviction'], BtpOptions['eviction']>>,
  Check<Same<BtpParams['trainPrompt'], BtpOptions['trainPrompt']>>,
  Check<Same<BtpParams['sampling']['kind'], BtpOptions['samplingMethod']>>,
  Check<Same<BtpParams['promptType'], BtpOptions['promptType']>>,
  Check<Same<Defined<BtpParams['promptFormat']>, Defined<BtpOptions['promptFormat']>>>,
  Check<Same<BtpParams['trainer']['device'], BtpOptions['trainerDevice']>>,
];
