import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type Redis from "ioredis";
import { ManualClock } from "../../src/lib/clock.ts";
import { silentLogger } from "../../src/lib/log.ts";
import { cacheContract } from "../../src/store/cache.contract.ts";
import { createMemoryCache } from "../../src/store/memory/cache.ts";
import { createRedisCache } from "../../src/store/redis/cache.ts";
import { createRedisClient } from "../../src/store/redis/client.ts";
import { hasRedis, REDIS_URL, uniqueName } from "../support/services.ts";
import { waitFor } from "./wait.ts";

/** Deletes every key under `prefix` (SCAN, not KEYS, as on a shared server). */
async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

cacheContract("memory cache", { controlledTime: true, peek: true }, async () => {
  const clock = new ManualClock(1_700_000_000_000);
  return {
    cache: createMemoryCache(clock),
    letExpire: async (_key, ttlMs) => clock.advance(ttlMs),
    close: async () => {},
  };
});

describe("memory cache bounds", () => {
  test("evicts the least recently used entry beyond maxEntries", async () => {
    const cache = createMemoryCache(new ManualClock(0), { maxEntries: 3 });
    await cache.set("a", "1");
    await cache.set("b", "2");
    await cache.set("c", "3");
    await cache.set("d", "4");
    expect(await cache.get("a")).toBeNull();
    expect([await cache.get("b"), await cache.get("c"), await cache.get("d")]).toEqual(["2", "3", "4"]);
  });

  test("a read makes an entry recent, so the unread one is evicted instead", async () => {
    const cache = createMemoryCache(new ManualClock(0), { maxEntries: 2 });
    await cache.set("a", "1");
    await cache.set("b", "2");
    expect(await cache.get("a")).toBe("1");
    await cache.set("c", "3");
    expect(await cache.get("b")).toBeNull();
    expect(await cache.get("a")).toBe("1");
  });

  test("rejects a non-positive bound", () => {
    expect(() => createMemoryCache(new ManualClock(0), { maxEntries: 0 })).toThrow(RangeError);
  });
});

describe.skipIf(!hasRedis)("redis cache", () => {
  const prefix = `${uniqueName("hl_test_cache")}:`;
  let redis: Redis;

  beforeAll(() => {
    redis = createRedisClient(REDIS_URL, silentLogger());
  });
  afterAll(async () => {
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  cacheContract("contract", { controlledTime: false, peek: false }, async () => ({
    cache: createRedisCache(redis, { prefix }),
    letExpire: (key, ttlMs) =>
      waitFor(`key ${key} to expire`, async () => (await redis.exists(prefix + key)) === 0, { timeoutMs: ttlMs + 2_000 }),
    close: async () => {},
  }));

  test("keys are stored under the prefix, with the TTL as PX", async () => {
    const cache = createRedisCache(redis, { prefix });
    await cache.set("book:1", "v", 30_000);
    const pttl = await redis.pttl(`${prefix}book:1`);
    expect(pttl).toBeGreaterThan(29_000);
    expect(pttl).toBeLessThanOrEqual(30_000);
  });

  test("a set without TTL clears an earlier TTL", async () => {
    const cache = createRedisCache(redis, { prefix });
    await cache.set("stats:1", "v1", 30_000);
    await cache.set("stats:1", "v2");
    expect(await redis.pttl(`${prefix}stats:1`)).toBe(-1);
  });
});
