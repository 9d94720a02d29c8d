/**
 * The RateLimiter contract, run by every adapter's test file with a ManualClock. Exactness tests pin
 * the GCRA semantics (burst = limit, refill at limit/windowMs). The property test checks random
 * schedules against an independent token-bucket model and against the admission envelope.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ManualClock } from "../lib/clock.ts";
import type { LimitDecision, RateLimiter } from "./ports.ts";

/** What a backend's test file supplies: a limiter reading time from `clock`. */
export interface RateLimiterHarness {
  limiter: RateLimiter;
  close(): Promise<void>;
}

const T0 = 1_700_000_000_000;

/** mulberry32: a small seeded PRNG, so a failing schedule can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ceilDiv = (a: number, b: number) => Math.floor((a + b - 1) / b);

/**
 * The same semantics written as a token bucket rather than a TAT, in integer units of 1/windowMs
 * request. That keeps it exact and makes it an independent oracle for the GCRA implementations.
 */
export class ReferenceBucket {
  private scaled: number;
  private last: number;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    now: number,
  ) {
    this.scaled = limit * windowMs;
    this.last = now;
  }

  consume(now: number, cost: number): LimitDecision {
    const { limit, windowMs } = this;
    this.scaled = Math.min(limit * windowMs, this.scaled + (now - this.last) * limit);
    this.last = now;
    const need = cost * windowMs;
    const allowed = this.scaled >= need;
    if (allowed) this.scaled -= need;
    return {
      allowed,
      limit,
      remaining: Math.floor(this.scaled / windowMs),
      resetAt: now + ceilDiv(limit * windowMs - this.scaled, limit),
      retryAfterMs: allowed ? 0 : ceilDiv(need - this.scaled, limit),
    };
  }
}

