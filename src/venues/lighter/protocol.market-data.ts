/**
 * Lighter REST wire schemas: trades, candles, funding, exchange statistics, height and assets
 * (reference §B.2, SDK `openapi.json`). Strict vs accepted forms: see `protocol.common.ts`.
 */
import { Type as T, type Static } from "@sinclair/typebox";
import { Bool, Dec, Envelope, Int, NullableList, Num, Str, optionals } from "./protocol.common.ts";

/** Trade `type`. Liquidation fills are `liquidation` (or `deleverage` for ADL). */
export const TradeType = T.Union([
  T.Literal("trade"),
  T.Literal("liquidation"),
  T.Literal("deleverage"),
  T.Literal("market-settlement"),
]);
export type TradeType = Static<typeof TradeType>;

/** Fields present on every real trade payload (and all the client reads). */
const TradeCore = {
  trade_id: Int,
  tx_hash: Str,
  market_id: Int,
  /** Base size, decimal string padded to size_decimals. */
  size: Dec,
  /** Decimal string padded to price_decimals. */
  price: Dec,
  /** size × price, 6 decimals. */
  usd_amount: Dec,
  ask_id: Int,
  bid_id: Int,
  ask_account_id: Int,
  bid_account_id: Int,
  /** true: the resting order was the ask, so the **taker bought**. */
  is_maker_ask: Bool,
  block_height: Int,
  /** ms. */
  timestamp: Int,
};
/** Fields the SDK requires but real payloads omit when zero/false/empty. */
const TradeExtras = {
  trade_id_str: Str,
  ask_id_str: Str,
  bid_id_str: Str,
  ask_client_id: Int,
  ask_client_id_str: Str,
  bid_client_id: Int,
  bid_client_id_str: Str,
  /** Fee rates in **millionths** of notional (196 = 1.96 bp). */
  taker_fee: Int,
  maker_fee: Int,
  taker_position_size_before: Str,
  taker_entry_quote_before: Str,
  taker_initial_margin_fraction_before: Int,
  taker_position_sign_changed: Bool,
  maker_position_size_before: Str,
  maker_entry_quote_before: Str,
  maker_initial_margin_fraction_before: Int,
  maker_position_sign_changed: Bool,
  /** µs. */
  transaction_time: Int,
  ask_account_pnl: Str,
  bid_account_pnl: Str,
  integrator_taker_fee: Int,
  integrator_taker_fee_collector_index: Int,
  integrator_maker_fee: Int,
  integrator_maker_fee_collector_index: Int,
  taker_allocated_margin_usdc_before: Int,
  taker_allocated_margin_usdc_after: Int,
  maker_allocated_margin_usdc_before: Int,
  maker_allocated_margin_usdc_after: Int,
};

/** A trade as the simulator sends it (REST and WS). */
export const Trade = T.Object({ ...TradeCore, type: TradeType, ...TradeExtras });
export type Trade = Static<typeof Trade>;
/** A trade as the client accepts it; `type` is any string so a new venue trade kind is not lost. */
export const TradeIn = T.Object({ ...TradeCore, type: Str, ...optionals(TradeExtras) });
export type TradeIn = Static<typeof TradeIn>;

/** `GET /api/v1/recentTrades` and `/trades`: newest first; `next_cursor` pages `/trades`. */
export const Trades = T.Object({ ...Envelope, next_cursor: T.Optional(Str), trades: T.Array(Trade) });
export type Trades = Static<typeof Trades>;
/** The real venue has answered `"trades": null`. */
export const TradesIn = T.Object({ ...Envelope, next_cursor: T.Optional(Str), trades: NullableList(TradeIn) });
export type TradesIn = Static<typeof TradesIn>;

/** OHLCV bar: `t` is the bar open in **ms**; prices and volumes are **floats**; `i` last trade id. */
const CandleCore = { t: Int, o: Num, h: Num, l: Num, c: Num };
const CandleExtras = { O: Num, H: Num, L: Num, C: Num, v: Num, V: Num, i: Int };
export const Candle = T.Object({ ...CandleCore, ...CandleExtras });
export type Candle = Static<typeof Candle>;
export const CandleIn = T.Object({ ...CandleCore, ...optionals(CandleExtras) });
export type CandleIn = Static<typeof CandleIn>;
/** `GET /api/v1/candles`: `r` the resolution (`1m`…`1w`), `c` oldest first. */
export const Candles = T.Object({ ...Envelope, r: Str, c: T.Array(Candle) });
export type Candles = Static<typeof Candles>;
export const CandlesIn = T.Object({ ...Envelope, r: Str, c: NullableList(CandleIn) });
export type CandlesIn = Static<typeof CandlesIn>;

