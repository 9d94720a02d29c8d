import { describe, expect, test } from "bun:test";
import { AccountBook } from "./account-book";
import type { MarketRisk } from "./account.events";
import { viewOf } from "./account-view";
import { createBooksModel } from "./books-model";

const MARKETS: MarketRisk[] = [
  { marketId: 0, symbol: "ETH", priceDecimals: 2, sizeDecimals: 4, mmfBp: 120, closeoutBp: 80 },
  { marketId: 1, symbol: "BTC", priceDecimals: 1, sizeDecimals: 5, mmfBp: 120, closeoutBp: 80 },
  { marketId: 2, symbol: "SOL", priceDecimals: 3, sizeDecimals: 3, mmfBp: 240, closeoutBp: 160 },
];
const MARK = [300_000, 950_000, 150_000];

/** Two shards of accounts with one to three positions (cross and isolated), some without collateral. */
function world() {
  let seed = 3;
  const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const books = [0, 1].map(() => {
    const b = new AccountBook("t", 1_000);
    b.setMarkets(MARKETS);
    MARKETS.forEach((m, i) => b.setMark(m.marketId, MARK[i]!, null, 0));
    return b;
  });
  for (let id = 1; id <= 200; id++) {
    const positions = MARKETS.filter((_, i) => i === 0 || rnd() < 0.5).map((m, i) => ({
      marketId: m.marketId, size: (rnd() < 0.5 ? 1 : -1) * (1 + Math.floor(rnd() * 1e5)), entryQuote: Math.floor(rnd() * 2e10), imfBp: 500,
      realizedPnl: 0, fundingPaid: 0, marginMode: (id % 9 === 0 && i === 0 ? 1 : 0) as 0 | 1, allocatedMargin: id % 9 === 0 ? 3e9 : 0,
    }));
    const b = books[id % 2]!;
    if (id % 11 === 0) b.applyFills(positions.map((p, k) => ({ accountId: id, marketId: p.marketId, tradeId: k, ts: 1, isBuy: p.size > 0, role: "taker" as const, price: 10, size: Math.abs(p.size), kind: "trade" as const, feeRate: 0, before: null, receivedAt: 1 })), true);
    else b.applySnapshot({ accountId: id, l1Address: null, collateral: Math.floor(rnd() * 3e10), positions }, 0, 1);
  }
  return { books, model: createBooksModel({ shards: 2, book: (k) => books[k] }) };
}

/** The heatmap inputs of a market recomputed from scratch (fresh views, no memo). */
function fromScratch(books: AccountBook[], marketId: number) {
  const out = [];
  for (const b of books) {
    for (const id of b.inMarket(marketId)) {
      const acct = b.accounts.get(id)!;
      acct.view = undefined;
      acct.liquidationMemo = undefined;
      const v = viewOf(b, acct);
      const p = v.positions.find((x) => x.marketId === marketId)!;
      out.push({ sign: p.sign, notional: p.value, liquidationTicks: p.liquidationTicks, unknown: v.margin === null });
    }
  }
  return out;
}

describe("books model: heatmap inputs", () => {
  test("after any market's mark moves, the incrementally kept inputs equal fresh views (own mark moved: memo; other: recomputed)", () => {
    const { books, model } = world();
    for (let step = 0; step < 30; step++) {
      const moved = step % 3;
      for (const b of books) b.setMark(moved, MARK[moved]! + ((step * 37) % 500) - 250, null, step);
      for (const m of [0, 1, 2]) {
        const fast = model.marketPositions(m);
        expect(fast.length).toBeGreaterThan(0);
        expect(fast).toEqual(fromScratch(books, m));
        // The next round starts from these memos (only the moved market's accounts recompute).
        for (const b of books) for (const id of b.inMarket(m)) expect(b.accounts.get(id)!.risk?.get(m)?.version).toBe(b.accounts.get(id)!.version);
      }
    }
  });
});
