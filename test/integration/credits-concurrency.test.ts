/**
 * Credits can never be overspent: 1,200 concurrent 1-credit requests against an account with
 * 1,000 credits left → exactly 1,000 succeed and 200 get 402 credits_exhausted. The requests come
 * from 40 keys of the account, 30 each (the Free rate limit, per key), so the rate limit admits all
 * of them and the credit meter alone decides. Run against every meter: in memory (single node,
 * write-behind to the SQLite ledger), in the store (the atomic conditional UPSERT used on a shared
 * store without Redis) and in Redis (Lua debit, write-behind ledger); each ledger must be exact.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { creditPeriod } from "../../src/domain/tiers";
import { systemClock } from "../../src/lib/clock";
import { startIdentityApp, type IdentityApp } from "../support/identity";
import { hasRedis } from "../support/services";

for (const backend of ["memory", "store", "redis"] as const) {
  describe.skipIf(backend === "redis" && !hasRedis)(`credits under concurrency (${backend} meter)`, () => {
    let h: IdentityApp;
    beforeAll(async () => {
      h = await startIdentityApp({
        clock: systemClock,
        redis: backend === "redis",
        sharedStore: backend === "store",
        routes: (app) => void app.get("/probe/one-credit", () => ({ ok: true }), { auth: "apiKey" }),
      });
    });
    afterAll(() => h?.close());

    test("1,200 concurrent requests, 1,000 credits left: exactly 1,000 admitted, 200 × 402, ledger exact", async () => {
      const u = await h.register();
      const keys = [u.apiKey];
      for (let i = 1; i < 40; i++) {
        const r = await h.call("POST", "/api/v1/keys", { headers: { authorization: `Bearer ${u.token}` }, body: { name: `k${i}` } });
        keys.push((r.body.data as { api_key: string }).api_key);
      }
      const { month } = creditPeriod(Date.now());
      await h.store.identity.debitCredits({ userId: u.userId, month, cost: 74_000, cap: null });

      const responses = await Promise.all(
        Array.from({ length: 1_200 }, (_, i) => fetch(`${h.url}/probe/one-credit`, { headers: { "x-api-key": keys[i % keys.length]! } })),
      );
      const statuses = responses.map((r) => r.status);
      const count = (s: number) => statuses.filter((x) => x === s).length;
      expect({ ok: count(200), exhausted: count(402), limited: count(429), other: statuses.length - count(200) - count(402) - count(429) }).toEqual({ ok: 1_000, exhausted: 200, limited: 0, other: 0 });
      // Each admitted request saw a different balance: the debits were serialised, never interleaved.
      const remaining = responses.filter((r) => r.status === 200).map((r) => Number(r.headers.get("x-credits-remaining")));
      expect(new Set(remaining).size).toBe(1_000);
      expect(Math.min(...remaining)).toBe(0);
      const refused = await responses.find((r) => r.status === 402)!.json() as { data: { code: string } };
      expect(refused.data.code).toBe("credits_exhausted");

      await h.identity.meter.flush();
      expect(await h.store.identity.creditsUsed(u.userId, month)).toBe(75_000);
      expect(await h.identity.meter.used(u.userId, month)).toBe(75_000);
    });
  });
}
