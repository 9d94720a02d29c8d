/**
 * Builds the adapters the configuration asks for: SQLite or PostgreSQL, memory or Redis. This is
 * the only place that chooses a backend; everything else sees ports.
 */
import type Redis from "ioredis";
import type { Config } from "./config";
import type { Clock } from "./lib/clock";
import type { Logger } from "./lib/log";
import type { Cache, LeaderLock, RateLimiter, Store } from "./store/ports";
import { openStore } from "./store";
import { createMemoryCache } from "./store/memory/cache";
import { createMemoryRateLimiter } from "./store/memory/rate-limiter";
import { createLocalLeaderLock } from "./store/memory/leader";
import { createRedisClient } from "./store/redis/client";
import { createRedisCache } from "./store/redis/cache";
import { createRedisRateLimiter } from "./store/redis/rate-limiter";
import { createFailoverRateLimiter } from "./store/failover-rate-limiter";
import { createRedisLeaderLock } from "./store/redis/leader";
import { createPgLeaderLock } from "./store/postgres/leader";

/** Advisory-lock id of the ingest leader ("hl-ingest" as ASCII). */
const INGEST_LOCK_ID = 0x686c2d696e67;

export interface Deps {
  store: Store;
  cache: Cache;
  limiter: RateLimiter;
  /** The ingest leader lock for this node's configuration. */
  leader: LeaderLock;
  /** Redis connections when REDIS_URL is set: one for commands, one for subscriptions. */
  redis?: { client: Redis; subscriber: Redis };
  nodeId: string;
  close(): Promise<void>;
}

export async function createDeps(config: Config, log: Logger, clock: Clock): Promise<Deps> {
  const nodeId = `${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, log: log.child({ component: "store" }), webhookSecretKey: config.webhookSecretKey });

  let redis: Deps["redis"];
  let cache: Cache;
  let limiter: RateLimiter;
  if (config.redisUrl) {
    const rlog = log.child({ component: "redis" });
    redis = { client: createRedisClient(config.redisUrl, rlog), subscriber: createRedisClient(config.redisUrl, rlog) };
    cache = createRedisCache(redis.client, { prefix: "hl:cache:" });
    // Requests keep flowing on a local limiter while Redis is unreachable (/health says degraded).
    const client = redis.client;
    limiter = createFailoverRateLimiter({
      primary: createRedisRateLimiter(client, clock, { prefix: "hl:rl:" }),
      fallback: createMemoryRateLimiter(clock),
      isUp: () => client.status === "ready",
      clock,
      log: log.child({ component: "ratelimit" }),
    });
  } else {
    cache = createMemoryCache(clock);
    limiter = createMemoryRateLimiter(clock);
  }

  // Shared stores need a real lock so that only one ingest node writes; a SQLite file is one node.
  let leader: LeaderLock;
  if (config.databaseUrl) {
    leader = createPgLeaderLock({ url: config.databaseUrl, lockId: INGEST_LOCK_ID, log: log.child({ component: "leader" }) });
  } else if (redis) {
    leader = createRedisLeaderLock({ redis: redis.client, key: "hl:leader:ingest", ttlMs: 8000, nodeId, log: log.child({ component: "leader" }) });
  } else {
    leader = createLocalLeaderLock();
  }

  return {
    store,
    cache,
    limiter,
    leader,
    redis,
    nodeId,
    async close() {
      await leader.release().catch(() => {});
      await Promise.allSettled([cache.close(), limiter.close()]);
      if (redis) {
        redis.client.disconnect();
        redis.subscriber.disconnect();
      }
      await store.close();
    },
  };
}
