// The options every method takes: what to run on (dataset, problems), which model, and the sampling basics.
import { z } from 'zod';
import { httpUrlSchema } from '../../core/model-servers.ts';
import { dialectField, maxTokensField, promptFormatField, promptTypeField, seedField, temperatureField, topPField } from '../../core/option-fields.ts';
import { opt } from './field.ts';

export const datasetNames = ['mbpp', 'mbpp-et', 'humaneval', 'humaneval-et', 'codecontests'] as const;
export const methods = ['baseline', 'eg-cfg', 'btp'] as const;
export type Method = (typeof methods)[number];

/** Longest model name accepted (vLLM names are ids or paths; the replay model is `replay:<file name>`). */
export const MAX_NAME_CHARS = 512;
/** Longest file or folder path accepted. */
export const MAX_PATH_CHARS = 4096;

/** A non-empty string of at most `max` characters without NUL (Postgres text cannot hold it; no name or path needs it), with messages that name `what`. */
export const text = (what: string, max: number) => z.string().min(1, `${what} must not be empty`)
  .max(max, `${what} longer than ${max} characters`)
  .refine((v) => !v.includes('\0'), `${what} must not contain NUL bytes`);

export const datasetSchema = z.enum(datasetNames, { error: (iss) => `unknown dataset '${String(iss.input)}'; known datasets: ${datasetNames.join(', ')}` });
export const methodSchema = z.enum(methods, { error: (iss) => `unknown method '${String(iss.input)}'; known methods: ${methods.join(', ')}` });

/** Fields of every method except `method` itself (each method's schema adds its literal). */
export const commonFields = {
  dataset: opt(datasetSchema, 'the benchmark the campaign is scored on', { value: 'D', form: true }),
  modelName: opt(text('model name', MAX_NAME_CHARS), 'the model: a catalogue name (egcfg models list), a served model name with --model-url, or simulated-*', { value: 'NAME', form: true }),
  modelUrl: opt(httpUrlSchema('model url').optional(), 'an OpenAI-compatible server (vLLM, llama.cpp); absent: a catalogue model on a local llama-server, or the simulator', { value: 'URL', form: true }),
  datasetFile: opt(text('dataset file', MAX_PATH_CHARS).optional(), 'a dataset file (JSONL or parquet) validated like the shipped ones; repeatable (CodeContests shards)', { value: 'FILE', parse: 'files' }),
  split: opt(z.enum(['test', 'train', 'validation', 'prompt', 'all']).optional(), 'the dataset split', { value: 'S' }),
  maxProblems: opt(z.number().int().positive().optional(), 'at most N problems (the first N, or a seeded subset with --subset-seed)', { form: true }),
  subsetSeed: opt(z.number().int().nonnegative().optional(), 'with --max-problems: a seeded random subset of that size (dataset order kept)', { value: 'S' }),
  seed: opt(seedField.default(40), 'the sampling seed', { value: 'S', form: true }),
  temperature: opt(temperatureField.default(0), 'sampling temperature (eg-cfg: 0 means the grid\'s lowest, 0.7)', { value: 'T', form: true }),
  topP: opt(topPField.default(0.95), 'nucleus sampling top-p', { value: 'P', form: 'baseline' }),
  maxTokens: opt(maxTokensField.default(512), 'max_tokens of a completion', { form: 'baseline' }),
  promptType: opt(promptTypeField.default('deepseek_instruct'), 'the prompt template', { value: 'P', form: true }),
  promptFormat: opt(promptFormatField.optional(), "'chat': the model's chat template; 'raw': the prompt as a plain completion (default: the catalogue's, else raw)", { value: 'F' }),
  modelBackend: opt(dialectField.optional(), "force the model server's dialect instead of detecting it", { value: 'B' }),
  concurrency: opt(z.number().int().positive().max(1000).default(8), 'problems in flight at once', { form: true }),
};
