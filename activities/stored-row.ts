// A jsonb value read back in an activity: validated against its stored schema (core/stored/). A row that does not fit
// will not fit on a retry either, so it fails the activity for good (like problem-row.ts), naming the row and field.
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import { parseStored, StoredShapeError, type StoredAt } from '../core/stored/parse.ts';

export function storedOfRow<S extends z.ZodType>(schema: S, value: unknown, at: StoredAt): z.output<S> {
  try {
    return parseStored(schema, value, at);
  } catch (err) {
    if (err instanceof StoredShapeError) throw ApplicationFailure.nonRetryable(err.message, 'StoredShapeError', { ...err.at, fields: err.fields });
    throw err;
  }
}
