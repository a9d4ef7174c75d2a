// Serving a BTP adapter on llama.cpp: the registry name of an adapter's server, and the converter's refusals on bad
// input (each names the problem, before any process starts).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { catalogueModel } from '../../core/models/catalogue.ts';
import { serverKey } from '../../core/models/local-server.ts';
import { loraToGguf } from '../../core/models/lora-gguf.ts';

describe('LoRA adapters on llama.cpp', { timeout: 30_000 }, () => {
  const m = catalogueModel('smollm2-135m-instruct');

  test('an adapter gets a server of its own, named after the model and the adapter (file-name safe)', () => {
    assert.equal(serverKey(m), 'smollm2-135m-instruct');
    assert.equal(serverKey(m, { name: 'smollm2-135m-instruct-btp-c1-it1' }), 'smollm2-135m-instruct--smollm2-135m-instruct-btp-c1-it1');
    const odd = serverKey(m, { name: '../../etc/passwd x' });
    assert.doesNotMatch(odd, /\//);
    assert.equal(odd, 'smollm2-135m-instruct--.._.._etc_passwd_x');
    assert.ok(serverKey(m, { name: 'a'.repeat(500) }).length <= m.name.length + 2 + 120);
  });

  test('the converter refuses a folder without a PEFT adapter, or a base model that is not a Hugging Face folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'egcfg-lora-'));
    const adapter = join(dir, 'adapter');
    const base = join(dir, 'base');
    mkdirSync(adapter);
    mkdirSync(base);
    await assert.rejects(loraToGguf(adapter, base, () => {}), /no PEFT adapter in .*adapter_model\.safetensors is missing/);
    writeFileSync(join(adapter, 'adapter_model.safetensors'), '');
    await assert.rejects(loraToGguf(adapter, base, () => {}), /has no config\.json/);
  });
});
