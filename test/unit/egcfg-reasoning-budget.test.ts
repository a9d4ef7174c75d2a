import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultReasoningBudget, nextReasoningTry } from '../../core/egcfg/reasoning-budget.ts';
import { checkpointedTries } from '../../activities/egcfg/reasoning-tries.ts';

describe('reasoning tries: budget per γ and checkpoint (issue 11 item 8)', { timeout: 60_000 }, () => {
  it('the default budget is the authors\' 10 tries × max_tokens: never hit before try 10', () => {
    const b = defaultReasoningBudget(2048);
    assert.deepEqual(b, { tries: 10, tokens: 20_480 });
    for (let r = 0; r < 10; r++) assert.deepEqual(nextReasoningTry(b, r, r * 2048, 2048), { maxTokens: 2048 });
    assert.deepEqual(nextReasoningTry(b, 10, 0, 2048), { exhausted: 'tries' });
  });
  it('a lower budget stops on tries or tokens, and the last try gets only what is left', () => {
    assert.deepEqual(nextReasoningTry({ tries: 3, tokens: 100_000 }, 3, 0, 2048), { exhausted: 'tries' });
    assert.deepEqual(nextReasoningTry({ tries: 10, tokens: 3000 }, 1, 2048, 2048), { maxTokens: 952 });
    assert.deepEqual(nextReasoningTry({ tries: 10, tokens: 3000 }, 2, 3000, 2048), { exhausted: 'tokens' });
    assert.throws(() => nextReasoningTry({ tries: 1, tokens: 1 }, -1, 0, 1), /attempt/);
  });
  it('a retry resumes from the tries its previous attempt checkpointed — for the same step only', () => {
    const tries = [{ temperature: 0.7, seed: 5, text: 'no def here', accepted: false, completionTokens: 2048 }];
    const details = [{ generationId: 7, seq: 0, reasoningTries: tries, modelRetry: 2 }];
    assert.deepEqual(checkpointedTries(details, { generationId: 7, seq: 0 }), tries);
    assert.deepEqual(checkpointedTries(details[0], { generationId: 7, seq: 0 }), tries);
    assert.deepEqual(checkpointedTries(details, { generationId: 8, seq: 0 }), []);
    assert.deepEqual(checkpointedTries(undefined, { generationId: 7, seq: 0 }), []);
    assert.deepEqual(checkpointedTries([{ generationId: 7, seq: 0, reasoningTries: [{ text: 1 }] }], { generationId: 7, seq: 0 }), []);
  });
});
