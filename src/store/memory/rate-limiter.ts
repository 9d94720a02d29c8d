/**
 * GCRA (generic cell rate algorithm) rate limiter, in process. The Redis adapter runs the same step
 * as one Lua script; `gcraStep` is its reference and both pass one contract suite.
 *
 * Why GCRA rather than a sliding window:
 * - O(1) state: one "theoretical arrival time" (TAT) per key, where a sliding log keeps every
 *   request and a sliding-window counter keeps two counters plus an approximation.
 * - Smooth: capacity comes back continuously (one request every windowMs/limit) instead of all at
 *   once at a window edge, so clients do not stampede at the reset.
 * - Exact headers: `remaining`, `resetAt` and `retryAfterMs` are computed from the TAT. They are
 *   not estimates.
 *
 * Semantics: the bucket holds `limit` requests and refills at limit/windowMs. A fresh key can spend
 * the whole limit at once (burst = limit). Note what this implies: over any interval of length d the
 * limiter admits at most limit + d·limit/windowMs. That is up to 2·limit − 1 in a sliding window of
 * windowMs (a full burst, then the refill), never more than `limit` at one instant, and on average
 * `limit` per window.
 *
 * Exactness: the emission interval windowMs/limit is rarely a whole number of ms (1000/3). With
 * floats the TAT would drift, and at boundaries ("full again after exactly windowMs") it would fail
 * by 1e-12. So the TAT is the integer pair (ms, frac), meaning ms + frac/limit. Every step is integer
 * arithmetic below 2^53, which the Lua script also computes exactly with Lua's doubles.
 */
import type { Clock } from "../../lib/clock.ts";
import type { LimitDecision, RateLimiter } from "../ports.ts";

/** A theoretical arrival time `ms + frac/limit` (0 ≤ frac < limit), in ms epoch. */
export interface Tat {
  ms: number;
  frac: number;
  /** The limit `frac` is counted in (1/limit ms). */
  limit: number;
}

/**
 * Rejects arguments the limiter cannot honour: non-positive or fractional limits, windows and
 * costs; a cost above the limit (it could never be admitted, so callers must reject such a request
 * themselves instead of sending a client into an endless 429 loop); limit·windowMs beyond 2^53
 * (exactness).
 */
export function checkLimitArgs(limit: number, windowMs: number, cost: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  if (!Number.isSafeInteger(windowMs) || windowMs < 1) throw new RangeError(`windowMs must be a positive integer, got ${windowMs}`);
  if (!Number.isSafeInteger(cost) || cost < 1) throw new RangeError(`cost must be a positive integer, got ${cost}`);
  if (cost > limit) throw new RangeError(`cost ${cost} exceeds limit ${limit}: such a request can never be admitted`);
  if (!Number.isSafeInteger(limit * windowMs)) throw new RangeError("limit × windowMs must stay below 2^53");
}

/** Floor division with remainder, corrected for the rounding of `a / b` on large operands. */
function divmod(a: number, b: number): [quotient: number, remainder: number] {
  let q = Math.floor(a / b);
  let r = a - q * b;
  if (r < 0) {
    q -= 1;
    r += b;
  } else if (r >= b) {
    q += 1;
    r -= b;
  }
  return [q, r];
}

/**
 * One GCRA decision. Pure: returns the decision and the TAT to store (null when denied, because a
 * denial changes nothing). Arguments must have passed {@link checkLimitArgs}.
 */
export function gcraStep(
  stored: Tat | undefined,
  nowMs: number,
  limit: number,
  windowMs: number,
  cost: number,
): { decision: LimitDecision; next: Tat | null } {
  const now = Math.floor(nowMs);
  // A TAT in the past means a full bucket: start from now.
  let ms = now;
  let frac = 0;
  if (stored && stored.ms >= now) {
    ms = stored.ms;
    frac = stored.frac;
    // The limit changed (tier change): frac is in other units, so round up to the next whole ms.
    if (stored.limit !== limit && frac > 0) {
      ms += 1;
      frac = 0;
    }
  }
  const [carry, nextFrac] = divmod(frac + cost * windowMs, limit);
  const nextMs = ms + carry;
  // Admit when nextTat − windowMs ≤ now. `late` is the whole-ms part of that difference.
  const late = nextMs - windowMs - now;
  const allowed = late < 0 || (late === 0 && nextFrac === 0);
  const tatMs = allowed ? nextMs : ms;
  const tatFrac = allowed ? nextFrac : frac;
  // Tokens available = (windowMs − (tat − now)) · limit / windowMs.
  const [tokens] = divmod((windowMs - (tatMs - now)) * limit - tatFrac, windowMs);
  return {
    decision: {
      allowed,
      limit,
      // Clamped: a TAT written by a node whose clock runs ahead can lie beyond now + windowMs.
      remaining: Math.max(0, Math.min(limit, tokens)),
      resetAt: tatMs + (tatFrac > 0 ? 1 : 0),
      retryAfterMs: allowed ? 0 : late + (nextFrac > 0 ? 1 : 0),
    },
    next: allowed ? { ms: nextMs, frac: nextFrac, limit } : null,
  };
}

/** The memory limiter, with its bucket count for /metrics and tests. */
export interface MemoryRateLimiter extends RateLimiter {
  /** Buckets currently tracked (swept ones excluded). */
  readonly size: number;
}

/**
 * Creates the in-process GCRA limiter (the default without REDIS_URL). Its state is a Map of TATs.
 * Entries whose TAT has passed are full buckets and mean nothing, so they are swept whenever the
 * map doubles. That is amortised O(1) and needs no timer.
 */
export function createMemoryRateLimiter(clock: Clock): MemoryRateLimiter {
  const tats = new Map<string, Tat>();
  let sweepAt = 1024;

  const sweep = (now: number) => {
    for (const [key, tat] of tats) if (tat.ms < now) tats.delete(key);
    sweepAt = Math.max(1024, tats.size * 2);
  };

  return {
    kind: "memory",
    get size() {
      return tats.size;
    },
    async consume(key, limit, windowMs, cost = 1) {
      checkLimitArgs(limit, windowMs, cost);
      const now = clock.now();
      const { decision, next } = gcraStep(tats.get(key), now, limit, windowMs, cost);
      if (next) tats.set(key, next);
      if (tats.size > sweepAt) sweep(Math.floor(now));
      return decision;
    },
    async ping() {},
    async close() {
      tats.clear();
    },
  };
}
