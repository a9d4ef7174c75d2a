// One guided generation (spec §1.3, γ > 0) as a pure step machine: the caller (a workflow or an activity) asks
// `nextAction` what to do, performs it (model calls, sandbox runs), and feeds the result back with the matching
// `apply*` function. The state is plain JSON data. PURE and deterministic: safe in Temporal workflows.
//
// Loop (per step):
//   1. pending conditional candidates (early stop)  → 'sample_cond_candidates'
//   2. guidance gate on and the refresh rule fires  → wall-clock / solved-elsewhere checks, then 'build_signal'
//   3. otherwise                                     → 'next_token' (γ≠1) or 'next_line' (γ=1), guided when the gate
//                                                      is on and the current signal is non-empty
// After each appended token/line: stop on EOS, closing fence, max_new_tokens (the final code is then the last
// ```python block of prefix + generated). Early stop ends the generation with the detected program.
//
// γ = 0 is not a guided generation (single completion, see gamma1.ts) and is rejected here.

import { earlyStopDecision, initialEarlyStop, needsCondSampling, observeCond, observeUncond, type EarlyStopConfig, type EarlyStopState } from './early-stop.ts';
import { codeSinceLastFence, decodeStopReason, DEFAULT_WALL_CAP_MS, finalCode, initialRefreshState, isGuidanceActive, refreshDecision, type RefreshState, type StopReason } from './gate.ts';
import { gamma1AppendedTokens, gamma1NewlineOnly, gamma1Step } from './gamma1.ts';
import { insertSignal } from './signal.ts';

export interface GenerationSpec {
  entryPoint: string;
  /** CFG strength, > 0 (γ = 1 uses the line shortcut). */
  gamma: number;
  /** Refresh the signal every k completed lines. */
  k: number;
  maxNewTokens: number;
  /** Default 40 minutes. */
  wallCapMs?: number;
  /**
   * Model tokens (prompt + completion) all generations of the problem may spend; at or past it the generation ends
   * ('cost_cap', checked after every step). Absent: no cap (the authors had none).
   */
  problemTokenCap?: number;
  /** Early-stop thresholds, or false to disable early stop. Default: 4 / 6. */
  earlyStop?: EarlyStopConfig | false;
}

export type GenerationEnd =
  | { reason: StopReason; code: string }
  | { reason: 'early_stop'; code: string; earlyStop: 'agreement' | 'loop'; side: 'uncond' | 'cond' };

export interface GenerationState {
  /** Reasoning prefix (ends with the opening ```python fence line and anything above the def). */
  prefix: string;
  /** Text generated so far, starting with the forced function start (`def <entry_point>(`). */
  generated: string;
  newTokens: number;
  refresh: RefreshState;
  /** The signal of the current line; null before the first one is built. '' = built but empty (guidance skipped). */
  signal: string | null;
  earlyStop: EarlyStopState;
  /** Waiting for candidates sampled on the conditional prompt (early stop). */
  pendingCond: boolean;
  end: GenerationEnd | null;
  stats: { refreshes: number; emptySignals: number; guidedSteps: number; changedTokens: number; steps: number };
}

export type GenerationAction =
  | { kind: 'build_signal'; codeSoFar: string }
  | { kind: 'sample_cond_candidates'; codeSoFar: string }
  | { kind: 'next_token'; guided: boolean }
  /** `newlineOnly`: the authors' first γ=1 step after `def f(` appends "\n" with no model call (gamma1NewlineOnly). */
  | { kind: 'next_line'; guided: boolean; newlineOnly: boolean }
  | { kind: 'done'; end: GenerationEnd };

/** What the caller knows at this step but the pure code cannot: time elapsed, and the shared solved-task cache. */
export interface StepContext {
  elapsedMs: number;
  solvedElsewhere: boolean;
  /** Model tokens (prompt + completion) the problem's generations have spent so far; absent = not counted. */
  problemTokens?: number;
}

/** Whether the problem's spend has reached its cap (spec.problemTokenCap; no cap, or not counted: never). */
export function problemCapReached(spec: GenerationSpec, ctx: StepContext): boolean {
  return spec.problemTokenCap !== undefined && ctx.problemTokens !== undefined && ctx.problemTokens >= spec.problemTokenCap;
}

