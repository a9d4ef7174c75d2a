// The reasoning-prefix call (spec §1.3 setup steps 2–3) and the γ=0 answer (§1.4): splitting a free-form completion
// at the `def <entry_point>(` line of its last Python block. PURE and deterministic: safe in Temporal workflows.

import {
  EOS_MARKERS,
  FENCE,
  PYTHON_FENCE,
  REASONING_MAX_TOKENS,
  REASONING_MAX_TRIES,
  REASONING_TEMPERATURE_DECAY,
  TOP_P,
} from './constants.ts';
import { cutAtEos, entryPointDefRegex } from './gate.ts';

/** `<python>` → ```python and `</python>` → ``` (some models tag code that way). */
export function normalizePythonTags(text: string): string {
  return text.split('<python>').join(PYTHON_FENCE).split('</python>').join(FENCE);
}

export interface PythonBlock {
  /** Offset of the opening ```python fence in the (normalised) text. */
  fenceStart: number;
  /** Offset of the first character after the opening fence line. */
  contentStart: number;
  /** Offset where the content ends (start of the closing fence line, or text end when unclosed). */
  contentEnd: number;
  closed: boolean;
  content: string;
}

/**
 * The ```python blocks of `text` in order. A block's content starts after its fence line and ends at the first line
 * that starts with ``` (its closing fence) or at the end of the text. A fence line with no newline yet has empty content.
 */
export function pythonBlocks(text: string): PythonBlock[] {
  const out: PythonBlock[] = [];
  let from = 0;
  for (;;) {
    const fenceStart = text.indexOf(PYTHON_FENCE, from);
    if (fenceStart === -1) break;
    const nl = text.indexOf('\n', fenceStart);
    if (nl === -1) {
      out.push({ fenceStart, contentStart: text.length, contentEnd: text.length, closed: false, content: '' });
      break;
    }
    const contentStart = nl + 1;
    let pos = contentStart;
    let contentEnd = text.length;
    let closed = false;
    while (pos <= text.length) {
      if (text.startsWith(FENCE, pos)) {
        contentEnd = pos;
        closed = true;
        break;
      }
      const next = text.indexOf('\n', pos);
      if (next === -1) break;
      pos = next + 1;
    }
    out.push({ fenceStart, contentStart, contentEnd, closed, content: text.slice(contentStart, contentEnd) });
    if (!closed) break;
    const after = text.indexOf('\n', contentEnd);
    if (after === -1) break;
    from = after + 1;
  }
  return out;
}

/** Offset (within `block.content`) of the first line defining the entry point, or -1. */
function defLineOffset(block: PythonBlock, entryPoint: string): number {
  const re = entryPointDefRegex(entryPoint);
  let off = 0;
  for (const line of block.content.split('\n')) {
    if (re.test(line)) return off;
    off += line.length + 1;
  }
  return -1;
}

/**
 * Splits a reasoning-prefix completion: in the normalised output (python tags → fences, cut at EOS markers), the LAST
 * ```python block containing a line `def <entryPoint>(` marks where code starts; everything before that def line
 * (free text, earlier blocks, the opening fence of that block and any lines of the block above the def, e.g. imports)
 * is the fixed prefix appended to the prompt. null when no block defines the entry point (retry the call).
 */
export function splitReasoningPrefix(output: string, entryPoint: string): { prefix: string } | null {
  const text = normalizePythonTags(cutAtEos(output));
  const blocks = pythonBlocks(text);
  for (let b = blocks.length - 1; b >= 0; b--) {
    const block = blocks[b]!;
    const off = defLineOffset(block, entryPoint);
    if (off !== -1) return { prefix: text.slice(0, block.contentStart + off) };
  }
  return null;
}

/** The γ=0 answer: the content of the last ```python block defining the entry point; null when there is none. */
export function lastBlockDefining(output: string, entryPoint: string): string | null {
  const text = normalizePythonTags(cutAtEos(output));
  const blocks = pythonBlocks(text);
  for (let b = blocks.length - 1; b >= 0; b--) {
    const block = blocks[b]!;
    if (defLineOffset(block, entryPoint) !== -1) return block.content.replace(/\s+$/, '');
  }
  return null;
}

/** The text forced after the prefix so the model continues inside the function: `def <entryPoint>(`, or `def solve():` for stdin/stdout tasks. */
export function forcedFunctionStart(entryPoint: string, stdinStdout = false): string {
  if (stdinStdout) return 'def solve():';
  if (entryPoint === '') throw new RangeError('forcedFunctionStart: entryPoint is empty');
  return `def ${entryPoint}(`;
}

/** Parameters of one reasoning-style completion (reasoning-prefix call, and the whole γ=0 generation). */
export interface ReasoningRequest {
  attempt: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  stop: string[];
}

/**
 * The request for 0-based `attempt` r (< 10): temperature t·0.9^(r(r+1)/2) (rounded to 10 decimals), top_p 0.95,
 * max_tokens 2048, stop at the EOS markers. null once the 10 tries are used up. The exponent is the authors' code
 * (reasoning_tokens_query multiplies the running temperature by 0.9^r on try r, so the decay compounds: t, 0.9t,
 * 0.729t, …), not the plain 0.9 per retry that the method description reads as.
 */
export function reasoningRequest(t: number, attempt: number): ReasoningRequest | null {
  if (!Number.isFinite(t) || t < 0) throw new RangeError(`reasoningRequest: t must be a finite number >= 0, got ${String(t)}`);
  if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`reasoningRequest: attempt must be an integer >= 0, got ${String(attempt)}`);
  if (attempt >= REASONING_MAX_TRIES) return null;
  const temperature = Number((t * Math.pow(REASONING_TEMPERATURE_DECAY, (attempt * (attempt + 1)) / 2)).toFixed(10));
  return { attempt, temperature, topP: TOP_P, maxTokens: REASONING_MAX_TOKENS, stop: [...EOS_MARKERS] };
}
