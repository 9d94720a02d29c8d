/**
 * Every frame of the /ws stream, defined once (TypeBox) and documented in docs/websocket.md.
 * Client frames are validated with a compiled checker; server frames are built from these static
 * types, so a renderer cannot drift from the documented shape (the e2e tests check real frames
 * against the schemas too).
 *
 * Prices, sizes and notionals are decimal strings; times are ms since the epoch. Every data frame
 * has `type`, `channel` (the public channel the client subscribed to), one payload key named after
 * the channel kind, and the server's send `timestamp`.
 */
import { Type as T, type Static, type TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";

const Dec = T.String({ description: "decimal string" });
const Ms = T.Integer({ description: "ms since the epoch" });
const Nullable = <S extends TSchema>(s: S) => T.Union([s, T.Null()]);

/** Inbound message rate per connection (the guide's Connection Limits). */
export const WS_MESSAGE_LIMITS = Object.freeze({ perSecond: 30, burst: 60, violationsBeforeClose: 3 });

/** Close codes the server uses, and what they mean. */
export const WS_CLOSE = Object.freeze({
  /** The client or the server ended the session normally. */
  normal: 1000,
  /** The server is shutting down. */
  goingAway: 1001,
  /** Policy: auth failed or timed out, 3 rate violations, no pong, too slow to read, plan limit. */
  policy: 1008,
  /** An inbound frame exceeded the size limit (sent by Bun itself). */
  tooBig: 1009,
  /** An internal error. */
  internal: 1011,
});

// ---------------------------------------------------------------- client → server

const TickSize = T.Union([T.String({ maxLength: 32 }), T.Number()], { description: "custom tick size (enriched_order_book only), e.g. \"0.5\"" });

/** `{"type":"auth","api_key":"hlt_…"}`: must be the first message. */
export const AuthFrame = T.Object({ type: T.Literal("auth"), api_key: T.String({ maxLength: 256 }) });
/** Subscribe to a channel; `tick_size` only on enriched_order_book. */
export const SubscribeFrame = T.Object({ type: T.Literal("subscribe"), channel: T.String({ maxLength: 64 }), tick_size: T.Optional(TickSize) });
/** Leave a channel (with the same `tick_size` it was taken with). */
export const UnsubscribeFrame = T.Object({ type: T.Literal("unsubscribe"), channel: T.String({ maxLength: 64 }), tick_size: T.Optional(TickSize) });
/** Client ping; answered with a pong frame. */
export const ClientPingFrame = T.Object({ type: T.Literal("ping") });
/** Answer to the server's ping (a protocol pong works too). */
export const ClientPongFrame = T.Object({ type: T.Literal("pong") });

/** Any frame a client may send. Unknown extra fields are ignored. */
export const ClientFrame = T.Union([AuthFrame, SubscribeFrame, UnsubscribeFrame, ClientPingFrame, ClientPongFrame]);
/** A validated client frame. */
export type ClientFrame = Static<typeof ClientFrame>;
/** A subscribe frame. */
export type SubscribeFrame = Static<typeof SubscribeFrame>;

const clientCheck = TypeCompiler.Compile(ClientFrame);

/** Validates a parsed inbound message; null when it is not a known client frame. */
export const asClientFrame = (value: unknown): ClientFrame | null => (clientCheck.Check(value) ? value : null);

// ---------------------------------------------------------------- server control frames

/** The answer to a valid auth: tier, subscription limit, connection id. */
export const AuthenticatedFrame = T.Object({
  type: T.Literal("authenticated"),
  tier: T.String(),
  /** Subscriptions allowed on this connection; null = unlimited. */
  max_subscriptions: Nullable(T.Integer()),
  connection_id: T.String(),
});
/** Subscription acknowledged (canonical `tick_size`; `anonymous` on plans without attribution). */
export const SubscribedFrame = T.Object({
  type: T.Literal("subscribed"),
  channel: T.String(),
  tick_size: T.Optional(Dec),
  /** Present and true when the plan gets the anonymous view (no account ids). */
  anonymous: T.Optional(T.Boolean()),
});
/** Unsubscription acknowledged. */
export const UnsubscribedFrame = T.Object({ type: T.Literal("unsubscribed"), channel: T.String(), tick_size: T.Optional(Dec) });
/** A refusal; closes follow only where docs/websocket.md says so. */
export const ErrorFrame = T.Object({
  type: T.Literal("error"),
  /** A REST error code: bad_request, unauthorized, forbidden, not_found, conflict, rate_limit_exceeded, … */
  code: T.String(),
  message: T.String(),
  channel: T.Optional(T.String()),
});
/** Server heartbeat (a protocol ping is sent with it). */
export const ServerPingFrame = T.Object({ type: T.Literal("ping"), timestamp: Ms });
/** Answer to a client ping. */
export const ServerPongFrame = T.Object({ type: T.Literal("pong"), timestamp: Ms });

export type AuthenticatedFrame = Static<typeof AuthenticatedFrame>;
export type SubscribedFrame = Static<typeof SubscribedFrame>;
export type UnsubscribedFrame = Static<typeof UnsubscribedFrame>;
export type ErrorFrame = Static<typeof ErrorFrame>;

/** Control frames the connection actor sends (data frames are rendered by the fan-out). */
export type ControlFrame =
  | AuthenticatedFrame
  | SubscribedFrame
  | UnsubscribedFrame
  | ErrorFrame
  | Static<typeof ServerPingFrame>
  | Static<typeof ServerPongFrame>;

// ---------------------------------------------------------------- data frames

const WireLevel = T.Object({ price: Dec, size: Dec });

/** order_book/{m}: the venue's L2 updates. A `snapshot: true` frame replaces the book. */
export const OrderBookUpdateFrame = T.Object({
  type: T.Literal("order_book_update"),
  channel: T.String(),
  order_book: T.Object({
    code: T.Literal(0),
    snapshot: T.Boolean(),
    /** Snapshot: the full book, best first. Delta: new absolute sizes; size "0" deletes the level. */
    asks: T.Array(WireLevel),
    bids: T.Array(WireLevel),
    /** Equals the previous frame's nonce (continuity); a snapshot's is its own nonce. */
    begin_nonce: T.Integer(),
    nonce: T.Integer(),
    /** Venue time of this book state. */
    timestamp: Ms,
  }),
  timestamp: Ms,
});

/** trade/{m}: one venue trade per frame, in the guide's shape. */
export const TradeUpdateFrame = T.Object({
  type: T.Literal("trade_update"),
  channel: T.String(),
  trade: T.Object({
    trade_id: T.Integer(),
    price: Dec,
    size: Dec,
    /** True: the resting order was the ask, so the taker bought. */
    is_maker_ask: T.Boolean(),
    ask_account_id: T.Integer(),
    bid_account_id: T.Integer(),
    market_id: T.Integer(),
    timestamp: Ms,
  }),
  timestamp: Ms,
});

const AccountShare = T.Object({
  /** Owner's account index; null in the anonymous view. */
  account: Nullable(T.Integer()),
  side: T.Union([T.Literal("bid"), T.Literal("ask")]),
  size: Dec,
  whale: T.Boolean(),
});
const EnrichedLevel = T.Object({
  price: Dec,
  size: Dec,
  notional_usd: Dec,
  whale: T.Boolean(),
  /** Resting size per owner, largest first, as of the last L3 view reconciled with live sizes. */
  accounts: T.Array(AccountShare),
  /** Size at this level not (yet) seen in the venue's L3 orders. */
  unattributed_size: Dec,
});

/** enriched_order_book/{m}: the attributed book, a full top-of-book state per frame (conflated). */
export const EnrichedOrderBookUpdateFrame = T.Object({
  type: T.Literal("enriched_order_book_update"),
  channel: T.String(),
  enriched_order_book: T.Object({
    market_id: T.Integer(),
    /** The custom tick of this view; null = the venue's own levels. */
    tick_size: Nullable(Dec),
    anonymous: T.Boolean(),
    whale_threshold_usd: Dec,
    bids: T.Array(EnrichedLevel),
    asks: T.Array(EnrichedLevel),
    best_bid: Nullable(Dec),
    best_ask: Nullable(Dec),
    nonce: T.Integer(),
    /** Venue time of the L2 state. */
    book_timestamp: Ms,
    /** When the venue's L3 orders behind the attribution were read; null before the first read. */
    attribution_timestamp: Nullable(Ms),
  }),
  timestamp: Ms,
});

/** enriched_trade/{m}: a trade with maker/taker accounts, notional and flags. */
export const EnrichedTradeUpdateFrame = T.Object({
  type: T.Literal("enriched_trade_update"),
  channel: T.String(),
  trade: T.Object({
    trade_id: T.Integer(),
    market_id: T.Integer(),
    price: Dec,
    size: Dec,
    notional_usd: Dec,
    /** The taker's side. */
    side: T.Union([T.Literal("buy"), T.Literal("sell")]),
    maker_account_id: Nullable(T.Integer()),
    taker_account_id: Nullable(T.Integer()),
    whale: T.Boolean(),
    liquidation: T.Boolean(),
    /** Venue kind: trade, liquidation, deleverage. */
    kind: T.String(),
    timestamp: Ms,
  }),
  timestamp: Ms,
});

/** The kinds of alert. */
export const AlertKind = T.Union([T.Literal("large_trade"), T.Literal("large_order_added"), T.Literal("large_order_removed"), T.Literal("liquidation")]);

/** alert/{m}: large trades, large resting orders appearing or pulled, large liquidations. */
export const AlertUpdateFrame = T.Object({
  type: T.Literal("alert_update"),
  channel: T.String(),
  alert: T.Object({
    kind: AlertKind,
    market_id: T.Integer(),
    /** large_trade: taker side (buy/sell); orders: bid/ask; liquidation: the closed position (long/short). */
    side: T.Union([T.Literal("buy"), T.Literal("sell"), T.Literal("bid"), T.Literal("ask"), T.Literal("long"), T.Literal("short")]),
    price: Dec,
    size: Dec,
    notional_usd: Dec,
    threshold_usd: Dec,
    /** The taker, the order's owner or the liquidated account; null in the anonymous view. */
    account_id: Nullable(T.Integer()),
    trade_id: T.Optional(T.Integer()),
    order_id: T.Optional(T.String()),
    timestamp: Ms,
  }),
  timestamp: Ms,
});

/** liquidation_heatmap/{m}: open notional liquidated per price bucket, from the tracked accounts' positions. */
export const LiquidationHeatmapUpdateFrame = T.Object({
  type: T.Literal("liquidation_heatmap_update"),
  channel: T.String(),
  liquidation_heatmap: T.Object({
    market_id: T.Integer(),
    mark_price: Nullable(Dec),
    bucket_size: Dec,
    buckets: T.Array(T.Object({ price: Dec, long_liquidation_usd: Dec, short_liquidation_usd: Dec })),
    timestamp: Ms,
  }),
  timestamp: Ms,
});

export type OrderBookUpdateFrame = Static<typeof OrderBookUpdateFrame>;
export type TradeUpdateFrame = Static<typeof TradeUpdateFrame>;
export type EnrichedOrderBookUpdateFrame = Static<typeof EnrichedOrderBookUpdateFrame>;
export type EnrichedLevel = Static<typeof EnrichedLevel>;
export type EnrichedTradeUpdateFrame = Static<typeof EnrichedTradeUpdateFrame>;
export type AlertUpdateFrame = Static<typeof AlertUpdateFrame>;
export type LiquidationHeatmapUpdateFrame = Static<typeof LiquidationHeatmapUpdateFrame>;

/** Every frame the server sends, for documentation and for tests that check real frames. */
export const ServerFrame = T.Union([
  AuthenticatedFrame, SubscribedFrame, UnsubscribedFrame, ErrorFrame, ServerPingFrame, ServerPongFrame,
  OrderBookUpdateFrame, TradeUpdateFrame, EnrichedOrderBookUpdateFrame, EnrichedTradeUpdateFrame, AlertUpdateFrame, LiquidationHeatmapUpdateFrame,
]);
export type ServerFrame = Static<typeof ServerFrame>;
