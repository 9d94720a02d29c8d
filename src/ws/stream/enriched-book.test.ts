import { describe, expect, test } from "bun:test";
import type { View } from "../topics";
import { enrichedBookFrame, indexOrders, reconcile } from "./enriched-book";
import { MarketMirror } from "./market-mirror";
import { marketThresholds } from "./notional";
import { orderAlerts } from "./order-alerts";
import type { L3View } from "./market-mirror";

const o = (id: string, account: number, price: number, size: number) => ({ id, account, price, size });

describe("attribution", () => {
  test("a level that shrank since the L3 read loses its oldest orders first", () => {
    expect(reconcile(5, [o("a", 1, 100, 4), o("b", 2, 100, 3)])).toEqual({ shares: [[1, 2], [2, 3]], unattributed: 0 });
  });
  test("a level that grew has the surplus unattributed", () => {
    expect(reconcile(10, [o("a", 1, 100, 4)])).toEqual({ shares: [[1, 4]], unattributed: 6 });
    expect(reconcile(3, undefined)).toEqual({ shares: [], unattributed: 3 });
  });

  test("custom ticks bucket bids down and asks up, merging accounts and notional; whales by USD", () => {
    const mirror = new MarketMirror(0, 2, 0);
    mirror.apply({ type: "book.snapshot", m: 0, pd: 2, sd: 0, bids: [[10_050, 3], [10_020, 2], [9_990, 1]], asks: [[10_110, 1], [10_190, 4]], nonce: 1, ts: 1 });
    const l3 = { bids: indexOrders([o("a", 7, 10_050, 3), o("b", 7, 10_020, 1)]), asks: indexOrders([]) };
    const view: View = { kind: "enriched_order_book", marketId: 0, tick: { units: 100, text: "1.00" }, anonymous: false };
    const th = marketThresholds({ whaleUsd: 400, whaleUsdByMarket: {}, liquidationAlertUsd: 1 }, 0, 2, 0);
    const frame = JSON.parse(enrichedBookFrame("enriched_order_book/0", view, mirror, l3, th, 10, 5));
    const b = frame.enriched_order_book;
    expect(b.bids.map((l: { price: string; size: string }) => [l.price, l.size])).toEqual([["100.00", "5"], ["99.00", "1"]]);
    expect(b.bids[0]).toMatchObject({ notional_usd: "501.90", whale: true, accounts: [{ account: 7, side: "bid", size: "4", whale: true }], unattributed_size: "1" });
    expect(b.asks.map((l: { price: string }) => l.price)).toEqual(["102.00"]);
    expect(b.asks[0]).toMatchObject({ size: "5", whale: true });
    const anon = JSON.parse(enrichedBookFrame("enriched_order_book/0", { ...view, anonymous: true }, mirror, l3, th, 1, 5)).enriched_order_book;
    expect(anon.bids[0].accounts).toEqual([{ account: null, side: "bid", size: "4", whale: true }]);
    expect(anon.bids).toHaveLength(1);
  });
});

describe("large order alerts", () => {
  const M = { m: 0, pd: 0, sd: 0 };
  const th = marketThresholds({ whaleUsd: 100, whaleUsdByMarket: { 0: 100 }, liquidationAlertUsd: 1 }, 0, 0, 0);
  const read = (bids: ReturnType<typeof o>[], depth = 250, ts = 1): L3View => ({ bids, asks: [], depth, ts });

  test("added and pulled large orders alert; small ones, the first read and fills do not", () => {
    const prev = read([o("big", 1, 10, 20), o("small", 2, 10, 1), o("filled", 3, 9, 20)]);
    const next = read([o("small", 2, 10, 1), o("new", 4, 10, 15), o("tiny", 5, 10, 2)], 250, 2);
    const fills = new Map([["3:bid:9", 20]]);
    expect(orderAlerts(null, prev, fills, M, th)).toEqual([]);
    const alerts = orderAlerts(prev, next, fills, M, th);
    expect(alerts.map((a) => [a.kind, a.order_id, a.account_id, a.notional_usd])).toEqual([["large_order_added", "new", 4, "150"], ["large_order_removed", "big", 1, "200"]]);
  });

  test("orders sliding in or out of a full level-3 window are not judged", () => {
    const prev = read([o("a", 1, 10, 20), o("edge", 2, 8, 20)], 2);
    const next = read([o("a", 1, 10, 20), o("better", 3, 9, 20)], 2);
    expect(orderAlerts(prev, next, new Map(), M, th).map((a) => [a.kind, a.order_id])).toEqual([["large_order_added", "better", ]]);
  });
});
