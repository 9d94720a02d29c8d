/**
 * Lighter REST wire schemas: status, markets and the resting book (reference §B, SDK `zklighter-perps` 1.0.272 `openapi.json`).
 * Strict vs accepted forms: see `protocol.common.ts`.
 *
 * Units: decimal strings (`Dec`) are prices/sizes/money padded to the market precision; USDC money has
 * 6 decimals. Integers are ids, counts, basis points and timestamps (unit noted per field). Floats are
 * used by the venue only for 24h statistics, candles, funding-rates `rate` and pnl rows.
 */
import { Type as T, type Static } from "@sinclair/typebox";
import { Bool, Dec, Envelope, Int, NullableList, Num, Str, optionals } from "./protocol.common.ts";

/** REST error body, sent with HTTP 400: `{code: 21602, message: "invalid market index"}`. */
export const ErrorBody = T.Object({ code: Int, message: Str });
export type ErrorBody = Static<typeof ErrorBody>;

/** `GET /` — `timestamp` in **seconds**; `network_id` is 1 on mainnet (not the chain id). */
export const Status = T.Object({ status: Int, network_id: Int, timestamp: Int });
export type Status = Static<typeof Status>;

/** `GET /info`. */
export const Info = T.Object({ contract_address: Str });
export type Info = Static<typeof Info>;

const MarketType = T.Union([T.Literal("perp"), T.Literal("spot")]);
const MarketStatus = T.Union([T.Literal("active"), T.Literal("inactive")]);

/** Fields every market row carries; fees are in **percent**, `created_at` is ms as a string. */
const OrderBookCore = {
  symbol: Str,
  market_id: Int,
  market_type: MarketType,
  status: MarketStatus,
  taker_fee: Str,
  maker_fee: Str,
  liquidation_fee: Str,
  min_base_amount: Str,
  min_quote_amount: Str,
  /** May be `""`. */
  order_quote_limit: Str,
  supported_size_decimals: Int,
  supported_price_decimals: Int,
  supported_quote_decimals: Int,
};
const OrderBookExtras = {
  base_asset_id: Int,
  quote_asset_id: Int,
  is_taker_fee_enabled: Bool,
  is_maker_fee_enabled: Bool,
  created_at: Str,
  multiplier: Str,
};

/** One row of `GET /api/v1/orderBooks`. */
export const OrderBook = T.Object({ ...OrderBookCore, ...OrderBookExtras });
export type OrderBook = Static<typeof OrderBook>;
export const OrderBooks = T.Object({ ...Envelope, order_books: T.Array(OrderBook) });
export type OrderBooks = Static<typeof OrderBooks>;

/** `market_config` of a perp market. */
export const MarketConfig = T.Object({
  market_margin_mode: Int,
  insurance_fund_account_index: Int,
  liquidation_mode: Int,
  force_reduce_only: Bool,
  trading_hours: Str,
  funding_fee_discounts_enabled: T.Optional(Bool),
  hidden: T.Optional(Bool),
  rfq_enabled: Bool,
});
export type MarketConfig = Static<typeof MarketConfig>;

/** 24h statistics in orderBookDetails: **floats**; `daily_price_change` in percent. */
const DailyStats = {
  last_trade_price: Num,
  daily_trades_count: Int,
  daily_base_token_volume: Num,
  daily_quote_token_volume: Num,
  daily_price_low: Num,
  daily_price_high: Num,
  daily_price_change: Num,
  /** `{"<unix s>": price}`, often `{}`. */
  daily_chart: T.Record(Str, Num),
};
const DetailDecimals = { size_decimals: Int, price_decimals: Int };
const PerpExtras = {
  quote_multiplier: Int,
  /** Margin fractions in **basis points** of notional (500 = 5% = 20×). */
  default_initial_margin_fraction: Int,
  min_initial_margin_fraction: Int,
  maintenance_margin_fraction: Int,
  closeout_margin_fraction: Int,
  mark_price: Dec,
  index_price: Dec,
  /** Base units here (market_stats reports USD notional). */
  open_interest: Num,
  market_config: MarketConfig,
  strategy_index: Int,
  market_flags: Int,
  /** 100 means ×1.0. */
  funding_premium_multiplier: Int,
  /** Percent strings: "0.0500", "4.0000", "0.0100". */
  funding_clamp_small: Str,
  funding_clamp_big: Str,
  base_interest_rate: Str,
};

/** A perp market of orderBookDetails. Decimals: `price × 10^price_decimals` is the tick integer. */
export const PerpsOrderBookDetail = T.Object({
  ...OrderBookCore, ...OrderBookExtras, ...DetailDecimals, ...DailyStats, ...PerpExtras,
});
export type PerpsOrderBookDetail = Static<typeof PerpsOrderBookDetail>;
/** Accepted form: only identity, status and decimals are required (fall back to `supported_*`). */
export const PerpsOrderBookDetailIn = T.Object({
  ...OrderBookCore,
  ...optionals({ ...OrderBookExtras, ...DetailDecimals, ...DailyStats, ...PerpExtras }),
});
export type PerpsOrderBookDetailIn = Static<typeof PerpsOrderBookDetailIn>;

/** A spot market (ids from 2048, symbols like `ETH/USDC`). */
export const SpotOrderBookDetail = T.Object({ ...OrderBookCore, ...OrderBookExtras, ...DetailDecimals, ...DailyStats });
export type SpotOrderBookDetail = Static<typeof SpotOrderBookDetail>;
export const SpotOrderBookDetailIn = T.Object({
  ...OrderBookCore,
  ...optionals({ ...OrderBookExtras, ...DetailDecimals, ...DailyStats }),
});
export type SpotOrderBookDetailIn = Static<typeof SpotOrderBookDetailIn>;

/** `GET /api/v1/orderBookDetails`: both arrays are always present (the SDK crashes otherwise). */
export const OrderBookDetails = T.Object({
  ...Envelope,
  order_book_details: T.Array(PerpsOrderBookDetail),
  spot_order_book_details: T.Array(SpotOrderBookDetail),
});
export type OrderBookDetails = Static<typeof OrderBookDetails>;
export const OrderBookDetailsIn = T.Object({
  ...Envelope,
  order_book_details: T.Array(PerpsOrderBookDetailIn),
  spot_order_book_details: T.Optional(NullableList(SpotOrderBookDetailIn)),
});
export type OrderBookDetailsIn = Static<typeof OrderBookDetailsIn>;

/** A resting order of orderBookOrders (level 3, not aggregated, best first). */
export const SimpleOrder = T.Object({
  order_index: Int,
  order_id: Str,
  owner_account_index: Int,
  initial_base_amount: Dec,
  remaining_base_amount: Dec,
  price: Dec,
  /** ms. */
  order_expiry: Int,
  /** µs (0 was seen). */
  transaction_time: Int,
});
export type SimpleOrder = Static<typeof SimpleOrder>;
export const OrderBookOrders = T.Object({
  ...Envelope,
  total_asks: Int,
  asks: T.Array(SimpleOrder),
  total_bids: Int,
  bids: T.Array(SimpleOrder),
});
export type OrderBookOrders = Static<typeof OrderBookOrders>;

