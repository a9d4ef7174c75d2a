import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTrainerLine, trainerArgs } from '../../core/btp/trainer-protocol.ts';

describe('trainer protocol', { timeout: 60_000 }, () => {
  it('turns a config into python -m trainer.train flags, defaults filled in', () => {
    const args = trainerArgs({ baseModel: '/m', data: '/d.jsonl', output: '/o', lr: 0.01, maxSteps: 20, targetModules: ['q_proj', 'v_proj'] });
    const flag = (name: string) => args[args.indexOf(name) + 1];
    assert.equal(flag('--base-model'), '/m');
    assert.equal(flag('--lr'), '0.01');
    assert.equal(flag('--max-steps'), '20');
    assert.equal(flag('--target-modules'), 'q_proj,v_proj');
    assert.equal(flag('--lora-r'), '8');
    assert.ok(args.includes('--resume'));
    assert.ok(!trainerArgs({ baseModel: '/m', data: '/d', output: '/o', resume: false }).includes('--resume'));
  });
  it('rejects bad configs, naming the field', () => {
    assert.throws(() => trainerArgs({ baseModel: '', data: '/d', output: '/o' }), /baseModel: baseModel must name/);
    assert.throws(() => trainerArgs({ baseModel: '/m', data: '/d', output: '/o', loraDropout: 1 }), /loraDropout/);
    assert.throws(() => trainerArgs({ baseModel: '/m', data: '/d', output: '/o', device: 'tpu' }), /device must be/);
  });
  it('parses the JSON lines, rejecting malformed ones precisely', () => {
    const e = parseTrainerLine('{"event": "step", "step": 3, "loss": 1.25, "lr": 0.001, "epoch": 0}');
    assert.equal(e.event, 'step');
    assert.equal(e.event === 'step' && e.loss, 1.25);
    assert.equal(parseTrainerLine('{"event":"done","steps":5,"final_loss":1.0,"adapter":"/a","metrics":"/m.json","extra":1}').event, 'done');
    assert.throws(() => parseTrainerLine('Loading weights...'), /not a JSON line/);
    assert.throws(() => parseTrainerLine('{"event":"step","step":0,"loss":1}'), /step/);
    assert.throws(() => parseTrainerLine('{"event":"wat"}'), /does not match the protocol/);
  });
});
