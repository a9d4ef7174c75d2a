// Warm workers and the pool that feeds them.  A Worker is one long-lived fork server (python/sandbox/server.py),
// normally inside its own nsjail; it handles one request at a time over newline-delimited JSON on stdin/stdout.
// The Pool keeps `size` workers, hands requests out in FIFO order (first come, first served; an idle worker always
// takes the oldest waiting request), watches every request with a deadline, and restarts a worker that dies.
import { spawn, type ChildProcess } from 'node:child_process';
import { ServerReady, ServerReply, describeZodError } from './schema.ts';
import type { z } from 'zod';

export interface WorkerSpec {
  /** argv[0] is the executable. */
  argv: string[];
  env: NodeJS.ProcessEnv;
  label: string;
}

/** The worker process went away (or was killed for not answering) while a request was in flight. */
export class WorkerLostError extends Error {
  constructor(message: string, readonly reason: 'died' | 'unresponsive', readonly stderrTail: string) {
    super(message);
    this.name = 'WorkerLostError';
  }
}

const STDERR_TAIL = 8192;

interface Pending {
  id: number;
  resolve: (reply: ServerReply) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class Worker {
  private proc: ChildProcess;
  private chunks: string[] = [];
  private pending: Pending | null = null;
  private nextId = 1;
  private exitWaiters: Array<() => void> = [];
  stderrTail = '';
  exited = false;
  exitInfo = '';
  readyInfo: z.infer<typeof ServerReady> | null = null;
  onExit: ((w: Worker) => void) | null = null;

  private constructor(readonly spec: WorkerSpec, private readonly log: (line: string) => void) {
    this.proc = spawn(spec.argv[0]!, spec.argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'], env: spec.env, detached: true,
    });
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stdin!.on('error', () => { /* EPIPE when the server is gone: handled through 'exit' */ });
    this.proc.stderr!.on('data', (s: string) => {
      this.stderrTail = (this.stderrTail + s).slice(-STDERR_TAIL);
      for (const line of s.split('\n')) if (line.trim()) this.log(`[sandbox ${spec.label}] ${line}`);
    });
    this.proc.stdout!.on('data', (s: string) => this.onData(s));
    this.proc.on('error', (err) => this.onProcessGone(`could not start ${spec.argv[0]}: ${err.message}`));
    this.proc.on('exit', (code, signal) => this.onProcessGone(signal ? `killed by ${signal}` : `exited with code ${code}`));
  }

  get pid(): number | undefined { return this.proc.pid; }

  /** Workers never keep the Node process alive by themselves (a forgotten close() cannot hang a script: when Node
   *  exits, the server reads EOF and the jail ends); the Pool holds a keep-alive handle while requests are pending. */
  private setRef(on: boolean): void {
    for (const h of [this.proc, this.proc.stdin, this.proc.stdout, this.proc.stderr] as Array<{ ref?: () => void; unref?: () => void } | null>) {
      if (on) h?.ref?.(); else h?.unref?.();
    }
  }
  get busy(): boolean { return this.pending !== null; }
  /** Killed (or gone): takes no more requests, even before the 'exit' event arrives. */
  get usable(): boolean { return !this.exited && !this.doomed; }
  private doomed = false;

  /** Spawn and wait for the server's ready line. */
  static async start(spec: WorkerSpec, log: (line: string) => void, startupTimeoutMs: number): Promise<Worker> {
    const w = new Worker(spec, log);
    const ready = await new Promise<z.infer<typeof ServerReady>>((resolve, reject) => {
      const timer = setTimeout(() => {
        w.kill();
        reject(new Error(`sandbox worker ${spec.label} did not become ready within ${startupTimeoutMs} ms; stderr: ${w.stderrTail.trim() || '(empty)'}`));
      }, startupTimeoutMs);
      w.readyHandler = (line) => {
        clearTimeout(timer);
        let parsed: unknown;
        try { parsed = JSON.parse(line); } catch { parsed = undefined; }
        const r = ServerReady.safeParse(parsed);
        if (r.success) resolve(r.data);
        else {
          w.kill();
          reject(new Error(`sandbox worker ${spec.label} sent a bad ready line ${JSON.stringify(line.slice(0, 200))}`));
        }
      };
      w.startFailHandler = (why) => {
        clearTimeout(timer);
        reject(new Error(`sandbox worker ${spec.label} ${why} before it was ready; stderr: ${w.stderrTail.trim() || '(empty)'}`));
      };
    });
    w.readyInfo = ready;
    w.setRef(false);
    w.readyHandler = null;
    w.startFailHandler = null;
    return w;
  }

