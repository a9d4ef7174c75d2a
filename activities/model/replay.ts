// The replay model: answers come from an existing samples file in evalplus format (JSON Lines, optionally .gz),
// one object per line with "task_id" and either "solution" (a full program) or "completion" (text to append to the
// HumanEval prompt). When a line has both, "solution" wins (as in evalplus). Extra fields are ignored.
// Several lines may share a task_id: they are that task's samples, in file order (pass@k); every task must then have
// the same number of them (samplesPerTask).
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';

export interface ReplaySample {
  taskId: string;
  /** 'solution' = a full program; 'completion' = to be appended to the task's prompt (HumanEval style). */
  kind: 'solution' | 'completion';
  text: string;
  /** 1-based line number in the file (for audit trails). */
  line: number;
}

export class ReplayFileError extends Error {
  override readonly name = 'ReplayFileError';
  constructor(readonly file: string, readonly line: number, detail: string) {
    super(line > 0 ? `${file}:${line}: ${detail}` : `${file}: ${detail}`);
  }
}

const LineSchema = z.looseObject({
  task_id: z.union([z.string().min(1), z.number().int()], { error: 'task_id must be a non-empty string or an integer' }),
  solution: z.string({ error: 'solution must be a string' }).optional(),
  completion: z.string({ error: 'completion must be a string' }).optional(),
});

/** Parses evalplus-format text; `file` is only used in error messages. */
export function parseReplaySamples(text: string, file: string): Map<string, ReplaySample[]> {
  const out = new Map<string, ReplaySample[]>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    let json: unknown;
    try { json = JSON.parse(raw); } catch (e) {
      throw new ReplayFileError(file, line, `not valid JSON (${(e as Error).message}): ${raw.length > 80 ? `${raw.slice(0, 80)}…` : raw}`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new ReplayFileError(file, line, `expected a JSON object, got ${Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json}`);
    }
    if (!('task_id' in json)) throw new ReplayFileError(file, line, 'missing field "task_id"');
    const r = LineSchema.safeParse(json);
    if (!r.success) {
      throw new ReplayFileError(file, line, r.error.issues.map((iss) => `${iss.path.join('.') || '(line)'}: ${iss.message}`).join('; '));
    }
    const taskId = String(r.data.task_id);
    const kind = r.data.solution !== undefined ? 'solution' : r.data.completion !== undefined ? 'completion' : undefined;
    if (!kind) throw new ReplayFileError(file, line, `task ${taskId} has neither "solution" nor "completion"`);
    const list = out.get(taskId) ?? [];
    list.push({ taskId, kind, text: kind === 'solution' ? r.data.solution! : r.data.completion!, line });
    out.set(taskId, list);
  }
  return out;
}

/** The number of samples every task has (n of pass@k); tasks with different numbers are an error naming two of them. */
export function samplesPerTask(samples: Map<string, ReplaySample[]>, file: string): number {
  let n: number | undefined;
  let first = '';
  for (const [taskId, list] of samples) {
    if (n === undefined) { n = list.length; first = taskId; continue; }
    if (list.length !== n) {
      throw new ReplayFileError(file, list[0]!.line, `task ${JSON.stringify(taskId)} has ${list.length} samples and task ${JSON.stringify(first)} ${n}: pass@k needs the same number of samples for every task`);
    }
  }
  return n ?? 0;
}

/** Reads an evalplus samples file (.jsonl, or .jsonl.gz by its gzip magic bytes). */
export async function loadReplaySamples(file: string): Promise<Map<string, ReplaySample[]>> {
  let buf: Buffer;
  try { buf = await readFile(file); } catch (e) {
    throw new ReplayFileError(file, 0, `cannot read replay samples: ${(e as Error).message}`);
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try { buf = gunzipSync(buf); } catch (e) { throw new ReplayFileError(file, 0, `not valid gzip: ${(e as Error).message}`); }
  }
  return parseReplaySamples(buf.toString('utf8'), file);
}

/** The program a sample stands for: a solution as is; a completion appended to the task's prompt. */
export function replayProgram(sample: ReplaySample, taskPrompt?: string): string {
  if (sample.kind === 'solution') return sample.text;
  if (taskPrompt === undefined) throw new Error(`replay sample for ${sample.taskId} is a completion: the task's prompt is needed to build the program`);
  return taskPrompt + sample.text;
}
