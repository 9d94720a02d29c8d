import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type Redis from "ioredis";
import { ManualClock } from "../../src/lib/clock.ts";
import { silentLogger } from "../../src/lib/log.ts";
import { createMemoryRateLimiter } from "../../src/store/memory/rate-limiter.ts";
import { rateLimiterContract } from "../../src/store/rate-limiter.contract.ts";
import { createRedisClient } from "../../src/store/redis/client.ts";
import { createRedisRateLimiter } from "../../src/store/redis/rate-limiter.ts";
import { hasRedis, REDIS_URL, uniqueName } from "../support/services.ts";

rateLimiterContract("memory rate limiter", async (clock) => {
  const limiter = createMemoryRateLimiter(clock);
  return { limiter, close: () => limiter.close() };
});

describe("memory rate limiter housekeeping", () => {
  test("refilled buckets are swept, so a flood of unique keys cannot grow memory without bound", async () => {
    const clock = new ManualClock(0);
    const limiter = createMemoryRateLimiter(clock);
    // One exhausted bucket that must survive every sweep: losing it would re-admit its owner.
    for (let i = 0; i < 2; i++) await limiter.consume("hot", 2, 1_000_000);
    for (let i = 0; i < 20_000; i++) {
      await limiter.consume(`ip:${i}`, 10, 1_000);
      clock.advance(1);
    }
    // Without sweeping, 20 001 buckets; with it, at most ~the last window's keys plus one sweep's slack.
    expect(limiter.size).toBeLessThan(4_000);
    expect((await limiter.consume("hot", 2, 1_000_000)).allowed).toBe(false);
    // A swept key behaves as fresh: its bucket had refilled anyway.
    expect(await limiter.consume("ip:0", 10, 1_000)).toMatchObject({ allowed: true, remaining: 9 });
  });
});

describe.skipIf(!hasRedis)("redis rate limiter", () => {
  const prefix = `${uniqueName("hl_test_rl")}:`;
  let redis: Redis;

  beforeAll(() => {
    redis = createRedisClient(REDIS_URL, silentLogger());
  });
  afterAll(async () => {
    // Every bucket key carries a PX, so leftovers expire by themselves; this just tidies up.
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  rateLimiterContract("contract", async (clock) => ({
    limiter: createRedisRateLimiter(redis, clock, { prefix }),
    close: async () => {},
  }));

  test("500 concurrent consumes on one key with limit 100 admit exactly 100", async () => {
    const limiter = createRedisRateLimiter(redis, new ManualClock(1_700_000_000_000), { prefix });
    const decisions = await Promise.all(Array.from({ length: 500 }, () => limiter.consume("hot", 100, 60_000)));
    const allowed = decisions.filter((d) => d.allowed);
    expect(allowed.length).toBe(100);
    // Each admitted call saw a distinct count: the script's read-decide-write was never interleaved.
    expect(allowed.map((d) => d.remaining).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(decisions.every((d) => d.remaining >= 0)).toBe(true);
  });

  test("keeps working after SCRIPT FLUSH (EVALSHA falls back to EVAL)", async () => {
    const limiter = createRedisRateLimiter(redis, new ManualClock(1_700_000_000_000), { prefix });
    expect((await limiter.consume("flush", 2, 1_000)).remaining).toBe(1);
    await redis.script("FLUSH");
    expect((await limiter.consume("flush", 2, 1_000)).remaining).toBe(0);
  });

  test("nodes with skewed clocks share one bucket and never report negative remaining", async () => {
    const ahead = createRedisRateLimiter(redis, new ManualClock(1_700_000_005_000), { prefix });
    const behind = createRedisRateLimiter(redis, new ManualClock(1_700_000_000_000), { prefix });
    for (let i = 0; i < 4; i++) await ahead.consume("skew", 4, 1_000);
    const seen = await behind.consume("skew", 4, 1_000);
    expect(seen.allowed).toBe(false);
    expect(seen.remaining).toBe(0);
  });
});
