import { describe, expect, test } from "bun:test";
import { tradeColumns } from "./history-page.postgres";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("PostgreSQL page trade list", () => {
  test("reads eight values per row into columns, every kind and both sides", () => {
    // ts, trade_id, price, size, ask_account_id, bid_account_id, is_maker_ask, kind.
    const list = "1767225600000,1,300000,1000,11,22,t,trade,1767225600000,2,-5,9007199254740991,0,-1,f,liquidation,1767225600001,3,7,8,9,10,t,deleverage";

    const t = tradeColumns(bytes(list));

    expect(t).toEqual({
      ts: [1767225600000, 1767225600000, 1767225600001], tradeId: [1, 2, 3], price: [300000, -5, 7], size: [1000, Number.MAX_SAFE_INTEGER, 8],
      isMakerAsk: [true, false, true], askAccountId: [11, 0, 9], bidAccountId: [22, -1, 10], kind: ["trade", "liquidation", "deleverage"],
    });
  });

  test("no rows (string_agg of nothing is null) is empty columns", () => {
    expect(tradeColumns(null)).toEqual({ ts: [], tradeId: [], price: [], size: [], isMakerAsk: [], askAccountId: [], bidAccountId: [], kind: [] });
  });

  test("anything but the expected shape is refused, not guessed at", () => {
    const bad = ["1,2,3,4,5,6,t,trades", "1,2,3.5,4,5,6,t,trade", "1,2,,4,5,6,t,trade", "1,2,3,4,5,6,true,trade", "1,2,3,4,5,6,t,Trade", "1,2,3,4,5,6,t,trade,", "1,2,3,4,5,6,t", "1,2,3", "1,2,9007199254740992,4,5,6,t,trade"];
    for (const list of bad) {
      expect(() => tradeColumns(bytes(list))).toThrow(/readHistoryPage: unexpected/);
    }
  });
});
