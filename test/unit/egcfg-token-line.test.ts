import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTokenPrefix, lineOnTokenBoundary } from '../../core/egcfg/token-line.ts';
import { applyLine, startGeneration } from '../../core/egcfg/generation.ts';

// Hand-made SmolLM2-like tokens: "\n   " is one token (newline merged with the next line's indentation).
const T = { n: { id: 77, text: 'n' }, close: { id: 5, text: '):' }, nlIndent: { id: 198 + 1000, text: '\n   ' }, ret: { id: 900, text: ' return' }, sp: { id: 30, text: ' n' } };

describe('lineOnTokenBoundary', { timeout: 60_000 }, () => {
  it('keeps the whole token that holds the newline, with its indentation, and its id (not a re-tokenized bare "\\n")', () => {
    const line = lineOnTokenBoundary('n):\n    return n', [T.n, T.close, T.nlIndent, T.ret, T.sp]);
    assert.deepEqual(line, { ids: [77, 5, 1198], append: 'n):\n   ', lineComplete: true, ended: false });
  });
  it('a reply with no newline keeps all its tokens (cut at 64 tokens); an EOS-marker reply ends', () => {
    assert.deepEqual(lineOnTokenBoundary('n):', [T.n, T.close]), { ids: [77, 5], append: 'n):', lineComplete: false, ended: false });
    assert.deepEqual(lineOnTokenBoundary('<|im_end|>', [{ id: 2, text: '<|im_end|>' }]), { ids: [], append: '', lineComplete: false, ended: true });
    assert.deepEqual(lineOnTokenBoundary('x<|im_end|>', [{ id: 9, text: 'x' }, { id: 2, text: '<|im_end|>' }]), { ids: [9], append: 'x', lineComplete: false, ended: false });
  });
  it('tokens that do not spell the reply (byte pieces, other ids) give null: the caller re-tokenizes', () => {
    assert.equal(lineOnTokenBoundary('é\n', [{ id: 1, text: '\uFFFD' }, { id: 2, text: '\uFFFD' }, { id: 3, text: '\n' }]), null);
    assert.equal(lineOnTokenBoundary('ab\n', [{ id: 1, text: 'a' }]), null);
    assert.equal(lineOnTokenBoundary('ab\n', [{ id: 1, text: 'a' }, { id: 3, text: '' }, { id: 2, text: 'b\n' }]), null);
  });
  it('a newline token that would carry an EOS marker is refused', () => {
    assert.equal(lineOnTokenBoundary('x\n<|im_end|>', [{ id: 1, text: 'x' }, { id: 2, text: '\n<|im_end|>' }]), null);
  });
  it('applyLine appends the token-boundary text (indentation included) and charges its token count', () => {
    const spec = { entryPoint: 'find_Volume', gamma: 1, k: 1, maxNewTokens: 100 };
    const s = applyLine(spec, startGeneration('```python\n', 'def find_Volume('), { completion: 'n):\n    return n', appendedTokens: 3, append: 'n):\n   ' });
    assert.equal(s.generated, 'def find_Volume(n):\n   ');
    assert.equal(s.newTokens, 3);
    const old = applyLine(spec, startGeneration('```python\n', 'def find_Volume('), { completion: 'n):\n    return n', appendedTokens: 3 });
    assert.equal(old.generated, 'def find_Volume(n):\n');
  });
  it('isTokenPrefix: a prompt ending on a bare "\\n" is not a prefix of the canonical tokens of its continuation', () => {
    assert.equal(isTokenPrefix([77, 5, 1198], [77, 5, 1198, 900, 30]), true);
    assert.equal(isTokenPrefix([77, 5, 198], [77, 5, 1198, 900, 30]), false);
    assert.equal(isTokenPrefix([1, 2, 3], [1, 2]), false);
  });
});
