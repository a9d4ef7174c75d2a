// All activities, bound to their dependencies. Workers register `createActivities(deps)`; workflows proxy `Activities`.
import { baselineActivities } from './baseline.ts';
import { baselineBatchActivities } from './baseline-batch.ts';
import { btpActivities } from './btp/index.ts';
import type { ActivityDeps } from './deps.ts';
import { egcfgActivities } from './egcfg/index.ts';
import { problemPageActivities } from './problem-pages.ts';
import { storeActivities } from './store.ts';

export function createActivities(deps: ActivityDeps) {
  const { appendEvent: _appendEvent, ...store } = storeActivities(deps.db);
  return { ...store, ...baselineActivities(deps), ...baselineBatchActivities(deps), ...egcfgActivities(deps), ...btpActivities(deps),
    ...problemPageActivities(deps.db) };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps.ts';
