/**
 * The RateLimiter contract, run by every adapter's test file with a ManualClock. The exact tests pin
 * the sliding-window semantics (slots of windowMs/60, the oldest overlapping slot counted whole);
 * the property test runs random schedules against an independent model kept as a log of admissions
 * and checks the guarantee itself: never more than `limit` admitted in ANY interval of windowMs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ManualClock } from "../lib/clock.ts";
import { createRandom } from "../lib/random.ts";
import type { LimitDecision, RateLimiter } from "./ports.ts";

/** What a backend's test file supplies: a limiter reading time from `clock`. */
export interface RateLimiterHarness {
  limiter: RateLimiter;
  close(): Promise<void>;
}

/** A multiple of 60 s, so minute windows start on a slot boundary in the exact tests. */
const T0 = 1_700_000_040_000;
const MIN = 60_000;

/**
 * The semantics restated over a log of admissions instead of slot counters: admit when the cost
 * logged in slots ≥ slot(now − windowMs), plus this one, fits the limit. Independent of the
 * adapters' pruning and arithmetic; retryAfter is found by trying each moment a slot leaves.
 */
export class ReferenceLog {
  readonly admitted: Array<{ t: number; cost: number }> = [];
  private readonly slotMs: number;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {
    this.slotMs = Math.max(1, Math.ceil(windowMs / 60));
  }

  private counted(now: number): Array<{ t: number; cost: number }> {
    const oldest = Math.floor((now - this.windowMs) / this.slotMs);
    return this.admitted.filter((a) => Math.floor(a.t / this.slotMs) >= oldest);
  }

  private fits(now: number, cost: number): boolean {
    return this.counted(now).reduce((s, a) => s + a.cost, 0) + cost <= this.limit;
  }

