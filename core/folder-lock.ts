// Lock files in a data folder: who owns one of its services (the embedded database, the Temporal dev server's
// start-up). A lock is a JSON file created exclusively ('wx'); it names its holder's pid and what that process is, so
// a process that finds it held can say who holds it. A lock whose pid is dead is stale and is taken over.
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { z } from 'zod';

export const LockInfoSchema = z.object({
  pid: z.number().int().positive(),
  /** What the holder is, for messages: 'database server (started by egcfg serve, pid 123)', 'egcfg run', … */
  command: z.string(),
  startedAt: z.string(),
}).passthrough();
export type LockInfo = z.infer<typeof LockInfoSchema>;

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's holder, or undefined when there is no lock (or it cannot be read as one). */
export function readLock(file: string): LockInfo | undefined {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch { return undefined; }
  try {
    const parsed = LockInfoSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // half-written by a holder that is creating it right now
  }
}

export type LockResult = { ok: true; info: LockInfo } | { ok: false; holder: LockInfo };

/**
 * Take the lock for this process, or say who holds it. A stale lock (dead pid) is removed and taken. A lock file that
 * does not parse is being written at this moment (or is garbage): it counts as held by an unknown, live process
 * unless it is older than `unreadableStaleMs`.
 */
export function tryLock(file: string, info: { command: string; pid?: number; [k: string]: unknown }, unreadableStaleMs = 10_000): LockResult {
  const mine: LockInfo = { ...info, command: info.command, pid: info.pid ?? process.pid, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try { writeSync(fd, JSON.stringify(mine)); } finally { closeSync(fd); }
      return { ok: true, info: mine };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readLock(file);
    if (holder && holder.pid === mine.pid) return { ok: true, info: holder };
    if (holder && pidAlive(holder.pid)) return { ok: false, holder };
    if (!holder && !unreadableIsStale(file, unreadableStaleMs)) {
      return { ok: false, holder: { pid: 0, command: 'a process that is creating this lock right now', startedAt: '' } };
    }
    removeIfUnchanged(file, holder);
  }
  const holder = readLock(file);
  return { ok: false, holder: holder ?? { pid: 0, command: 'unknown', startedAt: '' } };
}

/** Remove the lock if this process (or `pid`) holds it. */
export function releaseLock(file: string, pid = process.pid): void {
  if (readLock(file)?.pid === pid) {
    try { unlinkSync(file); } catch { /* already gone */ }
  }
}

function unreadableIsStale(file: string, staleMs: number): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > staleMs;
  } catch {
    return true; // gone meanwhile
  }
}

/** Remove a stale lock only if it still holds what we read, so that a fresh lock taken meanwhile survives. */
function removeIfUnchanged(file: string, seen: LockInfo | undefined): void {
  const now = readLock(file);
  if (JSON.stringify(now) !== JSON.stringify(seen)) return;
  try { unlinkSync(file); } catch { /* someone else removed it */ }
}