  private readyHandler: ((line: string) => void) | null = null;
  private startFailHandler: ((why: string) => void) | null = null;

  private onData(s: string): void {
    let nl = s.indexOf('\n');
    if (nl < 0) { this.chunks.push(s); return; }
    let start = 0;
    while (nl >= 0) {
      this.chunks.push(s.slice(start, nl));
      const line = this.chunks.join('');
      this.chunks = [];
      this.onLine(line);
      start = nl + 1;
      nl = s.indexOf('\n', start);
    }
    if (start < s.length) this.chunks.push(s.slice(start));
  }

  private onLine(line: string): void {
    if (this.readyHandler) { this.readyHandler(line); return; }
    const p = this.pending;
    if (!p) { this.log(`[sandbox ${this.spec.label}] unexpected output: ${line.slice(0, 200)}`); return; }
    let parsed: unknown;
    try { parsed = JSON.parse(line); } catch (e) {
      this.failPending(new Error(`sandbox worker ${this.spec.label} sent invalid JSON: ${(e as Error).message}`));
      this.kill();
      return;
    }
    const r = ServerReply.safeParse(parsed);
    if (!r.success) {
      this.failPending(new Error(`sandbox worker ${this.spec.label} sent a malformed reply: ${describeZodError(r.error)}`));
      this.kill();
      return;
    }
    if (r.data.id !== p.id) {
      this.failPending(new Error(`sandbox worker ${this.spec.label} answered request ${r.data.id}, expected ${p.id}`));
      this.kill();
      return;
    }
    clearTimeout(p.timer);
    this.pending = null;
    p.resolve(r.data);
  }

  private failPending(err: Error): void {
    const p = this.pending;
    if (!p) return;
    clearTimeout(p.timer);
    this.pending = null;
    p.reject(err);
  }

  private onProcessGone(why: string): void {
    if (this.exited) return;
    this.exited = true;
    this.exitInfo = why;
    this.startFailHandler?.(why);
    this.failPending(new WorkerLostError(`sandbox worker ${this.spec.label} ${why}`, 'died', this.stderrTail));
    for (const w of this.exitWaiters.splice(0)) w();
    this.onExit?.(this);
  }

  /** Send one request; the worker is killed if no answer comes within deadlineMs. */
  request(payload: Record<string, unknown>, deadlineMs: number): Promise<ServerReply> {
    if (!this.usable) return Promise.reject(new WorkerLostError(`sandbox worker ${this.spec.label} is gone (${this.exitInfo})`, 'died', this.stderrTail));
    if (this.pending) return Promise.reject(new Error(`sandbox worker ${this.spec.label} is busy`));
    const id = this.nextId++;
    return new Promise<ServerReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.failPending(new WorkerLostError(
          `sandbox worker ${this.spec.label} did not answer within ${deadlineMs} ms and was killed`, 'unresponsive', this.stderrTail));
        this.kill();
      }, deadlineMs);
      this.pending = { id, resolve, reject, timer };
      this.proc.stdin!.write(JSON.stringify({ ...payload, id }) + '\n');
    });
  }

  /** SIGKILL the worker's process group (nsjail; the jail dies with it: its init gets SIGKILL on parent death). */
  kill(): void {
    this.doomed = true;
    if (this.exited || this.proc.pid === undefined) return;
    try { process.kill(-this.proc.pid, 'SIGKILL'); } catch { try { this.proc.kill('SIGKILL'); } catch { /* gone */ } }
  }

  /** Close stdin (the server exits at EOF), SIGKILL after graceMs. */
  async stop(graceMs = 1000): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.exitWaiters.push(r));
    this.proc.stdin!.end();
    const timer = setTimeout(() => this.kill(), graceMs);
    await gone;
    clearTimeout(timer);
  }
}

interface Job {
  payload: Record<string, unknown>;
  deadlineMs: number;
  enqueuedAt: number;
  resolve: (v: { reply: ServerReply; durationMs: number; queuedMs: number }) => void;
  reject: (err: Error) => void;
}

export class Pool {
  private workers: Array<Worker | null>;
  private queue: Job[] = [];
  private closed = false;
  private restarting = new Set<number>();
  private failures: number[];
  private lastStartError: Error | null = null;

  constructor(private readonly specs: WorkerSpec[], private readonly log: (line: string) => void,
              private readonly startupTimeoutMs = 20_000) {
    this.workers = specs.map(() => null);
    this.failures = specs.map(() => 0);
  }

