import { describe, expect, test } from "bun:test";
import type { ClientTrade, LighterEvent } from "../venues/lighter/events";
import { mergeAdjacentTrades } from "./lighter-router";

describe("mergeAdjacentTrades", () => {
  const trade = (id: number) => ({ id }) as unknown as ClientTrade;
  const trades = (marketId: number, ids: number[], source: "update" | "backfill" = "update"): LighterEvent =>
    ({ type: "trades", marketId, trades: ids.map(trade), source }) as LighterEvent;
  const ids = (e: LighterEvent) => (e.type === "trades" ? e.trades.map((t) => t.id) : e.type);

  test("merges consecutive batches of one market and source, keeping every trade in order", () => {
    const first = trades(0, [1, 2]);
    const out = mergeAdjacentTrades([first, trades(0, [3]), trades(0, [4, 5])]);
    expect(out.map(ids)).toEqual([[1, 2, 3, 4, 5]]);
    // The input event is not modified.
    expect(ids(first)).toEqual([1, 2]);
  });

  test("keeps batches apart across another event, another market or another source", () => {
    const stats = { type: "stats", marketId: 0 } as unknown as LighterEvent;
    const out = mergeAdjacentTrades([trades(0, [1]), stats, trades(0, [2]), trades(1, [3]), trades(1, [4], "backfill")]);
    expect(out.map(ids)).toEqual([[1], "stats", [2], [3], [4]]);
  });
});
