import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../lib/clock.ts";
import type { AccountFillRecord, AccountsStore, HeatmapTotalsRecord, PnlSnapshotRecord } from "../store/ports.ts";
import { openSqliteStore } from "../store/sqlite/index.ts";
import { createRecorder } from "./recorder.ts";

const T0 = 1_700_000_040_000;
const fill: AccountFillRecord = { venue: "v", accountId: 7, marketId: 0, tradeId: 1, ts: T0, side: "buy", role: "taker", price: 10, size: 2, kind: "trade", fee: 1, realizedPnl: null };
const pnl: PnlSnapshotRecord = { venue: "v", accountId: 7, ts: T0, equity: 5, collateral: 5, unrealizedPnl: 0, realizedPnl: 0, fundingPaid: 0, notional: 20, positions: 1 };
const heat: HeatmapTotalsRecord = {
  venue: "v", marketId: 0, ts: T0 - (T0 % 60_000), markPrice: 10, longUsd: "1.000000", shortUsd: "2.000000", longNearUsd: "0.000000", shortNearUsd: "0.000000",
  longPositions: 1, shortPositions: 1, accounts: 2,
};

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup() {
  const dataDir = mkdtempSync(join(tmpdir(), "hl-recorder-accounts-"));
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const store = await openSqliteStore({ path: ":memory:" });
  await store.migrate();
  cleanup.push(() => store.close());
  return { dataDir, store, clock: new ManualClock(T0) };
}

