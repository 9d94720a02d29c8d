import { describe, expect, test } from "bun:test";
import { createRandom } from "../../lib/random.ts";
import { L2Book } from "./book.ts";

describe("L2Book", () => {
  test("keeps each side sorted best first and removes zero-size levels", () => {
    const book = new L2Book(2, 4);
    for (const [p, s] of [[100, 1], [102, 2], [101, 3]] as const) book.set("bid", p, s);
    for (const [p, s] of [[105, 1], [103, 2], [104, 3]] as const) book.set("ask", p, s);
    expect(book.bestBid()).toEqual({ price: 102, size: 2 });
    expect(book.bestAsk()).toEqual({ price: 103, size: 2 });
    expect(book.levels("bid").map((l) => l.price)).toEqual([102, 101, 100]);
    expect(book.levels("ask", 2).map((l) => l.price)).toEqual([103, 104]);

    book.set("bid", 102, 0);
    book.set("ask", 104, 9);
    book.set("ask", 999, 0); // removing an absent level is a no-op
    expect(book.bestBid()).toEqual({ price: 101, size: 3 });
    expect(book.levels("ask")).toEqual([{ price: 103, size: 2 }, { price: 104, size: 9 }, { price: 105, size: 1 }]);
    expect(book.depth("bid")).toBe(2);
  });

  test("matches a naive map-based book under random changes", () => {
    const rnd = createRandom(11);
    const book = new L2Book(0, 0);
    const naive = { bid: new Map<number, number>(), ask: new Map<number, number>() };
    for (let i = 0; i < 5000; i++) {
      const side = rnd.bool() ? "bid" : "ask";
      const price = rnd.int(1, 200);
      const size = rnd.bool(0.3) ? 0 : rnd.int(1, 50);
      book.set(side, price, size);
      if (size === 0) naive[side].delete(price);
      else naive[side].set(price, size);
    }
    const sorted = (m: Map<number, number>, desc: boolean) =>
      [...m].sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0])).map(([price, size]) => ({ price, size }));
    expect(book.levels("bid")).toEqual(sorted(naive.bid, true));
    expect(book.levels("ask")).toEqual(sorted(naive.ask, false));
  });
});
