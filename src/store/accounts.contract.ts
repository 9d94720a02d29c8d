/**
 * The AccountsStore contract: both adapters' test files run this one suite. Each test writes under
 * its own venue name, so tests share one migrated store and do not depend on each other's order.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { AccountFillRecord, AccountsStore, HeatmapTotalsRecord, PnlSnapshotRecord } from "./accounts.port.ts";
import type { Store } from "./ports.ts";

const T0 = Date.UTC(2026, 0, 15, 12);
const MINUTE = 60_000;

const fill = (venue: string, accountId: number, tradeId: number, ts: number, over: Partial<AccountFillRecord> = {}): AccountFillRecord => ({
  venue, accountId, marketId: 1, tradeId, ts, side: tradeId % 2 ? "buy" : "sell", role: tradeId % 3 ? "taker" : "maker",
  price: 3_000_000 + tradeId, size: 10 + tradeId, kind: "trade", fee: tradeId % 5, realizedPnl: tradeId % 4 ? -tradeId * 1000 : null, ...over,
});
const pnl = (venue: string, accountId: number, ts: number): PnlSnapshotRecord => ({
  venue, accountId, ts, equity: 1_000_000 + ts % 1000, collateral: 900_000, unrealizedPnl: -5, realizedPnl: 7, fundingPaid: -3, notional: 2_000_000, positions: 2,
});
const heat = (venue: string, marketId: number, ts: number, longUsd = "1234.500000"): HeatmapTotalsRecord => ({
  venue, marketId, ts, markPrice: 300_000, longUsd, shortUsd: "99999999999.000001", longNearUsd: "10.000000", shortNearUsd: "0.000000",
  longPositions: 3, shortPositions: 4, accounts: 6,
});

/** Registers the contract for one backend; `open` must reach an empty, unmigrated or migrated storage. */
export function runAccountsContract(name: string, open: () => Promise<Store>): void {
  describe(`AccountsStore contract (${name})`, () => {
    let store: Store;
    let acc: AccountsStore;
    let applied: string[];

    beforeAll(async () => {
      store = await open();
      applied = (await store.migrate()).applied;
      acc = store.accounts;
    });
    afterAll(async () => {
      await store?.close();
    });

    test("the accounts migration is part of the versioned schema", async () => {
      expect(applied.length === 0 || applied.includes("004_accounts")).toBe(true);
      expect(await store.migrate()).toEqual({ applied: [] });
    });

    test("fills: idempotent inserts (a self-trade keeps both sides); one account's fills paged newest first with the total", async () => {
      const v = "fills-paged";
      const rows = [fill(v, 1, 1, T0), fill(v, 1, 2, T0 + 1), fill(v, 1, 3, T0 + 2, { marketId: 2 }), fill(v, 2, 4, T0 + 3)];
      expect(await acc.insertFills(rows)).toBe(4);
      expect(await acc.insertFills([...rows, fill(v, 1, 2, T0 + 1, { role: "maker" })])).toBe(1);
      const page = await acc.queryFills({ venue: v, accountId: 1, start: T0, end: T0 + 10, limit: 2, offset: 0 });
      expect(page.total).toBe(4);
      expect(page.rows.map((r) => [r.tradeId, r.role])).toEqual([[3, "maker"], [2, "maker"]]);
      expect(page.rows[0]).toEqual(rows[2]!);
      const market = await acc.queryFills({ venue: v, accountId: 1, marketId: 2, start: T0, end: T0 + 10, limit: 10, offset: 0 });
      expect(market.rows.map((r) => r.tradeId)).toEqual([3]);
      expect(market.total).toBe(1);
    });

    test("fills: the newest N of each of many accounts in one read, ties at the N-th trimmed, range respected", async () => {
      const v = "fills-recent";
      const rows: AccountFillRecord[] = [];
      for (let a = 1; a <= 30; a++) for (let i = 0; i < a % 7; i++) rows.push(fill(v, a, a * 100 + i, T0 + i * 1000));
      // Three fills at the same ms for account 50: the third newest ties with the second.
      rows.push(fill(v, 50, 1, T0), fill(v, 50, 2, T0 + 5), fill(v, 50, 3, T0 + 5), fill(v, 50, 4, T0 + 5));
      rows.push(fill(v, 51, 9, T0 - 1)); // before the range
      await acc.insertFills(rows);
      const ids = [...Array.from({ length: 30 }, (_, i) => i + 1), 50, 51, 999];
      const got = await acc.recentFills({ venue: v, accountIds: ids, start: T0, end: T0 + 60_000, perAccount: 3 });
      const byAccount = new Map<number, number[]>();
      for (const r of got) byAccount.set(r.accountId, [...(byAccount.get(r.accountId) ?? []), r.tradeId]);
      for (let a = 1; a <= 30; a++) {
        const n = a % 7;
        const expected = Array.from({ length: n }, (_, i) => a * 100 + i).reverse().slice(0, 3);
        expect(byAccount.get(a) ?? []).toEqual(expected);
      }
      expect(byAccount.get(50)).toEqual([4, 3, 2]);
      expect(byAccount.has(51)).toBe(false);
      expect(byAccount.has(999)).toBe(false);
    });

    test("PnL snapshots: first write of a (account, ts) kept, read oldest first within the range", async () => {
      const v = "pnl";
      expect(await acc.insertPnlSnapshots([pnl(v, 7, T0 + MINUTE), pnl(v, 7, T0), pnl(v, 8, T0)])).toBe(3);
      expect(await acc.insertPnlSnapshots([{ ...pnl(v, 7, T0), equity: 1 }])).toBe(0);
      const rows = await acc.queryPnlSnapshots({ venue: v, accountId: 7, start: T0, end: T0 + 2 * MINUTE, limit: 10 });
      expect(rows).toEqual([pnl(v, 7, T0), pnl(v, 7, T0 + MINUTE)]);
      expect(await acc.queryPnlSnapshots({ venue: v, accountId: 7, start: T0, end: T0 + 2 * MINUTE, limit: 1 })).toEqual([pnl(v, 7, T0)]);
    });

    test("heatmap totals: decimal strings byte for byte, first row of a minute kept, bad rows refused", async () => {
      const v = "heat";
      expect(await acc.insertHeatmapTotals([heat(v, 0, T0), heat(v, 0, T0, "1.000000"), heat(v, 0, T0 + MINUTE), heat(v, 1, T0)])).toBe(3);
      expect(await acc.insertHeatmapTotals([heat(v, 0, T0, "2.000000")])).toBe(0);
      expect(await acc.queryHeatmapTotals({ venue: v, marketId: 0, start: T0, end: T0 + 5 * MINUTE, limit: 10 })).toEqual([heat(v, 0, T0), heat(v, 0, T0 + MINUTE)]);
      await expect(acc.insertHeatmapTotals([heat(v, 2, T0 + 1)])).rejects.toThrow(RangeError);
      await expect(acc.insertHeatmapTotals([heat(v, 2, T0, "1e5")])).rejects.toThrow(RangeError);
      expect(await acc.queryHeatmapTotals({ venue: v, marketId: 2, start: 0, end: T0 * 2, limit: 10 })).toEqual([]);
    });

    test("tracked accounts: first-seen kept, address and state only replaced by values, newest update time", async () => {
      const v = "tracked";
      await acc.upsertTrackedAccounts([
        { venue: v, accountId: 2 ** 48 + 5, l1Address: null, firstSeen: T0, updatedAt: T0, state: null },
        { venue: v, accountId: 3, l1Address: "0xabc", firstSeen: T0, updatedAt: T0, state: '{"c":1}' },
      ]);
      await acc.upsertTrackedAccounts([
        { venue: v, accountId: 3, l1Address: null, firstSeen: T0 + 9, updatedAt: T0 - 5, state: null },
        { venue: v, accountId: 2 ** 48 + 5, l1Address: "0xdef", firstSeen: T0 + 9, updatedAt: T0 + 9, state: '{"c":2}' },
        { venue: v, accountId: 2 ** 48 + 5, l1Address: null, firstSeen: T0 + 9, updatedAt: T0 + 10, state: '{"c":3}' },
      ]);
      expect(await acc.listTrackedAccounts(v)).toEqual([
        { venue: v, accountId: 3, l1Address: "0xabc", firstSeen: T0, updatedAt: T0, state: '{"c":1}' },
        { venue: v, accountId: 2 ** 48 + 5, l1Address: "0xdef", firstSeen: T0, updatedAt: T0 + 10, state: '{"c":3}' },
      ]);
    });

    test("liquidations of given accounts: newest N each, from the market-data table", async () => {
      const v = "liq-accounts";
      const liq = (id: number, accountId: number, ts: number) => ({ venue: v, marketId: id % 2, id, ts, accountId, side: "long" as const, price: 10, size: 1, kind: "liquidation" as const });
      await store.marketData.insertLiquidations([liq(1, 10, T0), liq(2, 10, T0 + 1), liq(3, 10, T0 + 2), liq(4, 11, T0), liq(5, 12, T0 - 10)]);
      const got = await acc.recentLiquidations({ venue: v, accountIds: [10, 11, 12], start: T0, end: T0 + 10, perAccount: 2 });
      expect(got.map((l) => [l.accountId, l.id])).toEqual([[10, 3], [10, 2], [11, 4]]);
    });
  });
}
