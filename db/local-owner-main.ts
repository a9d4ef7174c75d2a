// The database server of one data folder (see db/local-owner.ts): takes the folder's lock, opens its PGlite,
// answers on a Unix socket, and exits when no process has been connected for EGCFG_DB_IDLE_MS, or on SIGTERM/SIGINT.
// Usage (started by connectToOwner, not by hand): node --import tsx db/local-owner-main.ts <pglite folder>
import { releaseLock, tryLock } from '../core/folder-lock.ts';
import { openPglite } from './client.ts';
import { lockFileOf, OWNER_COMMAND, rewriteLock, socketPathOf, type OwnerLock } from './local-owner.ts';
import { serveOverSocket } from './pglite-bridge.ts';

const pgliteDir = process.argv[2];
if (!pgliteDir) {
  console.error('usage: local-owner-main.ts <pglite folder>');
  process.exit(2);
}
const idleMs = Number(process.env.EGCFG_DB_IDLE_MS ?? 30_000);
const lockFile = lockFileOf(pgliteDir);
const command = `${OWNER_COMMAND} (started by ${process.env.EGCFG_DB_OWNER_STARTED_BY ?? 'unknown'})`;
const socket = socketPathOf(pgliteDir);
const lock = tryLock(lockFile, { command, socket, ready: false });
if (!lock.ok) process.exit(0); // another server holds the folder: the client connects to that one

const stamp = () => new Date().toISOString();
let stopping = false;
let closeAll: (() => Promise<void>) | undefined;
const stop = async (why: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.error(`${stamp()} stopping: ${why}`);
  try { await closeAll?.(); } finally {
    releaseLock(lockFile); // only after PGlite is closed: no second server may open the folder before that
    process.exit(0);
  }
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

try {
  const db = await openPglite(pgliteDir);
  let idle: NodeJS.Timeout | undefined;
  const onConnections = (n: number): void => {
    clearTimeout(idle);
    if (n === 0 && !stopping) idle = setTimeout(() => void stop(`no connection for ${idleMs} ms`), idleMs);
  };
  const server = await serveOverSocket(db.client, socket, onConnections);
  closeAll = async () => { clearTimeout(idle); await server.close(); await db.close(); };
  rewriteLock(lockFile, { ...(lock.info as OwnerLock), socket, ready: true });
  onConnections(0);
  console.error(`${stamp()} pid ${process.pid}: ${pgliteDir} on ${socket} (${command})`);
} catch (err) {
  console.error(`${stamp()} could not serve ${pgliteDir}: ${(err as Error).stack ?? String(err)}`);
  releaseLock(lockFile);
  process.exit(1);
}