describe("recorder: the accounts kinds", () => {
  test("fills, PnL snapshots and heatmap totals reach the accounts store", async () => {
    const { dataDir, store, clock } = await setup();
    const rec = createRecorder({ store: store.marketData, accounts: store.accounts, dataDir, clock, fsync: false });
    rec.recordFills([fill]);
    rec.recordPnlSnapshots([pnl]);
    rec.recordHeatmapTotals([heat]);
    expect(rec.stats().buffered).toMatchObject({ fills: 1, pnl: 1, heatmap: 1 });
    await rec.flush();
    expect((await store.accounts.queryFills({ venue: "v", accountId: 7, start: 0, end: T0 + 1, limit: 10, offset: 0 })).rows).toEqual([fill]);
    expect(await store.accounts.queryPnlSnapshots({ venue: "v", accountId: 7, start: 0, end: T0 + 1, limit: 10 })).toEqual([pnl]);
    expect(await store.accounts.queryHeatmapTotals({ venue: "v", marketId: 0, start: 0, end: T0 + 1, limit: 10 })).toEqual([heat]);
    await rec.close();
  });

  test("while the accounts store is down they are journaled, and written once it answers", async () => {
    const { dataDir, store, clock } = await setup();
    let down = true;
    const flaky = new Proxy(store.accounts, {
      get: (target, prop) => {
        const member: unknown = Reflect.get(target, prop);
        return typeof member === "function" ? (...args: unknown[]) => (down ? Promise.reject(new Error("down")) : member.apply(target, args)) : member;
      },
    }) as AccountsStore;
    const rec = createRecorder({ store: store.marketData, accounts: flaky, dataDir, clock, fsync: false, maxBufferedRows: 1, batchRows: 1 });
    rec.recordFills([fill, { ...fill, tradeId: 2 }]);
    await rec.flush();
    expect(rec.stats().journalBytes).toBeGreaterThan(0);
    down = false;
    clock.advance(10_000);
    await rec.whenIdle();
    expect((await store.accounts.queryFills({ venue: "v", accountId: 7, start: 0, end: T0 + 1, limit: 10, offset: 0 })).total).toBe(2);
    await rec.close();
  });

  test("fills reach the store in key order (account, then time), from the buffer and from the journal", async () => {
    const { dataDir, store, clock } = await setup();
    const calls: number[][] = [];
    let failures = 1;
    const logged = new Proxy(store.accounts, {
      get: (target, prop) => {
        if (prop !== "insertFills") return Reflect.get(target, prop);
        return (rows: AccountFillRecord[]) => {
          calls.push(rows.map((r) => r.accountId * 100 + r.tradeId));
          if (failures-- > 0) return Promise.reject(new Error("down"));
          return target.insertFills(rows);
        };
      },
    }) as AccountsStore;
    // Arrival order interleaves three accounts, as the trade feed does.
    const arrival = [3, 1, 2, 1, 3, 2, 2, 1, 3].map((accountId, i) => ({ ...fill, accountId, tradeId: i + 1, ts: T0 + i }));
    const keyOrder = [102, 104, 108, 203, 206, 207, 301, 305, 309];
    const rec = createRecorder({ store: store.marketData, accounts: logged, dataDir, clock, fsync: false, retryMinMs: 10 });
    cleanup.push(() => rec.close());
    rec.recordFills(arrival);
    await rec.flush();
    clock.advance(10); // the first write failed: its retry
    await rec.whenIdle();
    // Slices (the first a probe of one row, which failed), each in key order, the retry from the start.
    expect(calls[0]).toEqual(keyOrder.slice(0, calls[0]!.length));
    expect(calls.slice(1).flat()).toEqual(keyOrder);

    // Spilled to the journal while the store is down, then replayed in the same order.
    calls.length = 0;
    failures = Infinity;
    const spilling = createRecorder({ store: store.marketData, accounts: logged, dataDir: join(dataDir, "spill"), clock, fsync: false, maxBufferedRows: 1, batchRows: 9, retryMinMs: 10 });
    cleanup.push(() => spilling.close());
    spilling.recordFills(arrival.map((f) => ({ ...f, tradeId: f.tradeId + 10 })));
    await spilling.flush();
    expect(spilling.stats().journalBytes).toBeGreaterThan(0);
    failures = 0;
    calls.length = 0;
    clock.advance(10_000);
    await spilling.whenIdle();
    expect(calls.flat()).toEqual(keyOrder.map((k) => k + 10));
    expect((await store.accounts.queryFills({ venue: "v", accountId: 2, start: 0, end: T0 + 100, limit: 10, offset: 0 })).total).toBe(6);
  });

  test("a fills batch that fails after some slices were stored resumes with exactly the rows not yet stored", async () => {
    const { dataDir, store, clock } = await setup();
    let now = 0;
    const calls: number[][] = [];
    const failing = new Proxy(store.accounts, {
      get: (target, prop) => {
        if (prop !== "insertFills") return Reflect.get(target, prop);
        return (rows: AccountFillRecord[]) => {
          now += rows.length * 0.1; // 0.1 ms a row on the pacer's clock: slices of 16 rows
          calls.push(rows.map((r) => r.tradeId));
          return calls.length === 3 ? Promise.reject(new Error("down")) : target.insertFills(rows);
        };
      },
    }) as AccountsStore;
    const rec = createRecorder({ store: store.marketData, accounts: failing, dataDir, clock, fsync: false, sliceBudgetMs: 1, monotonicNow: () => now, retryMinMs: 10 });
    cleanup.push(() => rec.close());
    // 60 fills of 4 accounts, interleaved; trade ids in key order are account-major.
    const arrival = Array.from({ length: 60 }, (_, i) => ({ ...fill, accountId: i % 4, tradeId: (i % 4) * 100 + Math.floor(i / 4), ts: T0 + i }));
    const keyOrder = [...arrival].sort((a, b) => a.accountId - b.accountId || a.ts - b.ts).map((f) => f.tradeId);
    rec.recordFills(arrival);
    await rec.flush();
    clock.advance(10);
    await rec.whenIdle();
    expect(calls.length).toBeGreaterThan(3);
    // The failed third slice is tried again from its first row, and every row is written once.
    expect([...calls.slice(0, 2), ...calls.slice(3)].flat()).toEqual(keyOrder);
    expect(calls[3]![0]).toBe(calls[2]![0]);
    const stored = await Promise.all([0, 1, 2, 3].map((a) => store.accounts.queryFills({ venue: "v", accountId: a, start: 0, end: T0 + 100, limit: 100, offset: 0 })));
    expect(stored.reduce((n, q) => n + q.total, 0)).toBe(60);
  });

  test("without an accounts store, recording them is refused", async () => {
    const { dataDir, store, clock } = await setup();
    const rec = createRecorder({ store: store.marketData, dataDir, clock, fsync: false });
    expect(() => rec.recordFills([fill])).toThrow(/no accounts store/);
    await rec.close();
  });
});
