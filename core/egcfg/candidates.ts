// Candidate continuations for the dynamic signal (spec §1.5). PURE and deterministic: safe in Temporal workflows.
//
// At each signal refresh the workflow samples completions of the UNCONDITIONAL prompt (base prompt + reasoning prefix
// + code so far) and turns each into a short candidate program:
//   sampled text → cutCandidate (fence / EOS / horizon cut, prepend code so far, first-line check)
//     → make_executable (Python, the sandbox's; also the normalised dedupe key)
//     → dedupe on raw AND executable form, stop at s unique.
// If fewer than s survive the first request, a second one is made with n doubled and temperature ×1.2 (2 at most).

import {
  CANDIDATE_MAX_REQUESTS,
  CANDIDATE_MAX_TOKENS,
  CANDIDATE_MIN_REQUEST_N,
  CANDIDATE_RETRY_TEMPERATURE_FACTOR,
  CANDIDATE_STOP,
  CANDIDATE_TOKENS_PER_LINE,
  EOS_MARKERS,
  FENCE,
  TOP_P,
} from './constants.ts';

/** Lines a candidate program must start with (its first non-empty line), as a plain prefix test (Python startswith). */
export const CANDIDATE_START_PREFIXES: readonly string[] = Object.freeze(['def', 'import', 'from', '#']);

/** Index of the first fence or EOS marker in `text`, or text.length. */
function firstStopIndex(text: string): number {
  let cut = text.length;
  for (const marker of [FENCE, ...EOS_MARKERS]) {
    const i = text.indexOf(marker);
    if (i !== -1 && i < cut) cut = i;
  }
  return cut;
}

/**
 * Turns one sampled completion into a candidate program, or null when it is rejected.
 *
 * - `codeSoFar`: the code generated so far, i.e. the text after the last ```python fence (see `codeSinceLastFence`);
 *   it is prepended verbatim (no separator: the sample continues the current, possibly partial, line).
 * - `sampledText`: the completion; it is cut at the first ``` fence or end-of-sentence/end-of-text marker.
 * - `horizonLines` (d): keep at most d+1 lines of the sample (the rest of the current line, then d more lines);
 *   null = no horizon (d = inf). Line separator is "\n"; a trailing newline right after the last kept line is kept.
 *
 * Rejected (null) when the first non-empty line of the resulting program does not start with
 * `def`, `import`, `from` or `#` (plain prefix test, no whitespace stripping, as Python's str.startswith).
 */
export function cutCandidate(codeSoFar: string, sampledText: string, horizonLines: number | null): string | null {
  if (horizonLines !== null && (!Number.isInteger(horizonLines) || horizonLines < 0)) {
    throw new RangeError(`cutCandidate: horizonLines must be an integer >= 0 or null, got ${String(horizonLines)}`);
  }
  let sample = sampledText.slice(0, firstStopIndex(sampledText));
  if (horizonLines !== null) {
    const lines = sample.split('\n');
    const keep = horizonLines + 1;
    if (lines.length > keep) sample = lines.slice(0, keep).join('\n') + '\n';
  }
  const program = codeSoFar + sample;
  const firstNonEmpty = program.split('\n').find((l) => l.trim() !== '');
  if (firstNonEmpty === undefined) return null;
  if (!CANDIDATE_START_PREFIXES.some((p) => firstNonEmpty.startsWith(p))) return null;
  return program;
}

/**
 * Whether a sampled completion already holds everything cutCandidate keeps (issue 11 item 9): d + 1 newlines, or a
 * fence / EOS marker (the text after it is cut). A streamed candidate request is stopped there: the rest would be
 * generated only to be cut away. Never with an unbounded horizon (d = inf).
 */
export function candidateComplete(sampledText: string, horizonLines: number | null): boolean {
  if (horizonLines === null) return false;
  const stop = firstStopIndex(sampledText);
  if (stop < sampledText.length) return true;
  let newlines = 0;
  for (const ch of sampledText) if (ch === '\n' && ++newlines > horizonLines) return true;
  return false;
}

/** One candidate after make_executable; `executable` null = could not be made executable (discarded). */
export interface CandidateForm {
  raw: string;
  executable: string | null;
}

export interface AcceptedCandidate {
  raw: string;
  executable: string;
}

/**
 * Dedupe state carried across the (at most two) sampling requests of one refresh. Plain JSON data (arrays, not Sets)
 * so that a workflow can carry it.
 */
export interface CandidatePool {
  rawSeen: string[];
  executableSeen: string[];
  accepted: AcceptedCandidate[];
}

export function emptyCandidatePool(): CandidatePool {
  return { rawSeen: [], executableSeen: [], accepted: [] };
}

/** True when `raw` has not been seen yet (lets the caller skip make_executable for repeats). */
export function isNewRaw(pool: CandidatePool, raw: string): boolean {
  return !pool.rawSeen.includes(raw);
}

