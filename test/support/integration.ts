// One fixture for the integration tests: inside the calling describe it registers a `before` hook that starts the
// real services (a Temporal dev server, a fresh Postgres database or an in-memory PGlite one, in-process workers with
// the shared nsjail pool, simulated model servers, the API) and an `after` hook that stops them in a fixed order:
//   API server -> workflows still open (terminated) -> workers -> shared sandbox -> simulated servers -> Temporal
//   -> database.
// Every step runs even when an earlier one threw; the errors are collected and rethrown as one AggregateError, so a
// failed teardown fails the hook instead of vanishing. The handles are filled by the before hook (reading one earlier
// throws, naming it).
import { after, before } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../activities/deps.ts';
import { modelBackendCache } from '../../activities/model-backend.ts';
import { startSimulatedModelServer, type SimulatedServer } from '../../activities/model/simulated-server.ts';
import type { SimulatedServerOptions } from '../../activities/model/sim-server-types.ts';
import { closeSharedSandbox, getSharedSandbox } from '../../activities/sandbox/index.ts';
// The API modules are imported only when a test asks for them (api/, simulated): importing them first in a test
// that does not otherwise load them changes the order in which zod-openapi's schemas are set up.
import type { App } from '../../api/app.ts';
import type { AppOptions } from '../../api/app-options.ts';
import type { ApiServer } from '../../api/server.ts';
import type { SimulatedModels, SimulatedModelsOptions } from '../../api/simulated-models.ts';
import { openDatabase, type DatabaseHandle } from '../../db/client.ts';
import { startWorkers, type RunningWorkers } from '../../workers/worker.ts';
import { freshPostgresDatabase, startTestTemporal, type TestDatabase } from './services.ts';
import { quiesceWorkflows } from './quiesce.ts';
import { runAll } from './teardown.ts';

type StartWorkersOptions = Parameters<typeof startWorkers>[0];
/** What a test may choose of startWorkers' options (the connection and deps come from the fixture). */
export type WorkerOptions = Omit<StartWorkersOptions, 'connection' | 'deps'> & { deps?: Partial<ActivityDeps> };
/** The API's options less what the fixture supplies (db, client, simulated); `http` serves it on a port. */
export type ApiOptions = Partial<Omit<AppOptions, 'db' | 'client'>> & { http?: boolean };

export interface IntegrationOptions {
  /** The Temporal dev server (default true). */
  temporal?: boolean;
  /** A fresh database on the project's Postgres server (default), an in-memory PGlite one, or none. */
  database?: 'postgres' | 'memory' | false;
  /** In-process workers on every queue (default true; needs Temporal); an object: started with these options. */
  workers?: boolean | WorkerOptions;
  /** A simulatedModels() pool (the API's servers for campaigns without a modelUrl); default none. */
  simulated?: SimulatedModelsOptions;
  /** The API in front of the services, once the rest is up; default none. */
  api?: ApiOptions;
  /** Runs at the end of the before hook (e.g. simulated servers, data), with every handle filled. */
  setup?: (s: IntegrationServices) => Promise<void>;
  /** Limits of the two hooks (defaults 300 s and 120 s). */
  setupTimeoutMs?: number;
  teardownTimeoutMs?: number;
}

export interface IntegrationServices {
  readonly env: TestWorkflowEnvironment;
  /** The database handle: a TestDatabase (url, drop) for 'postgres', a plain handle for 'memory'. */
  readonly db: TestDatabase;
  readonly workers: RunningWorkers;
  readonly sims: SimulatedModels;
  /** The app (for app.request) when `api` was given. */
  readonly app: App;
  /** The HTTP server when `api.http` was set. */
  readonly server: ApiServer;
  /** The activities' dependencies: this database, the shared sandbox, a model backend cache. */
  deps(): ActivityDeps;
  /** Start more workers on this Temporal server; they are shut down in teardown (stopping them earlier is fine). */
  startWorkers(opts?: WorkerOptions): Promise<RunningWorkers>;
  /** A simulated model server, closed in teardown (closing it earlier is fine). */
  startSimulatedServer(opts: SimulatedServerOptions): Promise<SimulatedServer>;
  /** Close this in teardown with the simulated servers (after the workers, before Temporal). */
  track<T extends { close(): Promise<void> }>(resource: T): T;
}

interface State {
  env?: TestWorkflowEnvironment;
  db?: TestDatabase;
  workers?: RunningWorkers;
  sims?: SimulatedModels;
  app?: App;
  server?: ApiServer;
  extraWorkers: RunningWorkers[];
  closeables: Array<{ close(): Promise<void> }>;
}

function filled<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`integrationServices: ${what} is not available (not requested, or read before the before hook ran)`);
  return value;
}

