// CPU time by component for benchmarks (Linux /proc): this process, its descendants grouped by what they run (the
// Temporal dev server, the sandbox's jails and their reaped test processes, other children) and given Postgres backend
// pids. Snapshots are differenced, so a bench can say where a phase's CPU went (ms of CPU per unit of work).
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime+stime+cutime+cstime (ms) and the command line of one pid, or null once it is gone. */
function procCpu(pid: number): { ms: number; ppid: number; cmd: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const n = (i: number) => Number(fields[i - 3]);
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return { ms: (n(14) + n(15) + n(16) + n(17)) * TICK_MS, ppid: n(4), cmd };
  } catch {
    return null;
  }
}

function classify(cmd: string): string {
  if (/temporal/.test(cmd)) return 'temporal';
  if (/nsjail|python/.test(cmd)) return 'sandbox';
  return 'other_children';
}

export type CpuSnapshot = Record<string, number>;

/** CPU ms so far: 'node' (this process), 'temporal', 'sandbox', 'other_children' (descendants), 'postgres' (the given pids). */
export function cpuSnapshot(postgresPids: readonly number[] = []): CpuSnapshot {
  const u = process.cpuUsage();
  const out: CpuSnapshot = { node: (u.user + u.system) / 1000, temporal: 0, sandbox: 0, other_children: 0, postgres: 0 };
  const all = new Map<number, { ms: number; ppid: number; cmd: string }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const p = procCpu(Number(d));
    if (p) all.set(Number(d), p);
  }
  const descendants = new Set<number>([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of all) if (!descendants.has(pid) && descendants.has(p.ppid)) { descendants.add(pid); grew = true; }
  }
  for (const pid of descendants) {
    if (pid === process.pid) continue;
    const p = all.get(pid)!;
    out[classify(p.cmd)]! += p.ms;
  }
  for (const pid of postgresPids) out.postgres! += all.get(pid)?.ms ?? 0;
  return out;
}

/** after − before, per component, in ms (rounded). */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  // A process that exited in between takes its CPU time with it: never below 0.
  return Object.fromEntries(Object.keys(after).map((k) => [k, Math.max(0, Math.round(after[k]! - (before[k] ?? 0)))]));
}
