// The services a command needs. Zero-config local mode: a local Temporal dev server and an embedded PGlite database
// under one data folder. External mode (--temporal-address / TEMPORAL_ADDRESS and --database-url / DATABASE_URL):
// those services are used and nothing is started. Either way, a worker runs in-process unless told otherwise.
import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime as TemporalRuntime } from '@temporalio/worker';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { closeSharedSandbox, getSharedSandbox } from '../activities/sandbox/index.ts';
import { modelBackendCache } from '../activities/model-backend.ts';
import { repoPath } from '../core/repo.ts';
import { openDatabase, type DatabaseHandle } from '../db/client.ts';
import { otelClientInterceptors, otelEnabled, setupTracing } from '../workers/otel.ts';
import { startWorkers, type QueueKind, type RunningWorkers } from '../workers/worker.ts';
import {
  clientConnectionOptions, connectWithRetry, databasePoolSize, describeTemporal, temporalSettingsFromEnv, workerConnectionOptions,
} from './temporal-connection.ts';
import { namespacedQueue, taskQueues } from '../workflows/activity-options.ts';
import { ensureLocalTemporal, localPortRange } from './temporal-local.ts';

export interface RuntimeOptions {
  temporalAddress?: string;
  namespace?: string;
  databaseUrl?: string;
  dataDir?: string;
  /** Run workers in this process (default: all queues). `[]` for none. */
  workerQueues?: QueueKind[];
  log?: (line: string) => void;
}

export interface Runtime {
  mode: 'local' | 'external';
  dataDir: string;
  temporalAddress: string;
  /** The Temporal web UI, when this runtime started or reuses the folder's dev server. */
  temporalUiUrl?: string;
  /** The task-queue namespace of this runtime's workers and workflows ('' for the plain queue names). */
  taskQueueNamespace: string;
  database: DatabaseHandle;
  client: Client;
  workers?: RunningWorkers;
  close(): Promise<void>;
}

let loggerInstalled = false;
/** The SDK logs every worker state change at INFO and idle queues at WARN; a CLI user needs errors only. The SDK's own
 * SIGINT/SIGTERM handling is turned off: it would stop the in-process worker at Ctrl-C, before the cancellation the CLI
 * sends could run, and `egcfg run` would wait for it forever (the CLI handles its signals itself). */
function installQuietTemporalLogger(): void {
  if (loggerInstalled) return;
  loggerInstalled = true;
  try {
    const level = (process.env.EGCFG_TEMPORAL_LOG_LEVEL ?? 'ERROR') as 'ERROR';
    // The Rust core's own logs are forwarded to this (stderr) logger: by default they go to stdout, where a late
    // "Activity not found on completion" warning after a retried activity came after the summary JSON line.
    TemporalRuntime.install({ logger: new DefaultLogger(level), shutdownSignals: [], telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: level }) } } });
  } catch { /* a runtime already exists in this process: keep its logger */ }
}

/** The service flags every command that opens a runtime takes (declared with their help in cli/spec.ts). */
export { serviceFlags } from './spec.ts';

export interface ServiceFlagValues {
  'temporal-address'?: string;
  namespace?: string;
  'database-url'?: string;
  'data-dir'?: string;
  'no-worker'?: boolean;
}

/** Runtime options from the service flags; `queues` are the in-process worker's queues unless --no-worker. */
export function runtimeOptionsFrom(values: ServiceFlagValues, queues?: QueueKind[]): RuntimeOptions {
  return {
    ...(values['temporal-address'] ? { temporalAddress: values['temporal-address'] } : {}),
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(values['database-url'] ? { databaseUrl: values['database-url'] } : {}),
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    ...(values['no-worker'] ? { workerQueues: [] } : queues ? { workerQueues: queues } : {}),
  };
}

export const defaultDataDir = (): string => process.env.EGCFG_DATA_DIR ?? repoPath('.data');

/** A data folder's task-queue namespace: a short hash of its absolute path. */
export const folderQueueNamespace = (dataDir: string): string =>
  createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 10);

/** Client interceptor: workflows this client starts on a plain egcfg queue start on that queue in `namespace`. */
export function queueNamespaceClientInterceptor(namespace: string): WorkflowClientInterceptor {
  const moved = <T extends { options: { taskQueue: string } }>(input: T): T =>
    ({ ...input, options: { ...input.options, taskQueue: namespacedQueue(input.options.taskQueue, namespace) } });
  return {
    startWithDetails: (input, next) => next(moved(input)),
    signalWithStart: (input, next) => next(moved(input)),
  };
}

