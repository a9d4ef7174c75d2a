// The Python LoRA trainer, driven from node as the activity will drive it: a tiny Llama-style model built locally,
// a few training steps on a small fixed set of MBPP train pairs (loss goes down), the adapter saved and loaded again,
// a SIGKILL mid-training followed by --resume (continues from the checkpoint, same losses as an uninterrupted run),
// SIGTERM (checkpoint, then exit 143) and the precise errors. Skips only when infra/trainer-env.sh has not installed
// the trainer venv.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TrainerEvent } from '../../core/btp/trainer-protocol.ts';
import { spawnTrainer, trainerEnvStatus, type TrainerRunResult } from '../../core/trainer-env.ts';

const env = trainerEnvStatus();
const skip = env.installed ? false : `trainer env not installed: ${env.reason}`;

let dir = '';
let model = '';
let data = '';
let reference: { losses: number[]; final_eval_loss: number; initial_eval_loss: number } | null = null;

// The same training job for the reference run and the killed/resumed one: 30 steps, checkpoint every 5.
const job = (output: string, extra: string[] = []) => [
  '--base-model', model, '--data', data, '--output', output, '--max-steps', '30', '--batch-size', '4', '--lr', '0.02',
  '--lora-r', '8', '--lora-alpha', '16', '--lora-dropout', '0.05', '--seed', '3', '--save-every', '5', '--threads', '1',
  '--target-modules', 'q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj,lm_head', ...extra,
];

const of = <K extends TrainerEvent['event']>(r: TrainerRunResult, kind: K) =>
  r.events.filter((e): e is Extract<TrainerEvent, { event: K }> => e.event === kind);

const explain = (r: TrainerRunResult) => `code ${r.code} signal ${r.signal}\n${r.stderr.slice(-3000)}`;

