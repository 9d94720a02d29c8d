/**
 * Sliding-window rate limiter, in process. The Redis adapter runs the same step as one Lua script;
 * `slidingWindowStep` is its reference and both pass one contract suite.
 *
 * The guarantee: in EVERY interval of `windowMs` consecutive milliseconds, the admitted cost of a
 * key is at most `limit`; a fresh key may still spend the whole limit at once.
 *
 * Why not GCRA (what this module used before): GCRA with burst = limit admits a full burst and
 * then one request per windowMs/limit, so a window starting with the burst and ending just before
 * it has fully drained holds up to 2·limit − 1. The only GCRA that keeps "≤ limit per window" has a
 * burst of 1 (pure pacing: Free could then send one request every 2 s, never 5 at once), which is
 * not what "30 requests/minute" means to a client. An exact sliding log keeps every admission
 * (30,000 timestamps per Scale key) — too much state for a hot path shared through Redis.
 *
 * So: a sliding window counted in SLOTS_PER_WINDOW slots of `slotMs = ceil(windowMs / 60)` (1 s for
 * a minute). A request at `now` is admitted when the admitted cost in every slot that overlaps
 * (now − windowMs, now], plus its own cost, is ≤ limit. Counting the oldest slot whole is what makes
 * the guarantee exact: for the last admission t in any window [a, a + windowMs), every earlier
 * admission u in it has u > t − windowMs, so it sits in a counted slot and was part of the sum.
 * Trade-offs: state is O(60) counters per key instead of GCRA's one number; capacity comes back a
 * slot at a time (each second for a minute limit) and at most one slot (1/60 of the window) later
 * than an exact log would return it. Clients see that in exact headers: `remaining`, `resetAt` and
 * `retryAfterMs` are computed from the slots, not estimated.
 */
import type { Clock } from "../../lib/clock.ts";
import type { LimitDecision, RateLimiter } from "../ports.ts";

/** Slots a window is divided into; a minute window gets 1 s slots. */
export const SLOTS_PER_WINDOW = 60;

/** Length of one slot for `windowMs` (whole ms, at least 1). */
export const slotSizeMs = (windowMs: number): number => Math.max(1, Math.ceil(windowMs / SLOTS_PER_WINDOW));

/** Admitted cost per slot, oldest slot first: [slot index (start = index · slotMs), cost]. */
export type SlotCounts = Array<[slot: number, cost: number]>;

/**
 * Rejects arguments the limiter cannot honour: non-positive or fractional limits, windows and
 * costs; a cost above the limit (it could never be admitted, so callers must reject such a request
 * themselves instead of sending a client into an endless 429 loop); limit·windowMs beyond 2^53.
 */
export function checkLimitArgs(limit: number, windowMs: number, cost: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  if (!Number.isSafeInteger(windowMs) || windowMs < 1) throw new RangeError(`windowMs must be a positive integer, got ${windowMs}`);
  if (!Number.isSafeInteger(cost) || cost < 1) throw new RangeError(`cost must be a positive integer, got ${cost}`);
  if (cost > limit) throw new RangeError(`cost ${cost} exceeds limit ${limit}: such a request can never be admitted`);
  if (!Number.isSafeInteger(limit * windowMs)) throw new RangeError("limit × windowMs must stay below 2^53");
}

/** Floor division, corrected for the rounding of `a / b` on large operands (the Lua script does the same). */
export function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  const r = a - q * b;
  if (r < 0) q -= 1;
  else if (r >= b) q += 1;
  return q;
}

/**
 * One decision. Pure: takes the key's slots (oldest first) and returns the decision and the slots
 * to keep (pruned of those that no longer overlap the window; the current slot incremented when
 * admitted). Arguments must have passed {@link checkLimitArgs}.
 */
