// Options of the baseline method: one completion (or n samples, pass@k) per problem, or a replayed samples file.
import { z } from 'zod';
import { MAX_PATH_CHARS, text } from './common.ts';
import { samplesPerProblemField } from '../../core/option-fields.ts';
import { opt } from './field.ts';

export const baselineFields = {
  samplesPerProblem: opt(samplesPerProblemField.optional(), 'pass@k: n samples per problem (seeded seed + i), scored with the unbiased estimator for k <= n'),
  missing: opt(z.enum(['skip', 'fail']).optional(), "a samples file's tasks without samples: 'skip' (scored on the tasks it covers) or 'fail' (counted as failed)", { value: 'M' }),
  samplesFile: opt(text('samples file', MAX_PATH_CHARS).optional(), 'an evalplus JSONL samples file replayed instead of calling a model', { flag: 'samples', value: 'FILE', parse: 'path' }),
};