describe('python trainer (LoRA, tiny model)', { timeout: 1_200_000, skip }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'egcfg-trainer-'));
    model = join(dir, 'tiny');
    data = join(dir, 'pairs.jsonl');
    const r = await spawnTrainer('tiny_model', ['--output', model, '--write-data', data, '--data-limit', '16']).done;
    assert.equal(r.code, 0, explain(r));
    const built = of(r, 'tiny_model')[0]!;
    assert.equal(built.vocab_size, 512);
    assert.equal(built.pairs_written, 16);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) assert.ok(existsSync(join(model, f)), f);
    const config = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8'));
    assert.deepEqual([config.hidden_size, config.num_hidden_layers, config.num_attention_heads, config.model_type], [64, 2, 4, 'llama']);
  }, { timeout: 300_000 });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, { timeout: 120_000 });

  it('trains a few steps: one JSON line per step, and the loss on the fixed set goes down', async () => {
    const out = join(dir, 'ref');
    const r = await spawnTrainer('train', job(out)).done;
    assert.equal(r.code, 0, explain(r));
    const steps = of(r, 'step');
    assert.deepEqual(steps.map((s) => s.step), Array.from({ length: 30 }, (_, i) => i + 1));
    assert.deepEqual(of(r, 'checkpoint').map((c) => c.step), [5, 10, 15, 20, 25, 30]);
    const done = of(r, 'done')[0]!;
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    assert.equal(metrics.steps, 30);
    assert.ok(metrics.final_eval_loss < metrics.initial_eval_loss - 0.3, `eval loss ${metrics.initial_eval_loss} → ${metrics.final_eval_loss}`);
    assert.ok(metrics.loss_last_window_mean < metrics.loss_first_window_mean, 'training loss went down');
    assert.equal(done.final_eval_loss, metrics.final_eval_loss);
    assert.deepEqual(metrics.losses, steps.map((s) => s.loss));
    // Only the newest checkpoints are kept.
    assert.ok(!existsSync(join(out, 'checkpoints', 'step-00000005')));
    assert.ok(existsSync(join(out, 'checkpoints', 'step-00000030', 'adapter_model.safetensors')));
    reference = metrics;
  });

  it('saves a PEFT adapter that loads onto the base model and reproduces the final loss', async () => {
    assert.ok(reference, 'needs the reference run');
    const adapter = join(dir, 'ref', 'adapter');
    const cfg = JSON.parse(readFileSync(join(adapter, 'adapter_config.json'), 'utf8'));
    assert.equal(cfg.peft_type, 'LORA');
    assert.equal(cfg.r, 8);
    const withAdapter = await spawnTrainer('evaluate', ['--base-model', model, '--data', data, '--adapter', adapter, '--threads', '1']).done;
    const base = await spawnTrainer('evaluate', ['--base-model', model, '--data', data, '--threads', '1']).done;
    assert.equal(withAdapter.code, 0, explain(withAdapter));
    assert.equal(base.code, 0, explain(base));
    const a = of(withAdapter, 'eval')[0] as unknown as { loss: number; lora_modules: number };
    const b = of(base, 'eval')[0]!;
    assert.ok(a.lora_modules > 0);
    assert.ok(Math.abs(a.loss - reference.final_eval_loss) < 1e-4, `adapter loss ${a.loss} vs reported ${reference.final_eval_loss}`);
    assert.ok(Math.abs(b.loss - reference.initial_eval_loss) < 1e-4, `base loss ${b.loss} vs reported ${reference.initial_eval_loss}`);
  });

  it('SIGKILL mid-training, then --resume continues from the last checkpoint with the same losses', async () => {
    assert.ok(reference, 'needs the reference run');
    const out = join(dir, 'killed');
    // Slow the steps down (test-only flag) so that the kill lands mid-training, after the step-10 checkpoint.
    const p = spawnTrainer('train', job(out, ['--debug-step-sleep', '0.2']), {
      onEvent: (e) => {
        if (e.event === 'checkpoint' && e.step >= 10) p.child.kill('SIGKILL');
      },
    });
    const killed = await p.done;
    assert.equal(killed.signal, 'SIGKILL', explain(killed));
    const lastStep = Math.max(...of(killed, 'step').map((s) => s.step));
    assert.ok(lastStep >= 10 && lastStep < 30, `killed at step ${lastStep}`);
    assert.equal(of(killed, 'done').length, 0);
    assert.ok(!existsSync(join(out, 'metrics.json')) && !existsSync(join(out, 'adapter')));

    const resumed = await spawnTrainer('train', job(out, ['--resume'])).done;
    assert.equal(resumed.code, 0, explain(resumed));
    const from = of(resumed, 'resume')[0]!.from_step;
    const lastCheckpoint = Math.max(...of(killed, 'checkpoint').map((c) => c.step));
    assert.equal(from, lastCheckpoint);
    const steps = of(resumed, 'step').map((s) => s.step);
    assert.equal(steps[0], from + 1);
    assert.equal(steps.at(-1), 30);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    assert.equal(metrics.resumed_from_step, from);
    assert.equal(metrics.losses.length, 30);
    metrics.losses.forEach((l: number, i: number) => assert.ok(Math.abs(l - reference!.losses[i]!) < 1e-5, `step ${i + 1}: ${l} vs ${reference!.losses[i]}`));
    assert.ok(Math.abs(metrics.final_eval_loss - reference.final_eval_loss) < 1e-5);

    // A finished run resumed again trains nothing more and reports the same result.
    const again = await spawnTrainer('train', job(out, ['--resume'])).done;
    assert.equal(again.code, 0, explain(again));
    assert.equal(of(again, 'step').length, 0);
    assert.equal(of(again, 'done')[0]!.steps, 30);
    assert.equal((of(again, 'done')[0] as { already_complete?: boolean }).already_complete, true);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')), metrics);
  });

  it('SIGTERM checkpoints the current step and exits 143; resume picks it up', async () => {
    const out = join(dir, 'term');
    const p = spawnTrainer('train', job(out, ['--save-every', '0', '--debug-step-sleep', '0.2']), {
      onEvent: (e) => {
        if (e.event === 'step' && e.step === 3) p.child.kill('SIGTERM');
      },
    });
    const r = await p.done;
    assert.equal(r.code, 143, explain(r));
    const stopped = of(r, 'interrupted')[0]!;
    assert.ok(stopped.step >= 3 && stopped.step < 30);
    assert.deepEqual(of(r, 'checkpoint').map((c) => c.step), [stopped.step]);
    const resumed = await spawnTrainer('train', job(out, ['--save-every', '0', '--resume', '--max-steps', String(stopped.step + 2)])).done;
    assert.equal(resumed.code, 0, explain(resumed));
    assert.equal(of(resumed, 'resume')[0]!.from_step, stopped.step);
    assert.deepEqual(of(resumed, 'step').map((s) => s.step), [stopped.step + 1, stopped.step + 2]);
  });

  it('gpu_check.py runs one LoRA step on the best device (CPU here) and prints one JSON line', async () => {
    const r = await spawnTrainer('gpu_check', []).done;
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.events.length, 1);
    const g = r.events[0] as { event: string; ok: boolean; device: string; loss_before: number; loss_after: number; steps: number };
    assert.equal(g.event, 'gpu_check');
    assert.ok(g.ok && g.loss_after < g.loss_before, JSON.stringify(g));
    assert.equal(g.steps, 1);
  });

  it('refuses, precisely: existing checkpoints without --resume, a changed option on resume, bad data', async () => {
    const out = join(dir, 'ref');
    const noResume = await spawnTrainer('train', job(out)).done;
    assert.equal(noResume.code, 2);
    assert.match(of(noResume, 'error')[0]!.message, /already has checkpoints \(newest step 30\); pass --resume/);
    const changed = await spawnTrainer('train', [...job(out, ['--resume']), '--lr', '0.5']).done;
    assert.equal(changed.code, 2);
    assert.match(of(changed, 'error')[0]!.message, /option\(s\) differ from the checkpoint: lr \(checkpoint 0.02, now 0.5\)/);
    const badData = await spawnTrainer('train', ['--config', JSON.stringify({ base_model: model, data: join(dir, 'missing.jsonl'), output: join(dir, 'x') })]).done;
    assert.equal(badData.code, 2);
    assert.match(of(badData, 'error')[0]!.message, /missing\.jsonl: no such file/);
    const unknown = await spawnTrainer('train', ['--config', '{"base_model": "m", "learning_rate": 1}']).done;
    assert.equal(unknown.code, 2);
    assert.match(of(unknown, 'error')[0]!.message, /unknown option\(s\): learning_rate/);
  });
});
