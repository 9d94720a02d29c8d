import { describe, expect, test } from "bun:test";
import { ManualClock } from "../lib/clock";
import { silentLogger } from "../lib/log";
import type { MarketInfo } from "../market/live";
import { BookRenderer, createLivePublisher, formatBook } from "./live-publisher";

const market = { venue: "lighter", marketId: 0, symbol: "ETH", priceDecimals: 2, sizeDecimals: 4 } as MarketInfo;
const book = (bids: [number, number][], asks: [number, number][]) => ({
  levels: (side: "bid" | "ask") => (side === "bid" ? bids : asks).map(([price, size]) => ({ price, size })),
});

describe("formatBook", () => {
  test("writes padded decimal text: levels, best, spread and mid", () => {
    const b = formatBook(market, book([[320000, 5], [7, 123456789]], [[320001, 10_000]]), 9, 1000);
    expect(b.bids).toEqual([{ price: "3200.00", size: "0.0005" }, { price: "0.07", size: "12345.6789" }]);
    expect([b.best_bid, b.best_ask, b.spread, b.mid]).toEqual(["3200.00", "3200.01", "0.01", "3200.005"]);
  });

  test("a crossed book's negative spread is formatted too", () => {
    const b = formatBook(market, book([[320005, 1]], [[320000, 1]]), 1, 0);
    expect(b.spread).toBe("-0.05");
  });
});

describe("BookRenderer", () => {
  test("each tick renders the current book, and its JSON is what JSON.stringify writes", () => {
    const renderer = new BookRenderer(market);
    const bids: [number, number][] = [[320000, 5], [319990, 7], [319980, 9]];
    const asks: [number, number][] = [[320010, 10_000]];
    const first = renderer.render(book(bids, asks), 1, 1000);
    expect(first.json).toBe(JSON.stringify(first.book));

    // A size changes, a level goes, another appears, the best bid moves.
    const next = renderer.render(book([[320005, 1], [320000, 6], [319990, 7]], [[320010, 10_000], [320020, 3]]), 2, 1100);

    expect(next.json).toBe(JSON.stringify(next.book));
    expect(next.book).toEqual(formatBook(market, book([[320005, 1], [320000, 6], [319990, 7]], [[320010, 10_000], [320020, 3]]), 2, 1100));
    expect(next.book.bids.map((l) => l.size)).toEqual(["0.0001", "0.0006", "0.0007"]);
    expect(JSON.parse(next.json)).toEqual(next.book);
  });

  test("an empty book renders nulls", () => {
    const { book: b, json } = new BookRenderer(market).render(book([], []), 0, 0);
    expect(json).toBe(JSON.stringify(b));
    expect([b.best_bid, b.best_ask, b.spread, b.mid]).toEqual([null, null, null, null]);
  });
});

describe("live publisher", () => {
  test("a market whose precision changes is rendered at the new precision, not from the old level texts", () => {
    const clock = new ManualClock(0);
    const written: string[] = [];
    const writer = { putBook: async (_v: string, _b: unknown, json?: string) => void written.push(json!), putStats: async () => {}, putMarkets: async () => {} };
    let current: MarketInfo = market;
    const publisher = createLivePublisher({
      venue: "lighter", writer, clock, log: silentLogger(), market: () => current,
      book: () => ({ book: book([[320000, 5]], [[320010, 7]]), nonce: 1, ts: 0 }), intervalMs: 100,
    });
    publisher.bookChanged(0);
    clock.advance(100);
    current = { ...market, priceDecimals: 3 };
    publisher.bookChanged(0);
    clock.advance(100);
    publisher.stop();
    expect(written.map((j) => (JSON.parse(j) as { bids: { price: string }[] }).bids[0]!.price)).toEqual(["3200.00", "320.000"]);
  });
});
