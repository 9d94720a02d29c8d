/**
 * Large resting orders appearing or pulled, found by comparing two level-3 reads of a market. The
 * venue returns at most `depth` orders per side, so an order is judged only where both reads see
 * the book: one that merely slid out of (or into) the window is neither added nor pulled. An order
 * that vanished because it was filled (maker fills of its account at its price since the previous
 * read cover it) is not "pulled". Pure.
 */
import type { RestingOrder, StreamMarket } from "./events";
import type { L3View } from "./market-mirror";
import { formatNotionalValue, notional, type MarketThresholds } from "./notional";
import { formatUnits } from "../../lib/decimal";
import type { Alert } from "./render-trades";

type Side = "bid" | "ask";

/** Key of maker fills: account, side of the resting order and price. */
export const fillKey = (account: number, side: Side, price: number): string => `${account}:${side}:${price}`;

/** True when `price` lies within the part of `side` that `view` shows completely. */
function covers(view: L3View, side: Side, price: number): boolean {
  const list = side === "bid" ? view.bids : view.asks;
  if (list.length < view.depth) return true;
  const last = list.at(-1);
  if (!last) return true;
  return side === "bid" ? price >= last.price : price <= last.price;
}

/** Alerts between two L3 reads; `fills` holds maker fills since `prev` (by fillKey). */
export function orderAlerts(prev: L3View | null, next: L3View, fills: ReadonlyMap<string, number>, m: StreamMarket, th: MarketThresholds): Alert[] {
  if (!prev) return [];
  const out: Alert[] = [];
  const alert = (kind: "large_order_added" | "large_order_removed", side: Side, o: RestingOrder, value: bigint): Alert => ({
    kind,
    market_id: m.m,
    side,
    price: formatUnits(o.price, m.pd),
    size: formatUnits(o.size, m.sd),
    notional_usd: formatNotionalValue(value, m.pd, m.sd),
    threshold_usd: th.whaleText,
    account_id: o.account,
    order_id: o.id,
    timestamp: next.ts,
  });
  for (const side of ["bid", "ask"] as const) {
    const before = new Map((side === "bid" ? prev.bids : prev.asks).map((o) => [o.id, o]));
    const after = side === "bid" ? next.bids : next.asks;
    const afterIds = new Set<string>();
    for (const o of after) {
      afterIds.add(o.id);
      if (before.has(o.id)) continue;
      const value = notional(o.price, o.size);
      if (value >= th.whale && covers(prev, side, o.price)) out.push(alert("large_order_added", side, o, value));
    }
    for (const o of before.values()) {
      if (afterIds.has(o.id)) continue;
      const value = notional(o.price, o.size);
      if (value < th.whale || !covers(next, side, o.price)) continue;
      if ((fills.get(fillKey(o.account, side, o.price)) ?? 0) >= o.size) continue;
      out.push(alert("large_order_removed", side, o, value));
    }
  }
  return out;
}
