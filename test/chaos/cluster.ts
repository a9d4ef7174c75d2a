// Real services as separate processes that a test can kill and restart: a Temporal dev server on its own port and
// database file, `egcfg worker` processes, and a private Postgres cluster (its own port and data folder, so other
// tests are not disturbed when this one is restarted). Used by test/chaos/** and test/integration/scale*.test.ts.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { isListening } from '../../cli/temporal-local.ts';
import { repoPath } from '../../core/repo.ts';
import { temporalBin } from '../../core/tools.ts';
import { freePort } from '../support/cli.ts';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms`);
}

const exited = (p: ChildProcess): Promise<number | null> =>
  p.exitCode !== null || p.signalCode !== null ? Promise.resolve(p.exitCode) : new Promise((r) => p.once('exit', (code) => r(code)));

/** A Temporal dev server (the cached binary) with a persistent database file; kill -9 and restart on the same file. */
export class DevServer {
  readonly address: string;
  private proc: ChildProcess | undefined;
  log = '';
  private constructor(readonly port: number, readonly dbFile: string) { this.address = `127.0.0.1:${port}`; }

  static async start(dir = mkdtempSync(join(tmpdir(), 'egcfg-temporal-'))): Promise<DevServer> {
    const s = new DevServer(await freePort(), join(dir, 'temporal.db'));
    await s.up();
    return s;
  }

  get pid(): number | undefined { return this.proc?.pid; }

  async up(): Promise<void> {
    const p = spawn(temporalBin(), ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(this.port), '--namespace', 'default',
      '--db-filename', this.dbFile, '--headless', '--log-level', 'error'], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (d) => { this.log = (this.log + d).slice(-4000); });
    p.stderr.on('data', (d) => { this.log = (this.log + d).slice(-4000); });
    this.proc = p;
    await waitFor(`Temporal dev server on ${this.address}`, async () => {
      if (p.exitCode !== null) throw new Error(`dev server exited: ${this.log}`);
      if (!(await isListening('127.0.0.1', this.port))) return false;
      const c = await Connection.connect({ address: this.address, connectTimeout: 1000 });
      try {
        await c.workflowService.describeNamespace({ namespace: 'default' });
        return true;
      } finally { await c.close(); }
    });
  }

  async kill9(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    p.kill('SIGKILL');
    await exited(p);
    this.proc = undefined;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 5000);
    await exited(p);
    clearTimeout(t);
    this.proc = undefined;
  }

  async client(): Promise<{ client: Client; connection: Connection }> {
    const connection = await Connection.connect({ address: this.address });
    return { client: new Client({ connection }), connection };
  }
}

/** An `egcfg worker` process (the real command, spawned through cli/bin/egcfg.js). */
export class WorkerProcess {
  private proc: ChildProcess | undefined;
  stderr = '';
  exits: Array<number | null> = [];
  constructor(readonly args: string[], readonly env: NodeJS.ProcessEnv = process.env) {}

  get pid(): number | undefined { return this.proc?.pid; }

  /** Start it and wait for its "ready" line. */
  async start(): Promise<void> {
    const p = spawn(process.execPath, [repoPath('cli', 'bin', 'egcfg.js'), 'worker', ...this.args], {
      env: this.env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = p;
    p.stdout.on('data', (d) => { this.stderr += d; });
    p.stderr.on('data', (d) => { this.stderr += d; });
    const mark = this.stderr.length;
    await waitFor(`worker ${this.args.join(' ')}`, async () => {
      if (p.exitCode !== null) throw new Error(`worker exited with ${p.exitCode}: ${this.stderr.slice(mark)}`);
      return this.stderr.slice(mark).includes('ready: queues');
    }, 90_000);
  }

  async kill9(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    p.kill('SIGKILL');
    this.exits.push(await exited(p));
    this.proc = undefined;
  }

  /** SIGTERM, and the exit code (a graceful stop exits 0). */
  async terminate(timeoutMs = 60_000): Promise<number | null> {
    const p = this.proc;
    if (!p) return null;
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    const code = await exited(p);
    clearTimeout(t);
    this.exits.push(code);
    this.proc = undefined;
    return code;
  }
}

/** A private Postgres cluster through infra/postgres.sh (EGCFG_PG_PORT / EGCFG_PG_DATA): restartable. */
export class PrivatePostgres {
  private constructor(readonly port: number, readonly dataDir: string, readonly url: string) {}

  private static env(port: number, dataDir: string): NodeJS.ProcessEnv {
    return { ...process.env, EGCFG_PG_PORT: String(port), EGCFG_PG_DATA: dataDir };
  }

  static async start(): Promise<PrivatePostgres> {
    const port = await freePort();
    const parent = mkdtempSync(join(tmpdir(), 'egcfg-pg-'));
    chmodSync(parent, 0o755); // as root the server runs as user 'postgres', which must reach the data folder
    const dataDir = join(parent, 'data');
    const env = PrivatePostgres.env(port, dataDir);
    await run('bash', [repoPath('infra', 'postgres.sh'), 'up'], { env });
    const { stdout } = await run('bash', [repoPath('infra', 'postgres.sh'), 'url'], { env });
    return new PrivatePostgres(port, dataDir, stdout.trim());
  }

  async down(): Promise<void> {
    await run('bash', [repoPath('infra', 'postgres.sh'), 'down'], { env: PrivatePostgres.env(this.port, this.dataDir) });
  }

  /** Stop the cluster and delete its files. */
  async destroy(): Promise<void> {
    await this.down();
    rmSync(join(this.dataDir, '..'), { recursive: true, force: true });
  }

  async up(): Promise<void> {
    await run('bash', [repoPath('infra', 'postgres.sh'), 'up'], { env: PrivatePostgres.env(this.port, this.dataDir) });
  }

  async restart(): Promise<void> {
    await this.down();
    await this.up();
  }
}

/** The identity of whoever started each activity of a workflow, by activity type, from its history. */
export async function activityIdentities(client: Client, workflowId: string): Promise<Map<string, Set<string>>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Map<number, string>();
  const out = new Map<string, Set<string>>();
  for (const e of history.events ?? []) {
    const id = Number(e.eventId);
    if (e.activityTaskScheduledEventAttributes) scheduled.set(id, e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const type = scheduled.get(Number(started.scheduledEventId)) ?? '?';
      if (!out.has(type)) out.set(type, new Set());
      out.get(type)!.add(started.identity ?? '');
    }
    const wft = e.workflowTaskCompletedEventAttributes;
    if (wft) {
      if (!out.has('(workflow task)')) out.set('(workflow task)', new Set());
      out.get('(workflow task)')!.add(wft.identity ?? '');
    }
  }
  return out;
}