/** A settled hourly funding (`/fundings`). */
export const Funding = T.Object({
  /** **Seconds**, on the hour. */
  timestamp: Int,
  /** USDC per 1 base unit = index × rate / 100. */
  value: Dec,
  /** **Percent per hour, unsigned**, truncated to 4 decimals; the sign is in `direction`. */
  rate: Dec,
  /** `long`: longs paid; `short`: shorts paid. */
  direction: T.Union([T.Literal("long"), T.Literal("short")]),
});
export type Funding = Static<typeof Funding>;
export const Fundings = T.Object({ ...Envelope, resolution: Str, fundings: T.Array(Funding) });
export type Fundings = Static<typeof Fundings>;

/** `/funding-rates` row: `rate` is a **fraction per 8 hours** (float). */
export const FundingRate = T.Object({
  market_id: Int,
  exchange: T.Union([T.Literal("lighter"), T.Literal("binance"), T.Literal("bybit"), T.Literal("hyperliquid")]),
  symbol: Str,
  rate: Num,
});
export type FundingRate = Static<typeof FundingRate>;
export const FundingRates = T.Object({ ...Envelope, funding_rates: T.Array(FundingRate) });
export type FundingRates = Static<typeof FundingRates>;

/** exchangeStats row; all statistics are **floats**, `daily_price_change` in percent. */
export const OrderBookStats = T.Object({
  symbol: Str,
  last_trade_price: Num,
  daily_trades_count: Int,
  daily_base_token_volume: Num,
  daily_quote_token_volume: Num,
  daily_price_change: Num,
});
export type OrderBookStats = Static<typeof OrderBookStats>;
export const ExchangeStats = T.Object({
  ...Envelope,
  total: Int,
  order_book_stats: T.Array(OrderBookStats),
  daily_usd_volume: Num,
  daily_trades_count: Int,
});
export type ExchangeStats = Static<typeof ExchangeStats>;

/** exchangeMetrics point: `timestamp` (seconds, presumably), `data` float. */
export const ExchangeMetric = T.Object({ timestamp: Int, data: Num });
export type ExchangeMetric = Static<typeof ExchangeMetric>;
export const ExchangeMetrics = T.Object({ ...Envelope, metrics: T.Array(ExchangeMetric) });
export type ExchangeMetrics = Static<typeof ExchangeMetrics>;

/** `GET /api/v1/currentHeight`: L2 block height. */
export const CurrentHeight = T.Object({ ...Envelope, height: Int });
export type CurrentHeight = Static<typeof CurrentHeight>;

const AssetCore = { asset_id: Int, symbol: Str, decimals: Int };
const AssetExtras = {
  l1_decimals: Int,
  min_transfer_amount: Str,
  min_withdrawal_amount: Str,
  margin_mode: T.Union([T.Literal("enabled"), T.Literal("disabled")]),
  index_price: Str,
  price_decimals: Int,
  l1_address: Str,
  loan_to_value: Str,
  liquidation_threshold: Str,
  liquidation_factor: Str,
  liquidation_fee: Str,
  global_supply_cap: Str,
  user_supply_cap: Str,
  total_supplied: Str,
  multiplier: Str,
};
/** assetDetails row; USDC is `asset_id` 3 with 6 decimals (ccxt needs that row). */
export const Asset = T.Object({ ...AssetCore, ...AssetExtras });
export type Asset = Static<typeof Asset>;
export const AssetIn = T.Object({ ...AssetCore, ...optionals(AssetExtras) });
export type AssetIn = Static<typeof AssetIn>;
export const AssetDetails = T.Object({ ...Envelope, asset_details: T.Array(Asset) });
export type AssetDetails = Static<typeof AssetDetails>;
export const AssetDetailsIn = T.Object({ ...Envelope, asset_details: T.Array(AssetIn) });
export type AssetDetailsIn = Static<typeof AssetDetailsIn>;
