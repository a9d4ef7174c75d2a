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

export interface Extraction {
  code: string;
  source: ExtractionSource;
  /** HumanEval: the prompt's imports / helper functions were put in front of the extracted code. */
  preambleAdded: boolean;
}

interface Block {
  lang: string;
  body: string;
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
    blocks.push({ lang: m[1]!.toLowerCase(), body: body.replace(/\s+$/, '') + '\n' });
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
  const entryBlock = [...blocks].reverse().find((b) => definesEntry(b.body, problem.entryPoint));
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
