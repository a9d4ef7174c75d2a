// Reading JSONL / JSONL.GZ benchmark files with line-precise, field-precise errors.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { z } from 'zod';

/** A malformed input: message `<dataset> (<file>) line <n>: field '<f>' <problem>`. */
export class DatasetFormatError extends Error {
  readonly dataset: string;
  readonly file: string;
  readonly line: number | undefined;
  readonly field: string | undefined;
  constructor(dataset: string, file: string, line: number | undefined, field: string | undefined, problem: string) {
    const where = line === undefined ? `${dataset} (${file})` : `${dataset} (${file}) line ${line}`;
    super(field === undefined ? `${where}: ${problem}` : `${where}: field '${field}' ${problem}`);
    this.dataset = dataset;
    this.file = file;
    this.line = line;
    this.field = field;
  }
}

/** The text of a JSONL file, gunzipped when it starts with the gzip magic bytes (whatever its name). */
export function readJsonlText(dataset: string, file: string): string {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new DatasetFormatError(dataset, file, undefined, undefined, `cannot read file: ${(e as Error).message}`);
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new DatasetFormatError(dataset, file, undefined, undefined, `corrupt gzip data: ${(e as Error).message}`);
    }
  }
  return buf.toString('utf8');
}

export interface JsonlRow<T> {
  line: number;
  /** The validated record. */
  value: T;
  /** The record exactly as parsed from the line. */
  raw: Record<string, unknown>;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = obj;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/** Turn the first zod issue into `field '<path>' <problem>`; the path uses dots (`test_list.2`). */
export function issueToError(dataset: string, file: string, line: number, input: unknown, error: z.ZodError): DatasetFormatError {
  const issue = error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : undefined;
  let problem: string;
  if (issue.code === 'invalid_type') {
    const actual = valueAt(input, issue.path);
    const parentHasKey = issue.path.length > 0 && (() => {
      const parent = valueAt(input, issue.path.slice(0, -1));
      return parent !== null && typeof parent === 'object' && Object.prototype.hasOwnProperty.call(parent, issue.path[issue.path.length - 1]!);
    })();
    problem = actual === undefined && !parentHasKey
      ? `is missing (expected ${issue.expected})`
      : `must be ${issue.expected}, got ${describe(actual)}`;
  } else {
    problem = issue.message;
  }
  if (field === undefined) return new DatasetFormatError(dataset, file, line, undefined, `record ${problem}`);
  return new DatasetFormatError(dataset, file, line, field, problem);
}

/** Parse every non-blank line as JSON and validate it with the schema. Throws on the first bad line. */
export function readJsonl<S extends z.ZodType>(dataset: string, file: string, schema: S): JsonlRow<z.output<S>>[] {
  const text = readJsonlText(dataset, file);
  const lines = text.split('\n');
  const rows: JsonlRow<z.output<S>>[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const line = i + 1;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      throw new DatasetFormatError(dataset, file, line, undefined, `invalid JSON: ${(e as Error).message}`);
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw new DatasetFormatError(dataset, file, line, undefined, `expected a JSON object, got ${describe(json)}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw issueToError(dataset, file, line, json, parsed.error);
    rows.push({ line, value: parsed.data, raw: json as Record<string, unknown> });
  }
  if (rows.length === 0) throw new DatasetFormatError(dataset, file, undefined, undefined, 'file holds no records');
  return rows;
}
