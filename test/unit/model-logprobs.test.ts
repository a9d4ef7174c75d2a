// Parsing vLLM top_logprobs maps, in both key forms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { choiceTopLogprobs, parseTokenKey, parseTopLogprobs, type CompletionChoice } from '../../activities/model/protocol.ts';

test('token_id:<n> keys give the id; other keys are token text', { timeout: 60_000 }, () => {
  assert.deepEqual(parseTokenKey('token_id:42'), { tokenId: 42, text: '' });
  assert.deepEqual(parseTokenKey(' return'), { text: ' return' });
  assert.deepEqual(parseTokenKey('token_id:'), { text: 'token_id:' });
  assert.deepEqual(parseTokenKey('token_id:-1'), { text: 'token_id:-1' });
});

test('a top_logprobs map becomes a list, most likely first, ties by key', { timeout: 60_000 }, () => {
  const got = parseTopLogprobs({ 'token_id:7': -2, 'token_id:3': -0.1, 'token_id:9': -2, 'token_id:1': -9999 });
  assert.deepEqual(got.map((t) => t.tokenId), [3, 7, 9, 1]);
  assert.deepEqual(got[0], { key: 'token_id:3', tokenId: 3, text: '', logprob: -0.1 });
  assert.deepEqual(parseTopLogprobs({ ' +': -0.5, ' -': -1.5 }).map((t) => t.text), [' +', ' -']);
  assert.deepEqual(parseTopLogprobs(null), []);
  assert.throws(() => parseTopLogprobs({ x: Number.NaN }), /non-numeric logprob/);
});

test('choiceTopLogprobs reads one position and says what is missing', { timeout: 60_000 }, () => {
  const choice: CompletionChoice = {
    index: 0, text: 'ab', finish_reason: 'length',
    logprobs: { tokens: ['a', 'b'], token_logprobs: [-0.1, -0.2], text_offset: [0, 1], top_logprobs: [{ a: -0.1, c: -3 }, { b: -0.2 }] },
  };
  assert.deepEqual(choiceTopLogprobs(choice, 0).map((t) => t.text), ['a', 'c']);
  assert.deepEqual(choiceTopLogprobs(choice, 1).map((t) => t.text), ['b']);
  assert.throws(() => choiceTopLogprobs(choice, 2), /has 2 logprob positions, asked for position 2/);
  assert.throws(() => choiceTopLogprobs({ ...choice, logprobs: null }), /no logprobs/);
});
