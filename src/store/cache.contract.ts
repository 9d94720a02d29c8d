/**
 * The Cache contract: every adapter's test file runs `cacheContract` against a fresh harness. What
 * differs between backends is an explicit capability (`controlledTime`), never a backend name.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Cache } from "./ports.ts";

/** What a backend can do, known when tests are registered (so gaps show as skipped tests). */
export interface CacheCapabilities {
  /**
   * True when the harness moves the cache's time itself (a ManualClock), so expiry can be
   * checked to the millisecond. False for backends on real time (Redis).
   */
  controlledTime: boolean;
  /** True when the cache is in this process and offers `peek` (a read without I/O). */
  peek: boolean;
}

/** What a backend's test file supplies. */
export interface CacheHarness {
  cache: Cache;
  /**
   * Lets a `ttlMs` TTL on `key` run out. Controlled time advances the clock by `ttlMs`. Real time
   * polls until the key is gone and rejects at a deadline, so an entry that never expires fails
   * the test.
   */
  letExpire(key: string, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Registers the cache contract under `describe(name)`. */
export function cacheContract(name: string, caps: CacheCapabilities, makeHarness: () => Promise<CacheHarness>): void {
  describe(name, () => {
    let h: CacheHarness;
    let n = 0;
    const key = (label: string) => `${label}:${++n}`;

    beforeAll(async () => {
      h = await makeHarness();
    });
    afterAll(async () => {
      await h?.close();
    });

    test("a missing key reads as null", async () => {
      expect(await h.cache.get(key("missing"))).toBeNull();
    });

    test("set then get returns the value, byte for byte", async () => {
      const k = key("roundtrip");
      const value = JSON.stringify({ px: "63512.5", note: "bid ≥ ask? ünïcødé 🚀", nl: "a\nb" });
      await h.cache.set(k, value);
      expect(await h.cache.get(k)).toBe(value);
    });

    test("the empty string is a value, not a miss", async () => {
      const k = key("empty");
      await h.cache.set(k, "");
      expect(await h.cache.get(k)).toBe("");
    });

    test("a large value (a deep order book) survives intact", async () => {
      const k = key("large");
      const value = "x".repeat(256 * 1024);
      await h.cache.set(k, value);
      expect(await h.cache.get(k)).toBe(value);
    });

    test("set overwrites, and keys are independent", async () => {
      const a = key("a");
      const b = key("b");
      await h.cache.set(a, "1");
      await h.cache.set(b, "2");
      await h.cache.set(a, "3");
      expect(await h.cache.get(a)).toBe("3");
      expect(await h.cache.get(b)).toBe("2");
    });

    test("del removes the key; deleting a missing key is a no-op", async () => {
      const k = key("del");
      await h.cache.set(k, "v");
      await h.cache.del(k);
      expect(await h.cache.get(k)).toBeNull();
      await h.cache.del(k);
      await h.cache.del(key("never-set"));
    });

    test("a value with a TTL is readable until the TTL runs out, then gone", async () => {
      const k = key("ttl");
      await h.cache.set(k, "live", 300);
      expect(await h.cache.get(k)).toBe("live");
      await h.letExpire(k, 300);
      expect(await h.cache.get(k)).toBeNull();
    });

    test("offers peek exactly when it declares it", () => {
      expect(typeof h.cache.peek === "function").toBe(caps.peek);
    });

    test.skipIf(!caps.peek)("peek reads what get reads, at once: values, misses, deletes and expiry", async () => {
      const peek = (k: string) => h.cache.peek!(k);
      const [k, gone, ttl] = [key("peek"), key("peek-del"), key("peek-ttl")];
      expect(peek(k)).toBeNull();
      await h.cache.set(k, "v1");
      await h.cache.set(gone, "x");
      await h.cache.set(ttl, "short", 300);
      expect([peek(k), peek(gone), peek(ttl)]).toEqual(["v1", "x", "short"]);
      await h.cache.set(k, "v2");
      await h.cache.del(gone);
      await h.letExpire(ttl, 300);
      expect([peek(k), peek(gone), peek(ttl)]).toEqual(["v2", null, null]);
      expect(await h.cache.get(k)).toBe(peek(k));
    });

    test("overwriting a key with a new TTL restarts its life", async () => {
      const k = key("ttl-reset");
      const witness = key("ttl-witness");
      await h.cache.set(k, "old", 300);
      await h.cache.set(witness, "w", 300);
      await h.cache.set(k, "new", 60_000);
      // Once the witness, set with the old TTL at the same time, is gone, the old TTL has passed.
      await h.letExpire(witness, 300);
      expect(await h.cache.get(witness)).toBeNull();
      expect(await h.cache.get(k)).toBe("new");
    });

    test.skipIf(!caps.controlledTime)("TTL: present at ttl − 1 ms, gone at exactly ttl", async () => {
      const k = key("ttl-edge");
      await h.cache.set(k, "v", 1_000);
      await h.letExpire(k, 999);
      expect(await h.cache.get(k)).toBe("v");
      await h.letExpire(k, 1);
      expect(await h.cache.get(k)).toBeNull();
    });

    // On real time (Redis) the PTTL check in its test file covers this without waiting.
    test.skipIf(!caps.controlledTime)("a set without TTL replaces an earlier TTL (the value then persists)", async () => {
      const k = key("ttl-cleared");
      await h.cache.set(k, "v1", 100);
      await h.cache.set(k, "v2");
      await h.letExpire(k, 10_000);
      expect(await h.cache.get(k)).toBe("v2");
    });

    test("invalid TTLs are rejected with RangeError and store nothing", async () => {
      const k = key("bad-ttl");
      for (const ttl of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(h.cache.set(k, "v", ttl)).rejects.toBeInstanceOf(RangeError);
      }
      expect(await h.cache.get(k)).toBeNull();
    });

    test("ping resolves while the backend is up", async () => {
      await h.cache.ping();
    });
  });
}
