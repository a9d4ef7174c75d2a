// Answer extraction: the program to run, out of a model's completion.
import { parseEntryFunction } from './humaneval.ts';
import type { Problem } from './types.ts';

export interface ExtractOptions {
  /**
   * HumanEval: treat the completion as the continuation of `promptCode` (a base-model style completion) and return
   * `promptCode + completion` when it does not define the entry point itself. Default true.
   */
  continuePrompt?: boolean;
}

export type ExtractionSource = 'fenced-entry' | 'fenced-last' | 'raw' | 'prompt+completion';

/** A top-level statement with its indented continuation lines. */
interface Chunk { head: string; lines: string[] }

function topLevelChunks(code: string): Chunk[] {
  const chunks: Chunk[] = [];
  for (const line of code.split('\n')) {
    const starts = line !== '' && !/^[ \t]/.test(line) && !/^[)\]}]/.test(line);
    if (starts || chunks.length === 0) chunks.push({ head: line, lines: [line] });
    else chunks[chunks.length - 1]!.lines.push(line);
  }
  return chunks;
}

const DEFINITION = /^(?:async\s+def|def|class)\s|^@/;

/**
 * Drops the example usage that models write after their solution (prints, asserts, calls, `if __name__ == ...`
 * blocks, often cut off by the token limit): top-level statements after the last function or class definition, other
 * than imports and assignments. Statements before it (imports, constants, setup calls) stay. Like EvalPlus's sanitizer,
 * without a parser.
 */
export function dropTrailingUsage(code: string): string {
  const chunks = topLevelChunks(code);
  let lastDef = -1;
  chunks.forEach((c, i) => { if (DEFINITION.test(c.head)) lastDef = i; });
  if (lastDef < 0) return code;
  const kept = chunks.filter((c, i) => i <= lastDef || c.head.startsWith('#') || /^(?:import|from)\s/.test(c.head)
    || /^[A-Za-z_][A-Za-z0-9_]*\s*(?::[^=]+)?=(?!=)/.test(c.head));
  if (kept.length === chunks.length) return code;
  return kept.flatMap((c) => c.lines).join('\n').replace(/\s+$/, '') + '\n';
}

/** Names of the top-level functions a program defines, in order. */
function topLevelFunctions(code: string): string[] {
  return [...code.matchAll(/^(?:async\s+)?def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/gm)].map((m) => m[1]!);
}

/**
 * A solution that defines one top-level function under another name than the entry point (`remove_Occ` written as
 * `remove_occurrence`) gets an alias line, so that the tests can call it.
 */
export function aliasRenamedEntry(code: string, entryPoint: string): string {
  if (definesEntryName(code, entryPoint)) return code;
  const fns = topLevelFunctions(code);
  if (fns.length !== 1) return code;
  return `${code.replace(/\s+$/, '')}\n\n${entryPoint} = ${fns[0]}\n`;
}

function definesEntryName(code: string, entryPoint: string): boolean {
  const name = entryPoint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return definesEntry(code, entryPoint) || new RegExp(`^${name}\\s*=`, 'm').test(code);
}

export interface Extraction {
  code: string;
  source: ExtractionSource;
  /** HumanEval: the prompt's imports / helper functions were put in front of the extracted code. */
  preambleAdded: boolean;
}

interface Block {
  lang: string;
  body: string;
  /** The block has its closing fence (false: the text ended inside it, e.g. at the token limit). */
  closed: boolean;
}

const CODE_LANGS = new Set(['', 'python', 'py', 'python3', 'py3']);
const END_MARKERS = /(?:<\|EOT\|>|<｜end▁of▁sentence｜>|<\|end_of_sentence\|>|<\|endoftext\|>|<\|im_end\|>|<\/s>)[\s\S]*$/;

/** Fenced blocks in order; a last block without its closing fence runs to the end of the text. */
function fencedBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const open = /^[ \t]*```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\r?\n/gm;
  let m: RegExpExecArray | null;
  while ((m = open.exec(text)) !== null) {
    const start = m.index + m[0].length;
    const close = /^[ \t]*```[ \t]*$/m;
    const rest = text.slice(start);
    const c = close.exec(rest);
    const body = c ? rest.slice(0, c.index) : rest;
    blocks.push({ lang: m[1]!.toLowerCase(), body: body.replace(/\s+$/, '') + '\n', closed: c !== null });
    if (!c) break;
    open.lastIndex = start + c.index + c[0].length;
  }
  return blocks;
}

function definesEntry(code: string, entryPoint: string): boolean {
  return new RegExp(`^[ \\t]*def\\s+${entryPoint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\(`, 'm').test(code);
}

/**
 * Extract the program from a completion. Order: the last ```python (or ``` / <python>…</python>) block that defines
 * `def <entry_point>(`; else the last such block; else the raw text. For HumanEval, a completion that does not define
 * the entry point is taken as the function body continuing the prompt (`promptCode + completion`), and code that
 * defines the entry point gets the prompt's imports and helper functions put in front when it lacks them.
 */
export function extractCodeDetailed(
  completion: string,
  problem: Pick<Problem, 'entryPoint' | 'promptCode'>,
  opts: ExtractOptions = {},
): Extraction {
  const text = completion.replace(END_MARKERS, '').replace(/<python>[ \t]*\r?\n?/g, '\n```python\n').replace(/\r?\n?[ \t]*<\/python>/g, '\n```\n');
  const all = fencedBlocks(text);
  const blocks = all.filter((b) => CODE_LANGS.has(b.lang));
  // The last complete block that defines the entry point; a block cut off by the token limit only if none is complete.
  const withEntry = blocks.filter((b) => definesEntry(b.body, problem.entryPoint));
  const entryBlock = [...withEntry].reverse().find((b) => b.closed) ?? withEntry.at(-1);
  let code: string;
  let source: ExtractionSource;
  if (entryBlock) {
    code = entryBlock.body;
    source = 'fenced-entry';
  } else if (blocks.length > 0 || all.length > 0) {
    code = (blocks.length > 0 ? blocks : all)[(blocks.length > 0 ? blocks : all).length - 1]!.body;
    source = 'fenced-last';
  } else {
    code = text;
    source = 'raw';
  }
  code = aliasRenamedEntry(code, problem.entryPoint);
  if (definesEntryName(code, problem.entryPoint)) code = dropTrailingUsage(code);
  let preambleAdded = false;
  if (problem.promptCode !== undefined) {
    if (!definesEntry(code, problem.entryPoint)) {
      if (opts.continuePrompt !== false) {
        const body = source === 'raw' ? completion.replace(END_MARKERS, '') : code;
        return { code: problem.promptCode + body, source: 'prompt+completion', preambleAdded: false };
      }
    } else {
      const preamble = parseEntryFunction(problem.promptCode, problem.entryPoint)?.preamble.trim() ?? '';
      if (preamble !== '' && !code.includes(preamble)) {
        code = `${preamble}\n\n\n${code}`;
        preambleAdded = true;
      }
    }
  }
  return { code, source, preambleAdded };
}

/** The program to run for a completion (see extractCodeDetailed). */
export function extractCode(completion: string, problem: Pick<Problem, 'entryPoint' | 'promptCode'>, opts: ExtractOptions = {}): string {
  return extractCodeDetailed(completion, problem, opts).code;
}
