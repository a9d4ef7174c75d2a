// A small, string-aware scanner for Python source fragments (asserts, docstring examples, calls).
// It is not a Python parser: it knows string literals (all prefixes, single/triple quotes, escapes),
// comments and bracket nesting, which is what balancing calls and splitting expressions needs.

const STRING_PREFIX = /^(?:[rR][bBfF]?|[bBfF][rR]?|[uU])?$/;
const IDENT_START = /[A-Za-z_]/;
const IDENT_CHAR = /[A-Za-z0-9_]/;

/** If a string literal (with optional prefix) starts at `i`, the index just past its end; -1 if unterminated; null if none starts here. */
export function stringEnd(src: string, i: number): number | null {
  let j = i;
  while (j < src.length && j - i < 2 && /[A-Za-z]/.test(src[j]!)) j++;
  const quote = src[j];
  if (quote !== '"' && quote !== "'") return null;
  const prefix = src.slice(i, j);
  if (!STRING_PREFIX.test(prefix)) return null;
  if (i > 0 && prefix.length > 0 && IDENT_CHAR.test(src[i - 1]!)) return null; // e.g. `abr'...` is not a prefix
  const triple = src.startsWith(quote.repeat(3), j);
  const q = triple ? quote.repeat(3) : quote;
  let k = j + q.length;
  while (k < src.length) {
    const c = src[k]!;
    if (c === '\\') {
      k += 2;
      continue;
    }
    if (!triple && c === '\n') return -1;
    if (src.startsWith(q, k)) return k + q.length;
    k++;
  }
  return -1;
}

export type Token =
  | { kind: 'string'; text: string; start: number; end: number }
  | { kind: 'number'; text: string; start: number; end: number }
  | { kind: 'name'; text: string; start: number; end: number }
  | { kind: 'op'; text: string; start: number; end: number }
  | { kind: 'open' | 'close'; text: string; start: number; end: number; depth: number }
  | { kind: 'newline'; text: string; start: number; end: number }
  | { kind: 'error'; text: string; start: number; end: number };

const OPS = [
  '**=', '//=', '>>=', '<<=', '...', '->', ':=', '==', '!=', '<=', '>=', '**', '//', '<<', '>>', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=',
  '+', '-', '*', '/', '%', '@', '&', '|', '^', '~', '<', '>', '=', '.', ',', ':', ';',
];

/** Tokenize a Python fragment. Comments are dropped; an unterminated string or an unknown character yields an 'error' token. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let depth = 0;
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') { i++; continue; }
    if (c === '\\' && src[i + 1] === '\n') { i += 2; continue; }
    if (c === '\n') { out.push({ kind: 'newline', text: c, start: i, end: i + 1 }); i++; continue; }
    if (c === '#') { while (i < src.length && src[i] !== '\n') i++; continue; }
    const se = stringEnd(src, i);
    if (se !== null) {
      if (se < 0) { out.push({ kind: 'error', text: src.slice(i), start: i, end: src.length }); return out; }
      out.push({ kind: 'string', text: src.slice(i, se), start: i, end: se });
      i = se;
      continue;
    }
    if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < src.length && IDENT_CHAR.test(src[j]!)) j++;
      out.push({ kind: 'name', text: src.slice(i, j), start: i, end: j });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9_]+)?[jJ]?)/.exec(src.slice(i));
      const text = m ? m[0] : c;
      out.push({ kind: 'number', text, start: i, end: i + text.length });
      i += text.length;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') {
      out.push({ kind: 'open', text: c, start: i, end: i + 1, depth });
      depth++;
      i++;
      continue;
    }
    if (c === ')' || c === ']' || c === '}') {
      depth--;
      out.push({ kind: 'close', text: c, start: i, end: i + 1, depth });
      i++;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) { out.push({ kind: 'op', text: op, start: i, end: i + op.length }); i += op.length; continue; }
    out.push({ kind: 'error', text: c, start: i, end: i + 1 });
    i++;
  }
  return out;
}

const PAIRS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** Index of the bracket closing the one at `open` (which must be `(`, `[` or `{`), respecting strings and comments; -1 if unbalanced. */
export function matchBracket(src: string, open: number): number {
  const first = src[open];
  if (first === undefined || !(first in PAIRS)) return -1;
  const stack: string[] = [];
  let i = open;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '#') { while (i < src.length && src[i] !== '\n') i++; continue; }
    const se = stringEnd(src, i);
    if (se !== null) {
      if (se < 0) return -1;
      i = se;
      continue;
    }
    if (IDENT_START.test(c)) { // skip whole identifiers so a name ending in r/b/u/f is not taken as a string prefix
      while (i < src.length && IDENT_CHAR.test(src[i]!)) i++;
      continue;
    }
    if (c in PAIRS) stack.push(PAIRS[c]!);
    else if (c === ')' || c === ']' || c === '}') {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i;
    }
    i++;
  }
  return -1;
}

export interface CallSite {
  /** Dotted callee name as written, e.g. `foo` or `math.isclose`. */
  name: string;
  start: number;
  /** Index just past the closing parenthesis. */
  end: number;
  text: string;
}

