/**
 * Lighter `/stream` WebSocket frames (reference §C). Requests name channels with slashes
 * (`order_book/0`), every server frame with colons (`order_book:0`); the first frame after a
 * subscribe is `subscribed/<name>` (a snapshot), later ones `update/<name>`.
 *
 * Strict forms (`WsOrderBookFrame`, …) are what the simulator sends; `…In` forms are what the
 * client accepts from the real venue. Frame `timestamp` is ms; `last_updated_at` is µs.
 */
import { Type as T, type Static, type TSchema } from "@sinclair/typebox";
import { AccountPosition, AccountPositionIn, PublicPoolShare } from "./protocol.account.ts";
import { Dec, Int, Num, Str, optionals } from "./protocol.common.ts";
import { Trade, TradeIn } from "./protocol.market-data.ts";

const frameType = <A extends string, B extends string>(a: A, b: B) => T.Union([T.Literal(a), T.Literal(b)]);

// ── session ────────────────────────────────────────────────────────────────────────────────
/** First frame on every connection; clients wait for it before subscribing. */
export const WsConnected = T.Object({ type: T.Literal("connected"), session_id: Str });
export type WsConnected = Static<typeof WsConnected>;
export const WsConnectedIn = T.Object({ type: T.Literal("connected"), session_id: T.Optional(Str) });

/** Client → server. `auth` only for private channels (reference §C.3). */
export const WsSubscribe = T.Object({ type: T.Literal("subscribe"), channel: Str, auth: T.Optional(Str) });
export type WsSubscribe = Static<typeof WsSubscribe>;
export const WsUnsubscribe = T.Object({ type: T.Literal("unsubscribe"), channel: Str });
export type WsUnsubscribe = Static<typeof WsUnsubscribe>;
/** Server ack of an unsubscribe; `channel` in colon form. */
export const WsUnsubscribed = T.Object({ type: T.Literal("unsubscribed"), channel: Str });
export type WsUnsubscribed = Static<typeof WsUnsubscribed>;
/** JSON keep-alive, either direction; the other side answers `{"type":"pong"}`. */
export const WsPing = T.Object({ type: T.Literal("ping") });
export type WsPing = Static<typeof WsPing>;
export const WsPong = T.Object({ type: T.Literal("pong") });
export type WsPong = Static<typeof WsPong>;
/** Flat error: `{"type":"error","code":30003,"message":"Already Subscribed to : ticker:3"}`. */
export const WsError = T.Object({ type: T.Literal("error"), code: Int, message: Str });
export type WsError = Static<typeof WsError>;
/** Nested error: `{"error":{"code":N,"message":"…"}}` (ccxt rejects every pending future on it). */
export const WsNestedError = T.Object({ error: T.Object({ code: Int, message: Str }) });
export type WsNestedError = Static<typeof WsNestedError>;

// ── order book ─────────────────────────────────────────────────────────────────────────────
/** An aggregated level: `size` is the **new absolute** size; `"0.0000"` (or `"0"`) removes it. */
export const PriceLevel = T.Object({ price: Dec, size: Dec });
export type PriceLevel = Static<typeof PriceLevel>;

/**
 * Book payload. Continuity: an update's `begin_nonce` equals the previous frame's `nonce`; a
 * snapshot's `begin_nonce` means nothing (may be 0). `offset` is a per-market version counter.
 */
export const WsOrderBook = T.Object({
  code: Int,
  asks: T.Array(PriceLevel),
  bids: T.Array(PriceLevel),
  offset: Int,
  nonce: Int,
  /** µs. */
  last_updated_at: Int,
  begin_nonce: Int,
});
export type WsOrderBook = Static<typeof WsOrderBook>;
/** `subscribed/order_book` (snapshot) and `update/order_book` (delta), `channel` `order_book:{m}`. */
export const WsOrderBookFrame = T.Object({
  type: frameType("subscribed/order_book", "update/order_book"),
  channel: Str,
  offset: Int,
  /** µs. */
  last_updated_at: Int,
  order_book: WsOrderBook,
  /** Server send time, ms. */
  timestamp: Int,
});
export type WsOrderBookFrame = Static<typeof WsOrderBookFrame>;

