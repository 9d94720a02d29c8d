import { describe, expect, test } from "bun:test";
import { createRandom, type Random } from "../lib/random.ts";
import type { TradeRecord } from "../store/ports.ts";
import { aggregateTrades, bucketCount, formatTradeBucket, NotionalSum, TradeAggregator, vwapScaled } from "./trade-aggregate.ts";

const START = Date.UTC(2024, 0, 1);

function trade(ts: number, price: number, size: number, isMakerAsk: boolean, tradeId = ts): TradeRecord {
  return { venue: "lighter", marketId: 0, tradeId, ts, price, size, isMakerAsk, askAccountId: 1, bidAccountId: 2, kind: "trade" };
}

/** Random trades in [from, to), unordered, with products both below and far above 2^53. */
function randomTrades(rnd: Random, n: number, from: number, to: number): TradeRecord[] {
  const out: TradeRecord[] = [];
  for (let i = 0; i < n; i++) {
    const big = rnd.bool(0.3);
    out.push(trade(rnd.int(from, to - 1), big ? rnd.int(1, 2 ** 40) : rnd.int(1, 1e6), big ? rnd.int(1, 2 ** 30) : rnd.int(1, 1e4), rnd.bool(), i));
  }
  return out;
}

async function* asAsync<T>(items: readonly T[]): AsyncIterable<T> {
  for (const item of items) yield item;
}

describe("NotionalSum", () => {
  test("property: equals the bigint sum across the 2^53 boundary", () => {
    const rnd = createRandom(5);
    const sum = new NotionalSum();
    let expected = 0n;
    for (let i = 0; i < 20_000; i++) {
      const p = rnd.bool(0.1) ? rnd.int(1, 2 ** 52) : rnd.int(1, 1e7);
      const s = rnd.bool(0.1) ? rnd.int(1, 2 ** 40) : rnd.int(1, 1e5);
      sum.add(p, s);
      expected += BigInt(p) * BigInt(s);
      if (i % 997 === 0) expect(sum.value).toBe(expected);
    }
    expect(sum.value).toBe(expected);
    sum.reset();
    expect(sum.value).toBe(0n);
  });
});

