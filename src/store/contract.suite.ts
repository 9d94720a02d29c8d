/**
 * The MarketDataStore contract: every store adapter's test file runs this one suite. Tests never
 * ask which backend they run on; a real difference would be a `StoreCapabilities` flag.
 *
 * Isolation: each test writes under its own venue name, so tests share one migrated store and do
 * not depend on each other's data or order (except the final reopen test, which closes it).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type {
  BookSnapshotRecord, CandleRecord, FundingRecord, HistoryPage, LiquidationRecord, MarketDataStore, MarketMetricRecord, Store,
  TradeRecord,
} from "./ports.ts";

export interface MarketDataContractOptions {
  /**
   * Opens two stores on one NEW, never-migrated storage (another file / schema), for the
   * concurrent-migration test. The suite migrates and closes them; the caller removes the storage.
   */
  openTwinsOnFreshStorage?: () => Promise<readonly [Store, Store]>;
}

const T0 = Date.UTC(2024, 0, 15, 12); // noon: tests that want a day or month boundary cross one on purpose
const DAY = 86_400_000;

const trade = (venue: string, tradeId: number, ts: number, over: Partial<TradeRecord> = {}): TradeRecord => ({
  venue, marketId: 1, tradeId, ts, price: 3_000_000 + tradeId, size: 10 + (tradeId % 7), isMakerAsk: tradeId % 2 === 0,
  askAccountId: 100 + tradeId, bidAccountId: 200 + tradeId, kind: "trade", ...over,
});
const byTsId = (a: TradeRecord, b: TradeRecord) => a.ts - b.ts || a.tradeId - b.tradeId;
const snapshot = (venue: string, ts: number, nonce: number): BookSnapshotRecord => ({
  venue, marketId: 1, ts, nonce, bids: [[100_000 + nonce, 5], [99_990, 7]], asks: [[100_010, 3]],
});
const candle = (venue: string, openTime: number, over: Partial<CandleRecord> = {}): CandleRecord => ({
  venue, marketId: 1, resolution: "1m", openTime, open: 10, high: 15, low: 9, close: 12, volume: 100,
  quoteVolume: 1_200n, tradeCount: 4, buyVolume: 60, ...over,
});
const funding = (venue: string, marketId: number, ts: number, rate: string): FundingRecord => ({
  venue, marketId, ts, rate, markPrice: 3_000_000 + marketId, indexPrice: 2_999_000 + marketId,
});
const liquidation = (venue: string, marketId: number, id: number, ts: number): LiquidationRecord => ({
  venue, marketId, id, ts, accountId: 7_000 + id, side: id % 2 ? "long" : "short", price: 2_900_000 + id, size: 3 + id,
  kind: id % 3 ? "liquidation" : "deleverage",
});
const MINUTE = 60_000;
const metric = (venue: string, marketId: number, ts: number, over: Partial<MarketMetricRecord> = {}): MarketMetricRecord => ({
  venue, marketId, ts, openInterestUsd: `${1_000_000 + marketId}.25`, markPrice: 3_000_000 + marketId, indexPrice: 2_999_500 + marketId,
  fundingRate: "0.0001", ...over,
});
/** The column-wise page of `readHistoryPage` built from the object reads' rows (the reference). */
const historyPageOf = (trades: readonly TradeRecord[], snaps: readonly BookSnapshotRecord[]): HistoryPage => ({
  trades: {
    ts: trades.map((t) => t.ts), tradeId: trades.map((t) => t.tradeId), price: trades.map((t) => t.price), size: trades.map((t) => t.size),
    isMakerAsk: trades.map((t) => t.isMakerAsk), askAccountId: trades.map((t) => t.askAccountId), bidAccountId: trades.map((t) => t.bidAccountId),
    kind: trades.map((t) => t.kind),
  },
  snapshots: { ts: snaps.map((x) => x.ts), nonce: snaps.map((x) => x.nonce), bids: snaps.map((x) => x.bids), asks: snaps.map((x) => x.asks) },
});
/** A deterministic shuffle, so insertion order never matches read order by accident. */
const shuffled = <T>(xs: readonly T[]): T[] => xs.map((x, i) => [(i * 7919) % 101, x] as const).sort((a, b) => a[0] - b[0]).map(([, x]) => x);

