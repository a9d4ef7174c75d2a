// A whole EG-CFG generation on the local-model path (issue 11 item 3) through the CLI, on a real model: SmolLM2-135M-
// Instruct on the local inference service (python/local_infer/, started by `egcfg run` in the data folder), one
// HumanEval problem, γ 0 then 3, in the model's chat template (the service renders it: /tokenize with messages). It
// asserts what holds for any real model: γ = 0 is one greedy completion with no reasoning call, γ = 3 opens the code
// block with no model call, builds signals from sandbox runs and decodes guided lines whose every token is the
// full-vocabulary CFG choice the service reports (changed exactly where it differs from the unguided argmax), every
// step stored, the chosen ids spelling the generated code, nothing labelled simulated.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { asc, eq } from 'drizzle-orm';
import { ModelClient } from '../../activities/model/openai-client.ts';
import { catalogueModel } from '../../core/models/catalogue.ts';
import { ensureLocalInfer } from '../../core/models/local-infer.ts';
import { storedStateSchema } from '../../core/stored/egcfg-step.ts';
import { openDatabase } from '../../db/client.ts';
import { campaigns, egcfgGenerations, egcfgSteps } from '../../db/schema/index.ts';
import { realTier } from '../support/real-tier.ts';

const SMALL = 'smollm2-135m-instruct';
process.env.EGCFG_LLAMA_THREADS ??= '1';

interface LocalToken { id: number; text: string; guided: boolean; changed: boolean; uncondArgmax?: number; condArgmax?: number }

describe('EG-CFG on the local-model path, a whole generation through the CLI (SmolLM2 on the local inference service)', { timeout: 20 * 60_000 }, () => {
  const tier = realTier('egcfg-local-run-');

  test('γ = 0 greedy, γ = 3 guided by full-vocabulary CFG from sandbox signals; every step stored and consistent', { timeout: 18 * 60_000 }, async () => {
    const out = join(tier.dataDir, 'eg');
    // Small on purpose: one candidate, d = 1, 40 new tokens, no early-stop sampling (98 s alone at load average ~1).
    const r = await tier.egcfg(['run', '--dataset', 'humaneval', '--method', 'eg-cfg', '--model-name', SMALL, '--egcfg-path', 'local',
      '--prompt-format', 'chat', '--max-problems', '1', '--gamma', '0,3', '--num-candidates', '1', '--horizon', '1', '--max-agents', '1',
      '--max-new-tokens', '40', '--no-early-stop', '--trace-max-chars', '1000', '--candidate-tokens', 'horizon', '--output-dir', out, '--quiet']);
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    const line = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      simulated: boolean; errors?: number; campaign_id: string; egcfg_path: string; prompt_format: string; cost: { guidedTokens: number; sandboxRuns: number };
    };
    assert.deepEqual([line.simulated, line.errors ?? 0, line.egcfg_path, line.prompt_format], [false, 0, 'local', 'chat']);
    assert.match(r.stderr, /local inference service/);
    assert.doesNotMatch(r.stderr, /SIMULATED|malformed/i);

    const db = tier.db = await openDatabase(join(tier.dataDir, 'pglite'));
    const [campaign] = await db.db.select().from(campaigns).where(eq(campaigns.id, line.campaign_id));
    assert.equal(campaign!.simulated, false);
    assert.equal(campaign!.config.egcfgPath, 'local');
    const gens = await db.db.select().from(egcfgGenerations).where(eq(egcfgGenerations.campaignId, line.campaign_id)).orderBy(asc(egcfgGenerations.gammaIndex));
    assert.deepEqual(gens.map((g) => g.gamma), [0, 3], `γ = 0 failed, so γ = 3 ran: ${JSON.stringify(gens.map((g) => [g.gamma, g.status]))}`);
    const stepsOf = (id: number) => db.db.select().from(egcfgSteps).where(eq(egcfgSteps.generationId, id)).orderBy(asc(egcfgSteps.seq));

    // γ = 0: one greedy completion from the prompt; no reasoning tries beyond it.
    const s0 = await stepsOf(gens[0]!.id);
    assert.deepEqual(s0.map((s) => [s.kind, s.modelCalls]), [['gamma0', 1]]);
    assert.equal((s0[0]!.summary as { egcfgPath?: string }).egcfgPath, 'local');

    const svc = await ensureLocalInfer(tier.dataDir, catalogueModel(SMALL), { log: () => {} });
    const client = new ModelClient({ baseUrl: svc.url });
    try {
      const steps = await stepsOf(gens[1]!.id);
      assert.deepEqual(steps.map((s) => s.seq), steps.map((_, i) => i), 'every step stored, no gaps');
      assert.equal(steps[0]!.kind, 'reasoning');
      assert.equal(steps[0]!.modelCalls, 0, 'the local path opens the code block without a reasoning call');
      const lines = steps.filter((s) => s.kind === 'line');
      assert.ok(lines.length >= 2 && lines.every((s) => (s.summary as { egcfgPath?: string }).egcfgPath === 'local'));
      const guided = lines.filter((s) => s.guidedTokens > 0);
      assert.ok(guided.length >= 1, 'at least one guided line');
      const firstGuided = guided[0]!;
      const signal = steps.find((s) => s.kind === 'signal' && s.seq < firstGuided.seq && (s.signal ?? '') !== '');
      assert.ok(signal && signal.sandboxRuns > 0, 'the first guided line follows a signal built from sandbox runs');
      for (const l of lines) {
        for (const t of l.tokens as LocalToken[]) {
          assert.equal(typeof t.uncondArgmax, 'number', `line ${l.lineIndex}: the unguided argmax recorded`);
          if (!t.guided) { assert.equal(t.id, t.uncondArgmax, 'an unguided token is the greedy one'); continue; }
          assert.equal(typeof t.condArgmax, 'number');
          assert.equal(t.changed, t.id !== t.uncondArgmax, `line ${l.lineIndex}: 'changed' says whether guidance moved the argmax`);
        }
      }
      assert.equal(line.cost.guidedTokens, guided.reduce((a, s) => a + s.guidedTokens, 0));
      // The ids the service chose spell the generated code (the prompts continue the model's own token sequence).
      const last = storedStateSchema.parse([...steps].reverse().find((s) => s.state !== null)!.state);
      assert.ok(last.gen.end !== null, 'the generation ended');
      assert.ok(last.ids.length > 0);
      assert.equal(await client.detokenize(SMALL, last.ids), last.gen.generated);
    } finally { client.close(); }
  });
});