const BookLevelsIn = { asks: T.Array(PriceLevel), bids: T.Array(PriceLevel), nonce: Int };
const BookExtrasIn = optionals({ code: Int, offset: Int, last_updated_at: Int });
const FrameExtrasIn = optionals({ offset: Int, last_updated_at: Int, timestamp: Int });
/** Accepted snapshot: `begin_nonce` is optional. */
export const WsOrderBookSnapshotIn = T.Object({
  type: T.Literal("subscribed/order_book"),
  channel: Str,
  order_book: T.Object({ ...BookLevelsIn, ...BookExtrasIn, begin_nonce: T.Optional(Int) }),
  ...FrameExtrasIn,
});
export type WsOrderBookSnapshotIn = Static<typeof WsOrderBookSnapshotIn>;
/** Accepted delta: `begin_nonce` is required (continuity cannot be checked without it). */
export const WsOrderBookUpdateIn = T.Object({
  type: T.Literal("update/order_book"),
  channel: Str,
  order_book: T.Object({ ...BookLevelsIn, ...BookExtrasIn, begin_nonce: Int }),
  ...FrameExtrasIn,
});
export type WsOrderBookUpdateIn = Static<typeof WsOrderBookUpdateIn>;

// ── trades ─────────────────────────────────────────────────────────────────────────────────
/** On the real wire a trade list may be `null`, a list, or an object keyed by market id. */
const TradeListIn = <S extends TSchema>(item: S) =>
  T.Union([T.Null(), T.Array(item), T.Record(Str, T.Array(item))]);

/** `subscribed/trade` (recent history) and `update/trade`, `channel` `trade:{m}`; newest first. */
export const WsTradeFrame = T.Object({
  type: frameType("subscribed/trade", "update/trade"),
  channel: Str,
  nonce: Int,
  trades: T.Array(Trade),
  /** Liquidation fills; here `is_maker_ask == true` means side buy. */
  liquidation_trades: T.Array(Trade),
});
export type WsTradeFrame = Static<typeof WsTradeFrame>;
export const WsTradeFrameIn = T.Object({
  type: frameType("subscribed/trade", "update/trade"),
  channel: Str,
  nonce: T.Optional(Int),
  trades: T.Optional(TradeListIn(TradeIn)),
  liquidation_trades: T.Optional(TradeListIn(TradeIn)),
});
export type WsTradeFrameIn = Static<typeof WsTradeFrameIn>;
/** The accepted shapes of one trade list. */
export type TradeListIn = Static<ReturnType<typeof TradeListIn<typeof TradeIn>>>;

// ── market_stats ───────────────────────────────────────────────────────────────────────────
const StatsCore = {
  market_id: Int,
  index_price: Dec,
  mark_price: Dec,
  last_trade_price: Dec,
  /** **USD notional** here (orderBookDetails reports base units). */
  open_interest: Dec,
  /** Live estimate for the next settlement, **percent per hour**, signed. */
  current_funding_rate: Dec,
  /** Last settled hourly rate, **percent per hour**, signed. */
  funding_rate: Dec,
  /** Last settlement time, ms (hour + 1 ms); advances once per hour. */
  funding_timestamp: Int,
  /** 24h statistics are **floats**; `daily_price_change` in percent. */
  daily_base_token_volume: Num,
  daily_quote_token_volume: Num,
  daily_price_low: Num,
  daily_price_high: Num,
  daily_price_change: Num,
};
const StatsExtras = {
  symbol: Str,
  mid_price: Dec,
  best_ask_price: Str,
  best_bid_price: Str,
  open_interest_limit: Dec,
  /** Percent strings. */
  funding_clamp_small: Str,
  funding_clamp_big: Str,
  base_interest_rate: Str,
};
/** Per-market perp statistics (SDK `PerpsMarketStats`). */
export const PerpsMarketStats = T.Object({
  ...StatsCore,
  ...StatsExtras,
  /** Running hourly average premium in percent (seen live, absent from the SDK). */
  premium: T.Optional(Dec),
});
export type PerpsMarketStats = Static<typeof PerpsMarketStats>;
export const PerpsMarketStatsIn = T.Object({ ...StatsCore, ...optionals({ ...StatsExtras, premium: Dec }) });
export type PerpsMarketStatsIn = Static<typeof PerpsMarketStatsIn>;

