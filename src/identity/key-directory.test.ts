import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ManualClock } from "../lib/clock";
import type { IdentityStore, Store } from "../store/ports";
import { openSqliteStore } from "../store/sqlite";
import { generateApiKey } from "./api-key";
import { KeyDirectory } from "./key-directory";

let store: Store;
let reads = 0;
let counted: IdentityStore;
const clock = new ManualClock(1_000_000);
const key = generateApiKey();

beforeAll(async () => {
  store = await openSqliteStore({ path: ":memory:" });
  await store.migrate();
  await store.identity.createUser({ id: "usr_a", email: "a@example.com", passwordHash: "x", plan: "growth", createdAt: 0 });
  await store.identity.createKey({
    id: "key_a", userId: "usr_a", hash: key.hash, prefix: key.prefix, name: "a", tier: "growth", allowedIps: ["10.0.0.0/8"],
    expiresAt: null, enabled: true, createdAt: 0, revokedAt: null, lastUsedAt: null,
  });
  counted = { ...store.identity, keyByHash: (hash) => (reads++, store.identity.keyByHash(hash)) };
});
afterAll(() => store.close());

describe("key directory", () => {
  test("concurrent lookups share one store read; hits are served from memory until the TTL", async () => {
    reads = 0;
    const dir = new KeyDirectory({ store: counted, clock, ttlMs: 5_000 });
    const found = await Promise.all(Array.from({ length: 50 }, () => dir.lookup(key.hash)));
    expect(reads).toBe(1);
    expect(found[0]).toMatchObject({ plan: "growth", key: { id: "key_a" } });
    expect(found[0]!.allows!("10.1.2.3")).toBe(true);
    expect(found[0]!.allows!("11.1.2.3")).toBe(false);
    clock.advance(4_999);
    await dir.lookup(key.hash);
    expect(reads).toBe(1);
    clock.advance(1);
    await dir.lookup(key.hash);
    expect(reads).toBe(2);
  });

  test("unknown hashes are remembered too, so a wrong key cannot hammer the store", async () => {
    reads = 0;
    const dir = new KeyDirectory({ store: counted, clock });
    for (let i = 0; i < 20; i++) expect(await dir.lookup("f".repeat(64))).toBeNull();
    expect(reads).toBe(1);
  });

  test("invalidation by key or by user drops the entry; a read racing an invalidation is not cached", async () => {
    reads = 0;
    const dir = new KeyDirectory({ store: counted, clock });
    await dir.lookup(key.hash);
    dir.invalidate({ keyId: "key_other" });
    await dir.lookup(key.hash);
    expect(reads).toBe(1);
    dir.invalidate({ userId: "usr_a" });
    await dir.lookup(key.hash);
    expect(reads).toBe(2);
    dir.invalidate({ keyId: "key_a" });
    const racing = dir.lookup(key.hash); // started before the next invalidation lands
    dir.invalidate({ all: true });
    await racing;
    await dir.lookup(key.hash);
    expect(reads).toBe(4);
    expect(JSON.stringify(dir.dump())).not.toContain(key.key);
  });
});
