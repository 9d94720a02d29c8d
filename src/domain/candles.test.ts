import { describe, expect, test } from "bun:test";
import { createRandom, type Random } from "../lib/random.ts";
import type { CandleRecord, CandleResolution, TradeRecord } from "../store/ports.ts";
import { CandleBuilder, candleFromTrades, rollupCandles } from "./candles.ts";
import { CANDLE_RESOLUTIONS, MINUTE_MS } from "./time.ts";

const T0 = Date.UTC(2024, 0, 5, 22, 13); // a Friday evening, so weeks and days get crossed

function trade(ts: number, price: number, size: number, isMakerAsk = true, tradeId = ts): TradeRecord {
  return { venue: "lighter", marketId: 0, tradeId, ts, price, size, isMakerAsk, askAccountId: 1, bidAccountId: 2, kind: "trade" };
}

/**
 * Random trades in (ts, tradeId) order: bursts with equal timestamps, exact minute boundaries, quiet
 * gaps of hours, and prices × sizes both below and far above 2^53.
 */
function randomTrades(rnd: Random, n: number): TradeRecord[] {
  const out: TradeRecord[] = [];
  let ts = T0;
  for (let i = 0; i < n; i++) {
    const gap = rnd.next();
    if (gap < 0.1) ts += 0;
    else if (gap < 0.2) ts = (Math.floor(ts / MINUTE_MS) + 1) * MINUTE_MS;
    else if (gap < 0.97) ts += rnd.int(1, 90_000);
    else ts += rnd.int(1, 6 * 3_600_000);
    const big = rnd.bool(0.2);
    out.push(trade(ts, big ? rnd.int(1, 1e9) : rnd.int(2_000_00, 2_100_00), big ? rnd.int(1, 1e9) : rnd.int(1, 5000), rnd.bool(), i + 1));
  }
  return out;
}

describe("CandleBuilder", () => {
  test("folds trades into OHLCV with exact quote volume and the taker-buy split", () => {
    const b = new CandleBuilder({ venue: "lighter", marketId: 0 });
    expect(b.add(trade(T0 + 1_000, 100, 2, true))).toBeNull();
    expect(b.add(trade(T0 + 2_000, 105, 1, false))).toBeNull();
    expect(b.add(trade(T0 + 3_000, 95, 3, true))).toBeNull();
    expect(b.add(trade(T0 + 4_000, 101, 4, false))).toBeNull();
    expect(b.current).toEqual({
      venue: "lighter", marketId: 0, resolution: "1m", openTime: T0,
      open: 100, high: 105, low: 95, close: 101, volume: 10, quoteVolume: 200n + 105n + 285n + 404n,
      tradeCount: 4, buyVolume: 5,
    });
  });

  test("a trade exactly on the boundary opens the next bar and returns the closed one", () => {
    const b = new CandleBuilder({ venue: "lighter", marketId: 0 });
    b.add(trade(T0 + 59_999, 100, 1));
    const closed = b.add(trade(T0 + MINUTE_MS, 110, 1));
    expect(closed?.openTime).toBe(T0);
    expect(closed?.close).toBe(100);
    expect(b.current?.openTime).toBe(T0 + MINUTE_MS);
    expect(b.current?.open).toBe(110);
  });

  test("ignores and counts a trade older than the open bar", () => {
    const b = new CandleBuilder({ venue: "lighter", marketId: 0 });
    b.add(trade(T0 + MINUTE_MS, 100, 1));
    expect(b.add(trade(T0 + 59_000, 999, 1))).toBeNull();
    expect(b.lateTrades).toBe(1);
    expect(b.current?.high).toBe(100);
  });

  test("orders out-of-order trades within the open bar by time for open and close", () => {
    const b = new CandleBuilder({ venue: "lighter", marketId: 0 });
    b.add(trade(T0 + 30_000, 100, 1));
    b.add(trade(T0 + 10_000, 90, 1));
    b.add(trade(T0 + 50_000, 120, 1));
    b.add(trade(T0 + 40_000, 110, 1));
    expect(b.current).toMatchObject({ open: 90, close: 120, high: 120, low: 90, tradeCount: 4 });
  });

  test("closeIfDue closes a quiet bar at its end, and later trades for it are late", () => {
    const b = new CandleBuilder({ venue: "lighter", marketId: 0 });
    b.add(trade(T0 + 5_000, 100, 1));
    expect(b.closeIfDue(T0 + MINUTE_MS - 1)).toBeNull();
    expect(b.closeIfDue(T0 + MINUTE_MS)?.openTime).toBe(T0);
    expect(b.current).toBeNull();
    b.add(trade(T0 + 59_000, 100, 1));
    expect(b.lateTrades).toBe(1);
    expect(b.add(trade(T0 + 3 * MINUTE_MS, 100, 1))).toBeNull();
    expect(b.flush()?.openTime).toBe(T0 + 3 * MINUTE_MS);
    expect(b.flush()).toBeNull();
  });

  test("current is a copy that later trades do not change", () => {
    const b = new CandleBuilder({ venue: "lighter", marketId: 0 });
    b.add(trade(T0, 100, 1));
    const seen = b.current;
    b.add(trade(T0 + 1, 200, 1));
    expect(seen?.close).toBe(100);
  });

  test("property: the builder's bars equal the reference aggregation", () => {
    for (const seed of [1, 2, 3, 42]) {
      const rnd = createRandom(seed);
      const trades = randomTrades(rnd, 3000);
      for (const resolution of ["1m", "1h", "1w"] as const) {
        const b = new CandleBuilder({ venue: "lighter", marketId: 0, resolution });
        const bars: CandleRecord[] = [];
        for (const t of trades) {
          const closed = b.add(t);
          if (closed) bars.push(closed);
        }
        const last = b.flush();
        if (last) bars.push(last);
        expect(bars).toEqual(candleFromTrades(trades, resolution));
        expect(b.lateTrades).toBe(0);
      }
    }
  });
});

