/**
 * A seeded pseudo-random generator (mulberry32) for property tests, simulators and fixtures: the same
 * seed always yields the same sequence, so a failing case can be replayed from its seed. Not for
 * anything secret (use `crypto` for keys and tokens).
 */
export interface Random {
  /** The seed this generator started from, to print next to a failing property. */
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  bool(p?: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
}

/** Creates a mulberry32 generator. The seed is taken modulo 2^32. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    // mulberry32 (Tommy Ettinger): 32-bit state, full period, good enough for test data.
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    int(min, max) {
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
        throw new RangeError(`bad integer range [${min}, ${max}]`);
      }
      // Multiplying a float in [0, 1) keeps ranges up to 2^53 reachable (coarsely above 2^32).
      return min + Math.floor(next() * (max - min + 1));
    },
    bool(p = 0.5) {
      return next() < p;
    },
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError("pick from an empty array");
      return items[Math.floor(next() * items.length)] as T;
    },
  };
}
