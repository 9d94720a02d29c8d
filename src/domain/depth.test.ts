import { describe, expect, test } from "bun:test";
import { createRandom, type Random } from "../lib/random.ts";
import type { Level } from "../store/ports.ts";
import { aggregateDepth, type DepthLevel, formatDepth } from "./depth.ts";

/** A random book around `mid`: distinct prices, best first, some zero-size levels, huge sizes now and then. */
function randomBook(rnd: Random, mid: number): { bids: Level[]; asks: Level[] } {
  const side = (sign: 1 | -1): Level[] => {
    const levels: Level[] = [];
    let price = mid + sign * rnd.int(1, 50);
    const n = rnd.int(0, 300);
    for (let i = 0; i < n; i++) {
      const size = rnd.bool(0.05) ? 0 : rnd.bool(0.1) ? rnd.int(1, 2 ** 40) : rnd.int(1, 10_000);
      levels.push([price, size]);
      price += sign * rnd.int(1, 40);
      if (price <= 0) break;
    }
    return levels;
  };
  return { bids: side(-1), asks: side(1) };
}

function checkSide(levels: DepthLevel[], raw: readonly Level[], tick: number, isBid: boolean): void {
  let prevPrice = isBid ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  let cumSize = 0;
  let cumNotional = 0n;
  for (const l of levels) {
    expect(l.price % tick).toBe(0);
    expect(isBid ? l.price < prevPrice : l.price > prevPrice).toBe(true);
    prevPrice = l.price;
    expect(l.size).toBeGreaterThan(0);
    cumSize += l.size;
    cumNotional += l.notional;
    expect(l.cumulativeSize).toBe(cumSize);
    expect(l.cumulativeNotional).toBe(cumNotional);
    // Each bucket holds exactly the raw levels that floor (bids) / ceil (asks) onto it.
    const members = raw.filter(([p, s]) => s > 0 && (isBid ? p >= l.price && p < l.price + tick : p <= l.price && p > l.price - tick));
    expect(l.size).toBe(members.reduce((s, [, size]) => s + size, 0));
    expect(l.notional).toBe(members.reduce((s, [p, size]) => s + BigInt(p) * BigInt(size), 0n));
  }
}