function checkSpec(spec: GenerationSpec): void {
  if (spec.entryPoint === '') throw new RangeError('generation: entryPoint is empty');
  if (!Number.isFinite(spec.gamma) || spec.gamma <= 0) throw new RangeError(`generation: gamma must be a finite number > 0 (γ=0 is a single completion), got ${String(spec.gamma)}`);
  if (!Number.isInteger(spec.k) || spec.k < 1) throw new RangeError(`generation: k must be an integer >= 1, got ${String(spec.k)}`);
  if (!Number.isInteger(spec.maxNewTokens) || spec.maxNewTokens < 1) throw new RangeError(`generation: maxNewTokens must be an integer >= 1, got ${String(spec.maxNewTokens)}`);
}

/** A fresh generation: `prefix` from the reasoning call, `forcedStart` = `def <entry_point>(` (forcedFunctionStart). */
export function startGeneration(prefix: string, forcedStart: string): GenerationState {
  return {
    prefix,
    generated: forcedStart,
    newTokens: 0,
    refresh: initialRefreshState(),
    signal: null,
    earlyStop: initialEarlyStop(),
    pendingCond: false,
    end: null,
    stats: { refreshes: 0, emptySignals: 0, guidedSteps: 0, changedTokens: 0, steps: 0 },
  };
}

/** Code after the last ```python fence of prefix + generated: what candidates extend and what the refresh rule counts. */
export function currentCode(state: GenerationState): string {
  return codeSinceLastFence(state.prefix + state.generated);
}

/**
 * The three prompts of §3.4 for the current state: unconditional = base + prefix + generated (also the candidate
 * sampling prompt); conditional = base with the signal inserted before `### Response:` + prefix + generated
 * (equal to the unconditional one when the signal is empty or not built).
 */
export function promptsFor(basePrompt: string, state: GenerationState): { unconditional: string; conditional: string } {
  const tail = state.prefix + state.generated;
  return { unconditional: basePrompt + tail, conditional: insertSignal(basePrompt, state.signal ?? '') + tail };
}

function stopCheck(spec: GenerationSpec, state: GenerationState, eos: boolean): GenerationState {
  const reason = decodeStopReason({ codeSinceFence: currentCode(state), newTokens: state.newTokens, maxNewTokens: spec.maxNewTokens, eos });
  if (reason === null) return state;
  return { ...state, end: { reason, code: finalCode(state.prefix + state.generated) } };
}

/** What to do next. Pure: the state is not changed (the matching apply* function does that). */
export function nextAction(spec: GenerationSpec, state: GenerationState, ctx: StepContext): GenerationAction {
  checkSpec(spec);
  if (state.end !== null) return { kind: 'done', end: state.end };
  // A cap, not a schedule: checked at every step, not only at refreshes like the wall clock.
  if (problemCapReached(spec, ctx)) return { kind: 'done', end: { reason: 'cost_cap', code: finalCode(state.prefix + state.generated) } };
  const code = currentCode(state);
  if (state.pendingCond) return { kind: 'sample_cond_candidates', codeSoFar: code };
  const active = isGuidanceActive(state.prefix + state.generated, spec.entryPoint);
  if (active && refreshDecision(state.refresh, code, spec.k).refresh) {
    const finish = (reason: StopReason): GenerationAction => ({ kind: 'done', end: { reason, code: finalCode(state.prefix + state.generated) } });
    if (ctx.solvedElsewhere) return finish('solved_elsewhere');
    if (ctx.elapsedMs >= (spec.wallCapMs ?? DEFAULT_WALL_CAP_MS)) return finish('wall_clock');
    return { kind: 'build_signal', codeSoFar: code };
  }
  const guided = active && state.signal !== null && state.signal !== '';
  return spec.gamma === 1 ? { kind: 'next_line', guided, newlineOnly: gamma1NewlineOnly(state.generated) } : { kind: 'next_token', guided };
}

function earlyStopCheck(spec: GenerationSpec, state: GenerationState): GenerationState {
  if (spec.earlyStop === false) return state;
  const d = earlyStopDecision(state.earlyStop, spec.gamma, spec.earlyStop);
  if (!d.stop) return state;
  return { ...state, pendingCond: false, end: { reason: 'early_stop', code: d.program, earlyStop: d.reason, side: d.side } };
}

