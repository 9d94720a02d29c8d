/**
 * Engine units → Lighter wire shapes for market data (reference §B.1 units, §C.4/§C.5 frames).
 * Decimal strings are padded to the market's precision; 24h statistics and candles are floats.
 */
import type {
  Candle,
  OrderBook,
  PerpsMarketStats,
  PerpsOrderBookDetail,
  PriceLevel,
  SimpleOrder,
  Trade,
  WsOrderBookFrame,
} from "../../protocol.ts";
import type { LevelTuple, RestingOrder } from "../engine/book.ts";
import type { Bar } from "../engine/candles.ts";
import type { SimTrade } from "../engine/events.ts";
import type { Exchange } from "../engine/exchange.ts";
import { formatRate4 } from "../engine/funding.ts";
import { currentRate4 } from "../engine/periodic.ts";
import type { MarketState } from "../engine/market-state.ts";
import { quoteMicro, type MarketSpec } from "../engine/markets.ts";

/**
 * A safe integer scaled by 10^decimals as a padded decimal string ("0.0500", "-76.0264"). Number
 * arithmetic only: this runs for every level and trade on the hot path.
 */
export function fixed(value: number, decimals: number): string {
  if (decimals === 0) return String(value);
  // Below 4e15 the double nearest to value / 10^d is within half a unit of the d-th decimal, so
  // toFixed prints the exact decimal — as one flat native string (concatenations would be ropes
  // that every later serialisation has to flatten).
  if (value < 4e15 && value > -4e15) return (value / (SCALES[decimals] as number)).toFixed(decimals);
  const negative = value < 0;
  const digits = String(negative ? -value : value).padStart(decimals + 1, "0");
  const cut = digits.length - decimals;
  return (negative ? "-" : "") + digits.slice(0, cut) + "." + digits.slice(cut);
}

const SCALES = Array.from({ length: 21 }, (_, i) => 10 ** i);

/** USDC micro-units as a 6-decimal string. */
export const usdc = (micro: number): string => fixed(Math.round(micro), 6);
const priceCache = new WeakMap<MarketSpec, Map<number, string>>();
/**
 * A price string; memoised per market because the same few hundred prices near the mid are
 * formatted over and over (every level of every delta, every trade).
 */
export function price(spec: MarketSpec, ticks: number): string {
  let cache = priceCache.get(spec);
  if (!cache) priceCache.set(spec, (cache = new Map()));
  let text = cache.get(ticks);
  if (text === undefined) {
    if (cache.size >= 8_192) cache.clear();
    text = fixed(ticks, spec.priceDecimals);
    cache.set(ticks, text);
  }
  return text;
}
/** A size string padded to the market's size decimals. */
export const size = (spec: MarketSpec, ticks: number): string => fixed(ticks, spec.sizeDecimals);
const float = (ticks: number, decimals: number): number => ticks / 10 ** decimals;
const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Aggregated levels as `{price, size}` strings (size 0 → "0.0000", which removes the level). */
export function levels(spec: MarketSpec, tuples: readonly LevelTuple[]): PriceLevel[] {
  const out: PriceLevel[] = new Array(tuples.length);
  for (let i = 0; i < tuples.length; i++) {
    const [p, s] = tuples[i] as LevelTuple;
    out[i] = { price: fixed(p, spec.priceDecimals), size: fixed(s, spec.sizeDecimals) };
  }
  return out;
}

/** An order-book frame (snapshot or delta) in the field order of the reference examples. */
export function bookFrame(
  type: WsOrderBookFrame["type"], spec: MarketSpec, asks: readonly LevelTuple[], bids: readonly LevelTuple[],
  offset: number, nonce: number, beginNonce: number, lastUpdatedUs: number, timestamp: number,
): WsOrderBookFrame {
  return {
    channel: `order_book:${spec.id}`,
    offset,
    last_updated_at: lastUpdatedUs,
    order_book: {
      code: 0, asks: levels(spec, asks), bids: levels(spec, bids), offset, nonce,
      last_updated_at: lastUpdatedUs, begin_nonce: beginNonce,
    },
    timestamp,
    type,
  } as WsOrderBookFrame;
}

/** A trade in the SDK's full `Trade` shape (REST and WS). */
export function trade(t: SimTrade, spec: MarketSpec): Trade {
  const ask = t.isMakerAsk ? t.maker : t.taker;
  const bid = t.isMakerAsk ? t.taker : t.maker;
  return {
    trade_id: t.tradeId, trade_id_str: String(t.tradeId), tx_hash: t.txHash, type: t.type, market_id: t.marketId,
    size: fixed(t.size, spec.sizeDecimals), price: price(spec, t.price), usd_amount: usdc(t.quote),
    ask_id: ask.orderIndex, ask_id_str: String(ask.orderIndex), bid_id: bid.orderIndex, bid_id_str: String(bid.orderIndex),
    ask_client_id: ask.clientOrderIndex, ask_client_id_str: String(ask.clientOrderIndex),
    bid_client_id: bid.clientOrderIndex, bid_client_id_str: String(bid.clientOrderIndex),
    ask_account_id: ask.account, bid_account_id: bid.account, is_maker_ask: t.isMakerAsk,
    block_height: t.blockHeight, timestamp: t.timestamp, taker_fee: t.taker.feeRate, maker_fee: t.maker.feeRate,
    taker_position_size_before: fixed(t.taker.sizeBefore, spec.sizeDecimals),
    taker_entry_quote_before: usdc(t.taker.entryQuoteBefore),
    taker_initial_margin_fraction_before: t.taker.imfBpBefore,
    taker_position_sign_changed: t.taker.signChanged,
    maker_position_size_before: fixed(t.maker.sizeBefore, spec.sizeDecimals),
    maker_entry_quote_before: usdc(t.maker.entryQuoteBefore),
    maker_initial_margin_fraction_before: t.maker.imfBpBefore,
    maker_position_sign_changed: t.maker.signChanged,
    transaction_time: t.transactionTime,
    ask_account_pnl: usdc(ask.realizedPnl), bid_account_pnl: usdc(bid.realizedPnl),
    integrator_taker_fee: 0, integrator_taker_fee_collector_index: 0, integrator_maker_fee: 0, integrator_maker_fee_collector_index: 0,
    taker_allocated_margin_usdc_before: 0, taker_allocated_margin_usdc_after: 0,
    maker_allocated_margin_usdc_before: 0, maker_allocated_margin_usdc_after: 0,
  };
}

