// Early stop (spec §1.6): a small serialisable state machine. PURE and deterministic: safe in Temporal workflows.
//
// At each signal refresh the workflow reports the unique executable candidates it got on the unconditional prompt
// (`observeUncond`). A refresh "detects" a program when it yields EXACTLY ONE unique executable candidate whose last
// non-empty line contains `return`. Repeating the same single program on later refreshes increments that side's
// counter; anything else resets the side (no program, counter 0). When the unconditional side holds a detection,
// the same sampling is also done on the conditional prompt (`needsCondSampling`) and reported with `observeCond`
// (own program and counter, same rules).
//
// Stop (`earlyStopDecision`) when both counters reached the threshold (4) and both sides hold the same program, or
// when either counter reached the loop threshold (6 = 1.5×4). The program returned is the unconditional side's for
// γ≠1 and the conditional side's for γ=1 (falling back to the other side's when that side holds none).
//
// Choices where the spec is not explicit (documented so they can be revisited):
//  - the counter counts DETECTIONS, as in the authors' code (code_generation_adapter.py): the first detection sets it
//    to 1, each identical later refresh adds 1, so a side is ready after 4 consecutive identical refreshes and a loop
//    is declared after 6 (it used to start at 0: 5 and 7 refreshes);
//  - when an unconditional observation leaves that side without a detection, the conditional side is reset too
//    (its sampling only happens while the unconditional side holds a detection, so its streak is broken).

import { EARLY_STOP_LOOP_THRESHOLD, EARLY_STOP_THRESHOLD } from './constants.ts';

export interface EarlyStopSide {
  program: string | null;
  count: number;
}

export interface EarlyStopState {
  uncond: EarlyStopSide;
  cond: EarlyStopSide;
}

export interface EarlyStopConfig {
  threshold: number;
  loopThreshold: number;
}

export const DEFAULT_EARLY_STOP_CONFIG: EarlyStopConfig = Object.freeze({
  threshold: EARLY_STOP_THRESHOLD,
  loopThreshold: EARLY_STOP_LOOP_THRESHOLD,
});

export type EarlyStopDecision =
  | { stop: false }
  | { stop: true; reason: 'agreement' | 'loop'; side: 'uncond' | 'cond'; program: string };

const emptySide = (): EarlyStopSide => ({ program: null, count: 0 });

export function initialEarlyStop(): EarlyStopState {
  return { uncond: emptySide(), cond: emptySide() };
}

/** The last non-empty line of a program (trailing whitespace ignored); '' for an empty program. */
function lastNonEmptyLine(program: string): string {
  const lines = program.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]!.trim() !== '') return lines[i]!;
  return '';
}

/** The program a refresh detects: the single unique candidate, when its last non-empty line contains `return`. */
export function detectedProgram(uniqueExecutables: string[]): string | null {
  const unique = [...new Set(uniqueExecutables)];
  if (unique.length !== 1) return null;
  const only = unique[0]!;
  return lastNonEmptyLine(only).includes('return') ? only : null;
}

function stepSide(side: EarlyStopSide, uniqueExecutables: string[]): EarlyStopSide {
  const p = detectedProgram(uniqueExecutables);
  if (p === null) return emptySide();
  if (side.program === p) return { program: p, count: side.count + 1 };
  return { program: p, count: 1 };
}

/** Report the unique executable candidates of one refresh on the unconditional prompt. */
export function observeUncond(state: EarlyStopState, uniqueExecutables: string[]): EarlyStopState {
  const uncond = stepSide(state.uncond, uniqueExecutables);
  return { uncond, cond: uncond.program === null ? emptySide() : { ...state.cond } };
}

/** Whether this refresh must also sample candidates on the conditional prompt (the unconditional side holds a detection). */
export function needsCondSampling(state: EarlyStopState): boolean {
  return state.uncond.program !== null;
}

/** Report the unique executable candidates sampled on the conditional prompt. Throws when not due. */
export function observeCond(state: EarlyStopState, uniqueExecutables: string[]): EarlyStopState {
  if (!needsCondSampling(state)) throw new RangeError('observeCond: conditional sampling is only due while the unconditional side holds a detection');
  return { uncond: { ...state.uncond }, cond: stepSide(state.cond, uniqueExecutables) };
}

function checkConfig(cfg: EarlyStopConfig): void {
  if (!Number.isInteger(cfg.threshold) || cfg.threshold < 0) throw new RangeError(`early stop: threshold must be an integer >= 0, got ${String(cfg.threshold)}`);
  if (!Number.isInteger(cfg.loopThreshold) || cfg.loopThreshold < cfg.threshold) {
    throw new RangeError(`early stop: loopThreshold must be an integer >= threshold, got ${String(cfg.loopThreshold)}`);
  }
}

/** Whether to stop now, and with which program (see the file comment). */
export function earlyStopDecision(state: EarlyStopState, gamma: number, cfg: EarlyStopConfig = DEFAULT_EARLY_STOP_CONFIG): EarlyStopDecision {
  checkConfig(cfg);
  const { uncond, cond } = state;
  const agreement =
    uncond.program !== null && cond.program !== null && uncond.program === cond.program &&
    uncond.count >= cfg.threshold && cond.count >= cfg.threshold;
  const loop = (uncond.program !== null && uncond.count >= cfg.loopThreshold) || (cond.program !== null && cond.count >= cfg.loopThreshold);
  if (!agreement && !loop) return { stop: false };
  const preferCond = gamma === 1;
  const first = preferCond ? cond : uncond;
  const second = preferCond ? uncond : cond;
  const program = first.program ?? second.program;
  if (program === null) return { stop: false }; // unreachable: a ready/looping side always holds a program
  const side = first.program !== null ? (preferCond ? 'cond' : 'uncond') : preferCond ? 'uncond' : 'cond';
  return { stop: true, reason: agreement ? 'agreement' : 'loop', side, program };
}
