// Workers: one Temporal worker per task queue, all in one process on a laptop, or one kind per machine at scale.
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.ts';
import { experimentActivities } from '../campaigns/experiment-activities.ts';
import { rootLogger } from '../activities/log.ts';
import { repoPath } from '../core/repo.ts';
import { namespacedQueue, taskQueues } from '../workflows/activity-options.ts';
import { activityLogInterceptors } from './activity-log.ts';
import { otelEnabled, otelWorkflowInterceptorModule, setupTracing, type Tracing } from './otel.ts';

export type QueueKind = keyof typeof taskQueues;
export const allQueueKinds: QueueKind[] = ['default', 'inference', 'sandbox', 'training'];

export interface WorkerConcurrency {
  /** Activities in flight per queue kind (model calls, sandbox runs, …). */
  activities: Partial<Record<QueueKind, number>>;
  workflowTasks: number;
  /** Pollers per queue (activity task polls; workflow task polls on the default queue); default: the SDK's. */
  pollers?: number;
  /** Workflow executions kept in the sticky cache; default: the SDK's (sized from the worker's memory). */
  maxCachedWorkflows?: number;
}

// Measured on bench/baseline-orchestration.bench.ts (500 problems, three interleaved runs per setting on a quiet
// machine, README Sizing): these defaults (8 sandbox slots, 4 pollers, 200 cached workflows) gave ratios 1.17-1.25;
// 16 sandbox slots 1.16-1.43, and with 1 poller and 50 cached workflows 1.18-1.22: no setting separated from the rest.
export const defaultConcurrency: WorkerConcurrency = {
  activities: { default: 50, inference: 32, sandbox: 8, training: 1 },
  workflowTasks: 40,
  pollers: 4,
  maxCachedWorkflows: 200,
};

const bundles = new Map<boolean, Promise<WorkflowBundleWithSourceMap>>();
/** The workflow bundle is built once per process (webpack, a few seconds); with tracing it includes the OTel interceptors. */
export function workflowBundle(opts: { tracing?: boolean } = {}): Promise<WorkflowBundleWithSourceMap> {
  const tracing = opts.tracing ?? false;
  let bundle = bundles.get(tracing);
  if (!bundle) {
    // The queue interceptor keeps a workflow's activities and children in its own queue namespace (local mode).
    const queueInterceptor = repoPath('workflows', 'queue-interceptor.ts');
    bundle = bundleWorkflowCode({
      workflowsPath: repoPath('workflows', 'index.ts'), logger: quietLogger,
      workflowInterceptorModules: [queueInterceptor, ...(tracing ? [otelWorkflowInterceptorModule()] : [])],
    });
    bundles.set(tracing, bundle);
  }
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
  /** Poll the queues of this namespace (`egcfg-default-<ns>`, …): one per data folder in local mode; default none. */
  taskQueueNamespace?: string;
  concurrency?: Partial<WorkerConcurrency>;
  /** How this process names itself to Temporal (recorded in workflow histories: who ran which task). */
  identity?: string;
  /** On shutdown, how long tasks in flight may run before activities are cancelled (SDK default: 0, at once). */
  shutdownGraceTime?: string;
  /** OpenTelemetry tracing; default: set up from the environment when EGCFG_OTEL=1, else none. */
  tracing?: Tracing;
}): Promise<RunningWorkers> {
  const tracing = opts.tracing ?? (otelEnabled() ? setupTracing({ serviceName: 'egcfg-worker' }) : undefined);
  const queues = opts.queues ?? allQueueKinds;
  const concurrency = { ...defaultConcurrency, ...opts.concurrency,
    activities: { ...defaultConcurrency.activities, ...opts.concurrency?.activities } };
  // The experiment workflow's two activities live with the campaign service they call (campaigns/).
  const activities = { ...createActivities(opts.deps), ...experimentActivities(opts.deps.db) };
  const workers: Worker[] = [];
  for (const kind of queues) {
    const hostsWorkflows = kind === 'default';
    workers.push(await Worker.create({
      connection: opts.connection,
      namespace: opts.namespace ?? 'default',
      taskQueue: namespacedQueue(taskQueues[kind], opts.taskQueueNamespace ?? ''),
      activities,
      ...(opts.identity ? { identity: opts.identity } : {}),
      ...(opts.shutdownGraceTime ? { shutdownGraceTime: opts.shutdownGraceTime } : {}),
      interceptors: { activity: [...(tracing ? [tracing.activityInterceptors] : []), activityLogInterceptors] },
      ...(hostsWorkflows ? {
        workflowBundle: await workflowBundle({ tracing: Boolean(tracing) }),
        maxConcurrentWorkflowTaskExecutions: concurrency.workflowTasks,
        ...(concurrency.pollers ? { maxConcurrentWorkflowTaskPolls: Math.max(2, concurrency.pollers) } : {}),
        ...(concurrency.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: concurrency.maxCachedWorkflows } : {}),
        ...(tracing ? { sinks: tracing.sinks } : {}),
      } : {}),
      maxConcurrentActivityTaskExecutions: concurrency.activities[kind] ?? 8,
      ...(concurrency.pollers ? { maxConcurrentActivityTaskPolls: concurrency.pollers } : {}),
    }));
  }
  const log = rootLogger().child({ identity: opts.identity, namespace: opts.namespace ?? 'default' });
  log.info({ queues, concurrency, tracing: Boolean(tracing) }, 'workers started');
  const done = Promise.all(workers.map((w) => w.run())).then(async () => {
    await tracing?.shutdown();
    log.info({ queues }, 'workers stopped');
  });
  return {
    queues,
    done,
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done;
    },
  };
}
