/**
 * Traders. A taker action picks one of the thousands of trader accounts, which either sends an
 * immediate-or-cancel order (opening in the direction the fair price points, or reducing what it
 * holds) or rests a passive limit order that lives for a few minutes. Order sizes are Pareto
 * distributed (tail index 1.3), so most orders are small and a few are whales that walk the book.
 */
import { approxMargin, type SimAccount } from "./accounts.ts";
import type { Exchange } from "./exchange.ts";
import type { MarketState } from "./market-state.ts";
import { pow10 } from "./markets.ts";

const PARETO_ALPHA = 1.3;
/** Largest order, as a multiple of the market's typical taker notional. */
const MAX_MULTIPLE = 400;
const PASSIVE_SHARE = 0.18;
const REDUCE_SHARE = 0.35;
/** Protection band of an IOC around the fair price. */
const SLIPPAGE = 0.006;
const MAX_PASSIVE_PER_MARKET = 300;

/** Cancels passive orders whose expiry has passed (a few per action, oldest expiry first). */
function expirePassive(ex: Exchange, m: MarketState): void {
  for (let k = 0; k < 4 && m.retail.length > 0; k++) {
    const first = m.retail[0];
    if (!first) break;
    const gone = !m.book.orders.has(first.orderIndex);
    if (!gone && first.expiry > ex.now && m.retail.length <= MAX_PASSIVE_PER_MARKET) break;
    m.retail.shift();
    if (!gone) ex.cancel(m, first);
  }
}

/** A Pareto-distributed notional in USD. */
function drawNotional(ex: Exchange, m: MarketState): number {
  const xm = m.spec.takerNotional * 0.35;
  return Math.min(ex.rng.pareto(xm, PARETO_ALPHA), m.spec.takerNotional * MAX_MULTIPLE);
}

/** Size ticks of `usd` at `price`, at least the market minimum (size and notional). */
function sizeFor(m: MarketState, usd: number, price: number): number {
  const s = m.spec;
  const minForQuote = Math.ceil((s.minQuoteMicro / 1e6 / price) * pow10(s.sizeDecimals));
  return Math.max(s.minBaseTicks, minForQuote, Math.round((usd / price) * pow10(s.sizeDecimals)));
}

/** Headroom for new exposure in USD notional at the account's leverage in this market. */
function headroomUsd(ex: Exchange, acct: SimAccount, m: MarketState): number {
  const margin = approxMargin(acct, ex);
  const imf = (acct.imfPrefs.get(m.spec.id) ?? m.spec.defaultImfBp) / 10_000;
  return Math.max(0, ((margin.tav - margin.imr) / imf) * 0.9);
}

/** One taker action on market `m`. */
export function takerAction(ex: Exchange, m: MarketState): void {
  m.fair.advance(ex.now, ex.rng);
  expirePassive(ex, m);
  const traders = ex.accounts.traders;
  if (traders.length === 0) return ex.finishAction(m);
  const acct = traders[ex.rng.below(traders.length)] as SimAccount;
  const fair = m.perpFair();
  const scale = pow10(m.spec.priceDecimals);
  const held = acct.positions.get(m.spec.id)?.size ?? 0;

  if (ex.rng.chance(PASSIVE_SHARE)) {
    placePassive(ex, m, acct, fair);
    return ex.finishAction(m);
  }

  let isAsk: boolean;
  let size: number;
  if (held !== 0 && ex.rng.chance(REDUCE_SHARE)) {
    isAsk = held > 0;
    size = ex.rng.chance(0.5) ? Math.abs(held) : Math.max(1, Math.round(Math.abs(held) * ex.rng.uniform(0.2, 0.8)));
  } else {
    // Takers lean the way the fair price points relative to the book (they arbitrage stale quotes).
    const mid = m.mid() / scale;
    const lean = Math.tanh(((fair - mid) / fair) * 1e4 / (m.spec.ladderStepBp * 2));
    isAsk = !ex.rng.chance(0.5 + 0.35 * lean);
    const increasing = held === 0 || (held > 0) === !isAsk;
    let usd = drawNotional(ex, m);
    if (increasing) usd = Math.min(usd, headroomUsd(ex, acct, m));
    size = sizeFor(m, usd, fair);
    if (increasing && usd < m.spec.minQuoteMicro / 1e6) return ex.finishAction(m);
  }
  const limit = isAsk ? Math.floor(fair * (1 - SLIPPAGE) * scale) : Math.ceil(fair * (1 + SLIPPAGE) * scale);
  ex.take(acct, m, isAsk, size, limit, "trade");
  ex.finishAction(m);
}

/** A resting limit order a little away from the mid, alive for minutes. */
function placePassive(ex: Exchange, m: MarketState, acct: SimAccount, fair: number): void {
  const isAsk = ex.rng.chance(0.5);
  const usd = Math.min(drawNotional(ex, m), headroomUsd(ex, acct, m));
  if (usd < m.spec.minQuoteMicro / 1e6) return;
  const scale = pow10(m.spec.priceDecimals);
  const away = ex.rng.uniform(0.0004, 0.012);
  let price = isAsk ? Math.ceil(fair * (1 + away) * scale) : Math.floor(fair * (1 - away) * scale);
  const bestBid = m.book.bestBid();
  const bestAsk = m.book.bestAsk();
  if (isAsk && bestBid !== undefined && price <= bestBid) price = bestBid + 1;
  if (!isAsk && bestAsk !== undefined && price >= bestAsk) price = bestAsk - 1;
  if (price < 1) return;
  const lifetime = ex.rng.lognormal(Math.log(5 * 60_000), 1);
  const order = ex.place(acct, m, isAsk, price, sizeFor(m, usd, fair), ex.now + Math.round(lifetime));
  // Keep `retail` ordered by expiry (binary insertion).
  let lo = 0;
  let hi = m.retail.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((m.retail[mid] as { expiry: number }).expiry <= order.expiry) lo = mid + 1;
    else hi = mid;
  }
  m.retail.splice(lo, 0, order);
}
