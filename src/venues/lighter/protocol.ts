/**
 * The Lighter wire protocol: TypeBox schemas and types of every REST response and WS frame the
 * live client reads and the simulator serves, channel-name helpers and precompiled validators.
 *
 * Schemas live in `protocol.{common,markets,market-data,account,ws}.ts`; import them from here.
 * Units: see the JSDoc on each field (prices/sizes are decimal strings, timestamps vary by field).
 */
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import { Type as T, type Static, type TSchema } from "@sinclair/typebox";
import {
  WsConnectedIn,
  WsAccountAllFrameIn,
  WsError,
  WsHeightFrame,
  WsMarketStatsFrameIn,
  WsNestedError,
  WsOrderBookSnapshotIn,
  WsOrderBookUpdateIn,
  WsPing,
  WsPong,
  WsTradeFrameIn,
  WsUnsubscribed,
} from "./protocol.ws.ts";

export * from "./protocol.common.ts";
export * from "./protocol.markets.ts";
export * from "./protocol.market-data.ts";
export * from "./protocol.account.ts";
export * from "./protocol.ws.ts";

/** `market_id` meaning "all markets" in REST queries. */
export const ALL_MARKETS = 255;
/** USDC `asset_id`. */
export const USDC_ASSET_ID = 3;
/** Spot market ids start here. */
export const FIRST_SPOT_MARKET_ID = 2048;

/** Venue error codes seen in the wild (REST `{code, message}` bodies and WS error frames). */
export const VENUE_ERRORS = {
  accountNotFound: { code: 21100, message: "account not found" },
  invalidNonce: { code: 21104, message: "invalid nonce" },
  apiKeyNotFound: { code: 21109, message: "api key not found" },
  invalidMarketIndex: { code: 21602, message: "invalid market index" },
  invalidBaseAmount: { code: 21701, message: "invalid base amount" },
  candleEndBeforeStart: { code: 22400, message: "end timestamp before start timestamp" },
  candleResolution: { code: 22402, message: "unsupported resolution" },
  candleRangeTooLong: { code: 22403, message: "range too long" },
  tooManyRequests: { code: 23000, message: "Too Many Requests!" },
  tooManySubscriptions: { code: 23001, message: "Too Many Subscriptions" },
  tooManyAccounts: { code: 23002, message: "Too Many Different Accounts" },
  tooManyConnections: { code: 23003, message: "Too Many Connections" },
  alreadySubscribed: { code: 30003, message: "Already Subscribed to : " },
  tooManyWsMessages: { code: 30009, message: "Too Many Websocket Messages" },
  tooManyInflight: { code: 30010, message: "Too Many Inflight Messages" },
} as const;

// ── channel names ──────────────────────────────────────────────────────────────────────────
/** Channel prefixes this code base speaks. */
export type ChannelName = "order_book" | "trade" | "market_stats" | "height" | "account_all";

/** Request-form channel builders (`order_book/0`): what a `subscribe` frame carries. */
export const channels = {
  orderBook: (marketId: number) => `order_book/${marketId}`,
  trade: (marketId: number) => `trade/${marketId}`,
  marketStats: (marketId: number | "all") => `market_stats/${marketId}`,
  height: () => "height",
  accountAll: (accountId: number) => `account_all/${accountId}`,
} as const;

/** `order_book/0` → `order_book:0` (server frames name channels with colons). */
export const toServerChannel = (request: string): string => request.replaceAll("/", ":");
/** `order_book:0` → `order_book/0`. */
export const toRequestChannel = (server: string): string => server.replaceAll(":", "/");

/** A channel split into its prefix and arguments; accepts either spelling. */
export interface ParsedChannel {
  name: string;
  args: string[];
}
/** Splits `order_book:0`, `order_book/0`, `candle:0:1m` or `height`. */
export function parseChannel(channel: string): ParsedChannel {
  const parts = channel.split(/[:/]/);
  return { name: parts[0] ?? "", args: parts.slice(1) };
}

/**
 * The numeric argument of a one-argument server channel (`order_book:12` → 12), or null when the
 * channel is not `<prefix>:<integer>`. Allocation-free: runs on every market-data frame.
 */