/**
 * Registers the contract for one backend. `open` must reach the same storage on every call (the
 * reopen test relies on it), and that storage must start empty and unmigrated: the suite runs
 * the first migrate() itself and checks what it applied.
 */
export function runMarketDataContract(name: string, open: () => Promise<Store>, opts: MarketDataContractOptions = {}): void {
  describe(`MarketDataStore contract (${name})`, () => {
    let store: Store;
    let md: MarketDataStore;
    let firstMigration: { applied: string[] };
    let venues = 0;
    const freshVenue = () => `${name}_v${++venues}`;

    beforeAll(async () => {
      store = await open();
      firstMigration = await store.migrate();
      md = store.marketData;
    });
    afterAll(async () => {
      await store?.close();
    });

    test("migrate() applies the versioned schema once; a second run applies nothing", async () => {
      expect(firstMigration.applied[0]).toBe("001_market_data");
      expect(await store.migrate()).toEqual({ applied: [] });
    });

    test.skipIf(!opts.openTwinsOnFreshStorage)("concurrent migrate() on fresh storage applies each version exactly once", async () => {
      const [a, b] = await opts.openTwinsOnFreshStorage!();
      try {
        const [ra, rb] = await Promise.all([a.migrate(), b.migrate()]);
        expect([...ra.applied, ...rb.applied]).toEqual(firstMigration.applied);
        expect(await b.migrate()).toEqual({ applied: [] });
        expect(await a.marketData.insertTrades([trade("twin", 1, T0)])).toBe(1);
        expect((await b.marketData.queryTrades({ venue: "twin", marketId: 1, start: T0, end: T0 + 1, limit: 5, offset: 0 })).total).toBe(1);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    test("ping() resolves", async () => {
      await store.ping();
    });

    test("inserting trades is idempotent: a repeated batch adds 0, an overlapping one only its new rows", async () => {
      const v = freshVenue();
      const batch = Array.from({ length: 50 }, (_, i) => trade(v, i + 1, T0 + i * 100));
      expect(await md.insertTrades(batch)).toBe(50);
      expect(await md.insertTrades(batch)).toBe(0);
      const overlapping = Array.from({ length: 30 }, (_, i) => trade(v, i + 41, T0 + (i + 40) * 100));
      expect(await md.insertTrades(overlapping)).toBe(20);
      expect(await md.insertTrades([trade(v, 200, T0 + 1), trade(v, 200, T0 + 1)])).toBe(1);
      expect(await md.insertTrades([])).toBe(0);
      const all = await md.queryTrades({ venue: v, marketId: 1, start: T0, end: T0 + DAY, limit: 1000, offset: 0 });
      expect(all.total).toBe(71);
      expect(all.rows.map((t) => t.tradeId)).toEqual([1, 200, ...Array.from({ length: 69 }, (_, i) => i + 2)]);
    });

    test("a batch with a non-integer or unsafe integer is rejected whole", async () => {
      const v = freshVenue();
      await expect(md.insertTrades([trade(v, 1, T0), trade(v, 2, T0 + 1, { price: 1.5 })])).rejects.toThrow();
      await expect(md.insertTrades([trade(v, 1, T0), trade(v, 2, T0 + 1, { size: 2 ** 53 + 2 })])).rejects.toThrow();
      await expect(md.insertLiquidations([{ ...liquidation(v, 1, 1, T0), accountId: Number.NaN }])).rejects.toThrow();
      expect((await md.queryTrades({ venue: v, marketId: 1, start: 0, end: T0 + DAY, limit: 10, offset: 0 })).total).toBe(0);
      expect((await md.queryLiquidations({ venue: v, start: 0, end: T0 + DAY, limit: 10, offset: 0 })).total).toBe(0);
    });

    test("trades round-trip field for field (and a venue name with quoting hazards)", async () => {
      const v = `${freshVenue()} "q",{NULL}\\`;
      const rows = [
        trade(v, 1, T0, { isMakerAsk: true, kind: "liquidation", askAccountId: Number.MAX_SAFE_INTEGER, marketId: 7 }),
        trade(v, Number.MAX_SAFE_INTEGER, T0 + 5, {
          isMakerAsk: false, kind: "deleverage", price: 2 ** 52, size: 1, marketId: 7, askAccountId: 0, bidAccountId: 1,
        }),
      ];
      await md.insertTrades(rows);
      const got = await md.queryTrades({ venue: v, marketId: 7, start: T0, end: T0 + 10, limit: 10, offset: 0 });
      expect(got.rows).toEqual(rows);
    });

    describe("trade queries", () => {
      const v = `${name}_trades`;
      // 3 trades per timestamp (ties broken by trade id), plus rows outside range and market.
      const inRange = Array.from({ length: 30 }, (_, i) => trade(v, 1000 - i, T0 + Math.floor(i / 3) * 1000)).sort(byTsId);
      const start = T0;
      const end = T0 + 10_000;
      beforeAll(async () => {
        const noise = [trade(v, 1, start - 1), trade(v, 2, end), trade(v, 3, T0, { marketId: 2 })];
        await md.insertTrades(shuffled([...inRange, ...noise]));
      });

      test("range [start, end) with total, in (ts, tradeId) order, paged by limit/offset", async () => {
        const pages: TradeRecord[] = [];
        for (let offset = 0; offset < 35; offset += 7) {
          const page = await md.queryTrades({ venue: v, marketId: 1, start, end, limit: 7, offset });
          expect(page.total).toBe(30);
          pages.push(...page.rows);
        }
        expect(pages).toEqual(inRange);
      });

      test("side filter: buy is a maker ask, sell a maker bid", async () => {
        const buys = await md.queryTrades({ venue: v, marketId: 1, start, end, limit: 100, offset: 0, side: "buy" });
        const sells = await md.queryTrades({ venue: v, marketId: 1, start, end, limit: 100, offset: 0, side: "sell" });
        expect(buys.rows).toEqual(inRange.filter((t) => t.isMakerAsk));
        expect(sells.rows).toEqual(inRange.filter((t) => !t.isMakerAsk));
        expect(buys.total + sells.total).toBe(30);
      });

      test("readTradesAfter pages by cursor through the same ordered set, stopping before end", async () => {
        const read: TradeRecord[] = [];
        let after = { ts: start - 1, id: Number.MAX_SAFE_INTEGER };
        // Bounded: a cursor that fails to advance must fail the test, not spin forever.
        for (let page = 0; page < 20; page++) {
          const rows = await md.readTradesAfter({ venue: v, marketId: 1, end, after, limit: 4 });
          if (rows.length === 0) break;
          read.push(...rows);
          const last = rows[rows.length - 1]!;
          after = { ts: last.ts, id: last.tradeId };
        }
        expect(read).toEqual(inRange);
        const mid = inRange[4]!; // second trade of a tie: the cursor must skip only ids up to it
        const next = await md.readTradesAfter({ venue: v, marketId: 1, end, after: { ts: mid.ts, id: mid.tradeId }, limit: 2 });
        expect(next).toEqual(inRange.slice(5, 7));
      });
    });

    test("latestTrade is the greatest (ts, tradeId) of its market, null when there is none", async () => {
      const v = freshVenue();
      expect(await md.latestTrade({ venue: v, marketId: 3 })).toBeNull();
      const base = Date.UTC(2024, 0, 31, 23, 59, 59);
      // Two trades share a ts (the larger id wins); the newest crosses a day boundary; another
      // market's later trade must not count.
      const rows = [trade(v, 101, base, { marketId: 3 }), trade(v, 100, base + 1000, { marketId: 3 }), trade(v, 102, base + 1000, { marketId: 3 })];
      await md.insertTrades([...rows, trade(v, 999, base + 10_000, { marketId: 4 })]);
      expect(await md.latestTrade({ venue: v, marketId: 3 })).toEqual(rows[2]!);
    });

    test("trades across day and month boundaries (partitions) read back in order", async () => {
      const v = freshVenue();
      const feb1 = Date.UTC(2024, 1, 1);
      const rows = [feb1 - 1, feb1, feb1 + DAY - 1, feb1 + DAY, feb1 + 40 * DAY, Date.UTC(2031, 5, 1)].map((ts, i) => trade(v, i + 1, ts));
      expect(await md.insertTrades(shuffled(rows))).toBe(6);
      const got = await md.queryTrades({ venue: v, marketId: 1, start: 0, end: Date.UTC(2040, 0, 1), limit: 10, offset: 0 });
      expect(got.rows).toEqual(rows);
    });

    test("two store instances writing the same new time range concurrently both succeed", async () => {
      const v = freshVenue();
      const other = await open();
      try {
        const base = Date.UTC(2025, 2, 3);
        const a = Array.from({ length: 40 }, (_, i) => trade(v, i, base + i * 3_600_000));
        const b = Array.from({ length: 40 }, (_, i) => trade(v, i + 20, base + (i + 20) * 3_600_000));
        const [na, nb] = await Promise.all([md.insertTrades(a), other.marketData.insertTrades(b)]);
        expect(na + nb).toBe(60);
        expect((await other.marketData.queryTrades({ venue: v, marketId: 1, start: base, end: base + 10 * DAY, limit: 1, offset: 0 })).total).toBe(60);
      } finally {
        await other.close();
      }
    });

    test("book snapshots: idempotent, at-or-before lookup, range paging, cursor reads, exact levels", async () => {
      const v = freshVenue();
      const snaps = Array.from({ length: 10 }, (_, i) => snapshot(v, T0 + i * 60_000, 500 + i));
      snaps[3] = { ...snaps[3]!, bids: [], asks: [[Number.MAX_SAFE_INTEGER, 2 ** 40], [1, 1]] };
      expect(await md.insertBookSnapshots(shuffled(snaps))).toBe(10);
      expect(await md.insertBookSnapshots([{ ...snaps[0]!, nonce: 999 }])).toBe(0);

      expect(await md.bookSnapshotAt({ venue: v, marketId: 1, ts: T0 - 1 })).toBeNull();
      expect(await md.bookSnapshotAt({ venue: v, marketId: 1, ts: T0 })).toEqual(snaps[0]!);
      expect(await md.bookSnapshotAt({ venue: v, marketId: 1, ts: T0 + 3 * 60_000 + 59_999 })).toEqual(snaps[3]!);
      expect(await md.bookSnapshotAt({ venue: v, marketId: 2, ts: T0 + DAY })).toBeNull();

      const page = await md.queryBookSnapshots({ venue: v, marketId: 1, start: T0 + 60_000, end: T0 + 9 * 60_000, limit: 3, offset: 2 });
      expect(page.total).toBe(8);
      expect(page.rows).toEqual(snaps.slice(3, 6));

      const read: BookSnapshotRecord[] = [];
      for (let afterTs = T0 - 1, page = 0; page < 10; page++) {
        const rows = await md.readBookSnapshotsAfter({ venue: v, marketId: 1, end: T0 + 8 * 60_000, afterTs, limit: 3 });
        if (rows.length === 0) break;
        read.push(...rows);
        afterTs = rows[rows.length - 1]!.ts;
      }
      expect(read).toEqual(snaps.slice(0, 8));
    });

    test("countHistory counts each kind exactly up to the cap; past it, where the rows start and end and the first row past the cap", async () => {
      const v = freshVenue();
      // 12 trades, 3 per timestamp, and 5 snapshots in range; rows outside the range and the market.
      await md.insertTrades([
        ...Array.from({ length: 12 }, (_, i) => trade(v, 100 + i, T0 + 500 + Math.floor(i / 3) * 1000)),
        trade(v, 1, T0 - 1), trade(v, 2, T0 + 10_000), trade(v, 3, T0 + 600, { marketId: 2 }),
      ]);
      await md.insertBookSnapshots([...Array.from({ length: 5 }, (_, i) => snapshot(v, T0 + i * 2000, i)), snapshot(v, T0 + 10_000, 9)]);
      const range = { venue: v, marketId: 1, start: T0, end: T0 + 10_000 };
      const trades = { firstTs: T0 + 500, lastTs: T0 + 3500 };
      const snapshots = { firstTs: T0, lastTs: T0 + 8000 };
      expect(await md.countHistory({ ...range, cap: 100 })).toEqual({
        trades: { count: 12, capped: false, pastCapTs: null, ...trades },
        snapshots: { count: 5, capped: false, pastCapTs: null, ...snapshots },
      });
      // Exactly the cap is still exact; one more is capped.
      expect(await md.countHistory({ ...range, cap: 5 })).toEqual({
        trades: { count: 5, capped: true, pastCapTs: T0 + 1500, ...trades },
        snapshots: { count: 5, capped: false, pastCapTs: null, ...snapshots },
      });
      expect(await md.countHistory({ ...range, cap: 4 })).toEqual({
        trades: { count: 4, capped: true, pastCapTs: T0 + 1500, ...trades },
        snapshots: { count: 4, capped: true, pastCapTs: T0 + 8000, ...snapshots },
      });
      expect(await md.countHistory({ ...range, start: T0 + 20_000, end: T0 + 30_000, cap: 5 })).toEqual({
        trades: { count: 0, capped: false, firstTs: null, lastTs: null, pastCapTs: null },
        snapshots: { count: 0, capped: false, firstTs: null, lastTs: null, pastCapTs: null },
      });
    });

    test("readHistoryPage returns, column-wise, exactly what the two cursor reads return for the same cursors", async () => {
      const v = freshVenue();
      // Ties on ts (broken by trade id), every trade kind and both sides, a snapshot with an empty
      // side and extreme levels; rows outside the range or of another market must not leak in.
      const kinds = ["trade", "liquidation", "deleverage"] as const;
      const trades = Array.from({ length: 23 }, (_, i) => trade(v, 500 - i, T0 + Math.floor(i / 3) * 1000, { kind: kinds[i % 3]! })).sort(byTsId);
      const snaps = Array.from({ length: 7 }, (_, i) => snapshot(v, T0 + i * 1500, 900 + i));
      snaps[2] = { ...snaps[2]!, bids: [], asks: [[Number.MAX_SAFE_INTEGER, 2 ** 40], [1, 1]] };
      const end = T0 + 7_000;
      await md.insertTrades(shuffled([...trades, trade(v, 1, end), trade(v, 2, T0, { marketId: 2 })]));
      await md.insertBookSnapshots(shuffled([...snaps, snapshot(v, end, 1), { ...snapshot(v, T0, 2), marketId: 2 }]));
      const inRange = { trades: trades.filter((t) => t.ts < end), snaps: snaps.filter((x) => x.ts < end) };

      const read = { trades: [] as TradeRecord[], snaps: [] as BookSnapshotRecord[] };
      let after = { ts: T0 - 1, id: Number.MAX_SAFE_INTEGER };
      let afterSnapshotTs = T0 - 1;
      // Bounded: a cursor that fails to advance must fail the test, not spin forever.
      for (let page = 0; page < 20; page++) {
        const q = { venue: v, marketId: 1, end, after, tradeLimit: 4, afterSnapshotTs, snapshotLimit: 2 };
        const got = await md.readHistoryPage(q);
        const wantTrades = await md.readTradesAfter({ venue: v, marketId: 1, end, after, limit: 4 });
        const wantSnaps = await md.readBookSnapshotsAfter({ venue: v, marketId: 1, end, afterTs: afterSnapshotTs, limit: 2 });
        expect(got).toEqual(historyPageOf(wantTrades, wantSnaps));
        if (wantTrades.length === 0 && wantSnaps.length === 0) break;
        read.trades.push(...wantTrades), read.snaps.push(...wantSnaps);
        const lastT = wantTrades.at(-1);
        if (lastT) after = { ts: lastT.ts, id: lastT.tradeId };
        afterSnapshotTs = wantSnaps.at(-1)?.ts ?? afterSnapshotTs;
      }
      expect(read).toEqual(inRange);
    });

    test("readHistoryPage of an empty range has empty columns", async () => {
      const q = { venue: freshVenue(), marketId: 1, end: T0, after: { ts: 0, id: 0 }, tradeLimit: 10, afterSnapshotTs: 0, snapshotLimit: 10 };
      expect(await md.readHistoryPage(q)).toEqual(historyPageOf([], []));
    });

    test("candles: upsert inserts then replaces; query by resolution and range, oldest first, limited", async () => {
      const v = freshVenue();
      const bars = Array.from({ length: 5 }, (_, i) => candle(v, T0 + i * 60_000, { close: 20 + i }));
      await md.upsertCandles(shuffled([...bars, candle(v, T0, { resolution: "5m" })]));
      const replaced = candle(v, T0 + 60_000, { high: 99, close: 98, volume: 7, tradeCount: 9, quoteVolume: 77n, buyVolume: 3 });
      await md.upsertCandles([{ ...replaced, close: 1 }, replaced]); // the last of a key in one batch wins
      const got = await md.queryCandles({ venue: v, marketId: 1, resolution: "1m", start: T0, end: T0 + 4 * 60_000, limit: 10 });
      expect(got).toEqual([bars[0]!, replaced, bars[2]!, bars[3]!]);
      expect(await md.queryCandles({ venue: v, marketId: 1, resolution: "1m", start: T0, end: T0 + DAY, limit: 2 })).toEqual([bars[0]!, replaced]);
    });

    test("candle quoteVolume beyond 2^53 round-trips exactly; beyond 64 bits is refused", async () => {
      const v = freshVenue();
      const big = candle(v, T0, { quoteVolume: 2n ** 62n + 12_345n });
      await md.upsertCandles([big]);
      const [got] = await md.queryCandles({ venue: v, marketId: 1, resolution: "1m", start: T0, end: T0 + 1, limit: 1 });
      expect(got?.quoteVolume).toBe(2n ** 62n + 12_345n);
      await expect(md.upsertCandles([candle(v, T0 + 60_000, { quoteVolume: 2n ** 63n })])).rejects.toThrow();
    });

    test("funding: idempotent, exact rate strings, by market or venue-wide in (ts, market) order", async () => {
      const v = freshVenue();
      const rows = [funding(v, 2, T0, "0.000100"), funding(v, 1, T0, "-0.0012"), funding(v, 1, T0 + 3_600_000, "0")];
      expect(await md.insertFunding(shuffled(rows))).toBe(3);
      expect(await md.insertFunding([{ ...rows[0]!, rate: "9" }])).toBe(0);
      const all = await md.queryFunding({ venue: v, start: T0, end: T0 + DAY, limit: 10, offset: 0 });
      expect(all).toEqual({ rows: [rows[1]!, rows[0]!, rows[2]!], total: 3 });
      const one = await md.queryFunding({ venue: v, marketId: 1, start: T0, end: T0 + DAY, limit: 1, offset: 1 });
      expect(one).toEqual({ rows: [rows[2]!], total: 2 });
    });

    test("liquidations: idempotent, asc by default, desc on request, by market or venue-wide", async () => {
      const v = freshVenue();
      const rows = [liquidation(v, 1, 10, T0), liquidation(v, 2, 11, T0), liquidation(v, 1, 12, T0 + 5), liquidation(v, 1, 13, T0 + DAY)];
      expect(await md.insertLiquidations(shuffled(rows))).toBe(4);
      expect(await md.insertLiquidations(rows.slice(0, 2))).toBe(0);
      const asc = await md.queryLiquidations({ venue: v, start: T0, end: T0 + DAY, limit: 10, offset: 0 });
      expect(asc).toEqual({ rows: rows.slice(0, 3), total: 3 });
      const desc = await md.queryLiquidations({ venue: v, marketId: 1, start: T0, end: T0 + 2 * DAY, limit: 2, offset: 0, order: "desc" });
      expect(desc).toEqual({ rows: [rows[3]!, rows[2]!], total: 3 });
      // Without counting, the same page, and total is the page's length.
      const uncounted = await md.queryLiquidations({ venue: v, marketId: 1, start: T0, end: T0 + 2 * DAY, limit: 2, offset: 0, order: "desc", count: false });
      expect(uncounted).toEqual({ rows: [rows[3]!, rows[2]!], total: 2 });
    });

    test("market metrics: migrated, idempotent on (venue, market, ts) with the first write kept, read oldest first", async () => {
      expect(firstMigration.applied).toContain("003_exchange_metrics");
      const v = freshVenue();
      const rows = [
        metric(v, 2, T0),
        metric(v, 1, T0, { openInterestUsd: "0", fundingRate: null }),
        metric(v, 1, T0 + MINUTE, { openInterestUsd: "123456789012345678901234567890.123456789", fundingRate: "-0.00012500" }),
        metric(v, 2, T0 + 2 * MINUTE, { markPrice: Number.MAX_SAFE_INTEGER, indexPrice: 0 }),
        metric(v, 1, T0 + DAY, { openInterestUsd: "-5.5" }), // a day later: across any partition boundary
      ];
      expect(await md.insertMarketMetrics(shuffled(rows))).toBe(5);
      // Later writes of a stored key are ignored, as is a key repeated later in the same batch.
      const repeat = metric(v, 3, T0 + 3 * MINUTE);
      expect(await md.insertMarketMetrics([{ ...rows[0]!, openInterestUsd: "9" }, repeat, { ...repeat, markPrice: 1 }])).toBe(1);
      expect(await md.insertMarketMetrics([])).toBe(0);

      const all = await md.queryMarketMetrics({ venue: v, start: T0, end: T0 + DAY + 1, limit: 10 });
      expect(all).toEqual([rows[1]!, rows[0]!, rows[2]!, rows[3]!, repeat, rows[4]!]);
      expect(await md.queryMarketMetrics({ venue: v, start: T0, end: T0 + DAY, limit: 3 })).toEqual([rows[1]!, rows[0]!, rows[2]!]);
      expect(await md.queryMarketMetrics({ venue: v, marketId: 1, start: T0 + 1, end: T0 + 2 * DAY, limit: 10 })).toEqual([rows[2]!, rows[4]!]);
      expect(await md.queryMarketMetrics({ venue: v, marketId: 2, start: T0 + MINUTE, end: T0 + 2 * MINUTE, limit: 10 })).toEqual([]);
      expect(await md.queryMarketMetrics({ venue: `${v}_other`, start: 0, end: T0 + 2 * DAY, limit: 10 })).toEqual([]);
    });

    test("market metrics: a batch with a ts off the minute, a non-decimal or a non-integer price is rejected whole", async () => {
      const v = freshVenue();
      const good = metric(v, 1, T0);
      for (const bad of [
        metric(v, 1, T0 + MINUTE + 1),
        metric(v, 1, T0 + MINUTE, { openInterestUsd: "1e6" }),
        metric(v, 1, T0 + MINUTE, { openInterestUsd: " 12" }),
        metric(v, 1, T0 + MINUTE, { fundingRate: "NaN" }),
        metric(v, 1, T0 + MINUTE, { markPrice: 1.5 }),
        metric(v, 1, T0 + MINUTE, { indexPrice: 2 ** 53 + 2 }),
      ]) {
        await expect(md.insertMarketMetrics([good, bad])).rejects.toThrow();
      }
      expect(await md.queryMarketMetrics({ venue: v, start: 0, end: T0 + DAY, limit: 10 })).toEqual([]);
    });

    // Last: it closes the shared store and continues on a reopened one.
    test("data survives close() and reopen; the reopened store has nothing to migrate", async () => {
      const v = freshVenue();
      await md.insertTrades([trade(v, 1, T0), trade(v, 2, T0 + 1)]);
      await md.upsertCandles([candle(v, T0, { quoteVolume: 2n ** 60n })]);
      await store.close();
      store = await open();
      md = store.marketData;
      expect(await store.migrate()).toEqual({ applied: [] });
      expect((await md.queryTrades({ venue: v, marketId: 1, start: T0, end: T0 + 2, limit: 5, offset: 0 })).rows).toEqual([trade(v, 1, T0), trade(v, 2, T0 + 1)]);
      expect((await md.queryCandles({ venue: v, marketId: 1, resolution: "1m", start: T0, end: T0 + 1, limit: 1 }))[0]?.quoteVolume).toBe(2n ** 60n);
    });
  });
}
