// Decoding rules of one guided generation (spec §1.3, §1.7). PURE and deterministic: safe in Temporal workflows.
//
// - the guidance gate (when CFG is applied at all),
// - the code since the last ```python fence (what candidates extend and what newlines are counted on),
// - the line-boundary signal-refresh rule,
// - stop conditions,
// - the final code of a generation.

import { EOS_MARKERS, FENCE, GENERATION_TIMEOUT_MIN, PYTHON_FENCE } from './constants.ts';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `^def <entryPoint>\s*\(` — the line that switches guidance on. */
export function entryPointDefRegex(entryPoint: string): RegExp {
  if (entryPoint === '') throw new RangeError('entryPointDefRegex: entryPoint is empty');
  return new RegExp(`^def ${escapeRegExp(entryPoint)}\\s*\\(`);
}

/**
 * The guidance gate. Scans the lines of `text` (generated text, possibly including the reasoning prefix) in order:
 * a line matching `^def <entryPoint>\s*\(` switches guidance on; a line starting with ``` switches it off
 * (this includes the opening ```python fence, which precedes the def). The last line may be partial: a partial
 * `def name(` already counts. Outside the gate, decoding is plain greedy.
 */
export function isGuidanceActive(text: string, entryPoint: string): boolean {
  const re = entryPointDefRegex(entryPoint);
  let on = false;
  for (const line of text.split('\n')) {
    if (re.test(line)) on = true;
    else if (line.startsWith(FENCE)) on = false;
  }
  return on;
}

/**
 * The code after the last ```python fence: the text following the fence LINE (the fence, anything else on that line,
 * and its newline are dropped). '' when the fence line is not finished yet. The whole text when there is no fence.
 */
export function codeSinceLastFence(text: string): string {
  const i = text.lastIndexOf(PYTHON_FENCE);
  if (i === -1) return text;
  const nl = text.indexOf('\n', i);
  return nl === -1 ? '' : text.slice(nl + 1);
}

export function countNewlines(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** Serialisable refresh bookkeeping: the newline count of the code at the last refresh (null: no signal built yet). */
export interface RefreshState {
  lastRefreshNewlines: number | null;
}

export function initialRefreshState(): RefreshState {
  return { lastRefreshNewlines: null };
}

/**
 * The line-boundary refresh rule (line guidance). With n = newline count of `codeSinceFence`, a new signal is built
 * when none has been built yet, or when n is larger than at the last refresh AND n is divisible by k; otherwise the
 * cached signal is reused (so one signal serves every token of a line). A built-but-empty signal counts as built
 * (it is not rebuilt on every token). Returns the decision and the state to carry on.
 */
export function refreshDecision(state: RefreshState, codeSinceFence: string, k: number): { refresh: boolean; state: RefreshState } {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`refreshDecision: k must be an integer >= 1, got ${String(k)}`);
  const n = countNewlines(codeSinceFence);
  const last = state.lastRefreshNewlines;
  const refresh = last === null || (n > last && n % k === 0);
  return { refresh, state: refresh ? { lastRefreshNewlines: n } : state };
}

/** True once a line of `codeSinceFence` starts with ``` (the block's closing fence). */
export function hasClosingFence(codeSinceFence: string): boolean {
  return codeSinceFence.split('\n').some((l) => l.startsWith(FENCE));
}

/** True when `text` contains an end-of-sentence / end-of-text marker. */
export function hasEosMarker(text: string): boolean {
  return EOS_MARKERS.some((m) => text.includes(m));
}

/** `cost_cap`: the problem's model tokens reached --problem-token-cap (nextAction; issue 11 item 9). */
export type StopReason = 'solved_elsewhere' | 'wall_clock' | 'cost_cap' | 'eos' | 'closing_fence' | 'max_new_tokens';

export interface StopInputs {
  /** Code after the last ```python fence (prefix + generated). */
  codeSinceFence: string;
  /** Tokens generated so far in this generation. */
  newTokens: number;
  maxNewTokens: number;
  /** The last appended token was the end-of-sentence token (by id or finish_reason). */
  eos?: boolean;
  /** Milliseconds since the generation started, measured by the caller (checked at signal refreshes). */
  elapsedMs?: number;
  /** Wall-clock cap; default 40 minutes. */
  wallCapMs?: number;
  /** Another agent has solved the task (checked at signal refreshes). */
  solvedElsewhere?: boolean;
}

export const DEFAULT_WALL_CAP_MS = GENERATION_TIMEOUT_MIN * 60_000;

/**
 * Why the token loop must stop now, or null to continue. Precedence when several hold:
 * solved_elsewhere, wall_clock, eos (flag or marker text in the code), closing_fence, max_new_tokens.
 * (Early stop is separate: see early-stop.ts, it also returns a program.)
 */
export function decodeStopReason(i: StopInputs): StopReason | null {
  if (i.solvedElsewhere === true) return 'solved_elsewhere';
  if (i.elapsedMs !== undefined && i.elapsedMs >= (i.wallCapMs ?? DEFAULT_WALL_CAP_MS)) return 'wall_clock';
  if (i.eos === true || hasEosMarker(i.codeSinceFence)) return 'eos';
  if (hasClosingFence(i.codeSinceFence)) return 'closing_fence';
  if (i.newTokens >= i.maxNewTokens) return 'max_new_tokens';
  return null;
}

/** The text before the first end-of-sequence marker. */
export function cutAtEos(text: string): string {
  let cut = text.length;
  for (const m of EOS_MARKERS) {
    const i = text.indexOf(m);
    if (i !== -1 && i < cut) cut = i;
  }
  return text.slice(0, cut);
}

/** Drops leading blank lines and trailing whitespace (indentation of the first code line is kept). */
function tidy(code: string): string {
  return code.replace(/^(?:[ \t]*\n)+/, '').replace(/\s+$/, '');
}

/**
 * The final code of a generation: the content of the last ```python block (up to its closing fence line, or to the
 * end of the text when unclosed, e.g. after max_new_tokens); when the text has no ```python fence, the whole text
 * (whether it parses is checked by the evaluator). Cut at any EOS marker; leading blank lines and trailing
 * whitespace removed.
 */
export function finalCode(text: string): string {
  const t = cutAtEos(text);
  if (!t.includes(PYTHON_FENCE)) return tidy(t);
  const body = codeSinceLastFence(t);
  const lines = body.split('\n');
  const close = lines.findIndex((l) => l.startsWith(FENCE));
  return tidy(close === -1 ? body : lines.slice(0, close).join('\n'));
}