/** Distinct raw candidates (first occurrence order) not yet seen by the pool: the ones worth making executable. */
export function newRawCandidates(pool: CandidatePool, raws: Array<string | null>): string[] {
  const seen = new Set(pool.rawSeen);
  const out: string[] = [];
  for (const r of raws) {
    if (r === null || seen.has(r)) continue;
    seen.add(r);
    out.push(r);
  }
  return out;
}

/**
 * Adds candidates in order; one is accepted only when its raw form AND its executable form are both new. Every
 * examined candidate marks its raw and (when present) executable form as seen. Stops examining once `s` candidates
 * are accepted (the rest are ignored, not marked). Returns a new pool; the input is not modified.
 */
export function addCandidates(pool: CandidatePool, items: CandidateForm[], s: number): CandidatePool {
  if (!Number.isInteger(s) || s < 1) throw new RangeError(`addCandidates: s must be an integer >= 1, got ${String(s)}`);
  const rawSeen = new Set(pool.rawSeen);
  const execSeen = new Set(pool.executableSeen);
  const next: CandidatePool = { rawSeen: [...pool.rawSeen], executableSeen: [...pool.executableSeen], accepted: [...pool.accepted] };
  for (const item of items) {
    if (next.accepted.length >= s) break;
    const rawNew = !rawSeen.has(item.raw);
    if (rawNew) {
      rawSeen.add(item.raw);
      next.rawSeen.push(item.raw);
    }
    if (item.executable === null) continue;
    const execNew = !execSeen.has(item.executable);
    if (execNew) {
      execSeen.add(item.executable);
      next.executableSeen.push(item.executable);
    }
    if (rawNew && execNew) next.accepted.push({ raw: item.raw, executable: item.executable });
  }
  return next;
}

/** One-shot dedupe of a list (fresh pool): the unique candidates, at most s, in input order. */
export function dedupeCandidates(items: CandidateForm[], s: number): AcceptedCandidate[] {
  return addCandidates(emptyCandidatePool(), items, s).accepted;
}

/** Parameters of one candidate-sampling request on the unconditional prompt. */
export interface CandidateRequest {
  /** 0 for the first request, 1 for the second. */
  index: number;
  n: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  stop: string[];
}

export type CandidateTokens = 'paper' | 'horizon';

/**
 * max_tokens of one candidate-sampling request. 'paper' (default, the authors'): 512, although only d + 1 lines of each
 * completion are kept, so most of what is paid for is cut away. 'horizon': (d + 1) × 64 tokens (at most 512; 512 when d
 * is unbounded): enough for the kept lines, a completion stops soon after them.
 */
export function candidateMaxTokens(d: number | null, mode: CandidateTokens = 'paper'): number {
  if (d !== null && (!Number.isInteger(d) || d < 0)) throw new RangeError(`candidateMaxTokens: d must be an integer >= 0 or null, got ${String(d)}`);
  if (mode === 'paper' || d === null) return CANDIDATE_MAX_TOKENS;
  return Math.min(CANDIDATE_MAX_TOKENS, (d + 1) * CANDIDATE_TOKENS_PER_LINE);
}

/** Rounds away binary noise such as 0.7·1.2 = 0.8399999999999999 (10 decimals; deterministic). */
function roundTemp(x: number): number {
  return Number(x.toFixed(10));
}

/**
 * The (at most 2) candidate-sampling requests of one refresh: first n = max(5, s) at temperature t; the second,
 * made only when fewer than s unique candidates came out of the first (see `needsAnotherRequest`), has n doubled and
 * temperature ×1.2. Both: top_p 0.95, max_tokens 512, stop ["```\n"].
 */
export function candidateRequestPlan(s: number, t: number, maxTokens: number = CANDIDATE_MAX_TOKENS): CandidateRequest[] {
  if (!Number.isInteger(s) || s < 1) throw new RangeError(`candidateRequestPlan: s must be an integer >= 1, got ${String(s)}`);
  if (!Number.isFinite(t) || t < 0) throw new RangeError(`candidateRequestPlan: t must be a finite number >= 0, got ${String(t)}`);
  const plan: CandidateRequest[] = [];
  let n = Math.max(CANDIDATE_MIN_REQUEST_N, s);
  let temperature = t;
  for (let index = 0; index < CANDIDATE_MAX_REQUESTS; index++) {
    plan.push({ index, n, temperature: roundTemp(temperature), topP: TOP_P, maxTokens, stop: [...CANDIDATE_STOP] });
    n *= 2;
    temperature *= CANDIDATE_RETRY_TEMPERATURE_FACTOR;
  }
  return plan;
}

/** Whether another sampling request is due after `requestsDone` requests that produced `acceptedCount` uniques. */
export function needsAnotherRequest(acceptedCount: number, s: number, requestsDone: number): boolean {
  return acceptedCount < s && requestsDone < CANDIDATE_MAX_REQUESTS;
}
