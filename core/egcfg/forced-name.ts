// Which function EG-CFG forces after the reasoning prefix (`def <name>(`) and accepts a reasoning try by. PURE.
//
// The authors' endpoint path passes `problem.get("entry_point")`; their MBPP records (the Hugging Face dataset) have
// none, so the name falls back to the first `def` of the reference solution (`extract_function_signature(code)`, the
// first `def name(...):` on one line). For 20 of the 500 MBPP test tasks that is not the tested function (a helper,
// or `__init__` of a class; counted in test/unit/egcfg-forced-name.test.ts). HumanEval and CodeContests records
// carry their entry point (`solve` for CodeContests). The guidance gate keeps the tested function's name, as their
// detector does (it takes the name of the first test assert).

export const forcedNameModes = ['reference', 'entry-point'] as const;
export type ForcedNameMode = (typeof forcedNameModes)[number];

/** What the choice needs from a problem (structural: core/egcfg imports nothing outside itself). */
export interface ForcedNameProblem {
  dataset: string;
  entryPoint: string;
  /** The reference solution (MBPP `code`). */
  canonicalSolution: string;
  /** The record as read (an MBPP record with its own `entry_point` keeps it, as theirs would). */
  raw: Record<string, unknown>;
}

/** The first `def name(...)...:` on one line of `code` and its name, as the authors' two regexes find it; null when none. */
export function firstDefName(code: string): string | null {
  const sig = /def\s+\w+\s*\([^\n]*\)\s*:/.exec(code);
  if (!sig) return null;
  return /^def\s+([a-zA-Z_][a-zA-Z0-9_]*)\s*\(/.exec(sig[0])?.[1] ?? null;
}

/** The forced function name: under 'reference' the authors' choice (above), under 'entry-point' the tested function. */
export function forcedFunctionName(mode: ForcedNameMode, p: ForcedNameProblem): string {
  if (mode === 'entry-point') return p.entryPoint;
  const mbpp = p.dataset === 'mbpp' || p.dataset === 'mbpp-et';
  if (!mbpp || typeof p.raw.entry_point === 'string') return p.entryPoint;
  return firstDefName(p.canonicalSolution) ?? p.entryPoint;
}