/**
 * Result of 'build_signal': the rendered signal ('' when no candidate produced a trace) and the unique executable
 * candidates of this refresh on the unconditional prompt (for early stop).
 */
export function applySignal(spec: GenerationSpec, state: GenerationState, r: { signal: string; uniqueExecutables: string[] }): GenerationState {
  checkSpec(spec);
  if (state.end !== null) throw new RangeError('applySignal: the generation has ended');
  if (state.pendingCond) throw new RangeError('applySignal: conditional candidates are pending');
  const code = currentCode(state);
  const d = refreshDecision(state.refresh, code, spec.k);
  if (!d.refresh) throw new RangeError('applySignal: no signal refresh is due');
  let next: GenerationState = {
    ...state,
    refresh: d.state,
    signal: r.signal,
    stats: { ...state.stats, refreshes: state.stats.refreshes + 1, emptySignals: state.stats.emptySignals + (r.signal === '' ? 1 : 0) },
  };
  if (spec.earlyStop !== false) {
    const es = observeUncond(state.earlyStop, r.uniqueExecutables);
    next = { ...next, earlyStop: es, pendingCond: needsCondSampling(es) };
    next = earlyStopCheck(spec, next);
  }
  return next;
}

/** Result of 'sample_cond_candidates': the unique executable candidates sampled on the conditional prompt. */
export function applyCondCandidates(spec: GenerationSpec, state: GenerationState, uniqueExecutables: string[]): GenerationState {
  checkSpec(spec);
  if (!state.pendingCond || state.end !== null) throw new RangeError('applyCondCandidates: no conditional sampling is pending');
  const next: GenerationState = { ...state, earlyStop: observeCond(state.earlyStop, uniqueExecutables), pendingCond: false };
  return earlyStopCheck(spec, next);
}

/**
 * Result of 'next_token': the chosen token's text; `eos` when the model produced its end-of-sentence token;
 * `guided`/`changed` for statistics (whether CFG was applied, and whether it changed the greedy choice).
 */
export function applyToken(
  spec: GenerationSpec,
  state: GenerationState,
  r: { text: string; eos?: boolean; guided?: boolean; changed?: boolean },
): GenerationState {
  checkSpec(spec);
  if (state.end !== null) throw new RangeError('applyToken: the generation has ended');
  if (state.pendingCond) throw new RangeError('applyToken: conditional candidates are pending');
  const eos = r.eos === true;
  const next: GenerationState = {
    ...state,
    generated: state.generated + (eos ? '' : r.text),
    newTokens: state.newTokens + 1,
    stats: {
      ...state.stats,
      steps: state.stats.steps + 1,
      guidedSteps: state.stats.guidedSteps + (r.guided === true ? 1 : 0),
      changedTokens: state.stats.changedTokens + (r.changed === true ? 1 : 0),
    },
  };
  return stopCheck(spec, next, eos);
}

/**
 * Result of 'next_line' (γ = 1): the raw completion of the line call ("\n" for a `newlineOnly` step) and the token
 * count of the text that is appended (its first line, gamma1Step), which is what the max_new_tokens budget is charged
 * (as the authors; not the call's completion tokens). An empty completion (immediate EOS) ends the generation.
 * `append` is the kept text when the caller cut the line on token boundaries (lineOnTokenBoundary).
 */
export function applyLine(
  spec: GenerationSpec,
  state: GenerationState,
  r: { completion: string; appendedTokens: number; guided?: boolean; append?: string },
): GenerationState {
  checkSpec(spec);
  if (state.end !== null) throw new RangeError('applyLine: the generation has ended');
  if (state.pendingCond) throw new RangeError('applyLine: conditional candidates are pending');
  // `append`: the line as cut on the reply's token boundaries (token-line.ts), which may carry the next line's
  // indentation in its newline token; else the text-level cut.
  const step = r.append === undefined ? gamma1Step(r.completion) : { append: r.append, ended: r.append === '' };
  const next: GenerationState = {
    ...state,
    generated: state.generated + step.append,
    newTokens: state.newTokens + gamma1AppendedTokens(r.appendedTokens),
    stats: { ...state.stats, steps: state.stats.steps + 1, guidedSteps: state.stats.guidedSteps + (r.guided === true ? 1 : 0) },
  };
  return stopCheck(spec, next, step.ended);
}
