// Sandbox throughput on the MBPP test split (tasks 11-510, reference solutions, each assert of test_list = one
// execution = 1500 executions).  Prints ONE JSON line on stdout (progress goes to stderr):
//   a  = a fresh `python3` subprocess per execution, unsandboxed (concurrency = pool size, like c)
//   b  = one unsandboxed python3 process exec'ing everything in-process (sequential; an upper bound)
//   c  = this sandbox (nsjail pool, default size), all tasks submitted at once, default options
//   c_isolated = this sandbox with isolateTests (one child per execution, the program re-run each time)
//   trace = this sandbox in trace mode (EG-CFG traces, one child per execution)
// plus c/a, c/b, c's service time per run() (p50/p99), unloaded end-to-end latency, and the trace overhead.
// Because wall-clock rates depend on whatever else runs on the machine, it also reports CPU time per execution
// (all processes involved: node, python3 children / fork servers and their children), which does not.
// MBPP task 123's reference solution needs seconds of CPU for one assert; with all tasks in flight at once that
// single execution is the critical path of c (the pool cannot split one execution), so the rates are also given
// for the 499 other tasks ("_without_123").
// Run: npx tsx bench/sandbox.bench.ts [--limit N]
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { createSandbox, type ExecutionResult } from '../activities/sandbox/index.ts';
import { repoPath } from '../core/repo.ts';
import { sandboxPython } from '../core/tools.ts';

interface Mbpp { task_id: number; code: string; test_setup_code: string; test_list: string[] }
const { values } = parseArgs({ options: { limit: { type: 'string' } } });
const limit = values.limit ? Number.parseInt(values.limit, 10) : Infinity;
const tasks = gunzipSync(readFileSync(repoPath('data/mbpp.jsonl.gz'))).toString('utf8').split('\n')
  .filter((l) => l.trim()).map((l) => JSON.parse(l) as Mbpp)
  .filter((r) => r.task_id >= 11 && r.task_id <= 510).slice(0, limit);
const program = (t: Mbpp) => `${t.code}\n${t.test_setup_code}`;
const executionsOf = (ts: Mbpp[]) => ts.flatMap((t) => t.test_list.map((assertion) => ({ task: t.task_id, source: `${program(t)}\n${assertion}\n` })));
const executions = executionsOf(tasks);
const tasksWithout123 = tasks.filter((t) => t.task_id !== 123);

// ---- CPU accounting from /proc (clock ticks -> ms) ------------------------------------------------------------
const TICK_MS = 10; // sysconf(_SC_CLK_TCK) = 100 on Linux
function procCpuMs(pid: number | 'self', withChildren: boolean): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  // fields after "(comm) ": state=0 ... utime=11 stime=12 cutime=13 cstime=14
  return (f[11]! + f[12]! + (withChildren ? f[13]! + f[14]! : 0)) * TICK_MS;
}
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try { out.push(...readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)); } catch { /* gone */ }
  }
  return out;
}
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const pct = (xs: number[], p: number) => { const s = [...xs].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!; };
const python = sandboxPython();
const concurrency = availableParallelism();
const TIMEOUT_MS = 10_000;

// (a) fresh interpreter per execution, `concurrency` at a time.
function runFresh(source: string): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn(python, ['-'], { stdio: ['pipe', 'ignore', 'ignore'], env: { PATH: '/usr/bin:/bin', PYTHONHASHSEED: '0' } });
    const timer = setTimeout(() => p.kill('SIGKILL'), TIMEOUT_MS);
    p.on('exit', (code) => { clearTimeout(timer); resolve(code === 0); });
    p.stdin.end(source);
  });
}
async function benchFresh(list = executions): Promise<{ seconds: number; passed: number; cpuMs: number }> {
  let next = 0;
  let passed = 0;
  const cpu0 = procCpuMs('self', true);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < list.length) {
      const e = list[next++]!;
      if (await runFresh(e.source)) passed++;
    }
  }));
  return { seconds: (performance.now() - t0) / 1000, passed, cpuMs: procCpuMs('self', true) - cpu0 };
}

// (b) one process exec'ing every execution in a fresh namespace (timed inside Python, startup excluded).
const IN_PROCESS = `
import json, sys, time
sources = json.load(sys.stdin)
passed = 0
t0 = time.perf_counter()
for src in sources:
    try:
        exec(compile(src, "<program>", "exec"), {"__name__": "__main__"})
        passed += 1
    except BaseException:
        pass
print(json.dumps({"seconds": time.perf_counter() - t0, "passed": passed}))
`;
function benchInProcess(): Promise<{ seconds: number; passed: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(python, ['-c', IN_PROCESS], { stdio: ['pipe', 'pipe', 'inherit'], env: { PATH: '/usr/bin:/bin', PYTHONHASHSEED: '0' } });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`in-process bench exited ${code}`))));
    p.stdin.end(JSON.stringify(executions.map((e) => e.source)));
  });
}