export function channelNumber(channel: string, prefix: string): number | null {
  if (channel.length <= prefix.length + 1 || !channel.startsWith(prefix)) return null;
  const sep = channel.charCodeAt(prefix.length);
  if (sep !== 58 /* : */ && sep !== 47 /* / */) return null;
  let n = 0;
  for (let i = prefix.length + 1; i < channel.length; i++) {
    const d = channel.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return n;
}

/** Snapshot frame type of a channel prefix: `subscribed/order_book`. */
export const subscribedType = (name: ChannelName): string => `subscribed/${name}`;
/** Delta frame type of a channel prefix: `update/order_book`. */
export const updateType = (name: ChannelName): string => `update/${name}`;

// ── validators ─────────────────────────────────────────────────────────────────────────────
const compile = <S extends TSchema>(schema: S): TypeCheck<S> => TypeCompiler.Compile(schema);

/**
 * Compiled validators of the accepted (`…In`) frame forms the client parses on the hot path,
 * keyed by the frame's `type`. Compiled once at module load.
 */
export const wsValidators = {
  connected: compile(WsConnectedIn),
  "subscribed/order_book": compile(WsOrderBookSnapshotIn),
  "update/order_book": compile(WsOrderBookUpdateIn),
  trade: compile(WsTradeFrameIn),
  market_stats: compile(WsMarketStatsFrameIn),
  height: compile(WsHeightFrame),
  account_all: compile(WsAccountAllFrameIn),
  unsubscribed: compile(WsUnsubscribed),
  ping: compile(WsPing),
  pong: compile(WsPong),
  error: compile(WsError),
  nestedError: compile(WsNestedError),
} as const;

/** Compiles a schema once and caches the check (REST responses compile on first use). */
export function lazyValidator<S extends TSchema>(schema: S): () => TypeCheck<S> {
  let check: TypeCheck<S> | undefined;
  return () => (check ??= compile(schema));
}

// ── orders (accountActiveOrders / accountInactiveOrders) ─────────────────────────────────────
// Added by the simulator work (additive): the SDK `Order` / `Orders` models.
const OrderStatus = T.Union([
  "in-progress", "pending", "open", "filled", "canceled", "canceled-post-only", "canceled-reduce-only",
  "canceled-position-not-allowed", "canceled-margin-not-allowed", "canceled-too-much-slippage",
  "canceled-not-enough-liquidity", "canceled-self-trade", "canceled-expired", "canceled-oco", "canceled-child",
  "canceled-liquidation", "canceled-invalid-balance",
].map((s) => T.Literal(s)));
/**
 * An order of `accountActiveOrders`. `base_size`/`base_price` are the scaled integers
 * (size × 10^size_decimals, price × 10^price_decimals). `timestamp`, `created_at`, `updated_at`:
 * unit unresolved (reference §H.1); the simulator sends **seconds**, as ccxt parses them.
 */
export const Order = T.Object({
  order_index: T.Integer(), client_order_index: T.Integer(), order_id: T.String(), client_order_id: T.String(),
  market_index: T.Integer(), owner_account_index: T.Integer(), initial_base_amount: T.String(), price: T.String(),
  nonce: T.Integer(), remaining_base_amount: T.String(), is_ask: T.Boolean(), base_size: T.Integer(),
  base_price: T.Integer(), filled_base_amount: T.String(), filled_quote_amount: T.String(), side: T.String(),
  type: T.Union(["limit", "market", "stop-loss", "stop-loss-limit", "take-profit", "take-profit-limit", "twap", "twap-sub", "liquidation"].map((s) => T.Literal(s))),
  time_in_force: T.Union(["good-till-time", "immediate-or-cancel", "post-only", "Unknown"].map((s) => T.Literal(s))),
  reduce_only: T.Boolean(), trigger_price: T.String(), order_expiry: T.Integer(), status: OrderStatus,
  trigger_status: T.Union(["na", "ready", "mark-price", "twap", "parent-order"].map((s) => T.Literal(s))),
  trigger_time: T.Integer(), parent_order_index: T.Integer(), parent_order_id: T.String(),
  to_trigger_order_id_0: T.String(), to_trigger_order_id_1: T.String(), to_cancel_order_id_0: T.String(),
  integrator_fee_collector_index: T.String(), integrator_taker_fee: T.String(), integrator_maker_fee: T.String(),
  order_flags: T.Integer(), block_height: T.Integer(), timestamp: T.Integer(), created_at: T.Integer(),
  updated_at: T.Integer(), transaction_time: T.Integer(),
});
export type Order = Static<typeof Order>;
/** `GET /api/v1/accountActiveOrders`: `orders` always present. */
export const Orders = T.Object({ code: T.Integer(), message: T.Optional(T.String()), next_cursor: T.Optional(T.String()), orders: T.Array(Order) });
export type Orders = Static<typeof Orders>;
