/**
 * A small, fast, seeded PRNG (mulberry32) and a hash to derive independent streams from
 * (seed, index) pairs. The simulator generates alert n on demand from (seed, n) alone, so an
 * alert's content never depends on which other alerts were generated before it.
 */

/** A stream of pseudo-random numbers; not for cryptography. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform 32-bit unsigned integer. */
  u32(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** True with probability p. */
  chance(p: number): boolean;
}

/** Mixes any number of 32-bit values into one seed (murmur3 finaliser per step). */
export function hashSeed(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) {
    h = Math.imul(h ^ (v >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    // Values above 2^32 (large indexes) contribute their high part too.
    const high = Math.floor(v / 0x1_0000_0000);
    if (high !== 0) h = Math.imul(h ^ high, 0x27d4eb2f);
  }
  return h >>> 0;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const u32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => u32() / 0x1_0000_0000;
  return {
    next,
    u32,
    int: (n) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
    chance: (p) => next() < p,
  };
}
