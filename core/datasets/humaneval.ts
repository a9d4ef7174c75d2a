// HumanEval prompt analysis: the entry function's signature and docstring, and the docstring examples
// turned into `assert <call> == <expected>` strings (the "visible tests" of HumanEval).
import { findCalls, looksLikeLiteralExpression, matchBracket, stringEnd, topLevelTokens } from './pyscan.ts';

export interface EntryFunction {
  /** `def name(params) -> ret:` on one line (whitespace collapsed). */
  signature: string;
  /** Parameter names, without `self`, `*`, `/`, annotations and defaults. */
  params: string[];
  /** Docstring text, dedented and trimmed ('' when none). */
  docstring: string;
  /** Everything in the prompt before the `def` line (imports, helper functions). */
  preamble: string;
}

function dedent(text: string): string {
  const lines = text.split('\n');
  const indents = lines.slice(1).filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length);
  const min = indents.length > 0 ? Math.min(...indents) : 0;
  return [lines[0]!.trim(), ...lines.slice(1).map((l) => l.slice(Math.min(min, /^[ \t]*/.exec(l)![0].length)))].join('\n').trim();
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Locate `def <entryPoint>(` in the prompt and read its signature and docstring. Null when the function is not there. */
export function parseEntryFunction(prompt: string, entryPoint: string): EntryFunction | null {
  const m = new RegExp(`^([ \\t]*)def\\s+${escapeRe(entryPoint)}\\s*\\(`, 'm').exec(prompt);
  if (!m) return null;
  const open = m.index + m[0].length - 1;
  const close = matchBracket(prompt, open);
  if (close < 0) return null;
  const colon = prompt.indexOf(':', close);
  if (colon < 0) return null;
  const signature = prompt.slice(m.index, colon + 1).trim().replace(/\s*\n\s*/g, ' ');
  const paramText = prompt.slice(open + 1, close);
  const cuts = [-1, ...topLevelTokens(paramText, (t) => t.kind === 'op' && t.text === ',').map((t) => t.start), paramText.length];
  const params: string[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const p = paramText.slice(cuts[i]! + 1, cuts[i + 1]).trim();
    const name = /^\**([A-Za-z_][A-Za-z0-9_]*)/.exec(p)?.[1];
    if (name && name !== 'self') params.push(name);
  }
  let docstring = '';
  const afterColon = prompt.slice(colon + 1);
  const dm = /^[ \t]*\n?[ \t]*(?=[rRuU]?("""|'''))/.exec(afterColon);
  if (dm) {
    const start = colon + 1 + dm[0].length;
    const end = stringEnd(prompt, start);
    if (end !== null && end > 0) {
      const q = /^[rRuU]?("""|''')/.exec(prompt.slice(start))!;
      docstring = dedent(prompt.slice(start + q[0].length, end - 3));
    }
  }
  return { signature, params, docstring, preamble: prompt.slice(0, m.index) };
}

function startsCallOf(text: string, pos: number, name: string): boolean {
  if (!text.startsWith(name, pos)) return false;
  if (pos > 0 && /[A-Za-z0-9_.]/.test(text[pos - 1]!)) return false;
  let j = pos + name.length;
  while (text[j] === ' ') j++;
  return text[j] === '(';
}

function containsCallOf(expr: string, name: string): boolean {
  return findCalls(expr).some((c) => c.name === name);
}

/** Normalise an expected value written in prose: `true` → True, a trailing full stop, `a + b = 10` → `10`. */
function cleanExpected(raw: string): string | null {
  // Cut a trailing comment (outside strings).
  let e = cutComment(raw).trim();
  if (/^(true|false|none)\.?$/i.test(e)) e = e[0]!.toUpperCase() + e.slice(1).toLowerCase().replace(/\.$/, '');
  const eqs = topLevelTokens(e, (t) => t.kind === 'op' && t.text === '=');
  if (eqs.length > 0) e = e.slice(eqs[eqs.length - 1]!.end).trim();
  // A trailing full stop ends a sentence (`1.` after an integer is prose too); `6.00` and `2.5` are untouched.
  if (e.endsWith('.') && (!/[0-9]\.$/.test(e) || /^-?[0-9]+\.$/.test(e))) e = e.slice(0, -1).trim();
  if (looksLikeLiteralExpression(e)) return e;
  // `'No' (the name should ...)`: keep the first operand when prose follows after a space.
  const firstEnd = firstOperandEnd(e);
  if (firstEnd > 0 && firstEnd < e.length && /^\s/.test(e.slice(firstEnd))) {
    const head = e.slice(0, firstEnd).trim();
    if (looksLikeLiteralExpression(head)) return head;
  }
  return null;
}

function cutComment(s: string): string {
  let i = 0;
  while (i < s.length) {
    const se = stringEnd(s, i);
    if (se !== null) {
      if (se < 0) return s;
      i = se;
      continue;
    }
    if (/[A-Za-z_]/.test(s[i]!)) {
      while (i < s.length && /[A-Za-z0-9_]/.test(s[i]!)) i++;
      continue;
    }
    if (s[i] === '#') return s.slice(0, i);
    i++;
  }
  return s;
}

/** End of the first operand of an expression (a literal, a bracket group, a possibly negative number, a name with call). */
function firstOperandEnd(e: string): number {
  let i = 0;
  if (e[i] === '-') i++;
  const se = stringEnd(e, i);
  if (se !== null) return se;
  if (e[i] === '(' || e[i] === '[' || e[i] === '{') {
    const c = matchBracket(e, i);
    return c < 0 ? -1 : c + 1;
  }
  const m = /^[A-Za-z0-9_.]+/.exec(e.slice(i));
  if (!m) return -1;
  const j = i + m[0].length;
  if (e[j] === '(') {
    const c = matchBracket(e, j);
    return c < 0 ? -1 : c + 1;
  }
  return j;
}

const SEPARATORS: RegExp[] = [
  /^\s*(?:#\s*)?(?:==>|=>|➞|->|==|=|→)\s*/,
  /^\s*(?:#\s*)?(?:should\s+)?returns?\s+/i,
  /^\s*,?\s*(?:the\s+)?(?:output|result)\s+(?:should\s+be|is)\s*:?\s*/i,
];

function assertOf(call: string, expected: string): string {
  return `assert ${call} == ${expected}`;
}

/** `>>> expr` lines (with `... ` continuations) followed by the printed result. */
function doctestExamples(doc: string, entryPoint: string): string[] {
  const lines = doc.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (!t.startsWith('>>>')) continue;
    let expr = cutComment(t.slice(3)).trim();
    let j = i + 1;
    while (j < lines.length && /^\s*\.\.\.( |$)/.test(lines[j]!)) {
      expr += '\n' + cutComment(lines[j]!.trim().slice(4));
      j++;
    }
    const outLines: string[] = [];
    while (j < lines.length && lines[j]!.trim() !== '' && !lines[j]!.trim().startsWith('>>>')) {
      outLines.push(lines[j]!.trim());
      j++;
    }
    i = j - 1;
    if (outLines.length === 0 || !containsCallOf(expr, entryPoint)) continue;
    if (topLevelTokens(expr, (tk) => tk.kind === 'op' && tk.text === '=').length > 0) continue; // assignment
    const expected = cleanExpected(outLines.join(' '));
    const e = expr.replace(/\n/g, ' ');
    if (expected === null || !looksLikeLiteralExpression(e)) continue;
    out.push(assertOf(e, expected));
  }
  return out;
}

/** `f(args) == y`, `f(args) ==> y`, `f(args) ➞ y`, `f(args) -> y`, `f(args) returns y`, `f(args) should return y`, ... */
function inlineExamples(doc: string, entryPoint: string): string[] {
  const out: string[] = [];
  const lineStarts = [0];
  for (let i = 0; i < doc.length; i++) if (doc[i] === '\n') lineStarts.push(i + 1);
  for (const ls of lineStarts) {
    const lead = /^[ \t]*(?:(?:[*-]|for|assert|>>>|Example:?)[ \t]+)?/.exec(doc.slice(ls))![0];
    const pos = ls + lead.length;
    if (!startsCallOf(doc, pos, entryPoint)) continue;
    const open = doc.indexOf('(', pos);
    const close = matchBracket(doc, open);
    if (close < 0) continue;
    const call = doc.slice(pos, close + 1).replace(/\s*\n\s*/g, ' ');
    if (!looksLikeLiteralExpression(call)) continue;
    // The rest of the line (extended over open brackets).
    let end = doc.indexOf('\n', close);
    if (end < 0) end = doc.length;
    const rest = doc.slice(close + 1, end);
    for (const sep of SEPARATORS) {
      const m = sep.exec(rest);
      if (!m) continue;
      let value = rest.slice(m[0].length);
      const valueStart = close + 1 + m[0].length;
      // Let a bracketed value continue over following lines.
      const firstChar = doc.slice(valueStart).search(/\S/);
      if (firstChar >= 0 && '([{'.includes(doc[valueStart + firstChar]!)) {
        const vc = matchBracket(doc, valueStart + firstChar);
        if (vc > end) {
          const lineEnd = doc.indexOf('\n', vc);
          value = doc.slice(valueStart, lineEnd < 0 ? doc.length : lineEnd).replace(/\s*\n\s*/g, ' ');
        }
      }
      const expected = cleanExpected(value);
      if (expected !== null) out.push(assertOf(call, expected));
      break;
    }
  }
  return out;
}

/**
 * Named-argument styles: `For x = 5 the output should be 3`, `For s = "ab", c = "a", the result should be ('b',False)`
 * and `Input: arr = [1, 2], k = 1` / `Output: [2]` blocks. Arguments must name exactly the function's parameters
 * (a single-parameter function may give a bare value).
 */
function namedArgExamples(doc: string, entryPoint: string, params: string[]): string[] {
  if (params.length === 0) return [];
  const out: string[] = [];
  const argsOf = (text: string): string | null => {
    const t = text.trim().replace(/,$/, '');
    const cuts = [-1, ...topLevelTokens(t, (tk) => tk.kind === 'op' && tk.text === ',').map((tk) => tk.start), t.length];
    const parts: string[] = [];
    for (let i = 0; i + 1 < cuts.length; i++) parts.push(t.slice(cuts[i]! + 1, cuts[i + 1]).trim());
    const named = new Map<string, string>();
    for (const part of parts) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)$/s.exec(part);
      if (!m || !params.includes(m[1]!)) break;
      named.set(m[1]!, m[2]!.trim());
    }
    let values: string[];
    if (params.every((p) => named.has(p))) values = params.map((p) => named.get(p)!);
    else if (params.length === 1) values = [parts[0]!.replace(/^[A-Za-z_][A-Za-z0-9_]*\s*=\s*/, '')];
    else return null;
    return values.every((v) => looksLikeLiteralExpression(v)) ? values.join(', ') : null;
  };
  const lines = doc.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const fm = /^For\s+(.+?)\s+the\s+(?:output|result)\s+should\s+be\s+(.+)$/i.exec(line);
    if (fm) {
      const args = argsOf(fm[1]!);
      const expected = cleanExpected(fm[2]!);
      if (args !== null && expected !== null) out.push(assertOf(`${entryPoint}(${args})`, expected));
      continue;
    }
    const im = /^Input:\s*(.+)$/i.exec(line);
    if (im) {
      let j = i + 1;
      while (j < lines.length && lines[j]!.trim() === '') j++;
      const om = /^Output:\s*(.+)$/i.exec(lines[j]?.trim() ?? '');
      if (!om) continue;
      const args = argsOf(im[1]!);
      const expected = cleanExpected(om[1]!);
      if (args !== null && expected !== null) out.push(assertOf(`${entryPoint}(${args})`, expected));
      i = j;
    }
  }
  return out;
}

/**
 * The docstring examples of a HumanEval prompt as asserts. Doctest style (`>>> f(x)` then the output line) wins when
 * present; otherwise inline styles (`f(x) == y`, `==>`, `=>`, `➞`, `->`, `returns`, `should return`) and, for
 * named-argument `For x = v the output should be y` and `Input:`/`Output:` blocks. Examples whose call or
 * expected value is not a self-contained Python expression (prose, undefined names) are dropped. Duplicates removed.
 */
export function docstringExamples(prompt: string, entryPoint: string): string[] {
  const fn = parseEntryFunction(prompt, entryPoint);
  if (!fn || fn.docstring === '') return [];
  let found = doctestExamples(fn.docstring, entryPoint);
  if (found.length === 0) found = inlineExamples(fn.docstring, entryPoint);
  if (found.length === 0) found = namedArgExamples(fn.docstring, entryPoint, fn.params);
  return [...new Set(found)];
}
