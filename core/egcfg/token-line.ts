// Line boundaries in token space (issue 11 item 7). PURE and deterministic: safe in Temporal workflows.
//
// A BPE tokenizer (SmolLM2, Qwen, DeepSeek) merges a newline with the indentation after it ("\n   " is one token of
// SmolLM2). Cutting a γ = 1 line reply at "\n" and re-tokenizing the kept text made the prompt end on a bare "\n"
// token that the model itself never produces there: after `def find_Volume(n):\n` SmolLM2's greedy next token was
// `def` instead of an indented ` return`. So the kept line is cut on the reply's own token boundaries instead: its
// tokens up to and including the first token that holds a newline (the whole token, with the indentation it carries),
// and those token ids — the ones the model chose — continue the prompt. The token-by-token path does the same (it
// stops after the token that holds the newline).
import { EOS_MARKERS } from './constants.ts';
import { gamma1Step } from './gamma1.ts';

/** One token of a reply: its id and its text. */
export interface TokenPiece { id: number; text: string }

export interface TokenLine {
  /** The ids to append to the prompt: the reply's own tokens. */
  ids: number[];
  /** Their text: the first line with its newline, plus whatever else the newline's token holds (indentation). */
  append: string;
  lineComplete: boolean;
  ended: boolean;
}

/**
 * The first line of a γ = 1 reply cut on its token boundaries: the shortest run of leading tokens that covers the
 * text-level line (gamma1Step: cut at an EOS marker, then at the first newline). Null when the tokens do not spell
 * the reply (a token whose text does not continue it: a partial UTF-8 byte, a server that reports other ids), or
 * when the token that crosses the line end would bring in an EOS marker: the caller then re-tokenizes the kept text.
 */
export function lineOnTokenBoundary(completion: string, tokens: readonly TokenPiece[]): TokenLine | null {
  const step = gamma1Step(completion);
  const ids: number[] = [];
  let text = '';
  for (const t of tokens) {
    if (text.length >= step.append.length) break;
    const next = text + t.text;
    if (t.text === '' || !completion.startsWith(next)) return null;
    ids.push(t.id);
    text = next;
  }
  if (text.length < step.append.length) return null;
  if (text.length > step.append.length && EOS_MARKERS.some((m) => text.includes(m))) return null;
  return { ids, append: text, lineComplete: step.lineComplete, ended: step.ended };
}

/**
 * Whether `ids` are a prefix-consistent tokenization: the tokenizer's own ids for the text they spell plus what
 * follows begin with them (`canonical` = tokenize(text + continuation)). A prompt that ends on a bare "\n" where the
 * tokenizer merges "\n" with the next line's indentation is not.
 */
export function isTokenPrefix(ids: readonly number[], canonical: readonly number[]): boolean {
  return ids.length <= canonical.length && ids.every((id, i) => canonical[i] === id);
}