export async function openRuntime(opts: RuntimeOptions = {}): Promise<Runtime> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const dataDir = resolve(opts.dataDir ?? defaultDataDir());
  const settings = temporalSettingsFromEnv({
    ...(opts.temporalAddress ? { address: opts.temporalAddress } : {}), ...(opts.namespace ? { namespace: opts.namespace } : {}),
  });
  const temporalAddress = settings.address;
  const databaseUrl = opts.databaseUrl ?? process.env.DATABASE_URL;
  const namespace = settings.namespace;
  const mode: Runtime['mode'] = temporalAddress && databaseUrl ? 'external' : 'local';

  let address = temporalAddress;
  let temporalUiUrl: string | undefined;
  if (!address) {
    const fixedPort = process.env.EGCFG_TEMPORAL_PORT ? Number(process.env.EGCFG_TEMPORAL_PORT) : undefined;
    const portRange = localPortRange();
    const local = await ensureLocalTemporal(dataDir, { ...(fixedPort ? { port: fixedPort } : {}), ...(portRange ? { portRange } : {}) });
    address = local.address;
    temporalUiUrl = local.uiUrl;
    log(`[egcfg] Temporal: ${local.started ? 'started' : 'reusing'} this data folder's dev server at ${address} (pid ${local.pid}; history in ${local.dbFile}; UI ${local.uiUrl})`);
  } else {
    log(`[egcfg] Temporal: external server at ${describeTemporal({ ...settings, address })}`);
  }
  // TLS and API keys are for an external cluster; the local dev server speaks plain gRPC.
  const connectionSettings = temporalAddress ? { ...settings, address } : { address, namespace, tls: false };
  const database = await openDatabase(databaseUrl ?? resolve(dataDir, 'pglite'), { poolSize: databasePoolSize() });
  const owner = database.owner ? ` (owned by pid ${database.owner.pid}, ${database.owner.command})` : '';
  log(`[egcfg] Database: ${database.driver === 'pglite' ? `embedded PGlite in ${database.location}${owner}` : `Postgres at ${database.location}`}`);
  // The folder's PGlite is the folder's alone: so are its task queues, even on a shared Temporal server.
  const taskQueueNamespace = databaseUrl ? '' : folderQueueNamespace(dataDir);
  log(`[egcfg] Mode: ${mode === 'local' ? 'zero-config local' : 'external services'}; data folder ${dataDir}`);

  const connection = await connectWithRetry(() => Connection.connect(clientConnectionOptions(connectionSettings)), address);
  // With EGCFG_OTEL=1 the client starts each campaign's trace; workers continue it (workers/otel.ts).
  if (otelEnabled()) setupTracing({ serviceName: 'egcfg-cli' });
  const interceptors = [
    ...(taskQueueNamespace ? [queueNamespaceClientInterceptor(taskQueueNamespace)] : []),
    ...(otelEnabled() ? otelClientInterceptors().workflow : []),
  ];
  const client = new Client({ connection, namespace, interceptors: { workflow: interceptors } });
  let workers: RunningWorkers | undefined;
  let workerConnection: NativeConnection | undefined;
  const queues = opts.workerQueues ?? ['default', 'inference', 'sandbox', 'training'];
  if (queues.length > 0) {
    installQuietTemporalLogger();
    workerConnection = await connectWithRetry(() => NativeConnection.connect(workerConnectionOptions(connectionSettings)), address);
    workers = await startWorkers({
      connection: workerConnection, namespace, queues, taskQueueNamespace,
      deps: { db: database.db, sandbox: getSharedSandbox, model: modelBackendCache(), localDataDir: dataDir },
    });
    log(`[egcfg] Worker: in-process, queues ${queues.join(', ')}${taskQueueNamespace ? ` (this data folder's: ${queues.map((q) => namespacedQueue(taskQueues[q], taskQueueNamespace)).join(', ')})` : ''}`);
  }
  return {
    mode, dataDir, temporalAddress: address, ...(temporalUiUrl ? { temporalUiUrl } : {}), taskQueueNamespace, database, client, workers,
    async close() {
      await workers?.shutdown();
      await workerConnection?.close();
      await closeSharedSandbox();
      await connection.close();
      await database.close();
    },
  };
}
