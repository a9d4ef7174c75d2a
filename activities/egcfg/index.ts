// EG-CFG activities: the steps of one guided generation (generation.ts) and the scoring/summary (evaluate.ts).
import type { ActivityDeps } from '../deps.ts';
import { egcfgEvaluateActivities } from './evaluate.ts';
import { egcfgGenerationActivities } from './generation.ts';

export function egcfgActivities(deps: ActivityDeps) {
  return { ...egcfgGenerationActivities(deps), ...egcfgEvaluateActivities(deps) };
}
