// The simulated model server's tokenizer. Deterministic and exactly reversible: decode(encode(s)) === s for every
// JS string. It has nothing to do with any real model's tokenizer.
//
// Text is cut into pieces: identifiers, digit runs, runs of spaces/tabs, a newline (\n or \r\n), or any other
// single character. A piece that is a single character is a *character token* (id = code point + 1). A longer piece
// is one token when it is in the vocabulary, else it falls back to one character token per character.
// The vocabulary is a fixed base list (Python keywords/builtins, space runs, numbers) plus every piece of the
// knowledge texts; a piece's id is a hash of its text (collisions resolved by probing in sorted order), so ids do
// not depend on the order anything was seen and survive a server restart with the same knowledge.
// Id 0 is the end-of-text token.

export const EOS_ID = 0;
export const EOS_TEXT = '<|endoftext|>';
const CHAR_BASE = 1; // char token id = code point + 1  (1 .. 0x110000)
const PIECE_BASE = 0x120000; // vocabulary ids: PIECE_BASE .. PIECE_BASE + 2^30
const PIECE_SPACE = 2 ** 30;

const PIECE_RE = /[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[ \t]+|\r\n|[\s\S]/uy;

function isDigit(c: number): boolean { return c >= 48 && c <= 57; }

export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The piece that starts at `offset` (the regex is anchored there), or '' at the end. */
export function pieceAt(text: string, offset: number): string {
  if (offset >= text.length) return '';
  PIECE_RE.lastIndex = offset;
  const m = PIECE_RE.exec(text);
  // The last alternative matches any code point, so this cannot fail below text.length.
  return m ? m[0] : text.slice(offset, offset + 1);
}

export function pieces(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length;) {
    const p = pieceAt(text, i);
    out.push(p);
    i += p.length;
  }
  return out;
}

const PY_WORDS = [
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif',
  'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or',
  'pass', 'raise', 'return', 'try', 'while', 'with', 'yield', 'abs', 'all', 'any', 'bin', 'bool', 'chr', 'dict', 'divmod',
  'enumerate', 'filter', 'float', 'format', 'hex', 'int', 'isinstance', 'len', 'list', 'map', 'max', 'min', 'next', 'ord',
  'pow', 'print', 'range', 'reversed', 'round', 'set', 'sorted', 'str', 'sum', 'tuple', 'type', 'zip', 'append', 'extend',
  'insert', 'pop', 'remove', 'sort', 'split', 'join', 'strip', 'replace', 'lower', 'upper', 'keys', 'values', 'items',
  'get', 'count', 'index', 'startswith', 'endswith', 'isdigit', 'isalpha', 'math', 're', 'heapq', 'collections',
  'itertools', 'functools', 'sys', 'self', 'result', 'res', 'ans', 'arr', 'nums', 'num', 'lst', 'string', 'python',
  'test', 'tests', 'function', 'Response', 'Instruction', 'Runtime', 'Behavior', 'Problem', 'Test', 'Cases', 'Code',
  'Invocation', 'Execution', 'Trace', 'Function', 'LINE', 'CALL', 'RETURN', 'EXCEPTION', 'Return', 'Value',
];

/** The fixed vocabulary plus the pieces of `texts`. Same texts → same ids, in any order. */
export class SimTokenizer {
  private readonly idOf = new Map<string, number>();
  private readonly pieceOf = new Map<number, string>();
  private maxLen = 0;

  constructor(texts: Iterable<string> = []) {
    const set = new Set<string>();
    for (const w of PY_WORDS) set.add(w);
    for (let n = 2; n <= 32; n++) set.add(' '.repeat(n));
    for (let n = 2; n <= 8; n++) set.add('\t'.repeat(n));
    for (let n = 10; n < 1000; n++) set.add(String(n));
    set.add('\r\n');
    for (const t of texts) for (const p of pieces(t)) set.add(p);
    const sorted = [...set].filter((p) => [...p].length > 1).sort();
    for (const p of sorted) {
      let slot = fnv1a32(p) % PIECE_SPACE;
      while (this.pieceOf.has(PIECE_BASE + slot)) slot = (slot + 1) % PIECE_SPACE;
      this.idOf.set(p, PIECE_BASE + slot);
      this.maxLen = Math.max(this.maxLen, p.length);
      this.pieceOf.set(PIECE_BASE + slot, p);
    }
  }

  get vocabularySize(): number { return this.idOf.size; }

  /** Token ids of the piece that starts at `offset`, as the model emits them (a fallback piece gives its first character only). */
  unitAt(text: string, offset: number): { id: number; text: string } | undefined {
    const p = pieceAt(text, offset);
    if (p === '') return undefined;
    const vocab = this.idOf.get(p);
    if (vocab !== undefined && p.length > 1) return { id: vocab, text: p };
    const cp = p.codePointAt(0)!;
    return { id: CHAR_BASE + cp, text: String.fromCodePoint(cp) };
  }

  /**
   * The ids of `text`, exactly what repeated unitAt calls give (so a generated text re-encodes to the ids the model
   * emitted), in linear time: inside a piece that is not in the vocabulary, only suffixes no longer than the longest
   * vocabulary piece are looked up.
   */
  encode(text: string): number[] {
    const out: number[] = [];
    for (let i = 0; i < text.length;) {
      const p = pieceAt(text, i);
      const end = i + p.length;
      const vocab = p.length > 1 ? this.idOf.get(p) : undefined;
      if (vocab !== undefined) { out.push(vocab); i = end; continue; }
      let j = i;
      let digitsEnd = -1; // end of the digit run that starts at or before j, when j is inside one
      while (j < end) {
        if (j > i) {
          // The piece unitAt would see at j ends at `end`, or (a digit run inside an identifier) at the run's end.
          let pe = end;
          if (isDigit(text.charCodeAt(j))) {
            if (digitsEnd <= j) { digitsEnd = j; while (digitsEnd < end && isDigit(text.charCodeAt(digitsEnd))) digitsEnd++; }
            pe = digitsEnd;
          }
          if (pe - j > 1 && pe - j <= this.maxLen) {
            const q = text.slice(j, pe);
            const v = this.idOf.get(q);
            if (v !== undefined && pieceAt(text, j) === q) { out.push(v); j = pe; continue; }
          }
        }
        const cp = text.codePointAt(j)!;
        out.push(CHAR_BASE + cp);
        j += cp > 0xffff ? 2 : 1;
      }
      i = end;
    }
    return out;
  }

  /** Throws a RangeError naming the first unknown id. */
  tokenText(id: number): string {
    if (id === EOS_ID) return EOS_TEXT;
    if (id >= CHAR_BASE && id <= CHAR_BASE + 0x10ffff) return String.fromCodePoint(id - CHAR_BASE);
    const p = this.pieceOf.get(id);
    if (p === undefined) throw new RangeError(`token id ${id} is not in the simulated vocabulary`);
    return p;
  }

  /** The text of the ids; the end-of-text token decodes to '' when skipSpecial. */
  decode(ids: readonly number[], skipSpecial = false): string {
    let s = '';
    for (const id of ids) s += id === EOS_ID && skipSpecial ? '' : this.tokenText(id);
    return s;
  }
}