/** `market_stats:{m}` carries one object; `market_stats:all` a map keyed by market-id strings. */
export const WsMarketStatsFrame = T.Object({
  type: frameType("subscribed/market_stats", "update/market_stats"),
  channel: Str,
  timestamp: Int,
  market_stats: T.Union([PerpsMarketStats, T.Record(Str, PerpsMarketStats)]),
});
export type WsMarketStatsFrame = Static<typeof WsMarketStatsFrame>;
export const WsMarketStatsFrameIn = T.Object({
  type: frameType("subscribed/market_stats", "update/market_stats"),
  channel: Str,
  timestamp: T.Optional(Int),
  market_stats: T.Union([PerpsMarketStatsIn, T.Record(Str, PerpsMarketStatsIn)]),
});
export type WsMarketStatsFrameIn = Static<typeof WsMarketStatsFrameIn>;

// ── height ─────────────────────────────────────────────────────────────────────────────────
/** `height` channel: L2 block height. */
export const WsHeightFrame = T.Object({
  type: frameType("subscribed/height", "update/height"),
  channel: Str,
  height: Int,
  timestamp: T.Optional(Int),
});
export type WsHeightFrame = Static<typeof WsHeightFrame>;

// ── account_all ────────────────────────────────────────────────────────────────────────────
/** A funding payment in `account_all.funding_histories` (the positionFunding row shape). */
export const WsFundingHistory = T.Object({
  timestamp: Int,
  market_id: Int,
  funding_id: Int,
  /** Signed USDC paid (−) or received (+). */
  change: Dec,
  /** Percent. */
  rate: Dec,
  position_size: Dec,
  position_side: T.Union([T.Literal("long"), T.Literal("short")]),
});
export type WsFundingHistory = Static<typeof WsFundingHistory>;
/** Older-doc liquidation entry of `account_all`. */
export const WsAccountLiquidation = T.Object({
  liquidation_id: Int,
  account_index: Int,
  liquidation_type: Int,
  portfolio_value: Str,
  margin_requirement: Str,
});
export type WsAccountLiquidation = Static<typeof WsAccountLiquidation>;

const AccountVolumes = optionals({
  daily_trades_count: Int, daily_volume: Num, weekly_trades_count: Int, weekly_volume: Num,
  monthly_trades_count: Int, monthly_volume: Num, total_trades_count: Int, total_volume: Num,
});
/** `account_all:{acct}`: positions keyed by market, trades and fundings keyed by market. */
export const WsAccountAllFrame = T.Object({
  type: frameType("subscribed/account_all", "update/account_all"),
  channel: Str,
  account: Int,
  positions: T.Record(Str, AccountPosition),
  trades: T.Record(Str, T.Array(Trade)),
  funding_histories: T.Record(Str, T.Array(WsFundingHistory)),
  liquidations: T.Optional(T.Array(WsAccountLiquidation)),
  shares: T.Array(PublicPoolShare),
  ...AccountVolumes,
});
export type WsAccountAllFrame = Static<typeof WsAccountAllFrame>;
export const WsAccountAllFrameIn = T.Object({
  type: frameType("subscribed/account_all", "update/account_all"),
  channel: Str,
  account: T.Optional(Int),
  positions: T.Optional(T.Record(Str, AccountPositionIn)),
  trades: T.Optional(TradeListIn(TradeIn)),
  funding_histories: T.Optional(T.Record(Str, T.Array(WsFundingHistory))),
  liquidations: T.Optional(T.Union([T.Null(), T.Array(WsAccountLiquidation)])),
  shares: T.Optional(T.Union([T.Null(), T.Array(PublicPoolShare)])),
  ...AccountVolumes,
});
export type WsAccountAllFrameIn = Static<typeof WsAccountAllFrameIn>;

/** Every frame the simulator may send (strict forms). */
export type WsServerFrame =
  | WsConnected | WsUnsubscribed | WsPing | WsPong | WsError | WsNestedError
  | WsOrderBookFrame | WsTradeFrame | WsMarketStatsFrame | WsHeightFrame | WsAccountAllFrame;
/** Every frame a client may send. */
export type WsClientFrame = WsSubscribe | WsUnsubscribe | WsPing | WsPong;
