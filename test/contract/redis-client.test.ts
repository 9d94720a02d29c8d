import { afterAll, describe, expect, test } from "bun:test";
import type Redis from "ioredis";
import { createLogger, memorySink } from "../../src/lib/log.ts";
import { createRedisClient } from "../../src/store/redis/client.ts";
import { hasRedis, REDIS_URL } from "../support/services.ts";

describe("createRedisClient", () => {
  const clients: Redis[] = [];
  afterAll(() => {
    for (const c of clients) c.disconnect();
  });

  test("with Redis unreachable, a command fails within seconds instead of hanging, and the outage is logged once", async () => {
    const sink = memorySink();
    const log = createLogger({ level: "info", sink });
    // Port 1: nothing listens there, so every connection attempt is refused.
    const redis = createRedisClient("redis://127.0.0.1:1", log);
    clients.push(redis);
    const started = performance.now();
    await expect(redis.get("anything")).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(3_000);
    // More attempts fail while we wait for a second command to fail too...
    await expect(redis.get("anything")).rejects.toThrow();
    await log.flush();
    // ...yet the outage is one warning, not one line per reconnect attempt.
    expect(sink.lines.filter((l) => l.includes('"level":"warn"') && l.includes("redis.error")).length).toBe(1);
  });

  test.skipIf(!hasRedis)("connects eagerly and answers", async () => {
    const redis = createRedisClient(REDIS_URL, createLogger({ level: "silent", sink: { write() {} } }));
    clients.push(redis);
    expect(await redis.ping()).toBe("PONG");
    expect(redis.status).toBe("ready");
  });
});
