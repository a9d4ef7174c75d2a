// Evaluation program assembly and test-invocation extraction.
import { findCalls, stripOuterParens, tokenize, topLevelTokens } from './pyscan.ts';
import type { EvalTest, Problem } from './types.ts';

/** Which tests to run: those shown in the prompt, those that decide `passed`, or the extended (ET) list. */
export type EvaluationSuite = 'visible' | 'eval' | 'et';
export const evaluationSuites = ['visible', 'eval', 'et'] as const satisfies readonly EvaluationSuite[];

export interface Evaluation {
  /** The solution as one program: MBPP code + test_setup_code; HumanEval the full program. */
  program: string;
  /** Run one after another in the program's namespace; each passes if it completes without an exception. */
  tests: EvalTest[];
}

/**
 * The program and tests the sandbox runs for a candidate solution.
 * MBPP / MBPP-ET: program = code + `test_setup_code`, one test per assert.
 * HumanEval: program = the code (a full program, see extractCode); 'eval' is the official `check` program run as one test.
 * HumanEval-ET: 'eval' and 'et' are the `test_case_list` asserts, one test each.
 * Throws when the suite is 'et' and the problem has no ET tests.
 */
export function buildEvaluation(problem: Problem, code: string, suite: EvaluationSuite): Evaluation {
  const setup = problem.testSetupCode ?? '';
  const program = setup.trim() === '' ? code : `${code.replace(/\s+$/, '')}\n${setup.replace(/\r\n?/g, '\n')}\n`;
  let tests: EvalTest[];
  switch (suite) {
    case 'visible':
      tests = problem.visibleTests.map((t, i) => ({ id: `visible/${i}`, code: t }));
      break;
    case 'eval':
      tests = problem.evalProgramTests.map((t) => ({ ...t }));
      break;
    case 'et':
      if (!problem.etTests) throw new Error(`${problem.dataset} ${problem.taskId}: no ET tests (use the mbpp-et or humaneval-et dataset)`);
      tests = problem.etTests.map((t) => ({ ...t }));
      break;
    default:
      throw new Error(`unknown evaluation suite '${String(suite)}'; known: ${evaluationSuites.join(', ')}`);
  }
  return { program, tests };
}

// Calls that only wrap or compare the value under test.
const WRAPPERS = new Set([
  'set', 'sorted', 'list', 'tuple', 'int', 'float', 'str', 'round', 'abs', 'len', 'frozenset', 'dict', 'bool', 'repr',
  'math.isclose', 'isclose', 'cmath.isclose', 'np.isclose', 'numpy.isclose', 'np.allclose', 'isinstance', 'all', 'any', 'sum', 'max', 'min', 'type', 'next', 'iter', 'reversed',
]);

const COMPARISONS = new Set(['==', '!=', '<', '>', '<=', '>=']);

/** The expression of an assert statement: without `assert`, without the `, message` part. Null if not an assert. */
function assertExpression(line: string): string | null {
  const s = line.trim();
  const m = /^assert\b/.exec(s);
  if (!m) return null;
  let expr = s.slice(m[0].length);
  const commas = topLevelTokens(expr, (t) => t.kind === 'op' && t.text === ',');
  if (commas.length > 0) expr = expr.slice(0, commas[0]!.start);
  return expr.trim();
}

/** Left operand of the first top-level comparison (`==`, `<`, `is`, `in`, `not in`, ...), or the whole expression. */
function leftOfComparison(expr: string): string {
  const toks = tokenize(expr);
  let depth = 0;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.kind === 'open') depth++;
    else if (t.kind === 'close') depth--;
    else if (depth === 0 && ((t.kind === 'op' && COMPARISONS.has(t.text)) || (t.kind === 'name' && (t.text === 'is' || t.text === 'in')) ||
      (t.kind === 'name' && t.text === 'not' && toks[i + 1]?.kind === 'name' && toks[i + 1]!.text === 'in'))) {
      return expr.slice(0, t.start).trim();
    }
  }
  return expr.trim();
}

/**
 * Reduce a test assert to the call it exercises, for trace mode (the expected value is not executed or shown):
 * `assert f(1, 2) == 3` → `f(1, 2)`; `assert (f(x)) == y`, `assert f(x)`, `assert not f(x)`,
 * `assert math.isclose(f(x), 1.5, rel_tol=1e-3)`, `assert set(f(x)) == {...}`, `assert int(f(x)) == 3` → `f(x)`.
 * With `entryPoint`, the first call of that function wins (anywhere in the expression, strings respected).
 * Returns null when the line is not an assert or calls nothing.
 */
export function invocationOf(assertLine: string, entryPoint?: string): string | null {
  const expr = assertExpression(assertLine);
  if (expr === null || expr === '') return null;
  const allCalls = findCalls(expr);
  if (entryPoint) {
    const hit = allCalls.find((c) => c.name === entryPoint);
    if (hit) return hit.text;
  }
  let e = stripOuterParens(leftOfComparison(stripOuterParens(expr)));
  for (let guard = 0; guard < 20; guard++) {
    e = stripOuterParens(e.replace(/^not\b\s*/, ''));
    const calls = findCalls(e);
    const outer = calls.find((c) => c.start === 0 && c.end === e.length);
    if (!outer) break;
    if (!WRAPPERS.has(outer.name)) return outer.text;
    // Descend into the first argument of the wrapper.
    const inner = outer.text.slice(outer.text.indexOf('(') + 1, -1);
    const commas = topLevelTokens(inner, (t) => t.kind === 'op' && t.text === ',');
    const first = stripOuterParens(leftOfComparison(commas.length > 0 ? inner.slice(0, commas[0]!.start) : inner));
    if (findCalls(first).length === 0) return outer.text; // e.g. `sum(10, 15)` when the function under test is named sum
    e = first;
  }
  const candidates = findCalls(e);
  const own = candidates.find((c) => !WRAPPERS.has(c.name));
  return (own ?? candidates[0] ?? allCalls.find((c) => !WRAPPERS.has(c.name)) ?? allCalls[0])?.text ?? null;
}

/** The invocation of every visible test of a problem (tests without a call are left out). */
export function visibleInvocations(problem: Problem): string[] {
  return problem.visibleTests.map((t) => invocationOf(t, problem.entryPoint)).filter((c): c is string => c !== null);
}
