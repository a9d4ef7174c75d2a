// `egcfg worker`: a worker process for the chosen task queues, for scale-out (model workers next to vLLM, sandbox
// workers on machines with nsjail, the trainer on a GPU box, the default queue anywhere). It connects to an external
// Temporal (dev server, self-hosted cluster with TLS/mTLS, or Temporal Cloud with an API key) and a Postgres server
// (required: workers in several processes share it; the embedded PGlite cannot be shared). SIGINT / SIGTERM stop
// polling, give tasks in flight --shutdown-grace (30s) to finish, and exit 0; a second signal exits at once.
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime as TemporalRuntime } from '@temporalio/worker';
import { z } from 'zod';
import { setDefaultLogLevel } from '../../activities/log.ts';
import { modelBackendCache } from '../../activities/model-backend.ts';
import { closeSharedSandbox, getSharedSandbox } from '../../activities/sandbox/index.ts';
import { OptionsError } from '../../campaigns/options.ts';
import { isPostgresUrl, openDatabase } from '../../db/client.ts';
import { allQueueKinds, startWorkers, type QueueKind } from '../../workers/worker.ts';
import { defaultDataDir } from '../runtime.ts';
import { workerFlags as flags } from '../spec.ts';
import { databasePoolSize, describeTemporal, temporalSettingsFromEnv, workerConnectionOptions } from '../temporal-connection.ts';


const count = z.coerce.number().int().min(1).max(10_000);

export const WorkerArgsSchema = z.object({
  queues: z.string().default(allQueueKinds.join(','))
    .transform((s) => s.split(',').map((q) => q.trim()).filter(Boolean))
    .pipe(z.array(z.enum(allQueueKinds as [QueueKind, ...QueueKind[]], {
      error: (iss) => `unknown queue '${String(iss.input)}'; known queues: ${allQueueKinds.join(', ')}`,
    })).min(1, 'at least one queue').refine((q) => new Set(q).size === q.length, 'a queue is named twice')),
  databaseUrl: z.string({ error: 'a Postgres URL is required (--database-url or DATABASE_URL): workers in several processes share one database' })
    .refine(isPostgresUrl, 'expected a postgres:// URL (the embedded PGlite cannot be shared between processes)'),
  identity: z.string().min(1).optional(),
  /** How long a stopping worker lets activities in flight finish before cancelling them. */
  shutdownGrace: z.string().regex(/^\d+(ms|s|m)$/, "expected a duration such as '30s', '500ms' or '2m'").default('30s'),
  workflowTasks: count.optional(),
  concurrency: z.object({ default: count.optional(), inference: count.optional(), sandbox: count.optional(), training: count.optional() }),
});
export type WorkerArgs = z.infer<typeof WorkerArgsSchema>;

export function parseWorkerArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): WorkerArgs {
  const { values } = parseArgs({ args: argv, options: flags, strict: true });
  const parsed = WorkerArgsSchema.safeParse({
    queues: values.queues,
    databaseUrl: values['database-url'] ?? (env.DATABASE_URL || undefined),
    identity: values.identity,
    shutdownGrace: values['shutdown-grace'],
    workflowTasks: values['workflow-tasks'],
    concurrency: {
      default: values['concurrency-default'], inference: values['concurrency-inference'],
      sandbox: values['concurrency-sandbox'], training: values['concurrency-training'],
    },
  });
  if (!parsed.success) throw new OptionsError(parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(args)', message: i.message })));
  return parsed.data;
}

export async function workerCommand(argv: string[]): Promise<number> {
  const args = parseWorkerArgs(argv);
  const { values } = parseArgs({ args: argv, options: flags, strict: true });
  const settings = temporalSettingsFromEnv({
    ...(values['temporal-address'] ? { address: values['temporal-address'] } : {}),
    ...(values.namespace ? { namespace: values.namespace } : {}),
  });
  const address = settings.address ?? '127.0.0.1:7233';
  setDefaultLogLevel('info');
  const identity = args.identity ?? `egcfg-worker[${args.queues.join('+')}]@${hostname()}:${process.pid}`;
  try {
    // Signals are handled below (graceful stop, then exit at a second one), not by the SDK.
    const level = (process.env.EGCFG_TEMPORAL_LOG_LEVEL ?? 'WARN') as 'WARN';
    TemporalRuntime.install({ logger: new DefaultLogger(level), shutdownSignals: [], telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: level }) } } });
  } catch { /* a runtime already exists in this process */ }

  const database = await openDatabase(args.databaseUrl, { poolSize: databasePoolSize() });
  let connection: NativeConnection | undefined;
  try {
    connection = await NativeConnection.connect(workerConnectionOptions({ ...settings, address }));
    const activities = Object.fromEntries(Object.entries(args.concurrency).filter(([, n]) => n !== undefined)) as Partial<Record<QueueKind, number>>;
    const workers = await startWorkers({
      connection, namespace: settings.namespace, queues: args.queues, identity, shutdownGraceTime: args.shutdownGrace,
      deps: { db: database.db, sandbox: getSharedSandbox, model: modelBackendCache(), localDataDir: resolve(defaultDataDir()) },
      concurrency: { activities, ...(args.workflowTasks ? { workflowTasks: args.workflowTasks } : {}) },
    });
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        console.error(`[egcfg worker] ${signal} again: exiting now`);
        process.exit(130);
      }
      stopping = true;
      console.error(`[egcfg worker] ${signal}: stopping (tasks in flight get ${args.shutdownGrace} to finish)`);
      void workers.shutdown();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    console.error(`[egcfg worker] Temporal ${describeTemporal({ ...settings, address })}; database ${database.location} (pool ${databasePoolSize()})`);
    console.error(`[egcfg worker] ready: queues ${args.queues.join(', ')}; identity ${identity}`);
    await workers.done;
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    console.error('[egcfg worker] stopped');
    return 0;
  } finally {
    await closeSharedSandbox();
    await connection?.close();
    await database.close();
  }
}