/** A level-3 resting order of `orderBookOrders`. */
export function simpleOrder(o: RestingOrder, spec: MarketSpec): SimpleOrder {
  return {
    order_index: o.orderIndex, order_id: String(o.orderIndex), owner_account_index: o.account,
    initial_base_amount: size(spec, o.initial), remaining_base_amount: size(spec, o.remaining),
    price: price(spec, o.price), order_expiry: o.expiry, transaction_time: o.transactionTime,
  };
}

/** A candle with float fields; `t` in ms. */
export function candle(b: Bar, spec: MarketSpec): Candle {
  const pd = spec.priceDecimals;
  const o = float(b.o, pd), h = float(b.h, pd), l = float(b.l, pd), c = float(b.c, pd);
  return { t: b.t, o, h, l, c, O: o, H: h, L: l, C: c, v: float(b.v, spec.sizeDecimals), V: round(b.V / 1e6, 6), i: b.i };
}

/** A market row of `orderBooks`. */
export function orderBookRow(spec: MarketSpec): OrderBook {
  return {
    symbol: spec.symbol, market_id: spec.id, market_type: "perp", base_asset_id: 0, quote_asset_id: 0, status: "active",
    taker_fee: "0.0000", is_taker_fee_enabled: true, maker_fee: "0.0000", is_maker_fee_enabled: true, liquidation_fee: "1.0000",
    min_base_amount: size(spec, spec.minBaseTicks), min_quote_amount: usdc(spec.minQuoteMicro),
    order_quote_limit: "281474976.710655", supported_size_decimals: spec.sizeDecimals,
    supported_price_decimals: spec.priceDecimals, supported_quote_decimals: 6,
    created_at: String(spec.createdAt), multiplier: "1.000000000000000000",
  };
}

/** 24-hour statistics as the floats the venue sends. */
export function daily(ex: Exchange, m: MarketState) {
  const d = m.bars.daily(ex.now);
  const pd = m.spec.priceDecimals;
  const last = float(m.lastTrade, pd);
  return {
    last_trade_price: last,
    daily_trades_count: d.trades,
    daily_base_token_volume: float(d.baseVolume, m.spec.sizeDecimals),
    daily_quote_token_volume: round(d.quoteVolume / 1e6, 6),
    daily_price_low: d.trades ? float(d.low, pd) : last,
    daily_price_high: d.trades ? float(d.high, pd) : last,
    daily_price_change: d.open ? round(((m.lastTrade - d.open) / d.open) * 100, 4) : 0,
  };
}

/** A perp market of `orderBookDetails`. */
export function perpDetail(ex: Exchange, m: MarketState): PerpsOrderBookDetail {
  const s = m.spec;
  return {
    ...orderBookRow(s), size_decimals: s.sizeDecimals, price_decimals: s.priceDecimals, quote_multiplier: 1,
    default_initial_margin_fraction: s.defaultImfBp, min_initial_margin_fraction: s.minImfBp,
    maintenance_margin_fraction: s.mmfBp, closeout_margin_fraction: s.closeoutBp,
    mark_price: price(s, m.mark), index_price: price(s, m.index), ...daily(ex, m),
    open_interest: float(m.openInterest, s.sizeDecimals), daily_chart: {},
    market_config: {
      market_margin_mode: 0, insurance_fund_account_index: 281474976710655, liquidation_mode: 0, force_reduce_only: false,
      trading_hours: "", funding_fee_discounts_enabled: false, hidden: false, rfq_enabled: true,
    },
    strategy_index: 2, market_flags: 0, funding_premium_multiplier: 100,
    funding_clamp_small: "0.0500", funding_clamp_big: "4.0000", base_interest_rate: "0.0100",
  };
}

/** `market_stats` of one market (prices, OI in USD, clamps and funding as strings; daily as floats). */
export function marketStats(ex: Exchange, m: MarketState): PerpsMarketStats {
  const s = m.spec;
  const d = daily(ex, m);
  const bid = m.book.bestBid();
  const ask = m.book.bestAsk();
  return {
    symbol: s.symbol, market_id: s.id, index_price: price(s, m.index), mark_price: price(s, m.mark),
    mid_price: price(s, Math.round(m.mid())), last_trade_price: price(s, m.lastTrade),
    open_interest: usdc(quoteMicro(s, m.openInterest, m.mark)), open_interest_limit: "72057594037927936.000000",
    funding_clamp_small: "0.0500", funding_clamp_big: "4.0000", base_interest_rate: "0.0100",
    premium: m.premium.mean.toFixed(4), current_funding_rate: formatRate4(currentRate4(m)),
    funding_rate: formatRate4(m.fundingRate4), funding_timestamp: m.fundingTime,
    daily_base_token_volume: d.daily_base_token_volume, daily_quote_token_volume: d.daily_quote_token_volume,
    daily_price_low: d.daily_price_low, daily_price_high: d.daily_price_high, daily_price_change: d.daily_price_change,
    best_bid_price: bid === undefined ? "0" : price(s, bid), best_ask_price: ask === undefined ? "0" : price(s, ask),
  };
}
