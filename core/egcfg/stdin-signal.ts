// The dynamic signal of stdin/stdout programs (CodeContests): what a traced run of a whole program on a public test's
// input looks like in the signal. PURE and deterministic: safe in Temporal workflows.
//
// As the authors' code does for CodeContests (their code_generation_adapter / execution_manager), the invocation of
// an entry is `solve()` followed by the test's stdin (Python repr) and its expected stdout, and the trace is followed
// by `# Stdout: <repr of what the program printed>`. Differences, deliberate: each entry shows ITS OWN test's input
// (their entries all show the first public test's, whichever test was run), and the three texts are bounded
// (SIGNAL_STDIO_CHARS each) so that a large input cannot fill the model's context.

/** At most this many characters of a test's stdin, its expected stdout, or the program's stdout in the signal. */
export const SIGNAL_STDIO_CHARS = 2_000;

const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

/**
 * Python's repr() of a str: single quotes unless the text holds ' and no "; backslash escapes for \\, the quote,
 * \t \n \r; \xNN / \uNNNN / \UNNNNNNNN for what str.isprintable() rejects (control, format, unassigned, separators
 * other than the space); every other character as itself.
 */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch !== ' ' && NON_PRINTABLE.test(ch)) {
      const hex = cp.toString(16);
      out += cp <= 0xff ? `\\x${hex.padStart(2, '0')}` : cp <= 0xffff ? `\\u${hex.padStart(4, '0')}` : `\\U${hex.padStart(8, '0')}`;
    } else out += ch;
  }
  return out + quote;
}

/** The first `limit` characters, and how many were left out. */
function cut(s: string, limit: number): { head: string; more: number } {
  return s.length <= limit ? { head: s, more: 0 } : { head: s.slice(0, limit), more: s.length - limit };
}
const moreNote = (more: number): string => (more > 0 ? ` ... [${more} more characters]` : '');

/** A text as a bounded Python repr: `'1 2\n'`, or `'1 2 3 ...' ... [N more characters]` when it is longer. */
export function boundedRepr(s: string, limit = SIGNAL_STDIO_CHARS): string {
  const { head, more } = cut(s, limit);
  return pyStrRepr(head) + moreNote(more);
}

/**
 * The `# Invocation:` text of a traced run of a whole program on a test:
 *
 *   solve()
 *   stdin: '<input, repr>'
 *   expected stdout: <output as printed>
 */
export function stdinInvocation(test: { input: string; output: string }, limit = SIGNAL_STDIO_CHARS): string {
  const out = cut(test.output.replace(/\s+$/, ''), limit);
  return `solve()\nstdin: ${boundedRepr(test.input, limit)}\nexpected stdout: ${out.head}${moreNote(out.more)}`;
}

/** A stdin program's trace with what it printed: `<trace>\n# Stdout: '<stdout, repr>'` (`[truncated]` when the
 *  sandbox kept only part of it). */
export function withStdout(trace: string, stdout: string, truncated = false, limit = SIGNAL_STDIO_CHARS): string {
  return `${trace.replace(/\n+$/, '')}\n# Stdout: ${boundedRepr(stdout, limit)}${truncated ? ' [truncated by the sandbox]' : ''}`;
}
