// The simulated model for demos and tests: it knows each problem's reference solution and a few broken variants of
// it, and answers with one or the other by a seeded draw. Its numbers say nothing about any real model.
// Used by the CLI (cli/simulated.ts re-exports it), the API (api/simulated-models.ts) and the tests.
import type { Problem } from '../../core/datasets/index.ts';
import { startSimulatedModelServer } from './simulated-server.ts';

export interface KnowledgeEntry { keys: string[]; solution: string; broken: string[] }

const normalise = (code: string): string => code.replace(/\r\n/g, '\n').trimEnd();

/** Deterministic mutations that typically break a program: an off-by-one, a flipped comparison, a wrong operator. */
export function brokenVariants(code: string, entryPoint: string): string[] {
  const variants = new Set<string>();
  const swaps: Array<[RegExp, string]> = [[/ \+ 1\b/, ' + 2'], [/ < /, ' <= '], [/ > /, ' >= '], [/ == /, ' != '], [/ \+ /, ' - '], [/\breturn True\b/, 'return False']];
  for (const [pattern, replacement] of swaps) {
    if (pattern.test(code)) variants.add(code.replace(pattern, replacement));
  }
  variants.add(`def ${entryPoint}(*args, **kwargs):\n    return None`);
  return [...variants].filter((v) => v !== code);
}

/**
 * A whole stdin/stdout program in the shape EG-CFG forces (`def solve():` first, as the authors' instruction asks),
 * called at the end: the simulated model can then continue the forced start with its believed program.
 */
export function solveShaped(program: string): string {
  const code = normalise(program);
  if (/^def\s+solve\s*\(\s*\)\s*:/m.test(code)) return /^solve\(\)/m.test(code) ? code : `${code}\n\nsolve()`;
  const body = code.split('\n').map((l) => (l.trim() === '' ? '' : `    ${l}`)).join('\n');
  return `def solve():\n${body}\n\nsolve()`;
}

export function knowledgeFor(problems: Problem[]): KnowledgeEntry[] {
  return problems.map((p) => {
    if (p.io) {
      // A contest problem: recognised by its statement (the prompt shows no call of the entry point).
      const solution = solveShaped(p.canonicalSolution);
      return { keys: [p.statement.trim().slice(0, 200)], solution, broken: brokenVariants(solution, p.entryPoint) };
    }
    const solution = normalise(p.canonicalSolution);
    const keys = [p.visibleTests[0], `${p.entryPoint}(`].filter((k): k is string => Boolean(k));
    return { keys, solution, broken: brokenVariants(solution, p.entryPoint) };
  });
}

/** Serves `modelName` (requests for any other model get vLLM's 404). */
export async function startSimulatedModel(problems: Problem[], modelName: string, opts: { port?: number; skill?: number } = {}) {
  return startSimulatedModelServer({
    port: opts.port ?? 0, knowledge: knowledgeFor(problems), modelName, ...(opts.skill !== undefined ? { skill: opts.skill } : {}),
  });
}
