// Outside (host) uids for sandbox slots.  RLIMIT_NPROC is accounted per outside uid, so two jails mapped to the same
// uid would share one process budget (a fork bomb in one could make the other's fork() fail).  Every slot of every
// process on this host therefore leases its own uid from a range nobody uses, with a lock file per uid holding the
// owner's pid; a lock whose owner is dead is taken over.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const UID_BASE = 1_500_000;
export const UID_COUNT = 8192;
const lockDir = (): string => process.env.EGCFG_SANDBOX_UID_LOCKS ?? join(tmpdir(), 'egcfg-sandbox-uids');

const held = new Set<string>();
let exitHookInstalled = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryLock(path: string): boolean {
  try {
    const fd = openSync(path, 'wx', 0o644);
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  }
}

/** Lease a free outside uid (also used as the gid).  Release it with releaseUid. */
export function leaseUid(): number {
  const dir = lockDir();
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => { for (const p of held) { try { unlinkSync(p); } catch { /* already gone */ } } });
  }
  for (let i = 0; i < UID_COUNT; i++) {
    const uid = UID_BASE + i;
    const path = join(dir, `${uid}.lock`);
    if (tryLock(path)) { held.add(path); return uid; }
    let owner = NaN;
    try { owner = Number.parseInt(readFileSync(path, 'utf8'), 10); } catch { /* vanished or unreadable */ }
    if (Number.isInteger(owner) && owner > 0 && alive(owner)) continue;
    try { unlinkSync(path); } catch { /* someone else took it over */ }
    if (tryLock(path)) { held.add(path); return uid; }
  }
  throw new Error(`no free sandbox uid in [${UID_BASE}, ${UID_BASE + UID_COUNT}) (lock files in ${dir})`);
}

export function releaseUid(uid: number): void {
  const path = join(lockDir(), `${uid}.lock`);
  if (!held.delete(path)) return;
  try { unlinkSync(path); } catch { /* already gone */ }
}
