// Retry and timeout policy per task queue. Model and sandbox calls retry without limit (a model server that is down
// makes the campaign wait, visibly, instead of failing); errors marked non-retryable (bad input) fail at once.
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

export const taskQueues = {
  default: 'egcfg-default',
  inference: 'egcfg-inference',
  sandbox: 'egcfg-sandbox',
  training: 'egcfg-training',
} as const;

/**
 * Task queues in a namespace: `egcfg-default` in namespace `3f2a9c1e` is `egcfg-default-3f2a9c1e`. Zero-config local
 * mode gives each data folder its own namespace (cli/runtime.ts), so two folders never run each other's tasks; the
 * empty namespace (external mode, tests) is the plain names above.
 */
export function namespacedQueue(queue: string, namespace: string): string {
  const base = Object.values(taskQueues) as string[];
  return namespace && base.includes(queue) ? `${queue}-${namespace}` : queue;
}

/** The namespace of a queue named by {@link namespacedQueue} (`''` for a plain or foreign queue). */
export function queueNamespaceOf(queue: string): string {
  for (const base of Object.values(taskQueues) as string[]) {
    if (queue.startsWith(`${base}-`)) return queue.slice(base.length + 1);
  }
  return '';
}

const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' } as const;

/** Short database writes run as local activities in the worker that runs the workflow: no task-queue round trip. */
export const localActivityOptions = { startToCloseTimeout: '1m', retry } satisfies LocalActivityOptions;

export const activityOptions = {
  default: { taskQueue: taskQueues.default, startToCloseTimeout: '2m', retry },
  // Model and sandbox activities heartbeat every second while they wait (activities/heartbeat.ts): a worker killed
  // mid-call is noticed after 30 s and its call retried elsewhere.
  inference: { taskQueue: taskQueues.inference, startToCloseTimeout: '15m', heartbeatTimeout: '30s', retry },
  sandbox: { taskQueue: taskQueues.sandbox, startToCloseTimeout: '10m', heartbeatTimeout: '30s', retry },
  training: { taskQueue: taskQueues.training, startToCloseTimeout: '24h', heartbeatTimeout: '5m', retry },
} satisfies Record<string, ActivityOptions>;
