// The experiment's recorded campaign launch (events.payload of kind experiment_campaign_prepared, written by
// campaigns/experiment-activities.ts) as a zod schema: read back on a retried prepare, it must be a launch of one of
// the three workflows with an input of that workflow's shape (its ids, models and params present), or the read fails
// naming the row. The type is core/experiment-contracts.ts CampaignLaunch (checked at compile time below).
import { z } from 'zod';
import type { BtpCycleInput, CampaignInput, EgcfgCampaignInput } from '../contracts.ts';
import type { CampaignLaunch } from '../experiment-contracts.ts';
import { modelSpecSchema } from '../model-spec.ts';
import type { Same } from './same.ts';

const id = z.string().min(1);
const ids = z.array(z.number().int());
const params = z.record(z.string(), z.unknown());

/** The top level of each workflow's input; the params were a typed input when written (their schemas: campaigns/options/). */
const baselineInputShape = z.looseObject({ campaignId: id, runId: z.number().int(), model: modelSpecSchema, params, concurrency: z.number().int() });
/** EG-CFG: the id list (launches recorded before issue 16), or its count (the ids read in pages from the pins). */
const egcfgInputShape = z.looseObject({ campaignId: id, model: modelSpecSchema, agents: z.array(z.looseObject({ name: z.string(), runId: z.number().int() })), params, concurrency: z.number().int() })
  .and(z.union([z.looseObject({ problemIds: ids }), z.looseObject({ problemsTotal: z.number().int().min(1) })]));
/** BTP: the id lists (launches recorded before issue 16), or their counts (the ids read in pages from the pins). */
const btpInputShape = z.looseObject({
  campaignId: id, runId: z.number().int(), sourceModel: modelSpecSchema, targetModel: modelSpecSchema, params, workDir: z.string(),
}).and(z.union([
  z.looseObject({ trainProblemIds: ids, evalProblemIds: ids }),
  z.looseObject({ trainProblemsTotal: z.number().int().min(1), evalProblemsTotal: z.number().int().min(1) }),
]));

/** A value of input type T once its shape checked out (z.custom types what the check accepted). */
const inputOf = <T>(shape: z.ZodType, what: string) => z.custom<T>((v) => shape.safeParse(v).success, `not a ${what} input`);

export const campaignLaunchSchema = z.discriminatedUnion('workflow', [
  z.object({ workflow: z.literal('baselineCampaign'), workflowId: id, input: inputOf<CampaignInput>(baselineInputShape, 'baselineCampaign') }),
  z.object({ workflow: z.literal('egcfgCampaign'), workflowId: id, input: inputOf<EgcfgCampaignInput>(egcfgInputShape, 'egcfgCampaign') }),
  z.object({ workflow: z.literal('btpCycle'), workflowId: id, input: inputOf<BtpCycleInput>(btpInputShape, 'btpCycle') }),
]);

export const CAMPAIGN_LAUNCH_SCHEMA_IS_LAUNCH: Same<z.infer<typeof campaignLaunchSchema>, CampaignLaunch> = true;