describe("aggregateTrades", () => {
  test("buckets trades by interval with VWAP and the buy/sell split", () => {
    const trades = [trade(START + 100, 100, 2, true), trade(START + 900, 110, 1, false), trade(START + 2_500, 120, 5, true)];
    const { buckets, total } = aggregateTrades(trades, { start: START, end: START + 3_000, intervalMs: 1_000 });
    expect(buckets).toEqual([
      { start: START, end: START + 1_000, count: 2, volume: 3, notional: 310n, buyVolume: 2, sellVolume: 1, buyCount: 1, sellCount: 1 },
      { start: START + 1_000, end: START + 2_000, count: 0, volume: 0, notional: 0n, buyVolume: 0, sellVolume: 0, buyCount: 0, sellCount: 0 },
      { start: START + 2_000, end: START + 3_000, count: 1, volume: 5, notional: 600n, buyVolume: 5, sellVolume: 0, buyCount: 1, sellCount: 0 },
    ]);
    expect(total).toMatchObject({ start: START, end: START + 3_000, count: 3, volume: 8, notional: 910n, buyCount: 2, sellCount: 1 });
  });

  test("omits empty buckets on request, clips the last bucket and ignores trades out of range", () => {
    const trades = [trade(START - 1, 1, 1, true), trade(START, 100, 1, true), trade(START + 2_500, 100, 1, true), trade(START + 2_600, 1, 1, true)];
    const { buckets, total } = aggregateTrades(trades, { start: START, end: START + 2_600, intervalMs: 1_000, emptyBuckets: "omit" });
    expect(buckets.map((b) => [b.start - START, b.end - START])).toEqual([[0, 1_000], [2_000, 2_600]]);
    expect(total.count).toBe(2);
  });

  test("refuses bad ranges and too many buckets", () => {
    expect(() => aggregateTrades([], { start: 10, end: 5, intervalMs: 1 })).toThrow(RangeError);
    expect(() => aggregateTrades([], { start: 0, end: 10, intervalMs: 0 })).toThrow(RangeError);
    expect(() => aggregateTrades([], { start: 0, end: 1_001, intervalMs: 1, maxBuckets: 1_000 })).toThrow(RangeError);
    expect(bucketCount(0, 1_001, 1_000)).toBe(2);
    expect(aggregateTrades([], { start: 5, end: 5, intervalMs: 1 }).buckets).toEqual([]);
  });

  test("VWAP rounds half-up at the chosen precision and formats in market decimals", () => {
    // Σ(p·s)/Σs = (100·1 + 101·1) / 2 = 100.5 price units
    expect(vwapScaled(201n, 2, 0)).toBe(101n);
    expect(vwapScaled(201n, 2, 2)).toBe(10050n);
    // 1/3 → 0.33 and 2/3 → 0.67 (units of 10^-2)
    expect(vwapScaled(1n, 3, 2)).toBe(33n);
    expect(vwapScaled(2n, 3, 2)).toBe(67n);
    expect(vwapScaled(0n, 0)).toBeNull();

    const { buckets } = aggregateTrades([trade(START, 300_050, 150, true), trade(START + 1, 300_000, 50, false)], { start: START, end: START + 1_000, intervalMs: 1_000 });
    // price 2 decimals (3000.50), size 3 decimals (0.150): VWAP = 3000.375, notional = 600.0750 quote.
    expect(formatTradeBucket(buckets[0]!, { priceDecimals: 2, sizeDecimals: 3 })).toEqual({
      start: START, end: START + 1_000, vwap: "3000.3750", volume: "0.200", notional: "600.07500",
      buyVolume: "0.150", sellVolume: "0.050", count: 2, buyCount: 1, sellCount: 1,
    });
    expect(formatTradeBucket(buckets[0]!, { priceDecimals: 2, sizeDecimals: 3, vwapExtraDecimals: 0 }).vwap).toBe("3000.38");
  });

  test("streams from an async iterable and a TradeAggregator fed by pages, with equal results", async () => {
    const trades = randomTrades(createRandom(3), 2_000, START, START + 60_000);
    const opts = { start: START, end: START + 60_000, intervalMs: 7_000 };
    const sync = aggregateTrades(trades, opts);
    expect(await aggregateTrades(asAsync(trades), opts)).toEqual(sync);
    const agg = new TradeAggregator(opts);
    for (let i = 0; i < trades.length; i += 333) agg.addAll(trades.slice(i, i + 333));
    expect(agg.finish()).toEqual(sync);
  });

  test("property: bucket sums equal the totals and the trades, and VWAP lies within each bucket's range", () => {
    for (const seed of [21, 22, 23, 24]) {
      const rnd = createRandom(seed);
      const span = rnd.int(1_000, 5_000_000);
      const intervalMs = rnd.int(1, 100_000);
      const trades = randomTrades(rnd, 3_000, START, START + span);
      const { buckets, total } = aggregateTrades(trades, { start: START, end: START + span, intervalMs });
      expect(buckets.length).toBe(bucketCount(START, START + span, intervalMs));

      let count = 0, volume = 0, buyVolume = 0, buyCount = 0, notional = 0n;
      for (const b of buckets) {
        count += b.count; volume += b.volume; buyVolume += b.buyVolume; buyCount += b.buyCount; notional += b.notional;
        expect(b.buyVolume + b.sellVolume).toBe(b.volume);
        expect(b.buyCount + b.sellCount).toBe(b.count);
        const inside = trades.filter((t) => t.ts >= b.start && t.ts < b.end);
        expect(b.notional).toBe(inside.reduce((s, t) => s + BigInt(t.price) * BigInt(t.size), 0n));
        if (inside.length > 0) {
          const vwap = vwapScaled(b.notional, b.volume, 0) as bigint;
          expect(vwap >= BigInt(Math.min(...inside.map((t) => t.price)))).toBe(true);
          expect(vwap <= BigInt(Math.max(...inside.map((t) => t.price)))).toBe(true);
        }
      }
      expect({ count, volume, buyVolume, buyCount, notional }).toEqual({
        count: total.count, volume: total.volume, buyVolume: total.buyVolume, buyCount: total.buyCount, notional: total.notional,
      });
      expect(total.count).toBe(trades.length);
      expect(total.volume).toBe(trades.reduce((s, t) => s + t.size, 0));
      expect(total.notional).toBe(trades.reduce((s, t) => s + BigInt(t.price) * BigInt(t.size), 0n));
    }
  });
});
