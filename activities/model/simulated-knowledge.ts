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

export function knowledgeFor(problems: Problem[]): KnowledgeEntry[] {
  return problems.map((p) => {
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
