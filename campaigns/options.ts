// The options of a campaign, validated once here and shared by the CLI and the API, so both start the same workflows.
import { z } from 'zod';

export const datasetNames = ['mbpp', 'mbpp-et', 'humaneval', 'humaneval-et'] as const;
export const methods = ['baseline'] as const;

export const runOptionsSchema = z.object({
  dataset: z.enum(datasetNames, { error: (iss) => `unknown dataset '${String(iss.input)}'; known datasets: ${datasetNames.join(', ')}` }),
  method: z.enum(methods, { error: (iss) => `unknown method '${String(iss.input)}'; known methods: ${methods.join(', ')}` }).default('baseline'),
  modelName: z.string().min(1, 'model name must not be empty'),
  /** OpenAI-compatible server (vLLM). Absent: the simulated model server is started locally. */
  modelUrl: z.url({ error: 'model url must be an http(s) URL' }).optional(),
  /** A user-supplied dataset file (e.g. the full MBPP-ET JSONL), validated like the shipped ones. */
  datasetFile: z.string().min(1).optional(),
  split: z.enum(['test', 'train', 'validation', 'prompt', 'all']).optional(),
  maxProblems: z.number().int().positive().optional(),
  seed: z.number().int().nonnegative().default(40),
  temperature: z.number().min(0).max(2).default(0),
  topP: z.number().gt(0).max(1).default(0.95),
  maxTokens: z.number().int().positive().max(32768).default(512),
  promptType: z.enum(['deepseek_instruct', 'long_code']).default('deepseek_instruct'),
  concurrency: z.number().int().positive().max(1000).default(8),
  /** A samples file (evalplus JSONL) to replay instead of calling a model. */
  samplesFile: z.string().min(1).optional(),
});

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
