/**
 * Reconnect delays: exponential backoff with **full jitter** (AWS architecture blog, "Exponential
 * Backoff and Jitter"): attempt n waits a uniform random time in [0, min(cap, base × 2^n)).
 * Full jitter spreads a fleet of clients that lost the venue at the same instant.
 */
export interface BackoffOptions {
  /** First ceiling, ms (default 250). */
  baseMs?: number;
  /** Largest ceiling, ms (default 30 000). */
  capMs?: number;
  /** Uniform [0, 1) source; injectable for tests. */
  random?: () => number;
}

export class Backoff {
  private attemptValue = 0;
  readonly baseMs: number;
  readonly capMs: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 250;
    this.capMs = opts.capMs ?? 30_000;
    this.random = opts.random ?? Math.random;
    if (!(this.baseMs > 0) || !(this.capMs >= this.baseMs)) throw new RangeError("need 0 < baseMs <= capMs");
  }

  /** Attempts since the last reset. */
  get attempt(): number {
    return this.attemptValue;
  }

  /** The ceiling of the next delay. */
  ceiling(): number {
    // 2^attempt overflows to Infinity for large attempts, which Math.min caps.
    return Math.min(this.capMs, this.baseMs * 2 ** this.attemptValue);
  }

  /** The next delay in ms, and counts the attempt. */
  next(): number {
    const delay = Math.floor(this.random() * this.ceiling());
    this.attemptValue++;
    return delay;
  }

  /** Back to the first attempt (after a connection proved stable). */
  reset(): void {
    this.attemptValue = 0;
  }
}
