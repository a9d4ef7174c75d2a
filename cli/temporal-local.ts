// Zero-config Temporal: each data folder has its own dev server (the cached `temporal` binary, history in the folder's
// temporal.db), started detached so later commands reuse it. What runs is recorded in `<data>/temporal.json`
// (pid, ports, database file); a recorded server is reused only while that pid is alive, is a Temporal dev server on
// this folder's database file, and answers on its port. A server on some port that is not ours is never used: a new
// one starts on a free port. Two commands starting at once in one folder agree through `<data>/temporal.lock`.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { pidAlive, releaseLock, tryLock } from '../core/folder-lock.ts';
import { freePort } from '../core/ports.ts';
import { temporalBin } from '../core/tools.ts';

export function isListening(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export const TemporalRecordSchema = z.object({
  pid: z.number().int().positive(),
  port: z.number().int().min(1).max(65535),
  uiPort: z.number().int().min(1).max(65535),
  dbFile: z.string(),
  startedAt: z.string(),
});
export type TemporalRecord = z.infer<typeof TemporalRecordSchema>;

export interface LocalTemporal {
  address: string;
  started: boolean;
  dbFile: string;
  uiUrl: string;
  pid: number;
}

export interface LocalTemporalOptions {
  /** A fixed frontend port (EGCFG_TEMPORAL_PORT); default: a free port. */
  port?: number;
  /** Where free ports are looked for (EGCFG_LOCAL_PORTS=19000-19999); default: any port the system gives. */
  portRange?: [number, number];
}

const recordFile = (dataDir: string) => join(dataDir, 'temporal.json');

export function readTemporalRecord(dataDir: string): TemporalRecord | undefined {
  try {
    const parsed = TemporalRecordSchema.safeParse(JSON.parse(readFileSync(recordFile(dataDir), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` is a Temporal dev server on `dbFile` (Linux: its command line; elsewhere: that it lives). */
function isOurServer(pid: number, dbFile: string): boolean {
  if (!pidAlive(pid)) return false;
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync('/proc/self/cmdline')) return true;
  try {
    const argv = readFileSync(cmdline, 'utf8').split('\0');
    return argv.includes('start-dev') && argv.includes(dbFile);
  } catch {
    return false;
  }
}

/** A dev server started before temporal.json existed (only temporal.pid): its ports from its command line. */
function legacyRecord(dataDir: string, dbFile: string): TemporalRecord | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'temporal.pid'), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0 || !isOurServer(pid, dbFile)) return undefined;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const flag = (name: string) => Number(argv[argv.indexOf(name) + 1]);
    const port = flag('--port');
    const uiPort = flag('--ui-port');
    if (!(port > 0)) return undefined;
    return { pid, port, uiPort: uiPort > 0 ? uiPort : port + 1000, dbFile, startedAt: '' };
  } catch {
    return undefined;
  }
}

async function reusable(dataDir: string, dbFile: string): Promise<TemporalRecord | undefined> {
  const rec = readTemporalRecord(dataDir) ?? legacyRecord(dataDir, dbFile);
  if (!rec || rec.dbFile !== dbFile || !isOurServer(rec.pid, dbFile)) return undefined;
  return (await isListening('127.0.0.1', rec.port)) ? rec : undefined;
}

const describe = (rec: TemporalRecord, started: boolean): LocalTemporal => ({
  address: `127.0.0.1:${rec.port}`, started, dbFile: rec.dbFile, uiUrl: `http://127.0.0.1:${rec.uiPort}`, pid: rec.pid,
});

/** The folder's dev server: the recorded one if it is ours and alive, else a new one. */
export async function ensureLocalTemporal(dataDir: string, opts: LocalTemporalOptions = {}): Promise<LocalTemporal> {
  mkdirSync(dataDir, { recursive: true });
  const dbFile = join(dataDir, 'temporal.db');
  const lockFile = join(dataDir, 'temporal.lock');
  const deadline = Date.now() + 60_000;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    const rec = await reusable(dataDir, dbFile);
    if (rec) return describe(rec, false);
    const lock = tryLock(lockFile, { command: `egcfg ${process.argv[2] ?? ''}`.trim() + ' (starting the Temporal dev server)' });
    if (lock.ok) {
      try {
        const again = await reusable(dataDir, dbFile); // started by the previous holder just before we took the lock
        return again ? describe(again, false) : describe(await startDevServer(dataDir, dbFile, opts), true);
      } finally {
        releaseLock(lockFile);
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`the Temporal dev server of ${dataDir} is being started by pid ${lock.holder.pid} (${lock.holder.command}) and did not come up within 60 s; see ${join(dataDir, 'temporal.log')}`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

async function startDevServer(dataDir: string, dbFile: string, opts: LocalTemporalOptions): Promise<TemporalRecord> {
  const bin = temporalBin();
  if (!existsSync(bin)) {
    throw new Error(`the Temporal CLI is not installed at ${bin}: run 'bash infra/setup.sh' (or set EGCFG_TEMPORAL_BIN, or pass --temporal-address)`);
  }
  let port: number;
  if (opts.port !== undefined) {
    if (await isListening('127.0.0.1', opts.port)) {
      throw new Error(`127.0.0.1:${opts.port} (EGCFG_TEMPORAL_PORT) is taken by a server that is not this data folder's (${recordFile(dataDir)} names none running there); `
        + 'choose another port, unset EGCFG_TEMPORAL_PORT for a free one, or pass --temporal-address to use that server on purpose');
    }
    port = opts.port;
  } else {
    port = await freePort(opts.portRange);
  }
  const uiPort = await freePort(opts.portRange, [port]);
  const logFile = join(dataDir, 'temporal.log');
  const log = openSync(logFile, 'a');
  const child = spawn(bin, ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', 'default',
    '--db-filename', dbFile, '--ui-port', String(uiPort), '--log-level', 'warn'], { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  const rec: TemporalRecord = { pid: child.pid!, port, uiPort, dbFile, startedAt: new Date().toISOString() };
  writeFileSync(recordFile(dataDir), JSON.stringify(rec, null, 2) + '\n');
  writeFileSync(join(dataDir, 'temporal.pid'), String(child.pid));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await isListening('127.0.0.1', port)) return rec;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const tail = readFileSync(logFile, 'utf8').split('\n').slice(-6).join('\n');
  throw new Error(`the local Temporal dev server did not start on 127.0.0.1:${port}; log ${logFile}:\n${tail}`);
}

/** EGCFG_LOCAL_PORTS=LOW-HIGH: the range local services take free ports from. */
export function localPortRange(env: NodeJS.ProcessEnv = process.env): [number, number] | undefined {
  const raw = env.EGCFG_LOCAL_PORTS;
  if (!raw) return undefined;
  const m = /^(\d+)-(\d+)$/.exec(raw.trim());
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2]);
  if (!m || lo < 1 || hi > 65535 || lo > hi) throw new Error(`EGCFG_LOCAL_PORTS: expected LOW-HIGH (e.g. 19000-19999), got '${raw}'`);
  return [lo, hi];
}

/** Stop the folder's dev server (the recorded one, only if it is ours). */
export function stopLocalTemporal(dataDir: string): boolean {
  const rec = readTemporalRecord(dataDir);
  const pidFile = join(dataDir, 'temporal.pid');
  const pid = rec?.pid ?? (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined);
  if (!pid || !isOurServer(pid, rec?.dbFile ?? join(dataDir, 'temporal.db'))) return false;
  try { process.kill(pid, 'SIGTERM'); return true; } catch { return false; }
}
