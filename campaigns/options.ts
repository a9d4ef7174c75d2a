// The options of a campaign, validated once here and shared by the CLI and the API, so both start the same workflows.
// Each option is written once, in its method's module under campaigns/options/ (schema, bounds, default, help, flag).
import { z } from 'zod';
import { baselineFields } from './options/baseline.ts';
import { btpFields } from './options/btp.ts';
import { commonFields, methodSchema, type Method } from './options/common.ts';
import { egcfgFields } from './options/egcfg.ts';
import { experimentLabelSchema } from './options/experiment.ts';
import { cliRegistry, opt } from './options/field.ts';

export { datasetNames, methods, MAX_NAME_CHARS, MAX_PATH_CHARS, text, type Method } from './options/common.ts';
export { inlineGridSchema } from './options/egcfg.ts';

/** The fields of each method beside the common ones (campaigns/options/{baseline,egcfg,btp}.ts). */
export const methodFields = { baseline: baselineFields, 'eg-cfg': egcfgFields, btp: btpFields } as const;

const method = opt(methodSchema.default('baseline'), 'baseline (one completion per problem), eg-cfg (execution-guided decoding) or btp (beam sampling, testing, prioritized replay, LoRA)', { value: 'M', form: true });

/**
 * One contract per method: a discriminated union on `method`, each member the common options and its own
 * (baseline, eg-cfg, btp). The CLI's per-method help, the API's documentation and the form's fieldsets follow it.
 */
export const campaignOptionsSchema = z.discriminatedUnion('method', [
  z.object({ ...commonFields, method: z.literal('baseline'), ...baselineFields, experiment: experimentLabelSchema }),
  z.object({ ...commonFields, method: z.literal('eg-cfg'), ...egcfgFields, experiment: experimentLabelSchema }),
  z.object({ ...commonFields, method: z.literal('btp'), ...btpFields, experiment: experimentLabelSchema }),
]);
export type CampaignOptions = z.output<typeof campaignOptionsSchema>;
export type BaselineOptions = Extract<CampaignOptions, { method: 'baseline' }>;
export type EgcfgOptions = Extract<CampaignOptions, { method: 'eg-cfg' }>;
export type BtpOptions = Extract<CampaignOptions, { method: 'btp' }>;

/**
 * The options as one object, every method's fields with their defaults (what campaigns, the stored config and the
 * workflows read; a method ignores the others' fields). Built from the same per-method fields as the union above.
 */
const { dataset, ...common } = commonFields;
export const runOptionsSchema = z.object({
  dataset,
  method,
  ...common,
  ...baselineFields,
  ...egcfgFields,
  ...btpFields,
  experiment: experimentLabelSchema,
});

/**
 * The dashboard's start form (api/start-form.ts): the common fields, then one fieldset per method, each the fields
 * whose module marks them `form` (a common field marked 'baseline' goes to the baseline fieldset), in schema order.
 */
export function formFields(): { common: string[]; methods: Record<Method, string[]> } {
  const marked = (fields: Record<string, z.ZodType>, want: true | 'baseline') =>
    Object.entries(fields).filter(([, schema]) => cliRegistry.get(schema)?.form === want).map(([name]) => name);
  return {
    common: ['dataset', 'method', ...marked(commonFields, true).filter((n) => n !== 'dataset')],
    methods: {
      baseline: [...marked(commonFields, 'baseline'), ...marked(baselineFields, true)],
      'eg-cfg': marked(egcfgFields, true),
      btp: marked(btpFields, true),
    },
  };
}

export type RunOptionsInput = z.input<typeof runOptionsSchema>;
export type RunOptions = z.output<typeof runOptionsSchema>;

/** Validate, turning zod's issues into one message that names each field and its problem. */
export function parseRunOptions(input: unknown): RunOptions {
  const parsed = runOptionsSchema.safeParse(input);
  if (!parsed.success) throw new OptionsError(parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })));
  return parsed.data;
}

export class OptionsError extends Error {
  constructor(readonly issues: Array<{ field: string; message: string }>) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join('; '));
    this.name = 'OptionsError';
  }
}

/** Checks of the problem selection and sampling options that need no data: every way of starting a campaign runs them. */
export function checkSelectionOptions(opts: RunOptions): void {
  if (opts.samplesPerProblem !== undefined && opts.samplesPerProblem > 1) {
    if (opts.method !== 'baseline') throw new OptionsError([{ field: 'samplesPerProblem', message: 'several samples per problem (pass@k) are a baseline option' }]);
    if (opts.temperature === 0) throw new OptionsError([{ field: 'samplesPerProblem', message: 'pass@k needs sampling: with temperature 0 every sample is the same (set --temperature, e.g. 0.8)' }]);
    if (opts.samplesFile) throw new OptionsError([{ field: 'samplesPerProblem', message: 'a replayed samples file has its own samples' }]);
  }
  if (opts.subsetSeed !== undefined && opts.maxProblems === undefined) {
    throw new OptionsError([{ field: 'subsetSeed', message: 'a subset seed needs maxProblems (--max-problems N): the size of the subset' }]);
  }
}
