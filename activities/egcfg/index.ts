// EG-CFG activities: the steps of one guided generation (generation.ts) and the scoring/summary (evaluate.ts).
import type { ActivityDeps } from '../deps.ts';
import { egcfgEvaluateActivities } from './evaluate.ts';
import { egcfgGenerationActivities } from './generation.ts';
import { alive } from '../heartbeat.ts';

/** Every activity heartbeats while it runs (see heartbeat.ts). */
export function egcfgActivities(deps: ActivityDeps) {
  const all = { ...egcfgGenerationActivities(deps), ...egcfgEvaluateActivities(deps) };
  return Object.fromEntries(Object.entries(all).map(([name, f]) => [name, alive(f as (...a: unknown[]) => Promise<unknown>)])) as typeof all;
}
