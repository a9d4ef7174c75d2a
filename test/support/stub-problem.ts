// A minimal valid stored problem (core/datasets/problem-schema.ts) for tests that seed problems rows directly.
import type { Problem } from '../../core/datasets/index.ts';

export function stubProblem(taskId: string, over: Partial<Problem> = {}): Problem {
  return {
    dataset: 'mbpp', taskId, split: 'test', entryPoint: 'f', statement: `problem ${taskId}`, visibleTests: [],
    evalProgramTests: [], canonicalSolution: '', raw: {}, ...over,
  };
}
