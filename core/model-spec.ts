// How a campaign reaches its model (core/contracts.ts ModelSpec) as a zod schema, for the stored copies of it (an
// EG-CFG generation's config, core/stored/egcfg-generation.ts). The API key never enters it: activities read
// EGCFG_MODEL_API_KEY.
import { z } from 'zod';
import { dialectField, egcfgPathField } from './option-fields.ts';

export const modelSpecSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('openai'), baseUrl: z.string(), model: z.string(), simulated: z.boolean(), dialect: dialectField.optional(),
    /** EG-CFG's procedure on this server (core/egcfg/local-path.ts): 'local' = the local inference service's
     *  full-vocabulary CFG line route (python/local_infer/); absent or 'endpoint' = top-k logprobs over HTTP. */
    egcfgPath: egcfgPathField.optional(),
  }),
  z.object({ kind: z.literal('replay'), samplesFile: z.string(), model: z.string() }),
]);
