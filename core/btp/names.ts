// Names shared by the BTP workflow, its activities and its clients: pure functions (safe in the workflow bundle).

/** The baseline campaign that evaluates iteration `iteration` of a BTP campaign (0 = the base target model). */
export const evalCampaignIdOf = (campaignId: string, iteration: number): string => `${campaignId}-eval${iteration}`;

/** The name an iteration's LoRA adapter is served under (vLLM: `model: <name>` selects the adapter). */
export const adapterNameOf = (targetModel: string, campaignId: string, iteration: number): string =>
  `${targetModel}-btp-${campaignId}-it${iteration}`;

/** The `samples.attempt` of one beam candidate. */
export const beamAttempt = (iteration: number, beam: number): string => `btp:${iteration}:${beam}`;

/** Seed of the beam request of one problem in one iteration (vLLM and the simulated server take a per-request seed). */
export const beamSeed = (seed: number, iteration: number): number => seed * 1000 + iteration;