async function openMemoryDatabase(): Promise<TestDatabase> {
  const h: DatabaseHandle = await openDatabase('memory://');
  return { ...h, url: 'memory://', drop: () => h.close() };
}

async function shutdownWorkers(all: RunningWorkers[]): Promise<void> {
  // All at once: a worker of one queue may be waiting for an activity another queue's worker is running.
  const results = await Promise.allSettled(all.map((w) => w.shutdown()));
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  const [first] = failed;
  if (first && failed.length === 1) throw first;
  if (first) throw new AggregateError(failed, failed.map((e) => e.message).join('; '));
}

function teardown(s: State): Promise<void> {
  return runAll('integration teardown', [
    ['close the API server', async () => { await s.server?.close(); }],
    // Campaigns still running (the test's own, or started by a fuzzer) would have their activities cut off by the
    // worker shutdown and their workflow tasks retried against a stopping server: end them first.
    ['terminate open workflows', async () => {
      const n = s.env ? await quiesceWorkflows(s.env.client) : 0;
      if (n) process.stderr.write(`[fixture] terminated ${n} workflow${n === 1 ? '' : 's'} still running at teardown\n`);
    }],
    ['shut down the workers', () => shutdownWorkers([...(s.workers ? [s.workers] : []), ...s.extraWorkers.splice(0)])],
    ['close the shared sandbox', () => closeSharedSandbox()],
    ['close the simulated model servers', async () => {
      await runAll('simulated servers', [
        ...(s.sims ? [['simulated models', () => s.sims!.close()] as [string, () => Promise<void>]] : []),
        ...s.closeables.splice(0).map((c, i): [string, () => Promise<void>] => [`tracked resource ${i + 1}`, () => c.close()]),
      ]);
    }],
    ['tear down Temporal', async () => { await s.env?.teardown(); }],
    ['drop the database', async () => { await s.db?.drop(); }],
  ]);
}

/** Registers the before/after hooks in the calling describe (call it at the top of the describe body). */
export function integrationServices(opts: IntegrationOptions = {}): IntegrationServices {
  const s: State = { extraWorkers: [], closeables: [] };
  const wantTemporal = opts.temporal ?? true;
  const workerOpts = opts.workers ?? wantTemporal;

  const deps = (): ActivityDeps => ({ db: filled(s.db, 'the database').db, sandbox: getSharedSandbox, model: modelBackendCache() });
  const launch = (o: WorkerOptions = {}): Promise<RunningWorkers> => {
    const { deps: extra, ...rest } = o;
    return startWorkers({ ...rest, connection: filled(s.env, 'Temporal').nativeConnection, deps: { ...deps(), ...extra } });
  };

  const services: IntegrationServices = {
    get env() { return filled(s.env, 'Temporal'); },
    get db() { return filled(s.db, 'the database'); },
    get workers() { return filled(s.workers, 'the workers'); },
    get sims() { return filled(s.sims, 'the simulated models'); },
    get app() { return filled(s.app, 'the API app'); },
    get server() { return filled(s.server, 'the API server'); },
    deps,
    async startWorkers(o) {
      const w = await launch(o);
      s.extraWorkers.push(w);
      return w;
    },
    async startSimulatedServer(o) { return services.track(await startSimulatedModelServer(o)); },
    track(resource) { s.closeables.push(resource); return resource; },
  };

  before(async () => {
    const database = opts.database ?? 'postgres';
    // Both at once; what did start is kept for the teardown even when the other failed.
    const [env, db] = await Promise.allSettled([
      wantTemporal ? startTestTemporal() : undefined,
      database === 'postgres' ? freshPostgresDatabase() : database === 'memory' ? openMemoryDatabase() : undefined,
    ]);
    if (env.status === 'fulfilled') s.env = env.value;
    if (db.status === 'fulfilled') s.db = db.value;
    for (const r of [env, db]) if (r.status === 'rejected') throw r.reason;
    if (workerOpts) s.workers = await launch(workerOpts === true ? {} : workerOpts);
    if (opts.simulated) s.sims = (await import('../../api/simulated-models.ts')).simulatedModels(opts.simulated);
    if (opts.api) {
      const { http, ...rest } = opts.api;
      const appOpts: AppOptions = { log: () => {}, ...rest, db: filled(s.db, 'the database').db, client: filled(s.env, 'Temporal').client,
        ...(s.sims ? { simulated: s.sims } : {}) };
      if (http) {
        s.server = await (await import('../../api/server.ts')).startApiServer(appOpts);
        s.app = s.server.app;
      } else {
        s.app = (await import('../../api/app.ts')).createApp(appOpts);
      }
    }
    await opts.setup?.(services);
  }, { timeout: opts.setupTimeoutMs ?? 300_000 });

  after(() => teardown(s), { timeout: opts.teardownTimeoutMs ?? 120_000 });

  return services;
}
