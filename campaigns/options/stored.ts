// campaigns.config as stored (campaigns/service.ts, egcfg.ts, btp.ts and activities/btp/evaluation.ts write it): the
// campaign's options (runOptionsSchema, each field's schema without its default) with what each method adds (the model
// spec, the agents' names, the prompts, the BTP models and counts, a replay's coverage), or a BTP iteration's
// evaluation campaign's label. The column's type is inferred from it (db/schema/core.ts) and every read goes through it.
import { z } from 'zod';
import { modelSpecSchema } from '../../core/model-spec.ts';
import { promptsRefSchema } from '../../core/stored/egcfg-generation.ts';
import { runOptionsSchema } from '../options.ts';

type Recorded<S extends z.ZodRawShape> = { [K in keyof S]: z.ZodOptional<S[K] extends z.ZodDefault<infer I> ? I : S[K]> };

/**
 * Each option as a row records it: its own schema (choices, bounds) without its default, and optional. Reading a row
 * back fills in nothing (a default added since would claim an older campaign ran with it), and a row from before an
 * option existed lacks it.
 */
function recorded<S extends z.ZodRawShape>(shape: S): Recorded<S> {
  const out: Record<string, z.ZodType> = {};
  for (const [k, s] of Object.entries(shape) as [string, z.ZodType][]) out[k] = (s instanceof z.ZodDefault ? (s.unwrap() as z.ZodType) : s).optional();
  return out as Recorded<S>;
}

/**
 * One loose object for every kind of campaign: the options' fields, the method's additions and the evaluation
 * label's, all optional (a row has the ones its kind writes; rows of older code, and the tests' and benches' `{}`,
 * fewer). Loose: a campaign from before an option was dropped keeps it, shown as recorded on its page.
 */
export const campaignConfigSchema = z.looseObject({
  ...recorded(runOptionsSchema.shape),
  /** The model spec (baseline, eg-cfg); a BTP evaluation campaign's served model name. */
  model: z.union([modelSpecSchema, z.string()]).optional(),
  /** A replayed samples file's coverage of the selected problems (baseline). */
  replayCoverage: z.object({ covered: z.number().int(), selected: z.number().int(), missing: z.enum(['skip', 'fail']) }).optional(),
  /** EG-CFG: the agents' names, and the prompts (ours, or the authors' checkout). */
  agents: z.array(z.string()).optional(),
  prompts: z.union([promptsRefSchema, z.object({ source: z.literal('ours') })]).optional(),
  /** BTP: the model specs, the number of training problems and the decoding. */
  sourceModelSpec: modelSpecSchema.optional(),
  targetModelSpec: modelSpecSchema.optional(),
  trainProblems: z.number().int().optional(),
  decoding: z.string().optional(),
  /** A BTP iteration's evaluation campaign (activities/btp/evaluation.ts). */
  role: z.literal('btp-evaluation').optional(),
  parentCampaignId: z.string().optional(),
  iteration: z.number().int().optional(),
});
export type CampaignConfig = z.infer<typeof campaignConfigSchema>;

/** The model spec a campaign records (model, or a BTP campaign's source / target), when it records one. */
export function campaignModelSpecs(config: CampaignConfig): z.infer<typeof modelSpecSchema>[] {
  return [config.model, config.sourceModelSpec, config.targetModelSpec].filter((m): m is z.infer<typeof modelSpecSchema> => typeof m === 'object');
}

/**
 * runs.config as stored: one loose object for the writers, every field optional (the tests' fixtures write `{}`):
 * a baseline run's options (campaigns/service.ts: the campaign's options as given), an EG-CFG agent's method and
 * hyperparameters (campaigns/egcfg.ts), BTP's beams (campaigns/btp.ts: numBeams, temperature) and a BTP evaluation
 * campaign's run (activities/btp/evaluation.ts: role, iteration). Loose: an option since dropped is kept.
 */
export const runConfigSchema = z.looseObject({
  ...recorded(runOptionsSchema.shape),
  /** EG-CFG: the agent's hyperparameters (d: null for no depth limit). */
  t: z.number().optional(),
  s: z.number().int().optional(),
  d: z.number().int().nullable().optional(),
  k: z.number().int().optional(),
  promptType: z.string().optional(),
  /** BTP: the beams of each problem, and their temperature. */
  numBeams: z.number().int().optional(),
  temperature: z.number().optional(),
  /** A BTP iteration's evaluation campaign. */
  role: z.literal('btp-evaluation').optional(),
  iteration: z.number().int().optional(),
});
export type RunConfig = z.infer<typeof runConfigSchema>;
