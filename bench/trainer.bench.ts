// Benchmark (not a test): LoRA trainer steps per second on the tiny Llama-style model (hidden 64, 2 layers,
// 4 heads, vocab 512) on CPU, as the TS side drives it (python -m trainer.train). Needs infra/trainer-env.sh.
// Prints ONE JSON line: steps/s of the training loop (from metrics.json), the wall time of the whole process
// (interpreter + torch import + model load included) and the time to build the tiny model.
// Usage: npx tsx bench/trainer.bench.ts [--steps 60] [--batch-size 8] [--threads 1]  (0: torch's default, 2 on this machine) [--pairs 64]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { spawnTrainer, trainerEnvStatus } from '../core/trainer-env.ts';

const { values } = parseArgs({ options: { steps: { type: 'string' }, 'batch-size': { type: 'string' }, threads: { type: 'string' }, pairs: { type: 'string' } } });
const steps = Number(values.steps ?? 60);
const batchSize = Number(values['batch-size'] ?? 8);
const threads = Number(values.threads ?? 1);
const pairs = Number(values.pairs ?? 64);

const env = trainerEnvStatus();
if (!env.installed) {
  console.log(JSON.stringify({ bench: 'trainer-steps', error: env.reason }));
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'egcfg-trainer-bench-'));
try {
  const model = join(dir, 'tiny');
  const data = join(dir, 'pairs.jsonl');
  const t0 = performance.now();
  const built = await spawnTrainer('tiny_model', ['--output', model, '--write-data', data, '--data-limit', String(pairs)]).done;
  const buildS = (performance.now() - t0) / 1000;
  if (built.code !== 0) throw new Error(`tiny_model failed: ${built.stderr.slice(-2000)}`);
  const out = join(dir, 'run');
  const t1 = performance.now();
  const run = await spawnTrainer('train', [
    '--base-model', model, '--data', data, '--output', out, '--max-steps', String(steps), '--batch-size', String(batchSize),
    '--lr', '0.01', '--save-every', '0', '--threads', String(threads), '--eval-limit', '0',
    '--target-modules', 'q_proj,k_proj,v_proj,o_proj', '--device', 'cpu',
  ]).done;
  const wallS = (performance.now() - t1) / 1000;
  if (run.code !== 0) throw new Error(`train failed: ${run.stderr.slice(-2000)}`);
  const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  console.log(JSON.stringify({
    bench: 'trainer-steps',
    device: m.device,
    cpus: cpus().length,
    loadavg_1m: Math.round(loadavg()[0]! * 100) / 100,
    torch_threads: m.torch_threads,
    model: { hidden: 64, layers: 2, heads: 4, vocab: 512 },
    steps: m.steps,
    batch_size: batchSize,
    examples: m.examples,
    steps_per_s: m.steps_per_second_this_run,
    examples_per_s: Math.round(m.steps_per_second_this_run * batchSize * 10) / 10,
    train_loop_s: m.train_seconds_this_run,
    process_wall_s: Math.round(wallS * 100) / 100,
    build_tiny_model_s: Math.round(buildS * 100) / 100,
    first_loss: m.first_loss,
    final_loss: m.final_loss,
    versions: m.versions,
  }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
