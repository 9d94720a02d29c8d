import { describe, expect, test } from "bun:test";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { AccountBook } from "../../../actors/accounts/account-book";
import { viewOf } from "../../../actors/accounts/account-view";
import { formatPosition, formatSummary } from "./format";
import { writePositions, writeSummaryOpen } from "./format-json";
import { JsonBytes } from "../../../lib/json-bytes";
import { BatchAccount } from "./model";

const MARKETS = [
  { marketId: 0, symbol: "ETH", priceDecimals: 2, sizeDecimals: 4, mmfBp: 120, closeoutBp: 80 },
  { marketId: 1, symbol: "BTC", priceDecimals: 1, sizeDecimals: 5, mmfBp: 120, closeoutBp: 80 },
  { marketId: 4, symbol: "1000PEPE", priceDecimals: 6, sizeDecimals: 0, mmfBp: 600, closeoutBp: 400 },
];

describe("JSON byte writers = the object formatters", () => {
  test("summaries and positions of varied accounts (synced or not, long, short, isolated, no mark) serialize to the same JSON", () => {
    const book = new AccountBook("t", 1_000);
    book.setMarkets(MARKETS);
    book.setMark(0, 301_380, null, 0);
    book.setMark(1, 950_123, null, 0);
    let seed = 5;
    const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let id = 1; id <= 300; id++) {
      const positions = MARKETS.filter(() => rnd() < 0.6).map((m) => ({
        marketId: m.marketId, size: (rnd() < 0.5 ? 1 : -1) * (1 + Math.floor(rnd() * 1e6)), entryQuote: Math.floor(rnd() * 1e11), imfBp: [333, 500, 3333][id % 3]!,
        realizedPnl: Math.floor((rnd() - 0.5) * 1e8), fundingPaid: Math.floor((rnd() - 0.5) * 1e6), marginMode: (id % 7 === 0 ? 1 : 0) as 0 | 1, allocatedMargin: id % 7 === 0 ? 5e8 : 0,
      }));
      if (id % 5 === 0) book.applyFills(positions.map((p, k) => ({ accountId: id, marketId: p.marketId, tradeId: k, ts: 1, isBuy: p.size > 0, role: "taker" as const, price: 10, size: Math.abs(p.size), kind: "trade" as const, feeRate: 0, before: null, receivedAt: 1 })), true);
      else book.applySnapshot({ accountId: id, l1Address: id % 2 ? `0x${"ab".repeat(20)}` : null, collateral: Math.floor(rnd() * 1e10), positions }, 0, 2);
    }
    const check = TypeCompiler.Compile(BatchAccount);
    for (const acct of book.accounts.values()) {
      const v = viewOf(book, acct);
      const w = new JsonBytes(16);
      writeSummaryOpen(w, v);
      w.text(`,"positions":`);
      writePositions(w, v);
      w.text("}");
      const fromText = JSON.parse(new TextDecoder().decode(w.bytes()));
      expect(fromText).toEqual({ ...formatSummary(v), positions: v.positions.map(formatPosition) });
      expect(check.Check(fromText)).toBe(true);
    }
  });
});
