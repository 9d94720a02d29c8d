import { describe, expect, test } from "bun:test";
import { parseScaledNumber } from "../../lib/decimal.ts";
import { createRandom } from "../../lib/random.ts";
import { L2Book, scaledInt } from "./book.ts";

describe("scaledInt", () => {
  test("scales, pads and truncates like parseScaledNumber", () => {
    expect(scaledInt("2361.31", 2)).toBe(236131);
    expect(scaledInt("0.0200", 4)).toBe(200);
    expect(scaledInt("99", 4)).toBe(990000);
    expect(scaledInt("2191.1107231380406", 2)).toBe(219111);
    expect(scaledInt("-0.52", 2)).toBe(-52);
    expect(scaledInt("0.0000", 4)).toBe(0);
    expect(scaledInt("64400.1", 1)).toBe(644001);
  });

  test("agrees with decimal.ts on random inputs", () => {
    const rnd = createRandom(7);
    for (let i = 0; i < 2000; i++) {
      const whole = String(rnd.int(0, 10_000_000));
      const frac = String(rnd.int(0, 999_999)).padStart(rnd.int(1, 6), "0");
      const text = rnd.bool() ? `${whole}.${frac}` : whole;
      const decimals = rnd.int(0, 6);
      expect(scaledInt(text, decimals)).toBe(parseScaledNumber(text, decimals));
    }
  });

  test("rejects what is not a plain decimal", () => {
    for (const bad of ["", ".", "1.2.3", "1e5", "abc", "-"]) expect(() => scaledInt(bad, 2)).toThrow(RangeError);
    expect(() => scaledInt("99999999999999999", 2)).toThrow(RangeError);
  });
});

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
