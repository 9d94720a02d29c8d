/**
 * A shared (Redis) limiter that never stops requests when Redis is unreachable: while the primary
 * is down, decisions come from a local in-memory limiter. Limits then hold per node instead of
 * across nodes — the price of staying up, and the reason /health reports the redis check degraded
 * meanwhile (its own probe). Nothing is replayed into Redis on recovery: windows are a minute long,
 * so the shared counts are right again within one window.
 *
 * The primary is skipped without a round trip while its connection is not ready (`isUp`), and for
 * `cooldownMs` after a call fails on a connection that claimed to be ready (half-dead sockets time
 * out slowly; requests must not each wait for that).
 */
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import type { RateLimiter } from "./ports.ts";

/** Options of {@link createFailoverRateLimiter}. */
export interface FailoverRateLimiterOptions {
  primary: RateLimiter;
  fallback: RateLimiter;
  /** True while the primary's connection is usable (e.g. ioredis `status === "ready"`). */
  isUp: () => boolean;
  clock: Clock;
  log: Logger;
  /** How long to stay on the fallback after a failed call. Default 1000 ms. */
  cooldownMs?: number;
}

/** A limiter whose `degraded` flag tells whether the last decision came from the fallback. */
export interface FailoverRateLimiter extends RateLimiter {
  readonly degraded: boolean;
}

/** Wraps `primary` with a local fallback; `kind` stays the primary's. */
export function createFailoverRateLimiter(opts: FailoverRateLimiterOptions): FailoverRateLimiter {
  const cooldownMs = opts.cooldownMs ?? 1_000;
  let openUntil = 0;
  let degraded = false;

  const useFallback = (reason: string, err?: unknown) => {
    if (!degraded) opts.log.warn("ratelimit.fallback_local", { reason, err });
    degraded = true;
  };

  return {
    kind: opts.primary.kind,
    get degraded() {
      return degraded;
    },
    async consume(key, limit, windowMs, cost) {
      if (!opts.isUp() || opts.clock.now() < openUntil) {
        useFallback("primary not ready");
        return opts.fallback.consume(key, limit, windowMs, cost);
      }
      try {
        const decision = await opts.primary.consume(key, limit, windowMs, cost);
        if (degraded) opts.log.info("ratelimit.primary_recovered");
        degraded = false;
        return decision;
      } catch (err) {
        // Bad arguments are the caller's bug, not an outage: they must surface.
        if (err instanceof RangeError) throw err;
        openUntil = opts.clock.now() + cooldownMs;
        useFallback("primary failed", err);
        return opts.fallback.consume(key, limit, windowMs, cost);
      }
    },
    ping: () => opts.primary.ping(),
    async close() {
      await Promise.allSettled([opts.primary.close(), opts.fallback.close()]);
    },
  };
}
