/**
 * The IdentityStore contract: every store adapter's test file runs this one suite, next to the
 * market-data contract. Each test creates its own users (unique e-mails and ids), so tests share one
 * migrated store without depending on each other's data or order.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ApiKeyRecord, IdentityStore, UserRecord } from "./identity.port.ts";
import type { Store } from "./ports.ts";

const T0 = Date.UTC(2026, 0, 15, 12);
const HOUR = 3_600_000;

/** Registers the identity contract for one backend; `open` returns a store on storage of its own. */
export function runIdentityContract(name: string, open: () => Promise<Store>): void {
  describe(`IdentityStore contract (${name})`, () => {
    let store: Store;
    let id: IdentityStore;
    let n = 0;
    const hex = (i: number, len: number) => i.toString(16).padStart(len, "0");
    const user = (over: Partial<UserRecord> = {}): UserRecord => {
      n++;
      return { id: `usr_${name}_${n}`, email: `u${n}@${name}.example`, passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$x$y", plan: "free", createdAt: T0 + n, ...over };
    };
    const key = (u: UserRecord, over: Partial<ApiKeyRecord> = {}): ApiKeyRecord => {
      n++;
      return {
        id: `key_${name}_${n}`, userId: u.id, hash: hex(n, 64), prefix: `hlt_${hex(n, 8)}`, name: `k${n}`, tier: u.plan,
        allowedIps: null, expiresAt: null, enabled: true, createdAt: T0 + n, revokedAt: null, lastUsedAt: null, ...over,
      };
    };
    const seedUser = async (over: Partial<UserRecord> = {}) => {
      const u = user(over);
      expect(await id.createUser(u)).toBe(true);
      return u;
    };

    beforeAll(async () => {
      store = await open();
      await store.migrate();
      id = store.identity;
    });
    afterAll(async () => {
      await store?.close();
    });

    test("users: created once per e-mail, found by id and e-mail, plan changes stick", async () => {
      const u = await seedUser();
      expect(await id.createUser({ ...user(), email: u.email })).toBe(false);
      expect(await id.userById(u.id)).toEqual(u);
      expect(await id.userByEmail(u.email)).toEqual(u);
      expect(await id.userByEmail(`nobody-${n}@example.com`)).toBeNull();
      expect(await id.setUserPlan(u.id, "growth")).toBe(true);
      expect((await id.userById(u.id))?.plan).toBe("growth");
      expect(await id.setUserPlan("usr_missing", "growth")).toBe(false);
    });

    test("listUsers pages oldest first with a total, and filters by e-mail", async () => {
      const mine = [await seedUser(), await seedUser(), await seedUser()];
      const all = await id.listUsers({ limit: 1_000, offset: 0 });
      const ids = all.rows.map((r) => r.id);
      expect(all.total).toBe(all.rows.length);
      expect(ids.filter((x) => mine.some((m) => m.id === x))).toEqual(mine.map((m) => m.id));
      const page = await id.listUsers({ limit: 1, offset: 1 });
      expect(page.total).toBe(all.total);
      expect(page.rows).toEqual([all.rows[1]!]);
      expect(await id.listUsers({ limit: 10, offset: 0, email: mine[1]!.email })).toEqual({ rows: [mine[1]!], total: 1 });
      expect(await id.listUsers({ limit: 10, offset: 5, email: mine[1]!.email })).toEqual({ rows: [], total: 1 });
    });

    test("keys round-trip field for field; by hash they come with the owner's current plan", async () => {
      const u = await seedUser({ plan: "scale" });
      const k = key(u, { allowedIps: ["10.0.0.0/8", "2001:db8::1"], expiresAt: T0 + 99, enabled: false, tier: "growth" });
      await id.createKey(k);
      expect(await id.keyById(k.id)).toEqual(k);
      expect(await id.keyByHash(k.hash)).toEqual({ key: k, plan: "scale" });
      await id.setUserPlan(u.id, "enterprise");
      expect((await id.keyByHash(k.hash))?.plan).toBe("enterprise");
      expect(await id.keyByHash(hex(0xdead, 64))).toBeNull();
      await expect(id.createKey({ ...key(u), hash: k.hash })).rejects.toThrow();
    });

    test("listKeys: oldest first, revoked only on request; countActiveKeys ignores revoked", async () => {
      const u = await seedUser();
      const ks = [key(u), key(u), key(u)];
      for (const k of ks) await id.createKey(k);
      expect(await id.revokeKey(ks[1]!.id, T0 + 500)).toMatchObject({ id: ks[1]!.id, revokedAt: T0 + 500 });
      expect((await id.listKeys(u.id)).map((k) => k.id)).toEqual([ks[0]!.id, ks[2]!.id]);
      expect((await id.listKeys(u.id, { includeRevoked: true })).map((k) => k.id)).toEqual(ks.map((k) => k.id));
      expect(await id.countActiveKeys(u.id)).toBe(2);
      expect(await id.listKeys("usr_missing")).toEqual([]);
    });

    test("updateKey: absent fields stay, null clears, revoked or unknown keys are not updated", async () => {
      const u = await seedUser({ plan: "growth" });
      const k = key(u, { allowedIps: ["1.2.3.4"], expiresAt: T0 + 10 });
      await id.createKey(k);
      expect(await id.updateKey(k.id, { name: "renamed" })).toEqual({ ...k, name: "renamed" });
      expect(await id.updateKey(k.id, { allowedIps: null, expiresAt: null, enabled: false, tier: "starter" })).toEqual({
        ...k, name: "renamed", allowedIps: null, expiresAt: null, enabled: false, tier: "starter",
      });
      expect(await id.updateKey(k.id, { allowedIps: ["::1", "192.168.0.0/16"] })).toMatchObject({ allowedIps: ["::1", "192.168.0.0/16"] });
      expect(await id.updateKey(k.id, {})).toMatchObject({ id: k.id, name: "renamed" });
      expect(await id.updateKey("key_missing", { name: "x" })).toBeNull();
      await id.revokeKey(k.id, T0 + 20);
      expect(await id.updateKey(k.id, { name: "after revoke" })).toBeNull();
      expect(await id.updateKey(k.id, {})).toBeNull();
      expect(await id.revokeKey(k.id, T0 + 30)).toBeNull();
      expect((await id.keyById(k.id))?.revokedAt).toBe(T0 + 20);
    });

    test("touchKeys only moves last_used_at forward", async () => {
      const u = await seedUser();
      const [a, b] = [key(u), key(u)];
      await id.createKey(a);
      await id.createKey(b);
      await id.touchKeys([{ id: a.id, lastUsedAt: T0 + 100 }, { id: b.id, lastUsedAt: T0 + 50 }, { id: a.id, lastUsedAt: T0 + 70 }]);
      await id.touchKeys([{ id: b.id, lastUsedAt: T0 + 10 }, { id: "key_missing", lastUsedAt: T0 }]);
      expect((await id.keyById(a.id))?.lastUsedAt).toBe(T0 + 100);
      expect((await id.keyById(b.id))?.lastUsedAt).toBe(T0 + 50);
    });

    test("usage: counters add up per (key, hour); a range reads [start, end) oldest first", async () => {
      const u = await seedUser();
      const k = key(u);
      await id.createKey(k);
      const h0 = T0 - (T0 % HOUR);
      await id.addUsage([
        { keyId: k.id, hour: h0, requests: 3, credits: 3, errors: 1 },
        { keyId: k.id, hour: h0 + HOUR, requests: 1, credits: 25, errors: 0 },
        { keyId: k.id, hour: h0, requests: 2, credits: 50, errors: 0 },
      ]);
      await id.addUsage([{ keyId: k.id, hour: h0, requests: 1, credits: 1, errors: 1 }]);
      await id.addUsage([]);
      expect(await id.usage({ keyId: k.id, start: h0, end: h0 + 2 * HOUR })).toEqual([
        { hour: h0, requests: 6, credits: 54, errors: 2 },
        { hour: h0 + HOUR, requests: 1, credits: 25, errors: 0 },
      ]);
      expect(await id.usage({ keyId: k.id, start: h0 + 1, end: h0 + 2 * HOUR })).toEqual([{ hour: h0 + HOUR, requests: 1, credits: 25, errors: 0 }]);
      await expect(id.addUsage([{ keyId: k.id, hour: h0 + 1, requests: 1, credits: 0, errors: 0 }])).rejects.toThrow();
    });

    test("credits: a capped debit never passes the cap, an uncapped one always lands; months are separate", async () => {
      const u = await seedUser();
      expect(await id.creditsUsed(u.id, "2026-01")).toBe(0);
      expect(await id.debitCredits({ userId: u.id, month: "2026-01", cost: 7, cap: 10 })).toBe(7);
      expect(await id.debitCredits({ userId: u.id, month: "2026-01", cost: 4, cap: 10 })).toBeNull();
      expect(await id.debitCredits({ userId: u.id, month: "2026-01", cost: 3, cap: 10 })).toBe(10);
      expect(await id.debitCredits({ userId: u.id, month: "2026-01", cost: 50, cap: null })).toBe(60);
      expect(await id.debitCredits({ userId: u.id, month: "2026-02", cost: 11, cap: 10 })).toBeNull();
      expect(await id.creditsUsed(u.id, "2026-02")).toBe(0);
      expect(await id.creditsUsed(u.id, "2026-01")).toBe(60);
    });

    test("credits: 60 concurrent debits of 1 against a cap of 25 admit exactly 25", async () => {
      const u = await seedUser();
      const results = await Promise.all(Array.from({ length: 60 }, () => id.debitCredits({ userId: u.id, month: "2026-03", cost: 1, cap: 25 })));
      const admitted = results.filter((r): r is number => r !== null);
      expect(admitted.length).toBe(25);
      expect(admitted.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      expect(await id.creditsUsed(u.id, "2026-03")).toBe(25);
    });

    test("addCredits adds unconditionally and reports each (user, month) total once", async () => {
      const [a, b] = [await seedUser(), await seedUser()];
      await id.debitCredits({ userId: a.id, month: "2026-04", cost: 5, cap: null });
      const out = await id.addCredits([
        { userId: a.id, month: "2026-04", amount: 10 },
        { userId: b.id, month: "2026-04", amount: 3 },
        { userId: a.id, month: "2026-04", amount: 1 },
      ]);
      const sorted = [...out].sort((x, y) => x.userId.localeCompare(y.userId));
      expect(sorted).toEqual([{ userId: a.id, month: "2026-04", used: 16 }, { userId: b.id, month: "2026-04", used: 3 }].sort((x, y) => x.userId.localeCompare(y.userId)));
      expect(await id.addCredits([])).toEqual([]);
      expect(await id.creditsUsed(a.id, "2026-04")).toBe(16);
    });
  });
}
