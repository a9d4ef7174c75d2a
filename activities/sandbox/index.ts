// The code-execution sandbox: a pool of warm Python fork servers, each inside its own nsjail.
//
//   const sandbox = await createSandbox({ poolSize: 4 });
//   const r = await sandbox.run({ program: 'def f(x):\n    return 2 * x', tests: [{ id: 't0', code: 'assert f(2) == 4' }] });
//   r.status === 'passed'
//   await sandbox.close();
//
// Activities share one pool per process: `await getSharedSandbox()`.
// What runs where, the limits, the statuses and the anti-cheat rules are documented in python/sandbox/README.md.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { sandboxPython } from '../../core/tools.ts';
import { releaseUid } from './uids.ts';
import { SandboxUnavailableError, startWorkers } from './jail.ts';
import { parseOrThrow, prepare, runProgram, runStdio, runTests, type RequestContext } from './requests.ts';
import {
  ExecutionResult, ProgramResult, RunProgramRequest, RunRequest, SandboxOptions, type PrepareResult,
} from './schema.ts';
import { StdioRequest, type StdioResult } from './stdio-schema.ts';

export * from './schema.ts';
export * from './stdio-schema.ts';
export { WorkerLostError } from './pool.ts';
export { NSJAIL_CONFIG, SandboxUnavailableError, SERVER_DIR } from './jail.ts';

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

/**
 * A started pool of sandbox workers (jails: activities/sandbox/jail.ts) answering the requests of requests.ts.
 * Throws SandboxUnavailableError when the machine cannot provide the sandbox, TypeError for invalid options.
 */
export async function createSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const o = parseOrThrow(SandboxOptions, opts, 'sandbox options');
  const log = o.log ?? ((line: string) => { process.stderr.write(line + '\n'); });
  const poolSize = o.poolSize ?? Math.max(1, availableParallelism());
  const defaultMemoryMb = o.defaultMemoryMb ?? 512;
  const maxMemoryMb = o.maxMemoryMb ?? 4096;
  if (defaultMemoryMb > maxMemoryMb) throw new TypeError(`invalid sandbox options: defaultMemoryMb (${defaultMemoryMb}) > maxMemoryMb (${maxMemoryMb})`);
  const defaults = {
    defaultTimeoutMs: o.defaultTimeoutMs ?? 10_000, defaultMemoryMb, maxMemoryMb,
    keepOutputBytes: o.keepOutputBytes ?? 64 * 1024, maxOutputBytes: o.maxOutputBytes ?? 1024 * 1024,
    defaultTraceMaxSteps: o.defaultTraceMaxSteps ?? 1000, defaultTraceMaxChars: o.defaultTraceMaxChars ?? 100_000,
  };
  const unsafe = o.unsafeNoSandbox === true;
  const python = sandboxPython();
  if (!existsSync(python)) throw new SandboxUnavailableError(`sandbox unavailable: ${python} is missing: the sandbox runs Debian's python3 (apt-get install python3) or set EGCFG_SANDBOX_PYTHON`);

  const { pool, uids, memoryCgroupMb } = await startWorkers({
    unsafe, poolSize, python, maxMemoryMb, slotMemoryMb: o.slotMemoryMb ?? maxMemoryMb + 256, memoryCgroup: o.memoryCgroup, log,
  });
  const isolation = unsafe ? 'none' as const : 'nsjail' as const;
  const ctx: RequestContext = { pool, defaults, isolation };
  let closed = false;
  return {
    poolSize,
    isolation,
    slotUids: uids,
    memoryCgroupMb,
    workerPids: () => pool.workerPids(),
    load: () => pool.load(),
    run: (input: RunRequest): Promise<ExecutionResult> => runTests(ctx, input),
    runStdio: (input: StdioRequest): Promise<StdioResult> => runStdio(ctx, input),
    runProgram: (input: RunProgramRequest): Promise<ProgramResult> => runProgram(ctx, input),
    prepare: (code: string): Promise<PrepareResult> => prepare(ctx, code),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await pool.close();
      uids.forEach(releaseUid);
    },
  };
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
