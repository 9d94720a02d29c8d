/**
 * The simulator's only source of randomness: a seeded generator (mulberry32 from `lib/random`)
 * plus the distributions the market model needs. Same seed → same draws → same events.
 */
import { createRandom, type Random } from "../../../../lib/random.ts";

/** Seeded random draws for the simulator. */
export class SimRng {
  private readonly base: Random;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    this.base = createRandom(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.base.next();
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.base.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.base.next() < p;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.base.next();
  }

  /** Standard normal (Marsaglia polar method; caches the second draw). */
  normal(): number {
    if (this.spareNormal !== null) {
      const s = this.spareNormal;
      this.spareNormal = null;
      return s;
    }
    for (;;) {
      const u = 2 * this.base.next() - 1;
      const v = 2 * this.base.next() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        this.spareNormal = v * m;
        return u * m;
      }
    }
  }

  /** Exponential waiting time with the given rate (events per unit). */
  exponential(rate: number): number {
    return -Math.log(1 - this.base.next()) / rate;
  }

  /** Pareto with scale `xm` and tail index `alpha` (heavy tail for alpha < 2: whales exist). */
  pareto(xm: number, alpha: number): number {
    return xm / Math.pow(1 - this.base.next(), 1 / alpha);
  }

  /** Log-normal with the given log-mean and log-sd. */
  lognormal(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.normal());
  }

  /** Poisson count with mean `lambda` (Knuth for small means, normal approximation above 30). */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = this.base.next();
    while (p > limit) {
      k++;
      p *= this.base.next();
    }
    return k;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return this.base.pick(items);
  }

  /** 64 hex characters (a transaction hash look-alike). */
  hex64(): string {
    let out = "";
    for (let i = 0; i < 8; i++) out += (Math.floor(this.base.next() * 0x100000000) >>> 0).toString(16).padStart(8, "0");
    return out;
  }
}
