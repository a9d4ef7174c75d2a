// Issue 11 item 4: every sampled model call of a generation gets its own seed, derived from the generation's seed
// (agentSeed, from the campaign seed) and the call's place, so the γ = 0 completion and the reasoning-prefix calls of
// γ = 0.5, 1, 3 of one agent are no longer the same request; the same call always gets the same seed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentSeed, callSeed, MAX_CALL_SEED } from '../../core/egcfg/seed.ts';

describe('per-call seeds', { timeout: 60_000 }, () => {
  const cfg = { t: 0.7, s: 3, d: 2, partialEnabled: false };
  it('differ between the γ = 0 completion and the reasoning calls of the other γ of one agent', () => {
    const g = agentSeed(cfg, 0, 40);
    const seeds = [0, 0.5, 1, 3].map((gamma) => callSeed(g, ['reasoning', gamma, 0]));
    assert.equal(new Set(seeds).size, 4, seeds.join(', '));
  });
  it('differ per try, line, side and request, and stay in 0 .. 2^31 − 2', () => {
    const g = agentSeed(cfg, 0, 40);
    const seeds = [
      callSeed(g, ['reasoning', 3, 0]), callSeed(g, ['reasoning', 3, 1]),
      callSeed(g, ['candidates', 3, 0, 'uncond', 0]), callSeed(g, ['candidates', 3, 1, 'uncond', 0]),
      callSeed(g, ['candidates', 3, 1, 'cond', 0]), callSeed(g, ['candidates', 3, 1, 'uncond', 1]),
    ];
    assert.equal(new Set(seeds).size, seeds.length);
    for (const s of seeds) assert.ok(Number.isInteger(s) && s >= 0 && s < MAX_CALL_SEED);
  });
  it('are reproducible from the campaign seed, and change with it', () => {
    assert.equal(callSeed(agentSeed(cfg, 0, 40), ['reasoning', 0, 0]), callSeed(agentSeed(cfg, 0, 40), ['reasoning', 0, 0]));
    assert.notEqual(callSeed(agentSeed(cfg, 0, 40), ['reasoning', 0, 0]), callSeed(agentSeed(cfg, 0, 41), ['reasoning', 0, 0]));
    // sha256 of the JSON [generationSeed, ...parts]: a fixed value pins the derivation.
    assert.equal(callSeed(100, ['reasoning', 0, 0]), 653817534);
    assert.throws(() => callSeed(1.5, []), /generationSeed/);
  });
});