const loadBefore = loadavg()[0]!;
log(`${tasks.length} tasks, ${executions.length} executions, concurrency ${concurrency}, load ${round(loadBefore, 2)}`);

const t0 = performance.now();
const sandbox = await createSandbox();
const startMs = performance.now() - t0;
const request = (t: Mbpp, extra: Record<string, unknown> = {}) => ({
  program: program(t), tests: t.test_list.map((code, i) => ({ id: `t${i}`, code })), timeoutMs: TIMEOUT_MS, ...extra,
});
/** node + every jail's fork server (its reaped children are in its cutime/cstime) + nsjail itself. */
function sandboxCpuMs(): number {
  let ms = procCpuMs('self', false);
  for (const jail of sandbox.workerPids()) {
    ms += procCpuMs(jail, false);
    for (const server of childrenOf(jail)) ms += procCpuMs(server, true);
  }
  return ms;
}
async function benchSandbox(extra: Record<string, unknown> = {}, list = tasks): Promise<{ seconds: number; passed: number; service: number[]; cpuMs: number }> {
  const cpu0 = sandboxCpuMs();
  const t1 = performance.now();
  const results: ExecutionResult[] = await Promise.all(list.map((t) => sandbox.run(request(t, extra))));
  return {
    seconds: (performance.now() - t1) / 1000,
    passed: results.reduce((n, r) => n + r.testsPassed, 0),
    service: results.map((r) => r.durationMs),
    cpuMs: sandboxCpuMs() - cpu0,
  };
}

try {
  await benchSandbox({}); // warm-up (page cache, JIT), not reported
  log('c: sandbox');
  const c = await benchSandbox();
  log(`c: ${round(executions.length / c.seconds)} exec/s`);
  log('c_isolated');
  const cIso = await benchSandbox({ isolateTests: true });
  log('trace');
  const tr = await benchSandbox({ mode: 'trace' });
  log('c without task 123');
  const c499 = await benchSandbox({}, tasksWithout123);
  log('a: fresh python3 per execution');
  const a = await benchFresh();
  log(`a: ${round(executions.length / a.seconds)} exec/s`);
  log('a without task 123');
  const exec499 = executionsOf(tasksWithout123);
  const a499 = await benchFresh(exec499);
  log('b: in-process');
  const b = await benchInProcess();
  log('latency: one run() at a time');
  const lat: number[] = [];
  for (const t of tasksWithout123.slice(0, 200)) {
    const t1 = performance.now();
    await sandbox.run(request(t));
    lat.push(performance.now() - t1);
  }
  const rate = (s: number) => round(executions.length / s);
  const out = {
    bench: 'sandbox', dataset: 'mbpp test split (11-510), reference solutions', tasks: tasks.length,
    executions: executions.length, pool_size: sandbox.poolSize, cpus: concurrency, isolation: sandbox.isolation,
    loadavg_1m_before: round(loadBefore, 2), loadavg_1m_after: round(loadavg()[0]!, 2), sandbox_start_ms: round(startMs),
    a_fresh_python_exec_per_s: rate(a.seconds), b_in_process_exec_per_s: rate(b.seconds), c_sandbox_exec_per_s: rate(c.seconds),
    c_isolated_exec_per_s: rate(cIso.seconds), c_trace_exec_per_s: rate(tr.seconds),
    ratio_c_over_a: round(a.seconds / c.seconds, 2), ratio_c_over_b: round(b.seconds / c.seconds, 3),
    ratio_c_isolated_over_a: round(a.seconds / cIso.seconds, 2),
    trace_overhead_x: round(tr.seconds / c.seconds, 2), trace_overhead_vs_isolated_x: round(tr.seconds / cIso.seconds, 2),
    c_service_ms_per_run: { p50: round(pct(c.service, 50), 2), p99: round(pct(c.service, 99), 2) },
    c_latency_ms_unloaded_per_run: { p50: round(pct(lat, 50), 2), p99: round(pct(lat, 99), 2), n: lat.length },
    without_123: {
      executions: exec499.length, a_exec_per_s: round(exec499.length / a499.seconds), c_exec_per_s: round(exec499.length / c499.seconds),
      ratio_c_over_a: round(a499.seconds / c499.seconds, 2),
    },
    cpu_ms_per_exec: {
      a: round(a.cpuMs / executions.length, 2), c: round(c.cpuMs / executions.length, 2),
      c_isolated: round(cIso.cpuMs / executions.length, 2), trace: round(tr.cpuMs / executions.length, 2),
      a_without_123: round(a499.cpuMs / exec499.length, 2), c_without_123: round(c499.cpuMs / exec499.length, 2),
    },
    cpu_ratio_c_over_a: round(a.cpuMs / c.cpuMs, 2), cpu_ratio_c_over_a_without_123: round(a499.cpuMs / c499.cpuMs, 2),
    passed: { a: a.passed, b: b.passed, c: c.passed, c_isolated: cIso.passed, trace: tr.passed },
  };
  process.stdout.write(JSON.stringify(out) + '\n');
} finally {
  await sandbox.close();
}
