// Seeded, serialisable PRNG for the BTP cycle (pure: no I/O, no Date, no Math.random).
// xoshiro128** (Blackman & Vigna) with its 128-bit state seeded by splitmix32 from a number or a string.
// The state is four uint32 words that can be saved (getState) and restored (rngFromState), so a Temporal
// workflow that continues-as-new resumes the exact same stream.
import { z } from 'zod';

export interface Rng {
  /** Next uniformly distributed uint32. */
  nextU32(): number;
  /** Uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number;
  /** Uniform integer in [0, n) without modulo bias; n must be a positive safe integer ≤ 2^32. */
  nextInt(n: number): number;
  /** The four uint32 words of the current state (a copy). */
  getState(): [number, number, number, number];
}

export const RngSeedSchema = z.union([z.number().int().safe(), z.string()]);
export type RngSeed = z.infer<typeof RngSeedSchema>;

export const RngStateSchema = z
  .tuple([z.number().int().min(0).max(0xffffffff), z.number().int().min(0).max(0xffffffff), z.number().int().min(0).max(0xffffffff), z.number().int().min(0).max(0xffffffff)])
  .refine((s) => (s[0] | s[1] | s[2] | s[3]) !== 0, { message: 'xoshiro128** state must not be all zero' });

/** splitmix32 step: returns [output, nextState]. */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [z >>> 0, next];
}

/** 32-bit FNV-1a over the UTF-16 code units of a string, used only to turn string seeds into numbers. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function seedWords(seed: RngSeed): [number, number, number, number] {
  let s: number;
  if (typeof seed === 'string') {
    s = hashString(seed);
  } else {
    // Mix both halves of a safe integer so that seeds ≥ 2^32 differ from their low word.
    const hi = Math.floor(seed / 0x100000000);
    s = (seed >>> 0) ^ Math.imul(hi | 0, 0x9e3779b1);
  }
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [v, n] = splitmix32(s);
    out.push(v);
    s = n;
  }
  if ((out[0]! | out[1]! | out[2]! | out[3]!) === 0) out[0] = 1;
  return [out[0]!, out[1]!, out[2]!, out[3]!];
}

class Xoshiro128ss implements Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(state: readonly [number, number, number, number]) {
    this.s0 = state[0] | 0;
    this.s1 = state[1] | 0;
    this.s2 = state[2] | 0;
    this.s3 = state[3] | 0;
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  nextFloat(): number {
    const a = this.nextU32() >>> 5; // 27 bits
    const b = this.nextU32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) {
      throw new RangeError(`nextInt: n must be an integer in [1, 2^32], got ${n}`);
    }
    // Rejection sampling: drop the incomplete top block of the 32-bit range, so the result is exactly uniform.
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  getState(): [number, number, number, number] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A new generator from a seed (an integer or a string, e.g. `${campaignId}/${iteration}`). */
export function createRng(seed: RngSeed): Rng {
  const parsed = RngSeedSchema.safeParse(seed);
  if (!parsed.success) throw new TypeError(`createRng: seed must be a safe integer or a string, got ${String(seed)}`);
  return new Xoshiro128ss(seedWords(parsed.data));
}

/** Restores a generator saved with getState(). */
export function rngFromState(state: readonly number[]): Rng {
  const parsed = RngStateSchema.safeParse(state);
  if (!parsed.success) {
    throw new TypeError(`rngFromState: state must be four uint32 words, not all zero: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  return new Xoshiro128ss(parsed.data);
}
