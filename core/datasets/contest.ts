// Contest judging of stdin/stdout problems (CodeContests): which tests a suite runs, the limits, and the program.
// Pure (no I/O): the activities read the host factor from the environment and call the sandbox.
import type { IoTest, Problem } from './types.ts';

/**
 * strict: the problem's own limits, scaled for this host; paper: as the authors evaluated (their evaluator gives every
 * test 15 s, EVALUATE_SOLUTION_IO_TIMEOUT_SEC, whatever the problem's limit).
 */
export type ContestProtocol = 'strict' | 'paper';
export const PAPER_TIME_LIMIT_MS = 15_000;
/** Used when a record has no time limit / memory limit (CodeContests' most common values). */
export const DEFAULT_TIME_LIMIT_MS = 2_000;
export const DEFAULT_MEMORY_LIMIT_BYTES = 256 * 1024 * 1024;
/** Added to the problem's memory limit: the judge measures the program, our RLIMIT_AS also counts the interpreter. */
export const INTERPRETER_MEMORY_MB = 64;

/**
 * The tests of a suite: 'visible' = the first three public tests (shown in the prompt, used for selection, as the
 * authors); 'eval' = private + generated tests (the public ones when a problem has neither, as the authors).
 */
export function contestSuite(problem: Problem, suite: string): IoTest[] {
  const io = problem.io;
  if (!io) throw new Error(`${problem.dataset} ${problem.taskId}: not a stdin/stdout problem`);
  switch (suite) {
    case 'visible':
      return io.publicTests.slice(0, 3);
    case 'eval':
    case 'eval-paper': {
      const hidden = [...io.privateTests, ...io.generatedTests];
      return hidden.length > 0 ? hidden : io.publicTests;
    }
    default:
      throw new Error(`${problem.dataset} has no '${suite}' suite (visible, eval)`);
  }
}

export interface ContestLimits { timeoutMs: number; memoryMb: number }

/**
 * CPU-time limit per test and memory limit. strict: the problem's time limit × `timeFactor` (the host factor:
 * how much slower this host's Python is than the judge the limits were set for; default 2, EGCFG_CONTEST_TIME_FACTOR),
 * at least 1 s; memory = the problem's limit + 64 MB for the interpreter. paper: 15 s per test.
 */
export function contestLimits(problem: Problem, protocol: ContestProtocol, timeFactor = 2, maxMemoryMb = 4096): ContestLimits {
  const io = problem.io;
  const memMb = Math.ceil((io?.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES) / (1024 * 1024)) + INTERPRETER_MEMORY_MB;
  const memoryMb = Math.min(maxMemoryMb, Math.max(128, memMb));
  if (protocol === 'paper') return { timeoutMs: PAPER_TIME_LIMIT_MS, memoryMb };
  const scaled = Math.ceil((io?.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS) * timeFactor);
  return { timeoutMs: Math.min(600_000, Math.max(1_000, scaled)), memoryMb };
}

const TOP_LEVEL_CALL = /^(?:[A-Za-z_][A-Za-z0-9_.]*\s*\(|if\s+__name__\b|for\b|while\b|print\b|exec\b)/m;
const DEFINES_SOLVE = /^def\s+solve\s*\(/m;

/**
 * The program that runs: the model's whole program as written, plus a `solve()` call when it defines `solve` and
 * calls nothing at top level (the authors' instruction makes models write `def solve():`, and their evaluator and
 * their traced runs append the call the same way, whatever the signature: a `def solve(a, b):` then fails with a
 * TypeError the trace shows, instead of running nothing).
 */
export function contestProgram(code: string): string {
  if (!DEFINES_SOLVE.test(code) || TOP_LEVEL_CALL.test(code)) return code;
  return `${code.replace(/\s+$/, '')}\n\nsolve()\n`;
}

const FENCE = /^[ \t]*```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n([\s\S]*?)(?:^[ \t]*```[ \t]*$|(?![\s\S]))/gm;
const END_MARKERS = /<\|EOT\|>|<\|end▁of▁sentence\|>|<__end_of_sentence__>|<\|endoftext\|>|<\|im_end\|>/g;

/**
 * A whole program from a completion: the last complete ```python (or bare ```) block, else the last block cut off
 * by the token limit, else the raw text. Unlike extractCode nothing after the definitions is dropped: the top-level
 * code that reads input and prints is the program.
 */
export function extractProgram(completion: string): string {
  const text = completion.replace(END_MARKERS, '');
  const blocks: Array<{ lang: string; body: string; closed: boolean }> = [];
  for (const m of text.matchAll(FENCE)) {
    const closed = /```[ \t]*$/.test(m[0]);
    const lang = m[1]!.toLowerCase();
    if (lang === '' || lang === 'python' || lang === 'py' || lang === 'python3') blocks.push({ lang, body: m[2]!, closed });
  }
  const chosen = [...blocks].reverse().find((b) => b.closed) ?? blocks.at(-1);
  const code = chosen ? chosen.body : text;
  return `${code.replace(/\s+$/, '')}\n`;
}