  consume(now: number, cost: number): LimitDecision {
    const allowed = this.fits(now, cost);
    if (allowed) this.admitted.push({ t: now, cost });
    const live = this.counted(now);
    const used = live.reduce((s, a) => s + a.cost, 0);
    const slotEnds = live.map((a) => (Math.floor(a.t / this.slotMs) + 1) * this.slotMs + this.windowMs);
    const retryAt = allowed ? now : Math.min(...slotEnds.filter((at) => this.fits(at, cost)));
    return {
      allowed,
      limit: this.limit,
      remaining: Math.max(0, this.limit - used),
      resetAt: slotEnds.length ? Math.max(...slotEnds) : now,
      retryAfterMs: retryAt - now,
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
    // Through an async function: a limiter may decide at once (and throw) or later (and reject).
    const consume = async (k: string, limit: number, windowMs: number, cost?: number) => h.limiter.consume(k, limit, windowMs, cost);
    /** Moves to the next minute boundary (+ offset), so each test starts on a fresh slot grid. */
    const atNextMinute = (offset = 0) => clock.set(Math.ceil((clock.now() + 1) / MIN) * MIN + offset);

    beforeAll(async () => {
      h = await makeHarness(clock);
    });
    afterAll(async () => {
      await h?.close();
    });

    test("a fresh key admits the whole limit at once, remaining counting down to 0", async () => {
      atNextMinute();
      const k = key("burst");
      const now = clock.now();
      const got: LimitDecision[] = [];
      for (let i = 0; i < 5; i++) got.push(await consume(k, 5, MIN));
      // Full again once the 1 s slot holding the burst has left the minute window.
      expect(got).toEqual([4, 3, 2, 1, 0].map((remaining) => ({ allowed: true, limit: 5, remaining, resetAt: now + 1_000 + MIN, retryAfterMs: 0 })));
    });

    test("never more than the limit within one window: denied until the burst's slot has left it", async () => {
      atNextMinute(250);
      const k = key("deny");
      const now = clock.now();
      for (let i = 0; i < 5; i++) await consume(k, 5, MIN);
      expect(await consume(k, 5, MIN)).toEqual({ allowed: false, limit: 5, remaining: 0, resetAt: now - 250 + 1_000 + MIN, retryAfterMs: 60_750 });
      clock.advance(MIN - 1); // the last ms of the burst's window: a token bucket would have refilled by now
      expect(await consume(k, 5, MIN)).toMatchObject({ allowed: false, retryAfterMs: 751 });
    });

    test("retryAfterMs is exact: denied 1 ms before it, admitted at it, and then the whole limit is back", async () => {
      atNextMinute();
      const k = key("retry");
      for (let i = 0; i < 4; i++) await consume(k, 4, MIN);
      const denied = await consume(k, 4, MIN);
      clock.advance(denied.retryAfterMs - 1);
      expect(await consume(k, 4, MIN)).toMatchObject({ allowed: false, retryAfterMs: 1 });
      clock.advance(1);
      for (let i = 0; i < 4; i++) expect((await consume(k, 4, MIN)).allowed).toBe(true);
      expect((await consume(k, 4, MIN)).allowed).toBe(false);
    });

    test("capacity returns slot by slot, oldest first", async () => {
      atNextMinute();
      const k = key("slots");
      const start = clock.now();
      for (let i = 0; i < 2; i++) await consume(k, 5, MIN);
      clock.set(start + 10_000);
      for (let i = 0; i < 3; i++) await consume(k, 5, MIN);
      expect(await consume(k, 5, MIN)).toMatchObject({ allowed: false, retryAfterMs: 51_000, resetAt: start + 11_000 + MIN });
      clock.set(start + 61_000); // the first slot (2) has left; the second (3) still counts
      expect(await consume(k, 5, MIN, 2)).toMatchObject({ allowed: true, remaining: 0 });
      clock.set(start + 71_000);
      expect(await consume(k, 5, MIN)).toMatchObject({ allowed: true, remaining: 2 });
    });

    test("denied requests consume nothing", async () => {
      atNextMinute();
      const k = key("no-charge");
      for (let i = 0; i < 3; i++) await consume(k, 3, MIN);
      for (let i = 0; i < 50; i++) expect((await consume(k, 3, MIN)).allowed).toBe(false);
      clock.advance(61_000);
      expect(await consume(k, 3, MIN)).toMatchObject({ allowed: true, remaining: 2 });
    });

    test("cost > 1 consumes several; a cost that does not fit is denied and leaves the rest usable", async () => {
      atNextMinute();
      const k = key("cost");
      expect(await consume(k, 10, MIN, 7)).toMatchObject({ allowed: true, remaining: 3 });
      expect(await consume(k, 10, MIN, 4)).toMatchObject({ allowed: false, remaining: 3 });
      expect(await consume(k, 10, MIN, 3)).toMatchObject({ allowed: true, remaining: 0 });
    });

    test("a lower limit (tier downgrade) never reports negative remaining", async () => {
      atNextMinute();
      const k = key("downgrade");
      for (let i = 0; i < 8; i++) await consume(k, 10, MIN);
      expect(await consume(k, 5, MIN)).toMatchObject({ allowed: false, remaining: 0, limit: 5 });
    });

    test("keys are independent", async () => {
      const a = key("a");
      const b = key("b");
      await consume(a, 1, MIN);
      expect((await consume(a, 1, MIN)).allowed).toBe(false);
      expect((await consume(b, 1, MIN)).allowed).toBe(true);
    });

    test("arguments it cannot honour are rejected with RangeError", async () => {
      const k = key("bad");
      const bad: Array<[number, number, number]> = [
        [0, 1_000, 1], [5, 0, 1], [5, 1_000, 0], [5, 1_000, 1.5], [2.5, 1_000, 1],
        [5, 1_000, 6], // more than the window holds: could never be admitted
        [2 ** 40, 2 ** 20, 1], // limit × windowMs beyond 2^53
      ];
      for (const [limit, windowMs, cost] of bad) {
        await expect(consume(k, limit, windowMs, cost)).rejects.toBeInstanceOf(RangeError);
      }
    });

    test("property: random schedules match the log model; ≤ limit in every window; remaining never negative", async () => {
      let windowsChecked = 0;
      for (const seed of [1, 7, 42, 2024, 9001]) {
        const rand = createRandom(seed);
        const limit = rand.int(1, 25);
        const windowMs = rand.int(1, 5_000);
        const k = key(`prop-${seed}`);
        const model = new ReferenceLog(limit, windowMs);
        for (let step = 0; step < 500; step++) {
          const r = rand.next();
          // Bursts at one instant, gaps around windowMs/limit, and now and then a long pause.
          const gap = r < 0.3 ? 0 : r < 0.95 ? rand.int(0, Math.ceil((2 * windowMs) / limit)) : rand.int(0, 2 * windowMs);
          clock.advance(gap);
          const cost = rand.bool(0.7) ? 1 : rand.int(1, Math.min(limit, 4));
          const got = await consume(k, limit, windowMs, cost);
          const want = model.consume(clock.now(), cost);
          // Context in the compared object, so a failure names the schedule to replay.
          expect({ seed, step, limit, windowMs, cost, got }).toEqual({ seed, step, limit, windowMs, cost, got: want });
          expect(got.remaining).toBeGreaterThanOrEqual(0);
          expect(got.remaining).toBeLessThanOrEqual(limit);
          expect(got.allowed ? got.retryAfterMs === 0 : got.retryAfterMs > 0).toBe(true);
        }
        // The guarantee, checked on the admissions themselves: every interval [t, t + windowMs)
        // that starts at an admission (the worst case for any interval) holds at most `limit`.
        const log = model.admitted;
        for (let i = 0, j = 0, sum = 0; i < log.length; i++) {
          while (j < log.length && log[j]!.t < log[i]!.t + windowMs) sum += log[j++]!.cost;
          if (sum > limit) throw new Error(`seed ${seed}: ${sum} admitted in [${log[i]!.t}, +${windowMs}) > limit ${limit}`);
          sum -= log[i]!.cost;
          windowsChecked++;
        }
        clock.advance(10 * windowMs);
      }
      expect(windowsChecked).toBeGreaterThan(500);
    });

    test("ping resolves while the backend is up", async () => {
      await h.limiter.ping();
    });
  });
}
