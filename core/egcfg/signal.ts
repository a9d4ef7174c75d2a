// The dynamic-signal text (spec §2.4) and where it goes in the conditional prompt (§1.3 step 3, §3.4).
// PURE and deterministic: safe in Temporal workflows.
//
// With the authors' texts (SignalTexts, from a checkout given with --authors-prompts) their templates are used as
// they are. Otherwise the wording of the introductions is our own paraphrase of what the authors' introduction conveys; the section
// headings ("### Runtime Behavior ...", "# Function:", "# Invocation:", "# Execution Trace:") are kept as in the
// spec because the model sees them and the experiments compare against the authors' setup.

import { pyFormat } from './pyrepr.ts';

export const CANDIDATES_SIGNAL_HEADER = '### Runtime Behavior for Candidate Continuations';
export const PARTIAL_SIGNAL_HEADER = '### Runtime Behavior up to the Last Valid Line';
export const RESPONSE_MARKER = '### Response:';

export const CANDIDATES_SIGNAL_INTRO = [
  'Below are execution traces of the function in your response, each obtained by extending the code written so far',
  'with one of several plausible continuations. These continuations are only guesses: they may be incomplete,',
  'exploratory or wrong. Every candidate was executed on several of the test inputs. Each entry shows the candidate',
  'code (# Function:), the call that was run (# Invocation:) and what happened step by step (# Execution Trace:).',
  'Use this runtime behaviour to understand what the code actually does and to steer your answer toward a correct',
  'solution.',
].join('\n');

export const PARTIAL_SIGNAL_INTRO = [
  'Below are execution traces of the function in your response as written so far, cut back to its last line that',
  'parses and completed just enough to run. Every trace comes from one of the test inputs. Each entry shows the call',
  'that was run (# Invocation:) and what happened step by step (# Execution Trace:). Use this runtime behaviour to',
  'check the code so far and to steer your answer toward a correct solution.',
].join('\n');

export interface SignalEntry {
  /** The executable (normalised) candidate program. */
  candidate: string;
  /** The call that was executed, e.g. `f(1, 2)` (for stdin/stdout tasks: the call plus stdin / expected stdout). */
  invocation: string;
  /** The rendered trace (sandbox's §2.3 format, including any `# Stdout:` line). */
  trace: string;
}

export interface PartialSignalEntry {
  invocation: string;
  trace: string;
}

const hasTrace = (t: string): boolean => t.trim() !== '';
const chomp = (s: string): string => s.replace(/\n+$/, '');

function renderBlock(header: string, intro: string, bodies: string[]): string {
  if (bodies.length === 0) return '';
  return `${header}\n${intro}\n\n${bodies.join('\n')}`;
}

/**
 * The authors' signal templates (read from their eg_cfg/consts.py by core/prompts/authors.ts when --authors-prompts
 * is given): `prompt` has a `{dynamic_signals}` field, `pattern` the fields of one entry (candidates:
 * `{function_code}`, `{test_case}`, `{trace}`; partial: `{test_case}`, `{trace}`). Entries are joined by a newline
 * and nothing is trimmed, as in their code.
 */
export interface SignalTexts {
  candidates: { prompt: string; pattern: string };
  partial: { prompt: string; pattern: string };
}

/**
 * The multiple-candidates signal: header, introduction, then one entry per (candidate, test case) in the given order:
 *
 *   # Function:\n<candidate>\n# Invocation:\n<invocation>\n# Execution Trace:\n<trace>\n
 *
 * entries separated by one more newline (a blank line). Trailing newlines of each part are dropped so the layout is
 * fixed. Entries whose trace is empty/blank are left out (a run that produced no trace contributes nothing).
 * Returns '' when no entry is left; an empty signal means guidance is skipped for that token.
 */
export function renderSignal(entries: SignalEntry[], texts?: SignalTexts): string {
  if (texts) {
    const bodies = entries.filter((e) => hasTrace(e.trace))
      .map((e) => pyFormat(texts.candidates.pattern, { function_code: e.candidate, test_case: e.invocation, trace: e.trace }));
    return bodies.length === 0 ? '' : pyFormat(texts.candidates.prompt, { dynamic_signals: bodies.join('\n') });
  }
  const bodies = entries
    .filter((e) => hasTrace(e.trace))
    .map(
      (e) =>
        `# Function:\n${chomp(e.candidate)}\n# Invocation:\n${chomp(e.invocation)}\n# Execution Trace:\n${chomp(e.trace)}\n`,
    );
  return renderBlock(CANDIDATES_SIGNAL_HEADER, CANDIDATES_SIGNAL_INTRO, bodies);
}

/**
 * The PartialExecution signal (only the current prefix made executable; equivalent to d=0; disabled in the paper's
 * grid): same layout without the `# Function:` section. '' when no entry has a trace.
 */
export function renderPartialSignal(entries: PartialSignalEntry[], texts?: SignalTexts): string {
  if (texts) {
    const bodies = entries.filter((e) => hasTrace(e.trace)).map((e) => pyFormat(texts.partial.pattern, { test_case: e.invocation, trace: e.trace }));
    return bodies.length === 0 ? '' : pyFormat(texts.partial.prompt, { dynamic_signals: bodies.join('\n') });
  }
  const bodies = entries
    .filter((e) => hasTrace(e.trace))
    .map((e) => `# Invocation:\n${chomp(e.invocation)}\n# Execution Trace:\n${chomp(e.trace)}\n`);
  return renderBlock(PARTIAL_SIGNAL_HEADER, PARTIAL_SIGNAL_INTRO, bodies);
}

/**
 * The conditional prompt's instruction part: `signal` + "\n" inserted immediately before the LAST `### Response:`
 * marker of `basePrompt`. An empty signal returns the prompt unchanged. Throws when the marker is missing.
 * (The reasoning prefix and the code so far are appended after this by the caller, exactly as for the
 * unconditional prompt.)
 */
export function insertSignal(basePrompt: string, signal: string): string {
  const i = basePrompt.lastIndexOf(RESPONSE_MARKER);
  if (i === -1) throw new RangeError(`insertSignal: the base prompt has no ${JSON.stringify(RESPONSE_MARKER)} marker`);
  if (signal === '') return basePrompt;
  return `${basePrompt.slice(0, i)}${signal}\n${basePrompt.slice(i)}`;
}
