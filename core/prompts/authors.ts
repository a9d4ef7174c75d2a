// The authors' prompt texts, read verbatim from a checkout of their repository (github.com/boazlavon/eg_cfg) that the
// user supplies with --authors-prompts DIR. Their licence (CC BY-NC-SA 4.0) lets a user run them; this project does
// not redistribute them, so nothing of their text is in this repository (tests use a hand-made fixture with the same
// layout and placeholder texts of our own). Without a checkout our own texts (data/prompts/) are used.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { PyLiteralError, pyStringConstant } from './pyliteral.ts';
import type { SignalTexts } from '../egcfg/signal.ts';

/** Where the texts are in their repository, relative to its root. */
export const AUTHORS_CONSTS_FILE = 'eg_cfg/consts.py';
export const AUTHORS_MBPP_PROMPTS_FILE = 'data/deepseek_mbpp_prompts/mbpp_instruct_prompts.json';

/** The string constants of eg_cfg/consts.py that are used, by the name they have there. */
export const AUTHORS_CONSTANTS = [
  'LONG_CODE_INSTRUCTION_TEXT', 'TEST_CASES_INSTRUCTION',
  'DEEPSEEK_INSTRUCT_TEMPLATE', 'DEEPSEEK_INSTRUCT_TESTCASES_INSTRUCTION_TMP', 'HUMANEVAL_INSTRUCTION_TEMPLATE',
  'MULTIPLE_CANDIDATES_DYNAMIC_SIGNAL_PROMPT', 'MULTIPLE_CANDIDATES_DYNAMIC_SIGNAL_PATTERN',
  'PARTIAL_EXECUTION_DYNAMIC_SIGNAL_PROMPT', 'SINGLE_DYNAMIC_SIGNAL_PATTERN',
  'PYTHON_CODE_TAGS_USAGE_INSTRUCTION_DS', 'PYTHON_CODE_TAGS_USAGE_INSTRUCTION_QWEN',
] as const;
export type AuthorsConstant = (typeof AUTHORS_CONSTANTS)[number];

export const AUTHORS_LAYOUT = `${AUTHORS_CONSTS_FILE} (string constants ${AUTHORS_CONSTANTS.join(', ')}) and ${AUTHORS_MBPP_PROMPTS_FILE} (an object: MBPP task id -> prompt)`;

/** mbpp_instruct_prompts.json: task id (decimal string) → the whole prompt. */
const mbppPromptsSchema = z.record(z.string().regex(/^\d+$/, 'MBPP task ids are decimal strings'), z.string());

export interface AuthorsPrompts {
  /** The checkout's absolute path. */
  dir: string;
  /** Its HEAD commit when it is a git checkout (read from .git, no git binary needed), else null. */
  commit: string | null;
  /** sha256 over the texts used (constants in AUTHORS_CONSTANTS order, then the MBPP file): what a campaign records. */
  sha256: string;
  texts: Record<AuthorsConstant, string>;
  mbpp: Record<string, string>;
}

/** What a table says about the prompts: `ours`, or `authors (<dir>, <commit>)`. */
export interface PromptsLabel { source: 'ours' | 'authors'; dir?: string; commit?: string | null; sha256?: string }

export function promptsLabelText(l: PromptsLabel | null | undefined): string {
  if (!l || l.source === 'ours') return 'ours';
  return `authors (${l.dir ?? '?'}${l.commit ? `, ${l.commit}` : ''})`;
}

export class AuthorsPromptsError extends Error {}

const fail = (dir: string, what: string): never => {
  throw new AuthorsPromptsError(`--authors-prompts ${dir}: ${what}. Expected a checkout of github.com/boazlavon/eg_cfg with ${AUTHORS_LAYOUT}`);
};

/** HEAD of a git checkout (a .git folder, or a .git file pointing at one); null when `dir` is not one. */
export function gitHead(dir: string): string | null {
  let gitDir = join(dir, '.git');
  if (!existsSync(gitDir)) return null;
  if (statSync(gitDir).isFile()) {
    const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(gitDir, 'utf8'));
    if (!m) return null;
    gitDir = resolve(dir, m[1]!.trim());
  }
  const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
  if (/^[0-9a-f]{40}$/.test(head)) return head;
  const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
  if (!ref) return null;
  const loose = join(gitDir, ref);
  if (existsSync(loose)) return readFileSync(loose, 'utf8').trim();
  const packed = join(gitDir, 'packed-refs');
  if (!existsSync(packed)) return null;
  const line = readFileSync(packed, 'utf8').split('\n').find((l) => l.endsWith(` ${ref}`));
  return line ? line.split(' ')[0]! : null;
}

const cache = new Map<string, { source: string; value: AuthorsPrompts }>();

/** Read and validate the authors' texts from `dir` (cached per path and content). Throws AuthorsPromptsError naming what is missing. */
export function loadAuthorsPrompts(dirArg: string): AuthorsPrompts {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail(dir, 'not a directory');
  const constsPath = join(dir, AUTHORS_CONSTS_FILE);
  const mbppPath = join(dir, AUTHORS_MBPP_PROMPTS_FILE);
  for (const p of [constsPath, mbppPath]) if (!existsSync(p)) fail(dir, `missing file ${p.slice(dir.length + 1)}`);
  const src = readFileSync(constsPath, 'utf8');
  const mbppText = readFileSync(mbppPath, 'utf8');
  const sha = createHash('sha256').update(src).update('\0').update(mbppText).digest('hex');
  const hit = cache.get(dir);
  if (hit && hit.source === sha) return hit.value;
  const texts = {} as Record<AuthorsConstant, string>;
  for (const name of AUTHORS_CONSTANTS) {
    try { texts[name] = pyStringConstant(src, name); } catch (e) {
      if (e instanceof PyLiteralError) fail(dir, `${AUTHORS_CONSTS_FILE}: ${e.message}`);
      throw e;
    }
  }
  let mbpp: Record<string, string>;
  try {
    mbpp = mbppPromptsSchema.parse(JSON.parse(mbppText));
  } catch (e) {
    // The message names the problem, never the file's contents (the path may come from an API request).
    return fail(dir, `${AUTHORS_MBPP_PROMPTS_FILE} is not a JSON object of task id -> prompt string (${e instanceof SyntaxError ? 'not valid JSON' : 'wrong shape'})`);
  }
  const used = createHash('sha256');
  for (const name of AUTHORS_CONSTANTS) used.update(texts[name]).update('\0');
  used.update(JSON.stringify(mbpp));
  const value: AuthorsPrompts = { dir, commit: gitHead(dir), sha256: used.digest('hex'), texts, mbpp };
  cache.set(dir, { source: sha, value });
  return value;
}

/** The label a campaign records and its tables print. */
export function authorsLabel(p: AuthorsPrompts): PromptsLabel {
  return { source: 'authors', dir: p.dir, commit: p.commit, sha256: p.sha256 };
}

/** Their signal templates, in the shape core/egcfg/signal.ts renders. */
export function authorsSignalTexts(p: AuthorsPrompts): SignalTexts {
  const t = p.texts;
  return {
    candidates: { prompt: t.MULTIPLE_CANDIDATES_DYNAMIC_SIGNAL_PROMPT, pattern: t.MULTIPLE_CANDIDATES_DYNAMIC_SIGNAL_PATTERN },
    partial: { prompt: t.PARTIAL_EXECUTION_DYNAMIC_SIGNAL_PROMPT, pattern: t.SINGLE_DYNAMIC_SIGNAL_PATTERN },
  };
}
