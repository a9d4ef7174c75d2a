// Entry point of the workflow bundle: every workflow the workers host.
export { baselineCampaign } from './campaign.ts';
export { baselineProblem } from './problem.ts';
export { egcfgAgent, egcfgCampaign, egcfgGeneration, egcfgProblem } from './egcfg.ts';
export { btpCycle } from './btp.ts';
export { btpExperiment } from './experiment.ts';
