/**
 * In-process cache: the default when no REDIS_URL is set. Values live in one Map whose insertion
 * order doubles as recency order (a hit re-inserts the entry), so LRU eviction is O(1) without a
 * linked list of its own.
 */
import type { Clock } from "../../lib/clock.ts";
import type { Cache } from "../ports.ts";

interface Entry {
  value: string;
  /** ms epoch from the injected clock; Infinity when the entry has no TTL. */
  expiresAt: number;
}

/**
 * Validates a TTL and rounds it up to whole milliseconds, the unit Redis' PX takes. The memory and
 * Redis caches share it so they accept and reject the same values.
 */
export function checkTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be a positive number, got ${ttlMs}`);
  return Math.ceil(ttlMs);
}

/** Options of {@link createMemoryCache}. */
export interface MemoryCacheOptions {
  /** Entries kept at most; the least recently used one is evicted beyond it. Default 10 000. */
  maxEntries?: number;
}

/**
 * Creates a bounded in-memory cache. TTLs are measured on `clock`, so tests move time with a
 * ManualClock. Expired entries are dropped when read. Entries nobody reads again age out of the
 * LRU order, which keeps memory bounded without a sweeper timer.
 */
export function createMemoryCache(clock: Clock, opts: MemoryCacheOptions = {}): Cache {
  const maxEntries = opts.maxEntries ?? 10_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  const entries = new Map<string, Entry>();
  const peek = (key: string): string | null => {
    const entry = entries.get(key);
    if (!entry) return null;
    entries.delete(key);
    if (clock.now() >= entry.expiresAt) return null;
    entries.set(key, entry); // now the most recently used
    return entry.value;
  };

  return {
    kind: "memory",
    async get(key) {
      return peek(key);
    },
    peek,
    async set(key, value, ttlMs) {
      const expiresAt = ttlMs === undefined ? Infinity : clock.now() + checkTtl(ttlMs);
      entries.delete(key);
      entries.set(key, { value, expiresAt });
      if (entries.size > maxEntries) {
        // The first key in iteration order is the least recently used one.
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
    },
    async del(key) {
      entries.delete(key);
    },
    async ping() {},
    async close() {
      entries.clear();
    },
  };
}