export function slidingWindowStep(
  stored: SlotCounts,
  nowMs: number,
  limit: number,
  windowMs: number,
  cost: number,
): { decision: LimitDecision; slots: SlotCounts } {
  const now = Math.floor(nowMs);
  const s = slotSizeMs(windowMs);
  const current = floorDiv(now, s);
  const oldest = floorDiv(now - windowMs, s);
  const slots: SlotCounts = [];
  let sum = 0;
  // The kept pairs are shared with `stored` (never mutated here: a changed pair is replaced), so a
  // busy key costs one array per decision, not one per slot.
  for (const pair of stored) {
    if (pair[0] >= oldest) {
      slots.push(pair);
      sum += pair[1];
    }
  }
  const allowed = sum + cost <= limit;
  let retryAfterMs = 0;
  if (allowed) {
    // Normally the current slot is the last one; a node whose clock ran ahead (Redis) may have
    // written a later one, so keep the list ordered rather than assume it.
    let i = slots.length;
    while (i > 0 && slots[i - 1]![0] > current) i--;
    if (i > 0 && slots[i - 1]![0] === current) slots[i - 1] = [current, slots[i - 1]![1] + cost];
    else slots.splice(i, 0, [current, cost]);
    sum += cost;
  } else {
    // Slots leave the window oldest first; slot j stops counting at (j + 1)·s + windowMs.
    let freed = 0;
    for (const [slot, c] of slots) {
      freed += c;
      if (sum - freed + cost <= limit) {
        retryAfterMs = (slot + 1) * s + windowMs - now;
        break;
      }
    }
  }
  const newest = slots[slots.length - 1];
  return {
    decision: {
      allowed,
      limit,
      // Clamped: after a limit decrease (a tier downgrade) the slots can hold more than the new limit.
      remaining: Math.max(0, limit - sum),
      resetAt: newest ? (newest[0] + 1) * s + windowMs : now,
      retryAfterMs,
    },
    slots,
  };
}

/** The memory limiter, with its bucket count for /metrics and tests. */
export interface MemoryRateLimiter extends RateLimiter {
  /** Keys currently tracked (swept ones excluded). */
  readonly size: number;
}

interface Entry {
  slotMs: number;
  slots: SlotCounts;
  /** When every slot has left the window: the entry means nothing after this. */
  resetAt: number;
}

/**
 * Creates the in-process limiter (the default without REDIS_URL, and the fallback while Redis is
 * unreachable). Entries past their reset time are empty windows, so they are swept whenever the
 * map doubles: amortised O(1), no timer.
 */
export function createMemoryRateLimiter(clock: Clock): MemoryRateLimiter {
  const entries = new Map<string, Entry>();
  let sweepAt = 1024;

  const sweep = (now: number) => {
    for (const [key, e] of entries) if (e.resetAt <= now) entries.delete(key);
    sweepAt = Math.max(1024, entries.size * 2);
  };

  return {
    kind: "memory",
    get size() {
      return entries.size;
    },
    // Synchronous: one map update, answered without a promise (the request path awaits only what is pending).
    consume(key, limit, windowMs, cost = 1) {
      checkLimitArgs(limit, windowMs, cost);
      const now = clock.now();
      const slotMs = slotSizeMs(windowMs);
      const prior = entries.get(key);
      // A key used with another window length has slots of another size: start it afresh.
      const stored = prior && prior.slotMs === slotMs ? prior.slots : [];
      const { decision, slots } = slidingWindowStep(stored, now, limit, windowMs, cost);
      if (slots.length === 0) entries.delete(key);
      else if (prior && prior.slotMs === slotMs) {
        // Updated in place: the map keeps its order and no entry object is allocated per request.
        prior.slots = slots;
        prior.resetAt = decision.resetAt;
      } else entries.set(key, { slotMs, slots, resetAt: decision.resetAt });
      if (entries.size > sweepAt) sweep(Math.floor(now));
      return decision;
    },
    async ping() {},
    async close() {
      entries.clear();
    },
  };
}
