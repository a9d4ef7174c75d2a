// The real-model tier, BTP: one real iteration on a handful of MBPP problems with SmolLM2-135M-Instruct (the
// catalogue's smallest model) on llama.cpp — beams from the real model with their real token logprobs, tested in the
// sandbox, P2Value and the prioritized draw, LoRA training of the model's Hugging Face folder on CPU, the PEFT adapter
// converted to GGUF and served by a llama-server of its own, then the adapted model evaluated. It asserts what holds
// for any real model, never a pass rate: nothing simulated, every stage's rows stored, the adapter served, and the
// served model's outputs under the adapter differ from the base model's.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { ModelClient } from '../../activities/model/openai-client.ts';
import { listLocalServers } from '../../core/models/local-server.ts';
import { openDatabase } from '../../db/client.ts';
import { beams, btpIterations, campaigns, events, samples, trainingRuns } from '../../db/schema/index.ts';
import { realTier } from '../support/real-tier.ts';

const MODEL = 'smollm2-135m-instruct';

describe('BTP on a real model (real-model tier)', { timeout: 30 * 60_000 }, () => {
  const tier = realTier('egcfg-real-btp-');
  const egcfg = (args: string[]) => tier.egcfg(args);

  test('one iteration: real beams, LoRA on CPU, the adapter served by llama.cpp and evaluated', { timeout: 25 * 60_000 }, async () => {
    const r = await egcfg(['run', '--dataset', 'mbpp', '--method', 'btp', '--model-name', MODEL, '--iterations', '1', '--max-problems', '2',
      '--max-train-problems', '4', '--num-beams', '2', '--train-set-size', '8', '--max-steps', '2', '--batch-size', '4',
      '--learning-rate', '0.001', '--max-tokens', '160', '--quiet']);
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    const line = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    assert.equal(line.simulated, false);
    assert.doesNotMatch(r.stderr, /SIMULATED|malformed/i);
    const campaignId = String(line.campaign_id);

    const db = tier.db = await openDatabase(join(tier.dataDir, 'pglite'));
    const [c] = await db.db.select().from(campaigns).where(eq(campaigns.id, campaignId));
    assert.equal(c?.simulated, false);
    // Beams: 4 problems × 2, real logprobs (negative, finite), chat prompts in the model's template, all tested.
    const bs = await db.db.select().from(beams).where(eq(beams.campaignId, campaignId));
    assert.equal(bs.length, 8);
    assert.ok(bs.every((b) => b.passRate !== null && b.p2value !== null && b.model === MODEL), JSON.stringify(bs.map((b) => [b.passRate, b.p2value, b.model])));
    const beamSamples = await db.db.select().from(samples).where(and(eq(samples.campaignId, campaignId)));
    assert.ok(beamSamples.length >= 8);
    for (const s of beamSamples) {
      assert.match(s.prompt ?? '', /<\|im_start\|>assistant\n[\s\S]*```python\n$/);
      const lps = s.tokenLogprobs as number[];
      assert.ok(lps.length > 0 && lps.every((x) => Number.isFinite(x) && x <= 0), 'real token logprobs');
    }
    // Training: a finished run with real losses; the adapter converted to GGUF.
    const [run] = await db.db.select().from(trainingRuns).where(eq(trainingRuns.campaignId, campaignId));
    assert.equal(run?.status, 'succeeded');
    assert.ok(run.lastStep === 2 && Number.isFinite(run.lastLoss), JSON.stringify(run));
    assert.ok(existsSync(join(run.adapterPath!, 'adapter.gguf')));
    // Iterations 0 (base) and 1 (adapter), each a real evaluation of the 2 problems.
    const its = await db.db.select().from(btpIterations).where(eq(btpIterations.campaignId, campaignId));
    assert.deepEqual(its.map((i) => i.iteration).sort(), [0, 1]);
    assert.ok(its.every((i) => i.problems === 2));
    const adapterName = its.find((i) => i.iteration === 1)!.model;
    const [reg] = await db.db.select().from(events).where(and(eq(events.campaignId, campaignId), eq(events.kind, 'btp_adapter_registered')));
    const payload = reg!.payload as { server: string; engine: string; adapter: string };
    assert.equal(payload.engine, 'llama.cpp');
    assert.equal(payload.adapter, adapterName);

    // The adapter's server and the base model's: the same greedy request, different outputs (token logprobs).
    const servers = listLocalServers(tier.dataDir).filter((s) => s.running);
    const base = servers.find((s) => s.name === MODEL && !s.lora);
    const adapted = servers.find((s) => s.lora?.name === adapterName);
    assert.ok(base && adapted, JSON.stringify(servers));
    assert.equal(adapted.url, payload.server);
    const ask = async (url: string) => {
      const client = new ModelClient({ baseUrl: url });
      try {
        const reply = await client.completions({ model: MODEL, prompt: 'def add(a, b):\n', max_tokens: 8, temperature: 0, logprobs: 1 });
        return reply.choices[0]!.logprobs!.token_logprobs;
      } finally { client.close(); }
    };
    const [lpBase, lpAdapted] = [await ask(base.url), await ask(adapted.url)];
    assert.notDeepEqual(lpAdapted, lpBase, 'the adapter changes what the model outputs');
  });
});
