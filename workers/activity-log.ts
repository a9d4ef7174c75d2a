// One structured line per activity completion or failure, for every activity on every queue: the activity's own
// ids (workflow id, run id, type, attempt, queue: activities/log.ts) plus the campaign / problem / sample ids found in
// its input, and how long it took. Failures are logged at warn with the error message (never the input itself).
import { performance } from 'node:perf_hooks';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, Next } from '@temporalio/worker';
import { activityLogger } from '../activities/log.ts';

/** The ids an activity input names (first argument, when it is an object). */
export function inputIds(args: readonly unknown[]): { campaignId?: string; problemId?: number; sampleId?: number } {
  const first = args[0];
  if (!first || typeof first !== 'object') return {};
  const o = first as Record<string, unknown>;
  return {
    ...(typeof o.campaignId === 'string' ? { campaignId: o.campaignId } : {}),
    ...(typeof o.problemId === 'number' ? { problemId: o.problemId } : {}),
    ...(typeof o.sampleId === 'number' ? { sampleId: o.sampleId } : {}),
  };
}

class ActivityLogInterceptor implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const log = activityLogger(inputIds(input.args));
    const t0 = performance.now();
    try {
      const out = await next(input);
      log.info({ ms: Math.round(performance.now() - t0) }, 'activity completed');
      return out;
    } catch (err) {
      log.warn({ ms: Math.round(performance.now() - t0), error: (err as Error)?.message ?? String(err) }, 'activity failed');
      throw err;
    }
  }
}

export const activityLogInterceptors: ActivityInterceptorsFactory = () => ({ inbound: new ActivityLogInterceptor() });