describe("aggregateDepth", () => {
  test("floors bids and ceils asks to the tick, with cumulative size and notional", () => {
    const depth = aggregateDepth({
      bids: [[1005, 1], [1001, 2], [999, 3], [990, 4]],
      asks: [[1007, 1], [1010, 2], [1011, 3]],
      tickSize: 10,
    });
    expect(depth.bids).toEqual([
      { price: 1000, size: 3, cumulativeSize: 3, notional: 1005n + 2002n, cumulativeNotional: 3007n },
      { price: 990, size: 7, cumulativeSize: 10, notional: 2997n + 3960n, cumulativeNotional: 3007n + 6957n },
    ]);
    expect(depth.asks).toEqual([
      { price: 1010, size: 3, cumulativeSize: 3, notional: 1007n + 2020n, cumulativeNotional: 3027n },
      { price: 1020, size: 3, cumulativeSize: 6, notional: 3033n, cumulativeNotional: 6060n },
    ]);
    expect(depth).toMatchObject({ bestBid: 1005, bestAsk: 1007, midScaled: 10060, spread: 2, crossed: false });
  });

  test("skips zero-size levels, also at the touch", () => {
    const depth = aggregateDepth({ bids: [[101, 0], [100, 5]], asks: [[102, 0], [103, 1]], tickSize: 1 });
    expect(depth.bestBid).toBe(100);
    expect(depth.bestAsk).toBe(103);
    expect(depth.bids.map((l) => l.price)).toEqual([100]);
  });

  test("applies an absolute band to bucket prices and caps levels per side", () => {
    const bids: Level[] = [[100, 1], [99, 1], [98, 1], [97, 1], [96, 1]];
    const asks: Level[] = [[101, 1], [102, 1], [103, 1], [104, 1]];
    const banded = aggregateDepth({ bids, asks, tickSize: 1, priceBand: { min: 97, max: 103 } });
    expect(banded.bids.map((l) => l.price)).toEqual([100, 99, 98, 97]);
    expect(banded.asks.map((l) => l.price)).toEqual([101, 102, 103]);
    const capped = aggregateDepth({ bids, asks, tickSize: 1, maxLevels: 2 });
    expect(capped.bids.map((l) => l.price)).toEqual([100, 99]);
    expect(capped.asks.map((l) => l.price)).toEqual([101, 102]);
    expect(capped.bestBid).toBe(100);
  });

  test("a percentage band around the exact mid includes a bucket exactly on its edge", () => {
    // mid = 1000, ±1 % → [990, 1010] exactly, with no float drift at the edges.
    const bids: Level[] = [[999, 1], [990, 1], [989, 1]];
    const asks: Level[] = [[1001, 1], [1010, 1], [1011, 1]];
    const depth = aggregateDepth({ bids, asks, tickSize: 1, priceBand: { pctFromMid: 1 } });
    expect(depth.bids.map((l) => l.price)).toEqual([999, 990]);
    expect(depth.asks.map((l) => l.price)).toEqual([1001, 1010]);
    const oneSided = aggregateDepth({ bids, asks: [], tickSize: 1, priceBand: { pctFromMid: 0.1 } });
    expect(oneSided.bids.map((l) => l.price)).toEqual([999]);
    expect(oneSided.midScaled).toBeNull();
  });

  test("accepts unsorted levels", () => {
    const sorted = aggregateDepth({ bids: [[100, 1], [95, 2], [90, 3]], asks: [[101, 1], [105, 2]], tickSize: 5 });
    const shuffled = aggregateDepth({ bids: [[95, 2], [90, 3], [100, 1]], asks: [[105, 2], [101, 1]], tickSize: 5 });
    expect(shuffled).toEqual(sorted);
  });

  test("reports a crossed book instead of hiding it, and handles empty books", () => {
    expect(aggregateDepth({ bids: [[101, 1]], asks: [[100, 1]], tickSize: 1 })).toMatchObject({ spread: -1, crossed: true });
    expect(aggregateDepth({ bids: [], asks: [], tickSize: 1 })).toEqual({
      tickSize: 1, bids: [], asks: [], bestBid: null, bestAsk: null, midScaled: null, spread: null, crossed: false,
    });
  });

  test("rejects bad options", () => {
    expect(() => aggregateDepth({ bids: [], asks: [], tickSize: 0 })).toThrow(RangeError);
    expect(() => aggregateDepth({ bids: [], asks: [], tickSize: 1.5 })).toThrow(RangeError);
    expect(() => aggregateDepth({ bids: [], asks: [], tickSize: 1, maxLevels: 0 })).toThrow(RangeError);
    expect(() => aggregateDepth({ bids: [], asks: [], tickSize: 1, priceBand: { pctFromMid: -1 } })).toThrow(RangeError);
  });

  test("formats in market decimals, the mid with one extra place", () => {
    const depth = aggregateDepth({ bids: [[300_050, 1_500]], asks: [[300_055, 250]], tickSize: 10 });
    expect(formatDepth(depth, { priceDecimals: 2, sizeDecimals: 3 })).toEqual({
      tickSize: "0.10",
      bids: [{ price: "3000.50", size: "1.500", cumulativeSize: "1.500", notional: "4500.75000", cumulativeNotional: "4500.75000" }],
      asks: [{ price: "3000.60", size: "0.250", cumulativeSize: "0.250", notional: "750.13750", cumulativeNotional: "750.13750" }],
      bestBid: "3000.50",
      bestAsk: "3000.55",
      mid: "3000.525",
      spread: "0.05",
      crossed: false,
    });
  });

  test("property: buckets are exact, cumulative sums monotone, and totals equal the book", () => {
    const rnd = createRandom(777);
    for (let i = 0; i < 200; i++) {
      const book = randomBook(rnd, rnd.int(10_000, 5_000_000));
      const tickSize = rnd.pick([1, 2, 5, 10, 25, 100, 1000]);
      const depth = aggregateDepth({ ...book, tickSize });
      checkSide(depth.bids, book.bids, tickSize, true);
      checkSide(depth.asks, book.asks, tickSize, false);
      for (const [side, raw] of [[depth.bids, book.bids], [depth.asks, book.asks]] as const) {
        const last = side.at(-1);
        expect(last?.cumulativeSize ?? 0).toBe(raw.reduce((s, [, size]) => s + size, 0));
        expect(last?.cumulativeNotional ?? 0n).toBe(raw.reduce((s, [p, size]) => s + BigInt(p) * BigInt(size), 0n));
      }
      // Aggregation never makes the book look better than it is.
      if (depth.bids[0] && depth.bestBid !== null) expect(depth.bids[0].price).toBeLessThanOrEqual(depth.bestBid);
      if (depth.asks[0] && depth.bestAsk !== null) expect(depth.asks[0].price).toBeGreaterThanOrEqual(depth.bestAsk);
      // Bands and caps keep a prefix of the unbanded result (same buckets, same running sums).
      const maxLevels = rnd.int(1, 20);
      const capped = aggregateDepth({ ...book, tickSize, maxLevels, priceBand: { pctFromMid: rnd.int(1, 500) / 100 } });
      expect(depth.bids.slice(0, capped.bids.length)).toEqual(capped.bids);
      expect(depth.asks.slice(0, capped.asks.length)).toEqual(capped.asks);
      expect(capped.bids.length).toBeLessThanOrEqual(maxLevels);
    }
  });
});
