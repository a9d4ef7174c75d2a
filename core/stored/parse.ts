// Reading a jsonb value back from the database through its zod schema (core/stored/*.ts): the value, or an error that
// names the table, the row and the first fields that do not fit, so a bad row is found, not cast through.
import type { z } from 'zod';

/** Which stored value: `egcfg_steps.state`, row 42. */
export interface StoredAt { table: string; column: string; id: number | string }

export class StoredShapeError extends Error {
  constructor(readonly at: StoredAt, readonly fields: string[], detail: string) {
    super(`${at.table}.${at.column} of row ${at.id} is not what was stored: ${detail}`);
    this.name = 'StoredShapeError';
  }
}

/** The value, validated; throws StoredShapeError naming the row and the bad fields. */
export function parseStored<S extends z.ZodType>(schema: S, value: unknown, at: StoredAt): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 3);
  const fields = issues.map((i) => i.path.map(String).join('.') || '(value)');
  throw new StoredShapeError(at, fields, issues.map((i, n) => `${fields[n]}: ${i.message}`).join('; '));
}
