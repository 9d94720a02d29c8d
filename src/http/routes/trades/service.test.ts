import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ManualClock } from "../../../lib/clock";
import { formatScaled } from "../../../lib/decimal";
import { createRandom } from "../../../lib/random";
import { vwapScaled } from "../../../domain/trade-aggregate";
import { createLiveMarkets, type MarketInfo } from "../../../market/live";
import { createMemoryCache } from "../../../store/memory/cache";
import type { CandleRecord, MarketDataStore, Store, TradeRecord } from "../../../store/ports";
import { openSqliteStore } from "../../../store/sqlite";
import { encodeCandlesData, TradesService } from "./service";
import { JsonBytes } from "../../../lib/json-bytes";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("JsonBytes", () => {
  const EDGES = [0, 1, 9, 10, 99, 100, 12_345, 99_999_999, 100_000_000, 100_000_001, 2 ** 31 - 1, 2 ** 31, 1_767_225_600_000, Number.MAX_SAFE_INTEGER];

  test("fixed() writes what formatScaled writes, for edge and random safe integers at 0–12 decimals", () => {
    const rnd = createRandom(11);
    const values = [...EDGES, ...EDGES.filter((v) => v > 0).map((v) => -v), ...Array.from({ length: 2000 }, () => rnd.int(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER))];
    for (let decimals = 0; decimals <= 12; decimals++) {
      const out = new JsonBytes(8); // tiny on purpose: growth is exercised too
      out.text("[");
      values.forEach((v, i) => {
        if (i) out.text(",");
        out.fixed(v, decimals);
      });
      out.text("]");
      expect(JSON.parse(decode(out.bytes()))).toEqual(values.map((v) => formatScaled(v, decimals)));
    }
  });

  test("int() writes JSON numbers; fixedBig() takes the exact route past 2^53", () => {
    const signed = EDGES.flatMap((v) => (v === 0 ? [0] : [v, -v]));
    const out = new JsonBytes(8);
    out.text("[");
    signed.forEach((v, i) => {
      out.text(i ? "," : "");
      out.int(v);
    });
    out.text("]");
    expect(JSON.parse(decode(out.bytes()))).toEqual(signed);
    const big = 2n ** 70n + 12_345n;
    const mixed = new JsonBytes(8);
    mixed.text("[");
    mixed.fixedBig(big, 6);
    mixed.text(",");
    mixed.fixedBig(-42n, 3);
    mixed.text("]");
    expect(JSON.parse(decode(mixed.bytes()))).toEqual([formatScaled(big, 6), "-0.042"]);
  });
});

describe("encodeCandlesData", () => {
  const market: MarketInfo = {
    venue: "lighter", marketId: 7, symbol: 'WEIRD "€"', priceDecimals: 3, sizeDecimals: 5, status: "active",
    minInitialMarginFraction: 0, maintenanceMarginFraction: 0, closeoutMarginFraction: 0,
  };
  const bar = (i: number, over: Partial<CandleRecord> = {}): CandleRecord => ({
    venue: "lighter", marketId: 7, resolution: "1h", openTime: 1_767_225_600_000 + i * 3_600_000, open: 1_000 + i, high: 2_000 + i, low: 500, close: 1_500,
    volume: 3 + i, quoteVolume: BigInt(4_000 + 7 * i), tradeCount: i, buyVolume: i, ...over,
  });

  test("parses to exactly what object-by-object formatting gives, including null and bigint VWAPs", () => {
    const rows = [
      bar(0),
      bar(1, { volume: 0, quoteVolume: 0n, tradeCount: 0 }), // a filler bar: no VWAP
      bar(2, { volume: 3, quoteVolume: 2n ** 60n + 1n }), // past 2^53: the bigint route
      bar(3, { volume: 8, quoteVolume: 9n }), // 1.125 → half-up at two extra decimals
    ];
    const parsed = JSON.parse(decode(encodeCandlesData(market, "1h", rows)));
    expect(parsed).toEqual({
      market_id: 7,
      symbol: 'WEIRD "€"',
      resolution: "1h",
      candles: rows.map((c) => {
        const vwap = vwapScaled(c.quoteVolume, c.volume);
        return {
          open_time: c.openTime, open: formatScaled(c.open, 3), high: formatScaled(c.high, 3), low: formatScaled(c.low, 3), close: formatScaled(c.close, 3),
          volume: formatScaled(c.volume, 5), quote_volume: formatScaled(c.quoteVolume, 8), buy_volume: formatScaled(c.buyVolume, 5), trades: c.tradeCount,
          vwap: vwap === null ? null : formatScaled(vwap, 5),
        };
      }),
    });
    expect(parsed.candles[3].vwap).toBe("0.00113");
    expect(JSON.parse(decode(encodeCandlesData(market, "1m", [])))).toEqual({ market_id: 7, symbol: 'WEIRD "€"', resolution: "1m", candles: [] });
  });
});

describe("TradesService.aggregate", () => {
  const VENUE = "lighter";
  const T0 = Date.UTC(2026, 0, 1);
  const clock = new ManualClock(T0 + 3_600_000);
  const live = createLiveMarkets(createMemoryCache(clock));
  let store: Store;
  // Five trades per timestamp, so pages of 7 split ties.
  const trades: TradeRecord[] = Array.from({ length: 103 }, (_, i) => ({
    venue: VENUE, marketId: 0, tradeId: 500 - i, ts: T0 + Math.floor(i / 5) * 1_000, price: 100 + (i % 9), size: 1 + (i % 4),
    isMakerAsk: i % 3 === 0, askAccountId: 1, bidAccountId: 2, kind: "trade",
  }));

  beforeAll(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    await store.migrate();
    await store.marketData.insertTrades(trades);
    await live.putMarkets(VENUE, [{ venue: VENUE, marketId: 0, symbol: "X", priceDecimals: 0, sizeDecimals: 0, status: "active", minInitialMarginFraction: 0, maintenanceMarginFraction: 0, closeoutMarginFraction: 0 }]);
  });
  afterAll(() => store.close());

  /** Counts reads and, when `inclusive`, behaves like an adapter that repeats the cursor row. */
  function observed(inclusive: boolean): { md: MarketDataStore; pages: number[] } {
    const pages: number[] = [];
    const inner = store.marketData;
    const md: MarketDataStore = Object.create(inner);
    md.readTradesAfter = async (q) => {
      let rows = await inner.readTradesAfter(q);
      if (inclusive) {
        const cursor = trades.find((t) => t.ts === q.after.ts && t.tradeId === q.after.id);
        rows = (cursor ? [cursor, ...rows] : rows).slice(0, q.limit);
      }
      pages.push(rows.length);
      return rows;
    };
    return { md, pages };
  }

  for (const inclusive of [false, true]) {
    test(`streams the range in pages and counts every trade once (${inclusive ? "cursor-repeating" : "strict"} adapter)`, async () => {
      const { md, pages } = observed(inclusive);
      const service = new TradesService({ venue: VENUE, live, store: md, aggregatePageSize: 7 });
      const result = await service.aggregate({ market_id: 0, start: String(T0), end: String(T0 + 60_000), interval: "10s" }, clock.now());
      expect(Math.max(...pages)).toBeLessThanOrEqual(7);
      expect(pages.length).toBeGreaterThan(10);
      expect(result.totals.count).toBe(trades.length);
      expect(result.totals.volume).toBe(String(trades.reduce((s, t) => s + t.size, 0)));
      expect(result.buckets.map((b) => b.count)).toEqual([50, 50, 3, 0, 0, 0]);
    });
  }
});