  get size(): number { return this.specs.length; }
  get queued(): number { return this.queue.length; }
  workerPids(): number[] { return this.workers.flatMap((w) => (w?.pid !== undefined && w.usable ? [w.pid] : [])); }
  /** How busy the pool is now: workers alive, of them running a request, requests waiting, workers restarting. */
  load(): { size: number; alive: number; busy: number; queued: number; restarting: number } {
    const alive = this.workers.filter((w) => w !== null && w.usable);
    return { size: this.specs.length, alive: alive.length, busy: alive.filter((w) => w!.busy).length, queued: this.queue.length, restarting: this.restarting.size };
  }

  /** Start every worker; throws (after stopping the ones that came up) if any cannot start. */
  async start(): Promise<void> {
    const started = await Promise.allSettled(this.specs.map((s) => Worker.start(s, this.log, this.startupTimeoutMs)));
    const failed = started.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) {
      await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop(200) : undefined)));
      throw failed.reason as Error;
    }
    started.forEach((r, i) => { if (r.status === 'fulfilled') this.attach(i, r.value); });
  }

  readyInfo() { return this.workers.find((w) => w?.readyInfo)?.readyInfo ?? null; }

  private attach(slot: number, w: Worker): void {
    this.workers[slot] = w;
    w.onExit = () => {
      if (this.workers[slot] === w) this.workers[slot] = null;
      if (!this.closed) this.restart(slot);
    };
    this.pump();
  }

  private restart(slot: number): void {
    if (this.restarting.has(slot) || this.closed) return;
    this.restarting.add(slot);
    const delay = Math.min(5000, 50 * 2 ** Math.min(this.failures[slot]!, 7));
    setTimeout(() => {
      Worker.start(this.specs[slot]!, this.log, this.startupTimeoutMs).then((w) => {
        this.restarting.delete(slot);
        this.failures[slot] = 0;
        if (this.closed) { void w.stop(200); return; }
        this.attach(slot, w);
      }, (err: Error) => {
        this.restarting.delete(slot);
        this.failures[slot] = this.failures[slot]! + 1;
        this.lastStartError = err;
        this.log(`[sandbox] restarting worker ${this.specs[slot]!.label} failed (${this.failures[slot]} in a row): ${err.message}`);
        // Nobody can serve: fail the waiting requests instead of letting them hang.
        if (this.workers.every((x) => x === null) && this.failures.every((f) => f >= 3)) {
          for (const job of this.queue.splice(0)) job.reject(new Error(`sandbox pool has no working worker: ${err.message}`));
        }
        this.restart(slot);
      });
    }, delay).unref();
  }

  private inFlight = 0;
  private keepAlive: NodeJS.Timeout | null = null;

  /** While any request is pending (queued, running, or waiting for a restarted worker) keep Node alive. */
  private track(delta: number): void {
    this.inFlight += delta;
    if (this.inFlight > 0 && !this.keepAlive) this.keepAlive = setInterval(() => { /* keep-alive */ }, 1 << 30);
    if (this.inFlight === 0 && this.keepAlive) { clearInterval(this.keepAlive); this.keepAlive = null; }
  }

  submit(payload: Record<string, unknown>, deadlineMs: number): Promise<{ reply: ServerReply; durationMs: number; queuedMs: number }> {
    if (this.closed) return Promise.reject(new Error('sandbox is closed'));
    if (this.workers.every((x) => x === null) && this.failures.every((f) => f >= 3) && this.lastStartError) {
      return Promise.reject(new Error(`sandbox pool has no working worker: ${this.lastStartError.message}`));
    }
    this.track(1);
    return new Promise<{ reply: ServerReply; durationMs: number; queuedMs: number }>((resolve, reject) => {
      this.queue.push({ payload, deadlineMs, enqueuedAt: performance.now(), resolve, reject });
      this.pump();
    }).finally(() => this.track(-1));
  }

  private pump(): void {
    for (let slot = 0; slot < this.workers.length && this.queue.length > 0; slot++) {
      const w = this.workers[slot];
      if (!w || w.busy || !w.usable) continue;
      const job = this.queue.shift()!;
      const t0 = performance.now();
      w.request(job.payload, job.deadlineMs).then((reply) => {
        job.resolve({ reply, durationMs: performance.now() - t0, queuedMs: t0 - job.enqueuedAt });
      }, (err: Error) => job.reject(err)).finally(() => this.pump());
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('sandbox is closed'));
    await Promise.all(this.workers.map((w) => w?.stop()));
    this.workers = this.workers.map(() => null);
  }
}
