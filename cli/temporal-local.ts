// Zero-config Temporal: reuse a dev server that already listens, or start the cached `temporal` binary with a
// persistent database file in the project's data folder, detached so the next command can reuse it.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
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

export interface LocalTemporal {
  address: string;
  started: boolean;
  dbFile: string;
  pid?: number;
}

export async function ensureLocalTemporal(dataDir: string, port: number): Promise<LocalTemporal> {
  const address = `127.0.0.1:${port}`;
  const dbFile = join(dataDir, 'temporal.db');
  if (await isListening('127.0.0.1', port)) return { address, started: false, dbFile };
  const bin = temporalBin();
  if (!existsSync(bin)) {
    throw new Error(`the Temporal CLI is not installed at ${bin}: run 'bash infra/setup.sh' (or set EGCFG_TEMPORAL_BIN, or pass --temporal-address)`);
  }
  mkdirSync(dataDir, { recursive: true });
  const log = openSync(join(dataDir, 'temporal.log'), 'a');
  const child = spawn(bin, ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', 'default',
    '--db-filename', dbFile, '--ui-port', String(port + 1000), '--log-level', 'warn'], { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  writeFileSync(join(dataDir, 'temporal.pid'), String(child.pid));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await isListening('127.0.0.1', port)) return { address, started: true, dbFile, pid: child.pid! };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const tail = readFileSync(join(dataDir, 'temporal.log'), 'utf8').split('\n').slice(-6).join('\n');
  throw new Error(`the local Temporal dev server did not start on ${address}; log ${join(dataDir, 'temporal.log')}:\n${tail}`);
}

export function stopLocalTemporal(dataDir: string): boolean {
  const pidFile = join(dataDir, 'temporal.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try { process.kill(pid, 'SIGTERM'); return true; } catch { return false; }
}