/** Registers the rate limiter contract under `describe(name)`. */
export function rateLimiterContract(name: string, makeHarness: (clock: ManualClock) => Promise<RateLimiterHarness>): void {
  describe(name, () => {
    const clock = new ManualClock(T0);
    let h: RateLimiterHarness;
    let n = 0;
    const key = (label: string) => `${label}:${++n}`;
    const consume = (k: string, limit: number, windowMs: number, cost?: number) => h.limiter.consume(k, limit, windowMs, cost);

    beforeAll(async () => {
      h = await makeHarness(clock);
    });
    afterAll(async () => {
      await h?.close();
    });

    test("a fresh key admits the whole limit at once, remaining counting down to 0", async () => {
      const k = key("burst");
      const now = clock.now();
      const got: LimitDecision[] = [];
      for (let i = 0; i < 5; i++) got.push(await consume(k, 5, 1_000));
      expect(got).toEqual(
        [4, 3, 2, 1, 0].map((remaining, i) => ({ allowed: true, limit: 5, remaining, resetAt: now + (i + 1) * 200, retryAfterMs: 0 })),
      );
    });

    test("the request after the limit is denied, with retryAfter = one emission interval", async () => {
      const k = key("deny");
      const now = clock.now();
      for (let i = 0; i < 5; i++) await consume(k, 5, 1_000);
      expect(await consume(k, 5, 1_000)).toEqual({ allowed: false, limit: 5, remaining: 0, resetAt: now + 1_000, retryAfterMs: 200 });
    });

    test("retryAfterMs is exact: denied 1 ms before it, admitted at it", async () => {
      const k = key("retry");
      for (let i = 0; i < 4; i++) await consume(k, 4, 1_000);
      const denied = await consume(k, 4, 1_000);
      expect(denied.retryAfterMs).toBe(250);
      clock.advance(denied.retryAfterMs - 1);
      expect(await consume(k, 4, 1_000)).toMatchObject({ allowed: false, retryAfterMs: 1 });
      clock.advance(1);
      expect(await consume(k, 4, 1_000)).toMatchObject({ allowed: true, remaining: 0 });
    });

    test("denied requests consume nothing", async () => {
      const k = key("no-charge");
      for (let i = 0; i < 3; i++) await consume(k, 3, 300);
      for (let i = 0; i < 50; i++) expect((await consume(k, 3, 300)).allowed).toBe(false);
      clock.advance(100);
      expect((await consume(k, 3, 300)).allowed).toBe(true);
      expect((await consume(k, 3, 300)).allowed).toBe(false);
    });

    test("capacity returns gradually and the bucket is full again windowMs after a burst", async () => {
      const k = key("refill");
      for (let i = 0; i < 10; i++) await consume(k, 10, 1_000);
      clock.advance(300);
      const partial = [];
      for (let i = 0; i < 4; i++) partial.push((await consume(k, 10, 1_000)).allowed);
      expect(partial).toEqual([true, true, true, false]);
      clock.advance(1_000);
      const full = await consume(k, 10, 1_000);
      expect(full).toMatchObject({ allowed: true, remaining: 9, resetAt: clock.now() + 100 });
    });

    test("a fractional emission interval (1000/3 ms) is exact, not rounded", async () => {
      const k = key("thirds");
      const start = clock.now();
      for (let i = 0; i < 3; i++) expect((await consume(k, 3, 1_000)).allowed).toBe(true);
      clock.advance(333); // 333 < 333.33…: not yet
      expect(await consume(k, 3, 1_000)).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 1, resetAt: start + 1_000 });
      clock.advance(1);
      expect(await consume(k, 3, 1_000)).toMatchObject({ allowed: true, remaining: 0, resetAt: start + 1_334 });
      // Three intervals after the burst add up to exactly 1000 ms again: full at start + 1333.33…
      clock.set(start + 1_334);
      expect(await consume(k, 3, 1_000)).toMatchObject({ allowed: true, remaining: 2 });
    });

    test("cost > 1 consumes several; a cost that does not fit is denied and leaves the rest usable", async () => {
      const k = key("cost");
      expect(await consume(k, 10, 1_000, 7)).toMatchObject({ allowed: true, remaining: 3 });
      expect(await consume(k, 10, 1_000, 4)).toMatchObject({ allowed: false, remaining: 3, retryAfterMs: 100 });
      expect(await consume(k, 10, 1_000, 3)).toMatchObject({ allowed: true, remaining: 0 });
    });

    test("keys are independent", async () => {
      const a = key("a");
      const b = key("b");
      await consume(a, 1, 60_000);
      expect((await consume(a, 1, 60_000)).allowed).toBe(false);
      expect((await consume(b, 1, 60_000)).allowed).toBe(true);
    });

    test("arguments it cannot honour are rejected with RangeError", async () => {
      const k = key("bad");
      const bad: Array<[number, number, number]> = [
        [0, 1_000, 1],
        [5, 0, 1],
        [5, 1_000, 0],
        [5, 1_000, 1.5],
        [2.5, 1_000, 1],
        [5, 1_000, 6], // more than the bucket holds: could never be admitted
        [2 ** 40, 2 ** 20, 1], // limit × windowMs beyond 2^53
      ];
      for (const [limit, windowMs, cost] of bad) {
        await expect(consume(k, limit, windowMs, cost)).rejects.toBeInstanceOf(RangeError);
      }
    });

    test("property: random schedules match the token-bucket model and stay within the envelope", async () => {
      let checked = 0;
      for (const seed of [1, 7, 42, 2024]) {
        const rand = seededRandom(seed);
        const limit = 1 + Math.floor(rand() * 25);
        const windowMs = 1 + Math.floor(rand() * 5_000);
        const k = key(`prop-${seed}`);
        const model = new ReferenceBucket(limit, windowMs, clock.now());
        const admitted: Array<{ t: number; cost: number }> = [];
        for (let step = 0; step < 600; step++) {
          const r = rand();
          // Bursts at one instant, gaps around the emission interval, and now and then a long pause.
          const gap = r < 0.3 ? 0 : r < 0.95 ? Math.floor(rand() * ((2 * windowMs) / limit + 1)) : Math.floor(rand() * 2 * windowMs);
          clock.advance(gap);
          const cost = rand() < 0.7 ? 1 : 1 + Math.floor(rand() * Math.min(limit, 4));
          const got = await consume(k, limit, windowMs, cost);
          const want = model.consume(clock.now(), cost);
          // Context in the compared object, so a failure names the schedule to replay.
          expect({ seed, step, limit, windowMs, cost, got }).toEqual({ seed, step, limit, windowMs, cost, got: want });
          expect(got.remaining).toBeGreaterThanOrEqual(0);
          expect(got.remaining).toBeLessThanOrEqual(limit);
          expect(got.allowed ? got.retryAfterMs === 0 : got.retryAfterMs > 0).toBe(true);
          if (got.allowed) admitted.push({ t: clock.now(), cost });
        }
        // Envelope: over any interval [t_i, t_j], admitted cost ≤ limit + (t_j − t_i)·limit/windowMs.
        // So never more than `limit` at one instant and never more than 2·limit − 1 in a window.
        for (let i = 0; i < admitted.length; i++) {
          let sum = 0;
          for (let j = i; j < admitted.length; j++) {
            sum += admitted[j]!.cost;
            const span = admitted[j]!.t - admitted[i]!.t;
            if ((sum - limit) * windowMs > span * limit) {
              throw new Error(`seed ${seed}: ${sum} admitted within ${span} ms exceeds the envelope (limit ${limit}/${windowMs} ms)`);
            }
            checked++;
          }
        }
        clock.advance(10 * windowMs);
      }
      expect(checked).toBeGreaterThan(1_000);
    });

    test("ping resolves while the backend is up", async () => {
      await h.limiter.ping();
    });
  });
}
