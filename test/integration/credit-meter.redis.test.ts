/**
 * The Redis credit meter against a real Redis and a real SQLite ledger: the balance reconciles with
 * the durable ledger after a restart and after the counter is flushed from Redis, two nodes converge,
 * and during a Redis outage (a proxy cut in front of it) debits fall back to the store and Redis is
 * raised to the ledger once it is back. The rate limiter's local fallback is checked the same way.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type Redis from "ioredis";
import { createRedisCreditMeter } from "../../src/identity/credit-meter.redis";
import { ManualClock } from "../../src/lib/clock";
import { silentLogger } from "../../src/lib/log";
import { createFailoverRateLimiter } from "../../src/store/failover-rate-limiter";
import { createMemoryRateLimiter } from "../../src/store/memory/rate-limiter";
import type { Store } from "../../src/store/ports";
import { createRedisClient } from "../../src/store/redis/client";
import { createRedisRateLimiter } from "../../src/store/redis/rate-limiter";
import { openSqliteStore } from "../../src/store/sqlite";
import { tempDir } from "../support/process";
import { hasRedis, REDIS_URL, uniqueName } from "../support/services";
import { startTcpProxy } from "../support/tcp-proxy";
import { waitFor } from "../contract/wait";

const MONTH = "2026-09";

const until = (check: () => boolean) => waitFor("the Redis connection state", check, { timeoutMs: 10_000 });

describe.skipIf(!hasRedis)("Redis credit meter with a durable ledger", () => {
  const dir = tempDir("meter");
  const prefix = `${uniqueName("cr")}:`;
  let store: Store;
  let redis: Redis;
  let n = 0;
  const newUser = async () => {
    const id = `usr_meter_${++n}`;
    await store.identity.createUser({ id, email: `${id}@example.com`, passwordHash: "x", plan: "free", createdAt: 0 });
    return id;
  };
  // A manual clock with no timers advanced: write-behind happens only on explicit flush().
  const meter = (client = redis) => createRedisCreditMeter({ redis: client, store: store.identity, clock: new ManualClock(0), log: silentLogger(), prefix });

  beforeAll(async () => {
    store = await openSqliteStore({ path: join(dir, "ledger.db") });
    await store.migrate();
    redis = createRedisClient(REDIS_URL, silentLogger());
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("after a restart and after a Redis flush, the balance continues from the ledger", async () => {
    const user = await newUser();
    const a = meter();
    for (let i = 0; i < 10; i++) expect((await a.debit({ userId: user, month: MONTH, cost: 5, cap: 75 })).allowed).toBe(true);
    await a.close(); // a graceful stop writes what it admitted
    expect(await store.identity.creditsUsed(user, MONTH)).toBe(50);
    await redis.del(`${prefix}${user}|${MONTH}`); // Redis lost the counter (FLUSHALL, failover, eviction)
    const b = meter();
    expect(await b.debit({ userId: user, month: MONTH, cost: 20, cap: 75 })).toEqual({ allowed: true, used: 70 });
    expect(await b.debit({ userId: user, month: MONTH, cost: 6, cap: 75 })).toEqual({ allowed: false, used: 70 });
    await b.close();
    expect(await store.identity.creditsUsed(user, MONTH)).toBe(70);
  });

  test("two nodes converge after a flush that loses debits still in flight", async () => {
    const user = await newUser();
    const [a, b] = [meter(), meter()];
    for (let i = 0; i < 10; i++) await a.debit({ userId: user, month: MONTH, cost: 1, cap: null });
    await redis.del(`${prefix}${user}|${MONTH}`); // lost before node a wrote its 10 to the ledger
    expect((await b.debit({ userId: user, month: MONTH, cost: 1, cap: null })).used).toBe(1);
    await a.flush(); // ledger 10; Redis raised from 1 to 10
    await b.flush(); // ledger 11; Redis raised to 11
    expect([await store.identity.creditsUsed(user, MONTH), await a.used(user, MONTH)]).toEqual([11, 11]);
    await Promise.all([a.close(), b.close()]);
  });

  test("uncapped (paid) accounts count locally after one scripted debit and reach Redis and the ledger at each flush", async () => {
    const user = await newUser();
    const m = meter();
    const key = `${prefix}${user}|${MONTH}`;
    expect(await m.debit({ userId: user, month: MONTH, cost: 1, cap: null })).toEqual({ allowed: true, used: 1 });
    for (let i = 2; i <= 100; i++) expect(await m.debit({ userId: user, month: MONTH, cost: 1, cap: null })).toEqual({ allowed: true, used: i });
    expect(await redis.get(key)).toBe("1"); // 99 debits without a round trip each
    expect(await m.used(user, MONTH)).toBe(100);
    await redis.incrby(key, 50); // another node's usage
    await m.flush();
    expect(await redis.get(key)).toBe("150");
    expect(await store.identity.creditsUsed(user, MONTH)).toBe(100);
    expect((await m.debit({ userId: user, month: MONTH, cost: 1, cap: null })).used).toBe(151);
    await m.flush();
    // A capped debit (the plan became Free) is checked in Redis on every request.
    expect(await m.debit({ userId: user, month: MONTH, cost: 1, cap: 151 })).toEqual({ allowed: false, used: 151 });
    await m.close();
    expect([await redis.get(key), await store.identity.creditsUsed(user, MONTH)]).toEqual(["151", 101]);
  });

  test("Redis outage: debits fall back to the ledger (cap still exact); Redis is raised to it on recovery", async () => {
    const url = new URL(REDIS_URL);
    const proxy = startTcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
    const client = createRedisClient(`redis://127.0.0.1:${proxy.port}`, silentLogger());
    try {
      await until(() => client.status === "ready");
      const user = await newUser();
      const m = meter(client);
      expect((await m.debit({ userId: user, month: MONTH, cost: 5, cap: 10 })).used).toBe(5);
      await m.flush();
      proxy.cut();
      await until(() => client.status !== "ready");
      expect(await m.debit({ userId: user, month: MONTH, cost: 4, cap: 10 })).toEqual({ allowed: true, used: 9 });
      expect(await m.debit({ userId: user, month: MONTH, cost: 2, cap: 10 })).toEqual({ allowed: false, used: 9 });
      expect(await redis.get(`${prefix}${user}|${MONTH}`)).toBe("5");
      proxy.restore();
      await until(() => client.status === "ready");
      await m.flush();
      expect(await redis.get(`${prefix}${user}|${MONTH}`)).toBe("9");
      expect(await m.debit({ userId: user, month: MONTH, cost: 1, cap: 10 })).toEqual({ allowed: true, used: 10 });
      await m.close();
      expect(await store.identity.creditsUsed(user, MONTH)).toBe(10);
    } finally {
      client.disconnect();
      proxy.stop();
    }
  });

  test("the rate limiter keeps answering on its local fallback while Redis is cut off", async () => {
    const url = new URL(REDIS_URL);
    const proxy = startTcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
    const client = createRedisClient(`redis://127.0.0.1:${proxy.port}`, silentLogger());
    const clock = new ManualClock(1_800_000_000_000);
    const limiter = createFailoverRateLimiter({
      primary: createRedisRateLimiter(client, clock, { prefix: `${uniqueName("rl")}:` }),
      fallback: createMemoryRateLimiter(clock), isUp: () => client.status === "ready", clock, log: silentLogger(),
    });
    try {
      await until(() => client.status === "ready");
      expect(await limiter.consume("k", 3, 60_000)).toMatchObject({ allowed: true, remaining: 2 });
      expect(limiter.degraded).toBe(false);
      proxy.cut();
      await until(() => client.status !== "ready");
      const started = Date.now();
      const local = [];
      for (let i = 0; i < 4; i++) local.push((await limiter.consume("k", 3, 60_000)).allowed);
      expect(Date.now() - started).toBeLessThan(200); // no waiting on the dead connection
      expect(local).toEqual([true, true, true, false]); // the local window starts empty, and still holds the limit
      expect(limiter.degraded).toBe(true);
      proxy.restore();
      await until(() => client.status === "ready");
      expect(await limiter.consume("k", 3, 60_000)).toMatchObject({ allowed: true, remaining: 1 }); // Redis still holds its 1 from before
      expect(limiter.degraded).toBe(false);
    } finally {
      client.disconnect();
      proxy.stop();
    }
  });
});
