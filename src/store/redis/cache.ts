/**
 * Redis cache shared by every api node, so a REST read on any node sees the live book/stats the
 * ingest leader wrote. Expiry is Redis' own (PX); eviction under memory pressure is the server's
 * `maxmemory-policy` (allkeys-lru recommended for a dedicated cache instance).
 */
import type Redis from "ioredis";
import type { Cache } from "../ports.ts";
import { checkTtl } from "../memory/cache.ts";

/** Options of {@link createRedisCache}. */
export interface RedisCacheOptions {
  /** Prepended to every key so several apps or test runs can share one Redis. Default "hl:cache:". */
  prefix?: string;
}

/**
 * Creates a cache on `redis`. The client belongs to the caller: `close()` does not quit it,
 * because the limiter, the leader lock and the bridge usually share the same connection.
 */
export function createRedisCache(redis: Redis, opts: RedisCacheOptions = {}): Cache {
  const prefix = opts.prefix ?? "hl:cache:";
  return {
    kind: "redis",
    async get(key) {
      return redis.get(prefix + key);
    },
    async set(key, value, ttlMs) {
      if (ttlMs === undefined) await redis.set(prefix + key, value);
      else await redis.set(prefix + key, value, "PX", checkTtl(ttlMs));
    },
    async del(key) {
      await redis.del(prefix + key);
    },
    async ping() {
      await redis.ping();
    },
    async close() {},
  };
}
