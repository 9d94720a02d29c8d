/**
 * The SignalsStore contract: every store adapter's test file runs this one suite. Each test creates
 * its own users; the outbox is global (a worker claims whatever is due), so every test that claims
 * first settles what earlier tests left pending.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Store } from "./ports.ts";
import { type AttemptResult, type DeliveryRecord, type NewSignal, type PruneResult, SignalLimitError, type SignalsStore } from "./signals.port.ts";

const T0 = Date.UTC(2026, 0, 15, 12);
const FAR = Date.UTC(2100, 0, 1);
const RULE = { conditions: [{ field: "trade_price" as const, op: "gt" as const, value: 4000 }], logic: "AND" as const };

/** Registers the contract; `open` returns a store on storage of its own, and the SAME storage on every call (two handles race in one test). */
export function runSignalsContract(name: string, open: () => Promise<Store>): void {
  describe(`SignalsStore contract (${name})`, () => {
    let store: Store;
    let s: SignalsStore;
    let n = 0;
    const user = () => `usr_${name}_sig_${++n}`;
    const msg = () => `msg_${(++n).toString(16).padStart(24, "0")}`;
    const newSignal = (userId: string, over: Partial<NewSignal> = {}): NewSignal => ({
      userId, name: `s${n}`, venue: "lighter", marketId: 1, rule: RULE, cooldownSecs: 60, enabled: true,
      channels: [{ type: "webhook", url: "https://a.example/hook", secret: "secret-of-sixteen+" }, { type: "webhook", url: "https://b.example/hook", secret: "another-secret-16" }],
      ...over,
    });
    const fire = (signalId: string, ts: number, channels = [0, 1]) =>
      s.recordFiring({ signalId, venue: "lighter", marketId: 1, ts, values: { trade_price: "4001" } },
        channels.map((channel) => ({ id: msg(), channel, url: `https://${channel === 0 ? "a" : "b"}.example/hook`, body: `{"ts":${ts}}` })), ts);
    const outcome = (over: Partial<AttemptResult> & Pick<AttemptResult, "outcome">): AttemptResult => ({ at: T0, durationMs: 12, httpStatus: 200, error: null, ...over });
    /** Ends everything earlier tests left pending, so claims see only this test's rows. */
    const settle = async () => {
      for (const d of await s.claimDue("settler", FAR, 1, 100_000)) await s.recordAttempt("settler", d.id, outcome({ outcome: "cancelled", at: FAR }));
    };

    beforeAll(async () => {
      store = await open();
      await store.migrate();
      s = store.signals;
    });
    afterAll(async () => {
      await store?.close();
    });

    test("create, get, list and count are owner-scoped; secrets and rules round-trip", async () => {
      const [a, b] = [user(), user()];
      const first = await s.create(newSignal(a, { name: "first" }), T0);
      const second = await s.create(newSignal(a, { name: "second", enabled: false }), T0 + 1);
      expect(first.id).toMatch(/^sig_[0-9a-f]{24}$/);
      expect(first).toMatchObject({ userId: a, name: "first", rule: RULE, createdAt: T0, updatedAt: T0, lastFiredAt: null, enabled: true });
      expect(first.channels).toEqual([
        { type: "webhook", url: "https://a.example/hook", secret: "secret-of-sixteen+", disabledAt: null },
        { type: "webhook", url: "https://b.example/hook", secret: "another-secret-16", disabledAt: null },
      ]);
      expect(await s.get(a, first.id)).toEqual(first);
      expect(await s.get(b, first.id)).toBeNull();
      expect(await s.byId(first.id)).toEqual(first);
      expect(await s.list(a, { limit: 10, offset: 0 })).toEqual({ rows: [first, second], total: 2 });
      expect(await s.list(a, { limit: 1, offset: 1 })).toEqual({ rows: [second], total: 2 });
      expect(await s.list(b, { limit: 10, offset: 0 })).toEqual({ rows: [], total: 0 });
      expect(await s.count(a)).toBe(2);
      const enabled = (await s.listEnabled()).map((x) => x.id);
      expect(enabled).toContain(first.id);
      expect(enabled).not.toContain(second.id);
    });

    test("update patches the owner's signal only and replaces channels; changesSince follows it", async () => {
      const a = user();
      const sig = await s.create(newSignal(a), T0);
      expect(await s.update(user(), sig.id, { name: "stolen" }, T0 + 5)).toBeNull();
      const rule = { conditions: [{ field: "funding_rate" as const, op: "lt" as const, value: "-0.01" }], logic: "OR" as const };
      const up = await s.update(a, sig.id, { name: "renamed", rule, cooldownSecs: 5, channels: [{ type: "webhook", url: "https://c.example/h", secret: "sixteen-chars-min" }] }, T0 + 10);
      expect(up).toMatchObject({ name: "renamed", rule, cooldownSecs: 5, marketId: 1, updatedAt: T0 + 10, createdAt: T0 });
      expect(up?.channels).toEqual([{ type: "webhook", url: "https://c.example/h", secret: "sixteen-chars-min", disabledAt: null }]);
      const off = await s.update(a, sig.id, { enabled: false }, T0 + 20);
      const changes = (await s.changesSince(T0 + 20)).filter((c) => c.id === sig.id);
      expect(changes).toEqual([{ id: sig.id, updatedAt: T0 + 20, signal: null }]);
      await s.update(a, sig.id, { enabled: true }, T0 + 30);
      const back = (await s.changesSince(T0 + 30)).find((c) => c.id === sig.id);
      expect(back?.signal).toEqual({ ...off!, enabled: true, updatedAt: T0 + 30 });
    });

    test("a firing writes one pending row per enabled channel, once, and sets lastFiredAt", async () => {
      const sig = await s.create(newSignal(user()), T0);
      const rows = await fire(sig.id, T0 + 100);
      expect(rows.map((r) => [r.channel, r.status, r.attempts, r.firedAt, r.nextAttemptAt, r.test])).toEqual([
        [0, "pending", 0, T0 + 100, T0 + 100, false], [1, "pending", 0, T0 + 100, T0 + 100, false],
      ]);
      expect(rows[0]?.id).toMatch(/^msg_/);
      expect(await fire(sig.id, T0 + 100)).toEqual(rows);
      expect((await s.byId(sig.id))?.lastFiredAt).toBe(T0 + 100);
      await fire(sig.id, T0 + 50);
      expect((await s.byId(sig.id))?.lastFiredAt).toBe(T0 + 100);
      const test1 = await s.enqueueTest(sig.id, { id: msg(), channel: 0, url: "https://a.example/hook", body: "{}" }, T0 + 200);
      expect(test1).toMatchObject({ test: true, firedAt: null, status: "pending", signalId: sig.id });
      expect((await s.byId(sig.id))?.lastFiredAt).toBe(T0 + 100);
      const later = await s.enqueueTest(sig.id, { id: msg(), channel: 1, url: "https://b.example/hook", body: "{}" }, T0 + 200, T0 + 9_000);
      expect(later).toMatchObject({ createdAt: T0 + 200, nextAttemptAt: T0 + 9_000 });
    });

    test("concurrent writes of one firing leave one set of rows", async () => {
      const sig = await s.create(newSignal(user()), T0);
      const results = await Promise.all([fire(sig.id, T0 + 7), fire(sig.id, T0 + 7), fire(sig.id, T0 + 7)]);
      expect(results[1]).toEqual(results[0]!);
      expect(results[2]).toEqual(results[0]!);
      expect((await s.listDeliveries(sig.userId, sig.id, { limit: 10, offset: 0 })).total).toBe(2);
    });

    /** The firing writes `fire` would make, for recordFirings. */
    const write = (signalId: string, ts: number, channels = [0, 1]) => ({
      firing: { signalId, venue: "lighter", marketId: 1, ts, values: { trade_price: "4001" } },
      deliveries: channels.map((channel) => ({ id: msg(), channel, url: `https://${channel === 0 ? "a" : "b"}.example/hook`, body: `{"ts":${ts}}` })),
    });
    /** A row without what differs between two equal writes (ids and the signal's). */
    const shape = (r: DeliveryRecord) => [r.channel, r.url, r.body, r.status, r.attempts, r.firedAt, r.nextAttemptAt, r.createdAt, r.test];
    /** Three signals: two channels; the second channel not stored (its delivery is dropped); deleted. */
    const trio = async () => {
      const u = user();
      const two = await s.create(newSignal(u), T0);
      const one = await s.create(newSignal(u, { channels: [{ type: "webhook", url: "https://a.example/hook", secret: "secret-of-sixteen+" }] }), T0);
      const gone = await s.create(newSignal(u), T0);
      await s.delete(u, gone.id, T0 + 1);
      return [two, one, gone] as const;
    };

    test("byIds reads the live signals among the ids in one call", async () => {
      const [two, one, gone] = await trio();
      const got = await s.byIds([two.id, one.id, gone.id, "sig_unknown"]);
      expect(got.map((x) => x.id).sort()).toEqual([two.id, one.id].sort());
      expect(got.find((x) => x.id === two.id)).toEqual((await s.byId(two.id))!);
      expect(await s.byIds([])).toEqual([]);
    });

    test("recordFirings writes a batch as recordFiring writes each item, and replaying it changes nothing", async () => {
      const [a, b, c] = await trio();
      const [a2, b2, c2] = await trio();
      const at = T0 + 300;
      const one = (id: string, ts: number) => {
        const w = write(id, ts);
        return s.recordFiring(w.firing, w.deliveries, at);
      };
      const single = [await one(a.id, at), await one(b.id, at), await one(c.id, at), await one(a.id, at + 1)];
      const items = [write(a2.id, at), write(b2.id, at), write(c2.id, at), write(a2.id, at + 1), write(a2.id, at)];
      const batch = await s.recordFirings(items, at);
      expect(batch).toHaveLength(5);
      expect(batch.slice(0, 4).map((rows) => rows.map(shape))).toEqual(single.map((rows) => rows.map(shape)));
      expect(batch[4]).toEqual(batch[0]!); // the same firing twice in one batch: one set of rows
      expect(batch[0]!.map((r) => r.id)).toEqual(items[0]!.deliveries.map((d) => d.id));
      expect(batch[2]).toEqual([]);
      expect((await s.byId(a2.id))?.lastFiredAt).toBe(at + 1);
      expect((await s.byId(b2.id))?.lastFiredAt).toBe(at);
      const replay = await s.recordFirings(items.map((i) => write(i.firing.signalId, i.firing.ts)), at + 50);
      expect(replay).toEqual(batch);
      expect((await s.listDeliveries(a2.userId, a2.id, { limit: 10, offset: 0 })).total).toBe(4);
      expect((await s.listDeliveries(b2.userId, b2.id, { limit: 10, offset: 0 })).total).toBe(1);
      expect(await s.recordFirings([], at)).toEqual([]);
      expect(await s.recordFiring(items[1]!.firing, [], at + 60)).toEqual(batch[1]!);
    });

    test("concurrent overlapping batches leave one set of rows per firing", async () => {
      const [a, b] = await trio();
      const at = T0 + 400;
      const [x, y] = await Promise.all([
        s.recordFirings([write(a.id, at), write(b.id, at)], at),
        s.recordFirings([write(b.id, at), write(a.id, at), write(a.id, at + 1)], at),
      ]);
      expect(y![0]).toEqual(x![1]!);
      expect(y![1]).toEqual(x![0]!);
      expect((await s.listDeliveries(a.userId, a.id, { limit: 10, offset: 0 })).total).toBe(4);
    });

    test("claims lease due rows to one worker; a live lease is skipped, an expired one is claimable", async () => {
      await settle();
      const sig = await s.create(newSignal(user()), T0);
      await fire(sig.id, T0 + 1_000);
      expect(await s.claimDue("w1", T0 + 999, 5_000, 10)).toEqual([]);
      expect(await s.nextDue()).toBe(T0 + 1_000);
      const claimed = await s.claimDue("w1", T0 + 1_000, 5_000, 1);
      expect(claimed.map((d) => d.channel)).toEqual([0]);
      expect((await s.claimDue("w2", T0 + 1_000, 5_000, 10)).map((d) => d.channel)).toEqual([1]);
      expect(await s.claimDue("w3", T0 + 5_999, 5_000, 10)).toEqual([]);
      expect(await s.nextDue()).toBe(T0 + 6_000);
      const again = await s.claimDue("w3", T0 + 6_000, 5_000, 10);
      expect(again.map((d) => d.channel).sort()).toEqual([0, 1]);
      expect(await s.recordAttempt("w1", claimed[0]!.id, outcome({ outcome: "delivered" }))).toBe(false);
      expect(await s.recordAttempt("w3", claimed[0]!.id, outcome({ outcome: "delivered", at: T0 + 6_010 }))).toBe(true);
      expect(await s.recordAttempt("w3", claimed[0]!.id, outcome({ outcome: "delivered" }))).toBe(false);
    });

    test("attempts are recorded in order; retry, delivery and failure set the row; attempts are owner-scoped", async () => {
      await settle();
      const sig = await s.create(newSignal(user()), T0);
      const [d] = await fire(sig.id, T0, [0]);
      await s.claimDue("w", T0, 1_000, 10);
      expect(await s.recordAttempt("w", d!.id, outcome({ outcome: "retry", at: T0 + 5, durationMs: 30, httpStatus: 503, error: "HTTP 503", nextAttemptAt: T0 + 5_000 }))).toBe(true);
      expect(await s.nextDue()).toBe(T0 + 5_000);
      expect(await s.claimDue("w", T0 + 4_999, 1_000, 10)).toEqual([]);
      const [retried] = await s.claimDue("w", T0 + 5_000, 1_000, 10);
      expect(retried).toMatchObject({ id: d!.id, attempts: 1, lastStatus: 503, lastError: "HTTP 503", status: "pending" });
      await s.recordAttempt("w", d!.id, outcome({ outcome: "delivered", at: T0 + 5_050, durationMs: 40 }));
      const page = await s.listDeliveries(sig.userId, sig.id, { limit: 10, offset: 0 });
      expect(page.rows[0]).toMatchObject({ status: "delivered", attempts: 2, deliveredAt: T0 + 5_050, nextAttemptAt: null, lastStatus: 200, lastError: null });
      expect(await s.listAttempts(sig.userId, d!.id, 10)).toEqual([
        { deliveryId: d!.id, attempt: 2, at: T0 + 5_050, durationMs: 40, httpStatus: 200, error: null, outcome: "delivered" },
        { deliveryId: d!.id, attempt: 1, at: T0 + 5, durationMs: 30, httpStatus: 503, error: "HTTP 503", outcome: "retry" },
      ]);
      expect(await s.listAttempts(sig.userId, d!.id, 1)).toHaveLength(1);
      expect(await s.listAttempts(user(), d!.id, 10)).toEqual([]);
      expect(await s.listDeliveries(user(), sig.id, { limit: 10, offset: 0 })).toEqual({ rows: [], total: 0 });
      expect(await s.nextDue()).toBeNull();
    });

    test("a 410 fails the row and disables its channel: later firings skip it, changesSince shows it", async () => {
      await settle();
      const sig = await s.create(newSignal(user()), T0);
      const rows = await fire(sig.id, T0);
      await s.claimDue("w", T0, 1_000, 10);
      await s.recordAttempt("w", rows[1]!.id, outcome({ outcome: "failed", at: T0 + 9, httpStatus: 410, error: "HTTP 410", disableChannel: true }));
      const now = await s.byId(sig.id);
      expect(now?.channels.map((c) => c.disabledAt)).toEqual([null, T0 + 9]);
      expect(now?.channels[1]?.secret).toBe("another-secret-16");
      expect((await s.changesSince(T0 + 9)).find((c) => c.id === sig.id)?.signal?.channels[1]?.disabledAt).toBe(T0 + 9);
      expect((await fire(sig.id, T0 + 60_000)).map((r) => r.channel)).toEqual([0]);
    });

    test("deleting cancels pending deliveries, leaves a tombstone for changesSince, and hides the signal", async () => {
      await settle();
      const a = user();
      const sig = await s.create(newSignal(a), T0);
      await fire(sig.id, T0 + 1);
      const [held] = await s.claimDue("w", T0 + 1, 10_000, 1);
      expect(await s.delete(user(), sig.id, T0 + 2)).toBe(false);
      expect(await s.delete(a, sig.id, T0 + 3)).toBe(true);
      expect(await s.delete(a, sig.id, T0 + 4)).toBe(false);
      expect(await s.get(a, sig.id)).toBeNull();
      expect(await s.byId(sig.id)).toBeNull();
      expect(await s.count(a)).toBe(0);
      expect((await s.listEnabled()).map((x) => x.id)).not.toContain(sig.id);
      expect((await s.listDeliveries(a, sig.id, { limit: 10, offset: 0 })).rows.map((r) => r.status)).toEqual(["cancelled", "cancelled"]);
      expect(await s.recordAttempt("w", held!.id, outcome({ outcome: "delivered" }))).toBe(false);
      expect(await s.claimDue("w2", FAR, 1, 10)).toEqual([]);
      expect((await s.changesSince(T0 + 3)).find((c) => c.id === sig.id)).toEqual({ id: sig.id, updatedAt: T0 + 3, signal: null });
      expect(await fire(sig.id, T0 + 10)).toEqual([]);
    });

    test("create under a limit counts live signals only and refuses the one over it", async () => {
      const a = user();
      const first = await s.create(newSignal(a), T0, { maxPerUser: 2 });
      await s.create(newSignal(a), T0, { maxPerUser: 2 });
      const refused = await s.create(newSignal(a), T0, { maxPerUser: 2 }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(SignalLimitError);
      expect((refused as SignalLimitError).limit).toBe(2);
      expect(await s.count(a)).toBe(2);
      await s.delete(a, first.id, T0 + 1);
      expect((await s.create(newSignal(a), T0 + 2, { maxPerUser: 2 })).userId).toBe(a);
      expect(await s.create(newSignal(a), T0 + 3, { maxPerUser: null })).toMatchObject({ userId: a });
      expect(await s.count(a)).toBe(3);
    });

    test("creates racing at the limit from two handles: exactly the limit succeed", async () => {
      const other = await open();
      try {
        const a = user();
        await s.create(newSignal(a), T0, { maxPerUser: 5 });
        const results = await Promise.allSettled(
          Array.from({ length: 16 }, (_, i) => (i % 2 ? other.signals : s).create(newSignal(a), T0 + i, { maxPerUser: 5 })),
        );
        const created = results.filter((r) => r.status === "fulfilled");
        const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
        expect(created).toHaveLength(4);
        expect(refused).toHaveLength(12);
        for (const e of refused) expect(e).toBeInstanceOf(SignalLimitError);
        expect(await s.count(a)).toBe(5);
      } finally {
        await other.close();
      }
    });

    test("outboxStats counts pending rows (claimed ones too) and the earliest due time", async () => {
      await settle();
      expect(await s.outboxStats()).toEqual({ pending: 0, oldestDueAt: null });
      const sig = await s.create(newSignal(user()), T0);
      const rows = await fire(sig.id, T0 + 500);
      await s.enqueueTest(sig.id, { id: msg(), channel: 0, url: "https://a.example/hook", body: "{}" }, T0 + 500, T0 + 9_000);
      expect(await s.outboxStats()).toEqual({ pending: 3, oldestDueAt: T0 + 500 });
      await s.claimDue("w", T0 + 500, 5_000, 1);
      expect(await s.outboxStats()).toEqual({ pending: 3, oldestDueAt: T0 + 500 });
      await s.claimDue("w", T0 + 500, 5_000, 10);
      for (const r of rows) await s.recordAttempt("w", r.id, outcome({ outcome: "delivered", at: T0 + 600 }));
      expect(await s.outboxStats()).toEqual({ pending: 1, oldestDueAt: T0 + 9_000 });
    });

    test("prune deletes finished deliveries, their attempts and tombstones older than the horizon, in bounded batches", async () => {
      // Rows of this test are weeks older than every other test's, so the horizon cuts only here.
      const OLD = T0 - 40 * 86_400_000;
      const before = OLD + 86_400_000;
      const a = user();
      const live = await s.create(newSignal(a), OLD);
      const [d1, d2] = await fire(live.id, OLD + 1);
      const [d3] = await fire(live.id, OLD + 2, [0]);
      expect(await s.claimDue("p", OLD + 2, 1_000, 10)).toHaveLength(3);
      await s.recordAttempt("p", d1!.id, outcome({ outcome: "delivered", at: OLD + 3 }));
      await s.recordAttempt("p", d2!.id, outcome({ outcome: "retry", at: OLD + 3, httpStatus: 500, nextAttemptAt: OLD + 10 }));
      await s.recordAttempt("p", d3!.id, outcome({ outcome: "retry", at: OLD + 3, httpStatus: 500, nextAttemptAt: before + 60_000 }));
      await s.claimDue("p", OLD + 10, 1_000, 10);
      await s.recordAttempt("p", d2!.id, outcome({ outcome: "failed", at: OLD + 11, httpStatus: 500 }));
      const [recent] = await s.recordFiring({ signalId: live.id, venue: "lighter", marketId: 1, ts: before + 5, values: {} },
        [{ id: msg(), channel: 0, url: "https://a.example/hook", body: "{}" }], before + 5);
      const gone = await s.create(newSignal(a), OLD);
      await fire(gone.id, OLD + 4, [1]);
      await s.delete(a, gone.id, OLD + 5);
      const kept = await s.create(newSignal(a), OLD);
      await s.delete(a, kept.id, before + 1);

      const batches: PruneResult[] = [];
      for (;;) {
        const r = await s.prune(before, 1);
        batches.push(r);
        if (r.deliveries < 1 && r.signals < 1) break;
      }
      for (const b of batches) expect(b.deliveries <= 1 && b.signals <= 1).toBe(true);
      const total = batches.reduce((t, b) => ({ deliveries: t.deliveries + b.deliveries, attempts: t.attempts + b.attempts, signals: t.signals + b.signals }));
      expect(total).toEqual({ deliveries: 3, attempts: 3, signals: 1 });

      const left = await s.listDeliveries(a, live.id, { limit: 10, offset: 0 });
      expect(left.rows.map((d) => d.id).sort()).toEqual([d3!.id, recent!.id].sort());
      expect(await s.listAttempts(a, d1!.id, 10)).toEqual([]);
      expect(await s.listAttempts(a, d3!.id, 10)).toHaveLength(1);
      expect(await s.byId(live.id)).not.toBeNull();
      const changes = (await s.changesSince(0)).map((c) => c.id);
      expect(changes).not.toContain(gone.id);
      expect(changes).toContain(kept.id);
      expect(await s.prune(before, 100)).toEqual({ deliveries: 0, attempts: 0, signals: 0 });
    });

    test("two store handles claiming at once never get the same row", async () => {
      await settle();
      const other = await open();
      try {
        const sig = await s.create(newSignal(user(), { channels: [{ type: "webhook", url: "https://a.example/hook", secret: "secret-of-sixteen+" }] }), T0);
        for (let i = 0; i < 60; i++) await fire(sig.id, T0 + i, [0]);
        const batches = await Promise.all(
          Array.from({ length: 12 }, (_, i) => (i % 2 ? other.signals : s).claimDue(`w${i}`, T0 + 100, 60_000, 7)),
        );
        // Whatever a racing claim skipped is still there for one more claim: nothing is lost either.
        const rest = await s.claimDue("w-last", T0 + 100, 60_000, 100);
        const ids = [...batches.flat(), ...rest].map((d: DeliveryRecord) => d.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids.length).toBe(60);
      } finally {
        await other.close();
      }
    });
  });
}
