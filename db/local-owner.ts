// One owner per embedded database. A PGlite folder is opened by exactly one process, the folder's database server
// (db/local-owner-main.ts, started on demand, detached): it holds `<folder>.lock` (its pid, what it is and who started
// it) and answers the Postgres protocol on a Unix socket (db/pglite-bridge.ts). Every egcfg process — run, serve,
// evaluate, tokens, show — talks to it with postgres.js, so a token revoked by `egcfg tokens revoke` is revoked in the
// running `egcfg serve` at once, and two commands in one folder write one database. The server exits once no process
// has been connected for EGCFG_DB_IDLE_MS (30 s). A lock whose pid is dead is taken over; a live owner that does not
// answer is named in the refusal.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import { pidAlive, readLock, type LockInfo } from '../core/folder-lock.ts';
import { repoPath, repoRoot } from '../core/repo.ts';

export interface OwnerLock extends LockInfo {
  /** The socket the owner answers on, once `ready`. */
  socket?: string;
  ready?: boolean;
}

/** How the database server names itself in its lock. */
export const OWNER_COMMAND = 'egcfg database server';

export const lockFileOf = (pgliteDir: string): string => `${pgliteDir}.lock`;

/** The owner's socket: beside the folder, or in the temp folder when that path is too long for a Unix socket. */
export function socketPathOf(pgliteDir: string): string {
  const beside = `${pgliteDir}.sock`;
  if (Buffer.byteLength(beside) <= 100) return beside;
  return join(tmpdir(), `egcfg-pglite-${createHash('sha256').update(pgliteDir).digest('hex').slice(0, 16)}.sock`);
}

/** Write the lock's new content atomically (a reader never sees half of it). */
export function rewriteLock(file: string, info: OwnerLock): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(info), { mode: 0o600 });
  renameSync(tmp, file);
}

export class DatabaseOwnedError extends Error {
  constructor(readonly pgliteDir: string, readonly holder: OwnerLock) {
    super(`the embedded database in ${pgliteDir} is held by pid ${holder.pid} (${holder.command}), which did not answer`
      + `${holder.socket ? ` on ${holder.socket}` : ''} within 60 s. If that process is stuck, stop it (kill ${holder.pid}) and`
      + ' run this again; or give --database-url / DATABASE_URL to use a Postgres server instead');
    this.name = 'DatabaseOwnedError';
  }
}

/** What this process is, for the owner's lock: `egcfg serve`, `egcfg run`, … */
export function describeThisProcess(): string {
  const script = process.argv[1] ?? '';
  return script.endsWith('egcfg.js') ? `egcfg ${process.argv[2] ?? ''}`.trim() : `node ${script.split('/').slice(-2).join('/')}`;
}

export interface OwnedConnection {
  client: postgres.Sql;
  owner: OwnerLock;
}

async function tryConnect(socket: string, poolSize: number): Promise<postgres.Sql | undefined> {
  const client = postgres({ path: socket, user: 'postgres', database: 'postgres', max: poolSize, onnotice: () => {}, connect_timeout: 5 });
  try {
    await client`select 1`;
    return client;
  } catch {
    await client.end({ timeout: 1 }).catch(() => {});
    return undefined;
  }
}

/**
 * A postgres.js client of the folder's database server, starting the server when none holds the folder. Waits
 * (up to `deadlineMs`) for a server that is starting or stopping; refuses with {@link DatabaseOwnedError} when the
 * holder lives but never answers.
 */
export async function connectToOwner(pgliteDir: string, opts: { poolSize?: number; deadlineMs?: number } = {}): Promise<OwnedConnection> {
  mkdirSync(dirname(pgliteDir), { recursive: true });
  const lockFile = lockFileOf(pgliteDir);
  const deadline = Date.now() + (opts.deadlineMs ?? 60_000);
  let spawned: { exited: boolean } | undefined;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    const holder: OwnerLock | undefined = readLock(lockFile);
    if (holder && pidAlive(holder.pid)) {
      if (holder.ready && holder.socket) {
        const client = await tryConnect(holder.socket, opts.poolSize ?? 10);
        if (client) return { client, owner: holder };
      }
      if (Date.now() > deadline) throw new DatabaseOwnedError(pgliteDir, holder);
    } else if (!spawned || spawned.exited) {
      spawned = startOwner(pgliteDir);
    } else if (Date.now() > deadline) {
      throw new Error(`the database server for ${pgliteDir} did not start within ${Math.round((opts.deadlineMs ?? 60_000) / 1000)} s; see ${pgliteDir}-server.log`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Start the folder's database server, detached; it takes the lock itself (and exits quietly if it loses the race). */
function startOwner(pgliteDir: string): { exited: boolean } {
  const log = openSync(`${pgliteDir}-server.log`, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', repoPath('db', 'local-owner-main.ts'), pgliteDir], {
    cwd: repoRoot, detached: true, stdio: ['ignore', log, log],
    env: { ...process.env, EGCFG_DB_OWNER_STARTED_BY: `${describeThisProcess()}, pid ${process.pid}` },
  });
  const state = { exited: false };
  child.once('exit', () => { state.exited = true; });
  child.unref();
  return state;
}

/** Stop the folder's database server (tests, `egcfg down`): it closes PGlite cleanly and removes its lock. */
export function stopLocalDatabase(dataDir: string): boolean {
  const holder = readLock(lockFileOf(join(dataDir, 'pglite')));
  if (!holder || !pidAlive(holder.pid) || !holder.command.startsWith(OWNER_COMMAND)) return false;
  try { process.kill(holder.pid, 'SIGTERM'); return true; } catch { return false; }
}
