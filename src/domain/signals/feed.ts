/**
 * Market events → field updates of a `MarketEvaluator`, one function per kind of event. Live and
 * backtest both go through these, so a field means the same thing in both.
 */
import type { MarketEvaluator } from "./evaluator.ts";
import { FIELD_INDEX, FUNDING_DECIMALS, USD_DECIMALS, keyOfDecimal, keyOfNotional, keyOfScaled, keyOfTicks } from "./fields.ts";

const F = FIELD_INDEX;

/** One trade (price and size in ticks): trade_price, trade_size, trade_notional. */
export function feedTrade(ev: MarketEvaluator, ts: number, price: number, size: number): void {
  one.ts = ts;
  one.price = price;
  one.size = size;
  feedTrades(ev, single);
}
const one = { ts: 0, price: 0, size: 0 };
const single = [one];

/** One trade, evaluated in full. */
function evalTrade(ev: MarketEvaluator, ts: number, price: number, size: number): void {
  const { priceDecimals: pd, sizeDecimals: sd } = ev.market;
  const product = price * size;
  ev.begin();
  ev.set(F.trade_price, keyOfTicks(price), price);
  ev.set(F.trade_size, keyOfTicks(size), size);
  ev.set(F.trade_notional, keyOfNotional(price, size, pd + sd), Number.isSafeInteger(product) ? product : BigInt(price) * BigInt(size));
  ev.close(ts);
}

/** A trade as `feedTrades` reads it (price and size in ticks). */
export interface TradeTicks {
  ts: number;
  price: number;
  size: number;
}

const P = F.trade_price;
const S = F.trade_size;
const N = F.trade_notional;

/**
 * Trades in the venue's order: exactly `feedTrade` on each, in O(1) evaluator calls for the runs
 * that can fire nothing. One pass compares each trade's three keys with the fields' quiet windows
 * (evaluator.ts `calm`); the trades before the first one to leave a window are only recorded, that
 * one is evaluated in full, and the windows are taken again from there.
 */
export function feedTrades(ev: MarketEvaluator, trades: readonly TradeTicks[]): void {
  const d = ev.market.priceDecimals + ev.market.sizeDecimals;
  const n = trades.length;
  const { lo, hi } = ev;
  let i = 0;
  while (i < n) {
    let j = i;
    if (ev.calm(P) && ev.calm(S) && ev.calm(N)) {
      const pl = lo[P]!, ph = hi[P]!, sl = lo[S]!, sh = hi[S]!, nl = lo[N]!, nh = hi[N]!;
      let cp = ev.key(P), cs = ev.key(S), cn = ev.key(N);
      let pp = cp, ps = cs, pn = cn;
      for (; j < n; j++) {
        const t = trades[j]!;
        const kp = keyOfTicks(t.price);
        const ks = keyOfTicks(t.size);
        const kn = keyOfNotional(t.price, t.size, d);
        if ((kp !== cp && !(pl < kp && kp < ph)) || (ks !== cs && !(sl < ks && ks < sh)) || (kn !== cn && !(nl < kn && kn < nh))) break;
        pp = cp, ps = cs, pn = cn;
        cp = kp, cs = ks, cn = kn;
      }
      if (j > i) {
        const { price, size } = trades[j - 1]!;
        const product = price * size;
        ev.skip(j - i);
        ev.settle(P, pp, cp, price, j - i);
        ev.settle(S, ps, cs, size, j - i);
        ev.settle(N, pn, cn, Number.isSafeInteger(product) ? product : BigInt(price) * BigInt(size), j - i);
      }
    }
    if (j < n) evalTrade(ev, trades[j]!.ts, trades[j]!.price, trades[j]!.size);
    i = j + 1;
  }
}

/**
 * A book state: the spread from the touch (when both sides have a level) and, when given, the
 * depth of each side (Σ price × size in ticks, see fields.ts `bandDepth`).
 */
export function feedBook(ev: MarketEvaluator, ts: number, bestBid: number | null, bestAsk: number | null, depth: { bid: bigint; ask: bigint } | null): void {
  if (bestBid === null || bestAsk === null) return;
  // The spread alone (every live book change): recorded when it can fire nothing.
  if (!depth && ev.quietSet(F.orderbook_spread, keyOfTicks(bestAsk - bestBid), bestAsk - bestBid)) return;
  const d = ev.market.priceDecimals + ev.market.sizeDecimals;
  ev.begin();
  ev.set(F.orderbook_spread, keyOfTicks(bestAsk - bestBid), bestAsk - bestBid);
  if (depth) {
    ev.set(F.bid_depth, keyOfScaled(depth.bid, d, USD_DECIMALS), depth.bid);
    ev.set(F.ask_depth, keyOfScaled(depth.ask, d, USD_DECIMALS), depth.ask);
  }
  ev.close(ts);
}

/** Depth alone (the live 1 s book samples; the spread updates with every book change instead). */
export function feedDepth(ev: MarketEvaluator, ts: number, depth: { bid: bigint; ask: bigint }): void {
  const d = ev.market.priceDecimals + ev.market.sizeDecimals;
  ev.begin();
  ev.set(F.bid_depth, keyOfScaled(depth.bid, d, USD_DECIMALS), depth.bid);
  ev.set(F.ask_depth, keyOfScaled(depth.ask, d, USD_DECIMALS), depth.ask);
  ev.close(ts);
}

/** A funding settlement (rate: percent per interval, a decimal string). Ignored when malformed. */
export function feedFunding(ev: MarketEvaluator, ts: number, rate: string): void {
  const key = keyOfDecimal(rate, FUNDING_DECIMALS);
  if (key === null) return;
  ev.begin();
  ev.set(F.funding_rate, key, rate);
  ev.close(ts);
}

/** Heatmap totals: USD at risk on each side (decimal strings). Ignored when malformed. */
export function feedHeatmap(ev: MarketEvaluator, ts: number, long: string, short: string): void {
  const lk = keyOfDecimal(long, USD_DECIMALS);
  const sk = keyOfDecimal(short, USD_DECIMALS);
  if (lk === null || sk === null) return;
  ev.begin();
  ev.set(F.heatmap_long_at_risk, lk, long);
  ev.set(F.heatmap_short_at_risk, sk, short);
  ev.close(ts);
}