/** All calls `name(...)` in the fragment (outer calls before the calls nested in their arguments), with balanced argument lists. */
export function findCalls(src: string): CallSite[] {
  const toks = tokenize(src);
  const calls: CallSite[] = [];
  for (let t = 0; t < toks.length; t++) {
    const tok = toks[t]!;
    const next = toks[t + 1];
    if (tok.kind !== 'name' || !next || next.kind !== 'open' || next.text !== '(' || next.start !== skipSpaces(src, tok.end)) continue;
    const prev = toks[t - 1];
    if (prev && prev.kind === 'name' && (prev.text === 'def' || prev.text === 'class')) continue;
    // Extend back over a dotted prefix: a.b.c(
    let start = tok.start;
    let k = t - 1;
    while (k >= 1 && toks[k]!.kind === 'op' && toks[k]!.text === '.' && toks[k - 1]!.kind === 'name') {
      start = toks[k - 1]!.start;
      k -= 2;
    }
    if (k >= 0 && toks[k]!.kind === 'op' && toks[k]!.text === '.') continue; // method on an expression, e.g. "x".join(
    const close = matchBracket(src, next.start);
    if (close < 0) continue;
    calls.push({ name: src.slice(start, tok.end).replace(/\s+/g, ''), start, end: close + 1, text: src.slice(start, close + 1) });
  }
  return calls;
}

function skipSpaces(src: string, i: number): number {
  while (i < src.length && (src[i] === ' ' || src[i] === '\t')) i++;
  return i;
}

/** Positions of top-level (bracket depth 0) tokens matching the predicate. */
export function topLevelTokens(src: string, pred: (t: Token) => boolean): Token[] {
  const out: Token[] = [];
  let depth = 0;
  for (const t of tokenize(src)) {
    if (t.kind === 'open') { depth++; continue; }
    if (t.kind === 'close') { depth--; continue; }
    if (depth === 0 && pred(t)) out.push(t);
  }
  return out;
}

/** Strip redundant outer parentheses: `((f(x)))` → `f(x)`; `(a)+(b)` is left alone. */
export function stripOuterParens(expr: string): string {
  let e = expr.trim();
  while (e.startsWith('(') && matchBracket(e, 0) === e.length - 1) {
    const inner = e.slice(1, -1).trim();
    // `(x,)` or `(a, b)` is a tuple, not a parenthesized expression.
    if (topLevelTokens(inner, (t) => t.kind === 'op' && t.text === ',').length > 0) break;
    e = inner;
  }
  return e;
}

const KEYWORDS_IN_EXPR = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else', 'for', 'lambda', 'True', 'False', 'None']);

/**
 * Heuristic check that a fragment looks like one self-contained Python expression built from literals and calls:
 * brackets balance, strings terminate, no bare identifiers (prose, undefined names), no two operands side by side
 * (`'No' (the name ...)`, `""aaaa"`), no top-level assignment, no non-ASCII characters outside strings.
 */
export function looksLikeLiteralExpression(src: string): boolean {
  if (src.trim() === '') return false;
  const toks = tokenize(src).filter((t) => t.kind !== 'newline');
  if (toks.length === 0) return false;
  let depth = 0;
  let prevOperand = false; // the previous token ends an operand (literal, name, closing bracket)
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    const next = toks[i + 1];
    switch (t.kind) {
      case 'error':
        return false;
      case 'string':
        if (prevOperand && toks[i - 1]?.kind !== 'string') return false;
        prevOperand = true;
        break;
      case 'number':
        if (prevOperand) return false;
        prevOperand = true;
        break;
      case 'name': {
        const isKeyword = KEYWORDS_IN_EXPR.has(t.text);
        const afterDot = toks[i - 1]?.kind === 'op' && toks[i - 1]!.text === '.';
        const isCall = next?.kind === 'open' && next.text === '(';
        const isKwarg = depth > 0 && next?.kind === 'op' && next.text === '=';
        if (t.text === 'True' || t.text === 'False' || t.text === 'None') {
          if (prevOperand) return false;
          prevOperand = true;
        } else if (isKeyword) {
          prevOperand = false;
        } else {
          if (!afterDot && !isCall && !isKwarg) return false;
          if (prevOperand && !afterDot) return false;
          prevOperand = true;
        }
        break;
      }
      case 'open':
        if (prevOperand && t.text === '{') return false;
        depth++;
        prevOperand = false;
        break;
      case 'close':
        depth--;
        if (depth < 0) return false;
        prevOperand = true;
        break;
      case 'op':
        if (t.text === '=' && depth === 0) return false;
        if (t.text === ';' || t.text === ':=' || t.text === '->' || t.text.endsWith('=') && !['==', '!=', '<=', '>=', '='].includes(t.text)) return false;
        prevOperand = false;
        break;
      default:
        break;
    }
  }
  if (depth !== 0) return false;
  const last = toks[toks.length - 1]!;
  if (last.kind === 'op' && last.text !== '...') return false;
  return true;
}
