import { describe, expect, test } from "bun:test";
import { formatScaled } from "../lib/decimal";
import type { MarketInfo } from "../market/live";
import { formatBook } from "./live-publisher";

const market = { venue: "lighter", marketId: 0, symbol: "ETH", priceDecimals: 2, sizeDecimals: 4 } as MarketInfo;
const book = (bids: [number, number][], asks: [number, number][]) => ({
  levels: (side: "bid" | "ask") => (side === "bid" ? bids : asks).map(([price, size]) => ({ price, size })),
});

describe("formatBook", () => {
  test("writes the text formatScaled writes: padded levels, best, spread and mid", () => {
    const b = formatBook(market, book([[320000, 5], [7, 123456789]], [[320001, 10_000]]), 9, 1000);
    expect(b.bids).toEqual([{ price: formatScaled(320000, 2), size: formatScaled(5, 4) }, { price: formatScaled(7, 2), size: formatScaled(123456789, 4) }]);
    expect(b.bids[0]).toEqual({ price: "3200.00", size: "0.0005" });
    expect([b.best_bid, b.best_ask, b.spread, b.mid]).toEqual(["3200.00", "3200.01", "0.01", "3200.005"]);
  });

  test("a crossed book's negative spread is formatted too", () => {
    const b = formatBook(market, book([[320005, 1]], [[320000, 1]]), 1, 0);
    expect(b.spread).toBe(formatScaled(-5, 2));
    expect(b.spread).toBe("-0.05");
  });
});
