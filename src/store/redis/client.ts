/**
 * The one place an ioredis client is configured. Every Redis adapter (cache, limiter, leader lock,
 * broadcast bridge) receives a client built here; the composition root owns it and quits it.
 */
import Redis from "ioredis";
import type { Logger } from "../../lib/log.ts";

/** Reconnect delays grow 100 ms, 200 ms, 400 ms… and stop growing at this cap. */
const MAX_RECONNECT_DELAY_MS = 2_000;

/**
 * Creates a connected (not lazy) Redis client for `url`.
 *
 * Failure behaviour, chosen so a Redis outage degrades requests instead of hanging them:
 * - Reconnects forever, with exponential backoff and jitter, never waiting more than 2 s. A server
 *   process must not give up on Redis for good: that would take a restart to heal. Only the delay
 *   between attempts is bounded.
 * - `enableOfflineQueue` stays on. Otherwise commands issued while the first connection is still
 *   being made would fail at startup. `maxRetriesPerRequest: 1` flushes that queue with an error
 *   after one failed reconnect, so during an outage a call fails within about
 *   connectTimeout + backoff (a few seconds) rather than waiting until Redis comes back.
 * - `commandTimeout` bounds a call on a connection that is half dead (no RST, no replies).
 * - `error` events are logged, never thrown: an unhandled `error` event would crash the process.
 *   Only the first error of an outage is a warning, and `ready` logs the recovery, so an outage
 *   shows as two lines rather than one line for every reconnect attempt.
 *
 * The URL is never logged: it may carry a password.
 */
export function createRedisClient(url: string, log: Logger): Redis {
  const redisLog = log.child({ component: "redis" });
  let failing = false;
  let failures = 0;

  const redis = new Redis(url, {
    lazyConnect: false,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    // Subscriber connections (the broadcast bridge) must resubscribe after a reconnect.
    autoResubscribe: true,
    connectionName: "hyperlight",
    retryStrategy: (attempt) => {
      const base = Math.min(100 * 2 ** Math.min(attempt - 1, 10), MAX_RECONNECT_DELAY_MS);
      return base + Math.floor(Math.random() * 100);
    },
  });

  redis.on("error", (err: Error) => {
    failures++;
    if (!failing) {
      failing = true;
      redisLog.warn("redis.error", { err });
    } else {
      redisLog.debug("redis.error", { err, failures });
    }
  });
  redis.on("ready", () => {
    if (failing) redisLog.info("redis.recovered", { failures });
    failing = false;
    failures = 0;
  });
  return redis;
}
