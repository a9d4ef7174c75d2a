// Per-generation cache of traced runs (spec §1.5 step 5: each unique executable program is run once per test case,
// and results are cached per program for the whole generation), and the assembly of signal entries from it.
// PURE and deterministic: plain JSON data, safe in Temporal workflows.

import type { SignalEntry } from './signal.ts';

/**
 * program (executable form) → invocation → rendered trace, or null when the run produced no trace (timeout, crash:
 * left out of the signal, and not re-run).
 */
export type TraceCache = Record<string, Record<string, string | null>>;

export interface TraceRun {
  program: string;
  invocation: string;
}

export interface TraceResult extends TraceRun {
  trace: string | null;
}

export function emptyTraceCache(): TraceCache {
  return {};
}

function lookup(cache: TraceCache, program: string, invocation: string): string | null | undefined {
  if (!Object.prototype.hasOwnProperty.call(cache, program)) return undefined;
  const row = cache[program]!;
  return Object.prototype.hasOwnProperty.call(row, invocation) ? row[invocation] : undefined;
}

/** The (program, invocation) runs not in the cache yet, program-major, duplicates removed. */
export function pendingRuns(cache: TraceCache, programs: string[], invocations: string[]): TraceRun[] {
  const out: TraceRun[] = [];
  const seen = new Set<string>();
  for (const program of programs) {
    for (const invocation of invocations) {
      const key = JSON.stringify([program, invocation]);
      if (seen.has(key)) continue;
      seen.add(key);
      if (lookup(cache, program, invocation) === undefined) out.push({ program, invocation });
    }
  }
  return out;
}

/** Own-property write that also works for keys such as `__proto__` (program text is arbitrary). */
function put<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A new cache with the results added (later results for the same run replace earlier ones). */
export function recordRuns(cache: TraceCache, results: TraceResult[]): TraceCache {
  const next: TraceCache = {};
  for (const [p, row] of Object.entries(cache)) put(next, p, { ...row });
  for (const r of results) {
    if (!Object.prototype.hasOwnProperty.call(next, r.program)) put(next, r.program, {});
    put(next[r.program]!, r.invocation, r.trace);
  }
  return next;
}

/**
 * Signal entries for the given candidates × test invocations (candidate-major, both in the given order), from the
 * cache; runs without a trace (null) or not in the cache are left out. `invocationLabel` turns an executed
 * invocation into the text shown under `# Invocation:` (default: itself; stdin/stdout tasks add stdin and the
 * expected stdout).
 */
export function signalEntriesFromCache(
  cache: TraceCache,
  programs: string[],
  invocations: string[],
  invocationLabel: (invocation: string, index: number) => string = (i) => i,
): SignalEntry[] {
  const out: SignalEntry[] = [];
  for (const program of programs) {
    invocations.forEach((invocation, index) => {
      const trace = lookup(cache, program, invocation);
      if (typeof trace === 'string') out.push({ candidate: program, invocation: invocationLabel(invocation, index), trace });
    });
  }
  return out;
}
