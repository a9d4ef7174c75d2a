// Per-configuration random seeds (spec §1.2). ACTIVITY / CLIENT SIDE ONLY: uses node:crypto, so Temporal workflows
// must not import this file (compute the seed in an activity or when the campaign is planned, and pass it in).
//
// seed = (int(sha256(json.dumps([t, s, d, partial_enabled])).hexdigest(), 16) mod 1000) + 40 + retryIdx
//
// The JSON list is serialised exactly as Python's json.dumps with default separators would print it for a float t,
// int s, int-or-None d and a bool: `[0.7, 3, 2, false]`, `[1.0, 3, null, false]` (t always printed as a Python float;
// an unbounded d is printed as null). The sha256 is over its UTF-8 bytes; the hex digest is read as one big-endian
// integer. k and the prompt type are not part of the key, so agents that differ only in those share a seed.

import { createHash } from 'node:crypto';
import { BASE_SEED } from './constants.ts';
import type { AgentConfig } from './grid.ts';
import { pyJsonDumpsList } from './pyrepr.ts';

/** The exact string that is hashed, e.g. `[0.7, 3, 2, false]`. */
export function seedKey(cfg: Pick<AgentConfig, 't' | 's' | 'd' | 'partialEnabled'>): string {
  return pyJsonDumpsList([{ float: cfg.t }, { int: cfg.s }, cfg.d === null ? null : { int: cfg.d }, cfg.partialEnabled]);
}

/** sha256(seedKey) mod 1000. */
export function seedResidue(cfg: Pick<AgentConfig, 't' | 's' | 'd' | 'partialEnabled'>): number {
  const hex = createHash('sha256').update(seedKey(cfg), 'utf8').digest('hex');
  return Number(BigInt(`0x${hex}`) % 1000n);
}

/** The seed of one attempt: residue + base (40) + retryIdx (0 for the first attempt). */
export function agentSeed(cfg: Pick<AgentConfig, 't' | 's' | 'd' | 'partialEnabled'>, retryIdx = 0, baseSeed = BASE_SEED): number {
  if (!Number.isInteger(retryIdx) || retryIdx < 0) throw new RangeError(`agentSeed: retryIdx must be an integer >= 0, got ${String(retryIdx)}`);
  if (!Number.isInteger(baseSeed)) throw new RangeError(`agentSeed: baseSeed must be an integer, got ${String(baseSeed)}`);
  return seedResidue(cfg) + baseSeed + retryIdx;
}

/** Largest seed sent to a model server (vLLM and llama.cpp take any non-negative 32-bit value; 2^31 − 1 fits every backend). */
export const MAX_CALL_SEED = 2 ** 31 - 1;

/**
 * The seed of ONE sampled model call, derived from the generation's seed (agentSeed, itself from the campaign seed)
 * and what identifies the call: its kind, γ, and its place in the generation (try, line, side, request). Sending the
 * agent seed on every request made the γ = 0 completion and the reasoning-prefix calls of γ = 0.5, 1 and 3 of an agent
 * identical requests (same prompt, temperature and seed), so they returned the same text. The authors send no seed to
 * their endpoint at all (they seed Python's and torch's RNGs, which the API calls do not read), so their calls are
 * independent draws; a derived seed per call keeps them independent and reproducible.
 * seed = int(sha256(json [generationSeed, ...parts]), 16) mod (2^31 − 1).
 */
export function callSeed(generationSeed: number, parts: ReadonlyArray<string | number>): number {
  if (!Number.isInteger(generationSeed)) throw new RangeError(`callSeed: generationSeed must be an integer, got ${String(generationSeed)}`);
  const hex = createHash('sha256').update(JSON.stringify([generationSeed, ...parts]), 'utf8').digest('hex');
  return Number(BigInt(`0x${hex}`) % BigInt(MAX_CALL_SEED));
}
