// EG-CFG generation activities: one per step of the pure step machine (core/egcfg/generation.ts), grouped by concept:
//   step-store.ts       persistence: the generation row, step rows (state, summary), the step machine's next action
//   reasoning-steps.ts  the generation row, the reasoning prefix and γ = 0
//   candidate-steps.ts  candidate sampling, make_executable + dedupe, early stop's conditional side
//   signal-step.ts      traced runs of the candidates and the dynamic signal
//   decode-line.ts      decoding to the next line boundary: token by token with CFG, or γ = 1's line call
//   finish-steps.ts     the final sample, its verdicts, closing the generation
//
// Queues: model calls on `inference`, sandbox work (make_executable, traced runs, verdicts) on `sandbox`, pure
// bookkeeping on `default`. The line decoder heartbeats per token; a worker killed mid-line loses only that line.
import type { ActivityDeps } from '../deps.ts';
import { candidateActivities } from './candidate-steps.ts';
import { decodeActivities } from './decode-line.ts';
import { finishActivities } from './finish-steps.ts';
import { reasoningActivities } from './reasoning-steps.ts';
import { signalActivities } from './signal-step.ts';
import { stepStore } from './step-store.ts';

export { contextOverflow, sha256, type NextKind, type SampleRef, type StepRef, type StepResult } from './step-store.ts';
export { runnableProgram, signalTrace, traceCalls } from './signal-step.ts';
export { executeOnce, stepTotals } from './finish-steps.ts';
export type { StepTotals } from '../../core/stored/egcfg-generation.ts';

export function egcfgGenerationActivities(deps: ActivityDeps) {
  const st = stepStore(deps);
  return {
    ...reasoningActivities(st),
    ...candidateActivities(deps, st),
    ...signalActivities(deps, st),
    ...decodeActivities(st),
    ...finishActivities(deps, st),
  };
}