describe("rollupCandles", () => {
  test("combines bars: open of first, close of last, extremes and sums", () => {
    const base = { venue: "lighter", marketId: 0, resolution: "1m" as const };
    const bars: CandleRecord[] = [
      { ...base, openTime: T0, open: 10, high: 12, low: 9, close: 11, volume: 5, quoteVolume: 50n, tradeCount: 2, buyVolume: 1 },
      { ...base, openTime: T0 + MINUTE_MS, open: 11, high: 15, low: 8, close: 14, volume: 7, quoteVolume: 70n, tradeCount: 3, buyVolume: 7 },
    ];
    expect(rollupCandles(bars, "5m")).toEqual([
      { ...base, resolution: "5m", openTime: Date.UTC(2024, 0, 5, 22, 10), open: 10, high: 15, low: 8, close: 14, volume: 12, quoteVolume: 120n, tradeCount: 5, buyVolume: 8 },
    ]);
  });

  test("filler bars without prints do not move OHLC; a bucket of only fillers stays flat", () => {
    const base = { venue: "binance", marketId: 1, resolution: "1m" as const, volume: 0, quoteVolume: 0n, tradeCount: 0, buyVolume: 0 };
    const at = Date.UTC(2024, 0, 1);
    const bars: CandleRecord[] = [
      { ...base, openTime: at, open: 50, high: 50, low: 50, close: 50 },
      { ...base, openTime: at + MINUTE_MS, open: 60, high: 70, low: 55, close: 65, volume: 3, quoteVolume: 180n, tradeCount: 2, buyVolume: 1 },
      { ...base, openTime: at + 2 * MINUTE_MS, open: 65, high: 65, low: 65, close: 65 },
      { ...base, openTime: at + 5 * MINUTE_MS, open: 65, high: 65, low: 65, close: 65 },
    ];
    const out = rollupCandles(bars, "5m");
    expect(out[0]).toMatchObject({ open: 60, high: 70, low: 55, close: 65, volume: 3, tradeCount: 2 });
    expect(out[1]).toMatchObject({ open: 65, high: 65, low: 65, close: 65, volume: 0, tradeCount: 0 });
  });

  test("rejects a target that is not a multiple, unsorted input and mixed series", () => {
    const c = candleFromTrades([trade(T0, 1, 1), trade(T0 + MINUTE_MS, 1, 1)], "1m");
    expect(() => rollupCandles(candleFromTrades([trade(T0, 1, 1)], "1h"), "1m")).toThrow(RangeError);
    expect(() => rollupCandles(candleFromTrades([trade(T0, 1, 1)], "4h"), "1w")).not.toThrow();
    expect(() => rollupCandles([c[1] as CandleRecord, c[0] as CandleRecord], "5m")).toThrow(RangeError);
    expect(() => rollupCandles([c[0] as CandleRecord, { ...(c[1] as CandleRecord), marketId: 9 }], "5m")).toThrow(RangeError);
    expect(rollupCandles([], "1w")).toEqual([]);
  });

  test("property: rollup from every lower resolution equals direct aggregation", () => {
    for (const seed of [11, 12, 13]) {
      const trades = randomTrades(createRandom(seed), 4000);
      const direct = new Map<CandleResolution, CandleRecord[]>();
      for (const r of CANDLE_RESOLUTIONS) direct.set(r, candleFromTrades(trades, r));
      for (let i = 0; i < CANDLE_RESOLUTIONS.length; i++) {
        const from = CANDLE_RESOLUTIONS[i] as CandleResolution;
        for (let j = i; j < CANDLE_RESOLUTIONS.length; j++) {
          const to = CANDLE_RESOLUTIONS[j] as CandleResolution;
          expect(rollupCandles(direct.get(from) ?? [], to)).toEqual(direct.get(to) ?? []);
        }
      }
    }
  });

  test("property: a chain of rollups 1m→5m→…→1w equals direct weekly bars", () => {
    const trades = randomTrades(createRandom(99), 5000);
    let bars = candleFromTrades(trades, "1m");
    for (const r of CANDLE_RESOLUTIONS.slice(1)) bars = rollupCandles(bars, r);
    expect(bars).toEqual(candleFromTrades(trades, "1w"));
  });
});

describe("CandleBuilder.resume", () => {
  test("a resumed bar plus the rest of its trades equals the bar built from all of them", () => {
    const trades = Array.from({ length: 40 }, (_, i) => ({
      venue: "lighter", marketId: 0, tradeId: i + 1, ts: 1_767_225_600_000 + i * 1_000, price: 300_000 + ((i * 7919) % 500), size: 1 + ((i * 31) % 90),
      isMakerAsk: i % 3 === 0, askAccountId: 1, bidAccountId: 2, kind: "trade" as const,
    }));
    const whole = new CandleBuilder({ venue: "lighter", marketId: 0, resolution: "1h" });
    for (const t of trades) whole.add(t);
    const before = new CandleBuilder({ venue: "lighter", marketId: 0, resolution: "1h" });
    for (const t of trades.slice(0, 25)) before.add(t);
    const resumed = new CandleBuilder({ venue: "lighter", marketId: 0, resolution: "1h" });
    resumed.resume(before.current!);
    for (const t of trades.slice(25)) resumed.add(t);
    expect(resumed.current).toEqual(whole.current);
    // A trade older than the resumed bar is late.
    resumed.add({ ...trades[0]!, ts: trades[0]!.ts - 3_600_000 });
    expect(resumed.lateTrades).toBe(1);
  });
});
