// EG-CFG's local-model path on a real model (real-model tier): the local inference service (python/local_infer/) on
// SmolLM2-135M-Instruct's Hugging Face folder. A guided line (γ = 3) decoded by the service equals a reference
// computed here from the same model's two full-vocabulary logprob vectors per token (cfg.ts's formula on the whole
// vocabulary); decoding with the KV caches equals decoding without them. Needs the trainer env and the model's HF
// folder (test/run.sh installs the env; the folder is made on first use, ~70 s).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ModelClient } from '../../activities/model/openai-client.ts';
import { guidedLine } from '../../activities/model/local-infer-client.ts';
import { cfgArgmax, type TopK } from '../../core/egcfg/cfg.ts';
import { catalogueModel } from '../../core/models/catalogue.ts';
import { ensureLocalInfer } from '../../core/models/local-infer.ts';
import { realTier } from '../support/real-tier.ts';

const NAME = 'smollm2-135m-instruct';
const UNCOND = 'def add(a, b):\n    """Add two numbers."""\n';
const COND = '# Runtime behavior: add(2, 3) returned 6; the test expects 5\ndef add(a, b):\n    """Add two numbers."""\n';

describe('EG-CFG local path on the local inference service (real-model tier)', { timeout: 20 * 60_000 }, () => {
  const tier = realTier('egcfg-local-');
  let url = '';
  let client: ModelClient;

  const prompts = async () => {
    url ||= (await ensureLocalInfer(tier.dataDir, catalogueModel(NAME), { log: () => {} })).url;
    client ??= new ModelClient({ baseUrl: url });
    const ids = async (t: string) => (await client.tokenize(NAME, t, { addSpecialTokens: false })).tokens;
    return { u: await ids(UNCOND), c: await ids(COND) };
  };

  /** The full next-token distribution of a prompt, from a no-cache forward (/v1/completions, every logprob). */
  const fullTopK = async (prompt: number[], vocab: number): Promise<TopK> => {
    const r = await client.completions({ model: NAME, prompt, max_tokens: 1, temperature: 0, logprobs: vocab, return_tokens_as_token_ids: true });
    const map = r.choices[0]?.logprobs?.top_logprobs?.[0];
    assert.ok(map, 'top_logprobs of the first token');
    return Object.entries(map).map(([k, logprob]) => ({ tokenId: Number(k.slice('token_id:'.length)), logprob }));
  };

  test('a γ = 3 guided line equals the full-vocabulary CFG of the two logprob vectors, token by token', { timeout: 6 * 60_000 }, async () => {
    const { u, c } = await prompts();
    const line = await guidedLine(url, { uncond_ids: u, cond_ids: c, gamma: 3, max_tokens: 6, top_logprobs: 3 });
    assert.equal(line.guided, true);
    assert.ok(line.tokens.length > 0);
    const vocab = 49152; // SmolLM2's vocabulary
    const chosen: number[] = [];
    for (const t of line.tokens) {
      const uTop = await fullTopK([...u, ...chosen], vocab);
      const cTop = await fullTopK([...c, ...chosen], vocab);
      assert.equal(uTop.length, vocab, 'every token of the vocabulary');
      const ref = cfgArgmax(uTop, cTop, 3);
      assert.equal(t.id, ref.tokenId, `token ${chosen.length}: service ${t.id}, reference ${ref.tokenId}`);
      assert.equal(t.uncond_argmax, ref.uncondTokenId);
      assert.equal(t.cond_argmax, ref.condTokenId);
      assert.equal(t.changed, ref.changed);
      chosen.push(t.id);
    }
  });

  test('KV-cache decoding equals decoding without caches (fresh, then continuing a cached sequence)', { timeout: 6 * 60_000 }, async () => {
    const { u, c } = await prompts();
    const strip = (r: Awaited<ReturnType<typeof guidedLine>>) => r.tokens.map((t) => [t.id, t.uncond_argmax, t.cond_argmax]);
    const cached = await guidedLine(url, { uncond_ids: u, cond_ids: c, gamma: 0.5, max_tokens: 5 });
    const plain = await guidedLine(url, { uncond_ids: u, cond_ids: c, gamma: 0.5, max_tokens: 5, cache: false });
    assert.deepEqual(strip(cached), strip(plain));
    // The next call extends the sequences the first one left in the cache.
    const more = cached.tokens.filter((t) => !t.eos).map((t) => t.id);
    const next = await guidedLine(url, { uncond_ids: [...u, ...more], cond_ids: [...c, ...more], gamma: 0.5, max_tokens: 4 });
    const nextPlain = await guidedLine(url, { uncond_ids: [...u, ...more], cond_ids: [...c, ...more], gamma: 0.5, max_tokens: 4, cache: false });
    assert.deepEqual(strip(next), strip(nextPlain));
  });
});
