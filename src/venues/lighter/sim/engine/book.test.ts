import { describe, expect, test } from "bun:test";
import { OrderBook, type LevelTuple, type RestingOrder } from "./book.ts";

let nextId = 1;
function order(account: number, isAsk: boolean, price: number, size: number): RestingOrder {
  return {
    orderIndex: nextId++, clientOrderIndex: 0, account, marketId: 0, isAsk, price, initial: size, remaining: size,
    filledQuote: 0, createdAt: 0, expiry: 0, transactionTime: 0, nonce: 0, blockHeight: 0,
  };
}

/** Level 2 recomputed from level 3: what the aggregated book must always equal. */
function aggregate(book: OrderBook, isAsk: boolean): LevelTuple[] {
  const sums = new Map<number, number>();
  for (const o of book.l3(isAsk)) sums.set(o.price, (sums.get(o.price) ?? 0) + o.remaining);
  return [...sums.entries()];
}

describe("OrderBook matching", () => {
  test("fills best price first, then oldest order first within a price (price-time priority)", () => {
    const book = new OrderBook(0);
    const first = order(1, true, 101, 5);
    const second = order(2, true, 101, 5);
    const better = order(3, true, 100, 2);
    book.place(first);
    book.place(second);
    book.place(better);

    const fills = book.match(false, 8, undefined, 99);

    expect(fills.map((f) => [f.maker.account, f.price, f.size])).toEqual([[3, 100, 2], [1, 101, 5], [2, 101, 1]]);
    expect(second.remaining).toBe(4);
    expect(book.l2().asks).toEqual([[101, 4]]);
  });

  test("a partial fill leaves the maker resting with its remainder at the head of its queue", () => {
    const book = new OrderBook(0);
    const maker = order(1, false, 50, 10);
    book.place(maker);
    book.place(order(2, false, 50, 3));

    const fills = book.match(true, 4, undefined, 99);

    expect(fills).toHaveLength(1);
    expect(maker.remaining).toBe(6);
    expect(book.l3(false)[0]).toBe(maker);
    expect(book.l2().bids).toEqual([[50, 9]]);
  });

  test("a limit stops the walk; the unfilled rest of an IOC is not rested", () => {
    const book = new OrderBook(0);
    book.place(order(1, true, 100, 1));
    book.place(order(1, true, 105, 1));

    const fills = book.match(false, 5, 102, 99);

    expect(fills.map((f) => f.price)).toEqual([100]);
    expect(book.l2().asks).toEqual([[105, 1]]);
    expect(book.l2().bids).toEqual([]);
  });

  test("self-trade prevention cancels the taker's own resting order instead of filling it", () => {
    const book = new OrderBook(0);
    const own = order(7, true, 100, 1);
    book.place(own);
    book.place(order(8, true, 100, 1));
    const cancelled: RestingOrder[] = [];

    const fills = book.match(false, 2, undefined, 7, (o) => cancelled.push(o));

    expect(cancelled).toEqual([own]);
    expect(fills.map((f) => f.maker.account)).toEqual([8]);
  });

  test("dirty levels carry new absolute sizes, 0 for removed levels", () => {
    const book = new OrderBook(0);
    const a = order(1, true, 100, 2);
    book.place(a);
    book.place(order(1, false, 90, 3));
    book.takeDirty();

    book.match(false, 2, undefined, 99);
    book.place(order(2, false, 91, 1));

    expect(book.takeDirty()).toEqual({ asks: [[100, 0]], bids: [[91, 1]] });
    expect(book.takeDirty()).toBeNull();
  });

  test("L2 always equals the aggregate of L3 through random placements, cancels and matches", () => {
    const book = new OrderBook(0);
    const live: RestingOrder[] = [];
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    for (let i = 0; i < 5_000; i++) {
      const r = rand(10);
      if (r < 5) {
        const isAsk = rand(2) === 1;
        const bestOpp = isAsk ? book.bestBid() : book.bestAsk();
        let price = isAsk ? 1000 + rand(50) : 950 + rand(50);
        if (bestOpp !== undefined && (isAsk ? price <= bestOpp : price >= bestOpp)) price = isAsk ? bestOpp + 1 : bestOpp - 1;
        const o = order(rand(20), isAsk, price, 1 + rand(9));
        book.place(o);
        live.push(o);
      } else if (r < 8 && live.length > 0) {
        const o = live.splice(rand(live.length), 1)[0] as RestingOrder;
        book.cancel(o.orderIndex);
      } else {
        book.match(rand(2) === 1, 1 + rand(30), undefined, 999);
      }
      const l2 = book.l2();
      expect(l2.asks).toEqual(aggregate(book, true));
      expect(l2.bids).toEqual(aggregate(book, false));
    }
    const bid = book.bestBid();
    const ask = book.bestAsk();
    if (bid !== undefined && ask !== undefined) expect(bid).toBeLessThan(ask);
  });
});
