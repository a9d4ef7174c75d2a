// A problems row's `problem` read back in an activity: validated against its schema (core/datasets/problem-schema.ts).
// A row that is not a problem will not become one on a retry, so it fails the activity for good, naming the row.
import { ApplicationFailure } from '@temporalio/common';
import type { Problem } from '../core/datasets/index.ts';
import { parseStoredProblem } from '../core/datasets/problem-schema.ts';

export function problemOfRow(value: unknown, problemId: number): Problem {
  try {
    return parseStoredProblem(value, `problem version ${problemId}`);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'StoredProblemError');
  }
}
