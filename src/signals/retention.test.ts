import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { ManualClock } from "../lib/clock";
import { silentLogger } from "../lib/log";
import type { Store } from "../store/ports";
import type { SignalRecord } from "../store/signals.port";
import { openSqliteStore } from "../store/sqlite";
import { createSignalRetention, DAY_MS } from "./retention";

const T0 = Date.UTC(2026, 5, 1);
const HORIZON = 30 * DAY_MS;

describe("signals retention", () => {
  let store: Store;
  let clock: ManualClock;
  let n = 0;

  beforeEach(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    await store.migrate();
    clock = new ManualClock(T0);
  });
  afterEach(() => store.close());

  const signal = (at: number): Promise<SignalRecord> =>
    store.signals.create({
      userId: "usr_ret", name: "r", venue: "lighter", marketId: 0, cooldownSecs: 0, enabled: true,
      rule: { conditions: [{ field: "trade_price", op: "gt", value: 1 }], logic: "AND" },
      channels: [{ type: "webhook", url: "https://hooks.example/a", secret: "retention-secret-0123" }],
    }, at);
  /** `count` firings of `s` at `at`, `at + 1`…, each then delivered (`finish`) or left pending. */
  const firings = async (s: SignalRecord, at: number, count: number, finish: boolean) => {
    for (let i = 0; i < count; i++) {
      const [d] = await store.signals.recordFiring({ signalId: s.id, venue: "lighter", marketId: 0, ts: at + i, values: {} },
        [{ id: `msg_${(++n).toString(16).padStart(24, "0")}`, channel: 0, url: "https://hooks.example/a", body: "{}" }], at + i);
      if (!finish) continue;
      await store.signals.claimDue("w", at + i, 1_000, 1);
      await store.signals.recordAttempt("w", d!.id, { at: at + i, durationMs: 1, httpStatus: 200, error: null, outcome: "delivered" });
    }
  };
  const statuses = async (s: SignalRecord) => (await store.signals.listDeliveries(s.userId, s.id, { limit: 100, offset: 0 })).rows.map((d) => d.status);

  test("a run removes finished rows past the horizon in bounded batches and leaves the rest to the next run", async () => {
    const s = await signal(T0 - 60 * DAY_MS);
    await firings(s, T0 - 40 * DAY_MS, 7, true);
    await firings(s, T0 - 10 * DAY_MS, 3, true);
    await firings(s, T0 - 40 * DAY_MS + 100, 2, false);
    const retention = createSignalRetention({ store: store.signals, clock, log: silentLogger(), horizonMs: HORIZON, batch: 2, maxBatches: 2 });

    expect(await retention.runOnce()).toEqual({ deliveries: 4, attempts: 4, signals: 0, batches: 2 });
    expect(await retention.runOnce()).toEqual({ deliveries: 3, attempts: 3, signals: 0, batches: 2 });
    expect(await retention.runOnce()).toEqual({ deliveries: 0, attempts: 0, signals: 0, batches: 1 });
    expect((await statuses(s)).sort()).toEqual(["delivered", "delivered", "delivered", "pending", "pending"]);
  });

  test("started, it runs at once and then every `everyMs` on the clock; tombstones go too; stopped, it runs no more", async () => {
    const s = await signal(T0 - 60 * DAY_MS);
    await firings(s, T0 - 50 * DAY_MS, 1, true);
    await store.signals.delete(s.userId, s.id, T0 - 20 * DAY_MS - 1);
    const seen: number[] = [];
    const prune = store.signals.prune.bind(store.signals);
    const retention = createSignalRetention({
      store: { prune: (before, limit) => (seen.push(before), prune(before, limit)) }, clock, log: silentLogger(), horizonMs: HORIZON, everyMs: 10 * DAY_MS,
    });
    retention.start();
    await retention.whenIdle();
    expect(seen).toEqual([T0 - HORIZON]);
    expect(await store.signals.changesSince(0)).toHaveLength(1);

    clock.advance(10 * DAY_MS - 1);
    await retention.whenIdle();
    expect(seen).toHaveLength(1);
    clock.advance(1);
    await retention.whenIdle();
    expect(seen).toEqual([T0 - HORIZON, T0 + 10 * DAY_MS - HORIZON]);
    // The tombstone, deleted just over 20 days before T0, is past the horizon 10 days later.
    expect(await store.signals.changesSince(0)).toEqual([]);

    await retention.stop();
    clock.advance(20 * DAY_MS);
    expect(seen).toHaveLength(2);
  });
});
