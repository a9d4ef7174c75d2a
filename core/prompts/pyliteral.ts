// Reading module-level string constants out of a Python source file without running it,
// so that prompt texts kept as Python constants (the authors' eg_cfg/consts.py) can be used byte for byte (their
// str.format is core/egcfg/pyrepr.ts pyFormat). Pure: no I/O.
//
// Supported: `NAME = <literal>` and `NAME = (<literal> <literal> ...)` at the start of a line, where each literal is a
// plain (or r/u-prefixed) single-, double- or triple-quoted string; adjacent literals are concatenated as in Python.
// Escapes: \\ \' \" \a \b \f \n \r \t \v \<newline> (line continuation), \ooo, \xhh, \uXXXX, \UXXXXXXXX. An
// f-string or bytes literal, or any other expression, is an error naming the constant.

export class PyLiteralError extends Error {}

const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '' };

function unescape(body: string, raw: boolean, name: string): string {
  if (raw) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') { out += c; continue; }
    const n = body[i + 1];
    if (n === undefined) throw new PyLiteralError(`${name}: string ends with a lone backslash`);
    if (n in SIMPLE_ESCAPES) { out += SIMPLE_ESCAPES[n]; i++; continue; }
    const hex = (len: number): void => {
      const h = body.slice(i + 2, i + 2 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(h)) throw new PyLiteralError(`${name}: bad \\${n} escape`);
      out += String.fromCodePoint(parseInt(h, 16));
      i += 1 + len;
    };
    if (n === 'x') hex(2);
    else if (n === 'u') hex(4);
    else if (n === 'U') hex(8);
    else if (/[0-7]/.test(n)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i + 1))![0];
      out += String.fromCodePoint(parseInt(m, 8));
      i += m.length;
    } else { out += `\\${n}`; i++; } // Python keeps unknown escapes as written
  }
  return out;
}

/** One string literal starting at `at` (after optional whitespace): its value and where it ends. Null if none starts there. */
function literalAt(src: string, at: number, name: string): { value: string; end: number } | null {
  const m = /^([rRuUfFbB]{0,2})('''|"""|'|")/.exec(src.slice(at));
  if (!m) return null;
  const prefix = m[1]!.toLowerCase();
  if (prefix.includes('f') || prefix.includes('b')) throw new PyLiteralError(`${name}: an f-string or bytes literal cannot be read without running Python`);
  const quote = m[2]!;
  let i = at + m[0].length;
  const start = i;
  for (;;) {
    if (i >= src.length) throw new PyLiteralError(`${name}: unterminated string literal`);
    const c = src[i]!;
    if (c === '\\') { i += 2; continue; }
    if (quote.length === 1 && c === '\n') throw new PyLiteralError(`${name}: newline inside a single-quoted string`);
    if (src.startsWith(quote, i)) break;
    i++;
  }
  return { value: unescape(src.slice(start, i), prefix.includes('r'), name), end: i + quote.length };
}

/** Skip spaces, tabs, newlines and `#` comments (inside parentheses newlines are free, as in Python). */
function skipSpace(src: string, at: number, newlines: boolean): number {
  let i = at;
  for (;;) {
    const c = src[i];
    if (c === ' ' || c === '\t' || (newlines && (c === '\n' || c === '\r'))) i++;
    else if (c === '\\' && src[i + 1] === '\n') i += 2;
    else if (newlines && c === '#') { while (i < src.length && src[i] !== '\n') i++; }
    else return i;
  }
}

/** The value of the module-level string constant `name` in Python source `src`. Throws PyLiteralError when absent or not a plain string. */
export function pyStringConstant(src: string, name: string): string {
  const def = new RegExp(`^${name}[ \\t]*=[ \\t]*`, 'm').exec(src.replace(/\r\n/g, '\n'));
  if (!def) throw new PyLiteralError(`${name} is not defined (expected a line '${name} = "..."')`);
  const text = src.replace(/\r\n/g, '\n');
  let i = def.index + def[0].length;
  const paren = text[i] === '(';
  if (paren) i++;
  let value = '';
  let parts = 0;
  for (;;) {
    i = skipSpace(text, i, paren);
    const lit = literalAt(text, i, name);
    if (!lit) break;
    value += lit.value;
    parts++;
    i = lit.end;
  }
  if (parts === 0) throw new PyLiteralError(`${name} is not a string literal`);
  if (paren && text[skipSpace(text, i, true)] !== ')') throw new PyLiteralError(`${name}: expected ')' after its string literals`);
  if (!paren) {
    const rest = text.slice(i, text.indexOf('\n', i) === -1 ? undefined : text.indexOf('\n', i)).trim();
    // (The message never quotes the file: the path may come from an API request.)
    if (rest !== '' && !rest.startsWith('#')) throw new PyLiteralError(`${name} is not a plain string literal (an expression follows it)`);
  }
  return value;
}
