/**
 * The attributed book behind enriched_order_book/{m}: live L2 levels, each with the accounts that
 * rest there according to the venue's latest level-3 orders, reconciled with the live size under
 * price-time priority — when a level has shrunk since the L3 read, the oldest orders are taken to
 * have been filled first; size beyond the known orders is `unattributed_size` (orders placed after
 * the read). Optionally re-bucketed at a custom tick (bids floor, asks ceil, as the REST depth
 * endpoint does), with whale flags over the market's USD threshold. Pure.
 */
import type { EnrichedLevel, EnrichedOrderBookUpdateFrame } from "../protocol";
import type { View } from "../topics";
import type { RestingOrder } from "./events";
import type { MarketMirror } from "./market-mirror";
import { formatNotionalValue, notional, type MarketThresholds } from "./notional";
import { formatUnits } from "../../lib/decimal";

type Side = "bid" | "ask";

interface Bucket {
  price: number;
  size: number;
  value: bigint;
  unattributed: number;
  /** account → [size, notional]. */
  accounts: Map<number, [number, bigint]>;
}

/** Orders of one side grouped by price, in the venue's order (time priority within a price). */
export function indexOrders(orders: readonly RestingOrder[]): Map<number, RestingOrder[]> {
  const byPrice = new Map<number, RestingOrder[]>();
  for (const o of orders) {
    const list = byPrice.get(o.price);
    if (list) list.push(o);
    else byPrice.set(o.price, [o]);
  }
  return byPrice;
}

/** Splits a live level's size between its known orders (oldest filled first) and the unknown rest. */
export function reconcile(levelSize: number, orders: readonly RestingOrder[] | undefined): { shares: Array<[number, number]>; unattributed: number } {
  if (!orders || orders.length === 0) return { shares: [], unattributed: levelSize };
  let known = 0;
  for (const o of orders) known += o.size;
  let excess = Math.max(0, known - levelSize);
  const shares: Array<[number, number]> = [];
  for (const o of orders) {
    const cut = Math.min(excess, o.size);
    excess -= cut;
    if (o.size - cut > 0) shares.push([o.account, o.size - cut]);
  }
  return { shares, unattributed: Math.max(0, levelSize - known) };
}

function side(mirror: MarketMirror, s: Side, index: Map<number, RestingOrder[]> | null, tick: number | null, depth: number): Bucket[] {
  const buckets: Bucket[] = [];
  // Without a custom tick one level is one bucket, so `depth` levels suffice.
  for (const l of mirror.book.levels(s, tick === null ? depth : undefined)) {
    const price = tick === null ? l.price : s === "bid" ? Math.floor(l.price / tick) * tick : Math.ceil(l.price / tick) * tick;
    let b = buckets.at(-1);
    if (!b || b.price !== price) {
      if (buckets.length === depth) break;
      b = { price, size: 0, value: 0n, unattributed: 0, accounts: new Map() };
      buckets.push(b);
    }
    const { shares, unattributed } = reconcile(l.size, index?.get(l.price));
    b.size += l.size;
    b.value += notional(l.price, l.size);
    b.unattributed += unattributed;
    for (const [account, size] of shares) {
      const acc = b.accounts.get(account);
      const v = notional(l.price, size);
      if (acc) {
        acc[0] += size;
        acc[1] += v;
      } else b.accounts.set(account, [size, v]);
    }
  }
  return buckets;
}

function wire(b: Bucket, s: Side, mirror: MarketMirror, th: MarketThresholds, anonymous: boolean): EnrichedLevel {
  const { pd, sd } = mirror;
  const accounts = [...b.accounts.entries()]
    .sort((x, y) => y[1][0] - x[1][0] || x[0] - y[0])
    .map(([account, [size, value]]) => ({ account: anonymous ? null : account, side: s, size: formatUnits(size, sd), whale: value >= th.whale }));
  return {
    price: formatUnits(b.price, pd),
    size: formatUnits(b.size, sd),
    notional_usd: formatNotionalValue(b.value, pd, sd),
    whale: b.value >= th.whale,
    accounts,
    unattributed_size: formatUnits(b.unattributed, sd),
  };
}

/** Renders one enriched view of a live mirror: at most `depth` levels (or buckets) per side. */
export function enrichedBookFrame(
  channel: string,
  view: View,
  mirror: MarketMirror,
  index: { bids: Map<number, RestingOrder[]>; asks: Map<number, RestingOrder[]> } | null,
  th: MarketThresholds,
  depth: number,
  now: number,
): string {
  const tick = view.tick?.units ?? null;
  const best = (s: Side) => {
    const l = s === "bid" ? mirror.book.bestBid() : mirror.book.bestAsk();
    return l ? formatUnits(l.price, mirror.pd) : null;
  };
  const frame: EnrichedOrderBookUpdateFrame = {
    type: "enriched_order_book_update",
    channel,
    enriched_order_book: {
      market_id: mirror.marketId,
      tick_size: view.tick?.text ?? null,
      anonymous: view.anonymous,
      whale_threshold_usd: th.whaleText,
      bids: side(mirror, "bid", index?.bids ?? null, tick, depth).map((b) => wire(b, "bid", mirror, th, view.anonymous)),
      asks: side(mirror, "ask", index?.asks ?? null, tick, depth).map((b) => wire(b, "ask", mirror, th, view.anonymous)),
      best_bid: best("bid"),
      best_ask: best("ask"),
      nonce: mirror.nonce,
      book_timestamp: mirror.ts,
      attribution_timestamp: mirror.l3?.ts ?? null,
    },
    timestamp: now,
  };
  return JSON.stringify(frame);
}
