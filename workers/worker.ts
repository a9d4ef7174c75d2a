// Workers: one Temporal worker per task queue, all in one process on a laptop, or one kind per machine at scale.
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.ts';
import { repoPath } from '../core/repo.ts';
import { taskQueues } from '../workflows/activity-options.ts';

export type QueueKind = keyof typeof taskQueues;
export const allQueueKinds: QueueKind[] = ['default', 'inference', 'sandbox', 'training'];

export interface WorkerConcurrency {
  /** Activities in flight per queue kind (model calls, sandbox runs, …). */
  activities: Partial<Record<QueueKind, number>>;
  workflowTasks: number;
}

const defaultConcurrency: WorkerConcurrency = {
  activities: { default: 50, inference: 32, sandbox: 8, training: 1 },
  workflowTasks: 40,
};

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle is built once per process (webpack, a few seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: repoPath('workflows', 'index.ts'), logger: quietLogger });
  return bundle;
}

const quietLogger = {
  log: () => {}, trace: () => {}, debug: () => {}, info: () => {},
  warn: (m: string) => console.warn(m), error: (m: string) => console.error(m),
};

export interface RunningWorkers {
  queues: QueueKind[];
  /** Stop polling, let running tasks finish, and close. */
  shutdown(): Promise<void>;
  /** Settles when every worker has stopped. */
  done: Promise<void>;
}

export async function startWorkers(opts: {
  connection: NativeConnection;
  namespace?: string;
  deps: ActivityDeps;
  queues?: QueueKind[];
  concurrency?: Partial<WorkerConcurrency>;
  /** How this process names itself to Temporal (recorded in workflow histories: who ran which task). */
  identity?: string;
}): Promise<RunningWorkers> {
  const queues = opts.queues ?? allQueueKinds;
  const concurrency = { ...defaultConcurrency, ...opts.concurrency,
    activities: { ...defaultConcurrency.activities, ...opts.concurrency?.activities } };
  const activities = createActivities(opts.deps);
  const workers: Worker[] = [];
  for (const kind of queues) {
    const hostsWorkflows = kind === 'default';
    workers.push(await Worker.create({
      connection: opts.connection,
      namespace: opts.namespace ?? 'default',
      taskQueue: taskQueues[kind],
      activities,
      ...(opts.identity ? { identity: opts.identity } : {}),
      ...(hostsWorkflows ? { workflowBundle: await workflowBundle(), maxConcurrentWorkflowTaskExecutions: concurrency.workflowTasks } : {}),
      maxConcurrentActivityTaskExecutions: concurrency.activities[kind] ?? 8,
    }));
  }
  const done = Promise.all(workers.map((w) => w.run())).then(() => {});
  return {
    queues,
    done,
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done;
    },
  };
}
