/**
 * The fair-price process of a market: geometric Brownian motion with Poisson jumps (Merton
 * jump-diffusion), advanced lazily to the virtual time of each engine action. Index and mark prices
 * are derived from it: the index is the fair price seen through a little oracle noise, the mark the
 * median of index, best bid and best ask.
 */
import type { MarketSpec } from "./markets.ts";
import type { SimRng } from "./rng.ts";

const YEAR_MS = 365 * 24 * 3_600_000;
const DAY_MS = 24 * 3_600_000;

/** Fair price of one market (a float in USD; the book and trades use ticks). */
export class FairPrice {
  private logPrice: number;
  private lastAt: number;
  private readonly sigmaPerMs: number;
  private readonly jumpPerMs: number;

  constructor(private readonly spec: MarketSpec, startMs: number, startPrice = spec.startPrice) {
    this.logPrice = Math.log(startPrice);
    this.lastAt = startMs;
    this.sigmaPerMs = spec.annualVol / Math.sqrt(YEAR_MS);
    this.jumpPerMs = spec.jumpsPerDay / DAY_MS;
  }

  get value(): number {
    return Math.exp(this.logPrice);
  }

  /** Moves the price to virtual time `now` (two draws per call, whatever the elapsed time). */
  advance(now: number, rng: SimRng): void {
    const dt = now - this.lastAt;
    if (dt <= 0) return;
    this.lastAt = now;
    const sigma = this.sigmaPerMs * Math.sqrt(dt);
    this.logPrice += sigma * rng.normal() - (sigma * sigma) / 2;
    if (rng.next() < this.jumpPerMs * dt) this.logPrice += this.spec.jumpSigma * rng.normal() * 2;
  }

  /** Applies an immediate relative jump (tests and demos: `shock(-0.2)` drops the price 20%). */
  shock(fraction: number): void {
    this.logPrice += Math.log(1 + fraction);
  }
}

/** The median of three numbers (mark = median(index, best bid, best ask)). */
export function median3(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}
