// Fitting the dynamic signal to the model's context (issue 11 item 10). PURE and deterministic: safe in workflows.
//
// With a 4,096-token context, 7–16k-character signals made conditional prompts the server refused, and guidance was
// skipped for the line. The authors' EG-CFG code has no rule for it (their endpoint had a large context); the one
// place their code fits execution traces to a context (traces_dumper/program_execution.py, get_recent_trace_phases_count)
// keeps the MOST RECENT trace steps that fit the tokens left after the prompt and drops the earlier ones. Our rule:
//   1. all entries (candidate × invocation, in signal order) when they fit;
//   2. else drop whole entries last-first, keeping the longest leading run that fits;
//   3. else (not even the first entry fits) shorten that entry's trace to its last lines that fit (the authors'
//      recent-steps rule), marked `# ... N earlier trace lines omitted`;
//   4. else the signal is empty: guidance is skipped for the line, and the step says so.
// `fits` measures a candidate set of entries (the caller tokenizes the whole conditional prompt); it must be
// monotone (fewer entries / fewer lines never stop fitting). Binary searches keep the calls to O(log n).
import type { SignalEntry } from './signal.ts';

export interface SignalFit {
  entries: SignalEntry[];
  /** Entries dropped whole. */
  dropped: number;
  /** Entries whose trace was shortened (0 or 1), and the trace lines cut from it. */
  shortened: number;
  linesOmitted: number;
}

/** What a fitted signal left out, as stored in the signal step's summary (`signalFit`): kept 0 = the signal is empty
 *  and guidance is skipped for the line; contextTokens the server's context, condTokens the fitted conditional prompt. */
export interface SignalFitRecord extends Omit<SignalFit, 'entries'> {
  kept: number;
  contextTokens: number;
  condTokens: number;
}

/** The entry with only the last `keep` lines of its trace, marked. */
export function lastTraceLines(e: SignalEntry, keep: number): SignalEntry {
  const lines = e.trace.split('\n');
  if (keep >= lines.length) return e;
  return { ...e, trace: [`# ... ${lines.length - keep} earlier trace lines omitted`, ...lines.slice(lines.length - keep)].join('\n') };
}

/** The largest n in [lo, hi] with ok(n), given ok is monotone decreasing; lo - 1 when none. */
async function largest(lo: number, hi: number, ok: (n: number) => Promise<boolean>): Promise<number> {
  let best = lo - 1;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (await ok(mid)) { best = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return best;
}

export async function fitSignal(entries: readonly SignalEntry[], fits: (entries: SignalEntry[]) => Promise<boolean>): Promise<SignalFit> {
  const all = [...entries];
  if (all.length === 0 || await fits(all)) return { entries: all, dropped: 0, shortened: 0, linesOmitted: 0 };
  const keep = await largest(1, all.length - 1, (n) => fits(all.slice(0, n)));
  if (keep >= 1) return { entries: all.slice(0, keep), dropped: all.length - keep, shortened: 0, linesOmitted: 0 };
  const first = all[0]!;
  const lines = first.trace.split('\n').length;
  const kept = await largest(1, lines - 1, (m) => fits([lastTraceLines(first, m)]));
  if (kept >= 1) return { entries: [lastTraceLines(first, kept)], dropped: all.length - 1, shortened: 1, linesOmitted: lines - kept };
  return { entries: [], dropped: all.length, shortened: 0, linesOmitted: 0 };
}
