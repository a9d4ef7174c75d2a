// How fast `egcfg` starts for help (issue 14: `egcfg --help` and `egcfg <cmd> --help` in <= 0.3 s). Runs
// cli/bin/egcfg.js in child processes: with the compiled front (cli/build.ts; built first if stale) and from the
// sources through tsx (EGCFG_CLI_FRONT=source), plus a bare `node -e 0` as the floor of this machine. Reports the
// median wall time and the median CPU time (user + system of the child, from process.cpuUsage() at its exit: a
// loaded machine stretches wall time, not CPU time) and the load average. Prints ONE JSON line.
// Run: npx tsx bench/cli-start.bench.ts [--runs N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildFront } from '../cli/build.ts';
import { repoPath } from '../core/repo.ts';

const { values } = parseArgs({ options: { runs: { type: 'string' } } });
const runs = Number(values.runs ?? 7);
const dir = mkdtempSync(join(tmpdir(), 'egcfg-cli-start-'));
// A preload that writes the process's own CPU time (µs, since the process started) at exit.
const probe = join(dir, 'cpu-probe.mjs');
writeFileSync(probe, "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.EGCFG_CPU_OUT, JSON.stringify(process.cpuUsage())));\n");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function measure(args: string[], env: Record<string, string> = {}): { wall_ms: number; cpu_ms: number } {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = join(dir, `cpu-${i}.json`);
    const started = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ['--import', probe, ...args], { env: { ...process.env, ...env, EGCFG_CPU_OUT: out }, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    walls.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (r.status !== 0 && !(args.length === 2 && args[1] === '0')) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(-500)}`);
    const cpu = JSON.parse(readFileSync(out, 'utf8')) as { user: number; system: number };
    cpus.push((cpu.user + cpu.system) / 1000);
  }
  return { wall_ms: Math.round(median(walls)), cpu_ms: Math.round(median(cpus)) };
}

const bin = repoPath('cli', 'bin', 'egcfg.js');
const built = await buildFront();
const cases = { help: ['--help'], run_help: ['run', '--help'], experiment_help: ['experiment', '--help'], models_pull_help: ['models', 'pull', '--help'] };
const front: Record<string, { wall_ms: number; cpu_ms: number }> = {};
for (const [name, args] of Object.entries(cases)) front[name] = measure([bin, ...args]);
const source = { help: measure([bin, '--help'], { EGCFG_CLI_FRONT: 'source' }), run_help: measure([bin, 'run', '--help'], { EGCFG_CLI_FRONT: 'source' }) };
const node = measure(['-e', '0']);
rmSync(dir, { recursive: true, force: true });
const worstCpu = Math.max(...Object.values(front).map((m) => m.cpu_ms));
console.log(JSON.stringify({
  bench: 'cli-start', runs, front, source, node_bare: node, front_bytes: built.bytes,
  target_ms: 300, worst_front_cpu_ms: worstCpu, meets_target_cpu: worstCpu <= 300, loadavg_1m: Number(loadavg()[0]!.toFixed(2)),
}));
