/**
 * The typed event stream of the Lighter live client (`client.on(listener)`), consumed by the
 * MarketActor. Event types are dot-namespaced. Prices and sizes are fixed-point integers in venue
 * units (× 10^price_decimals / × 10^size_decimals of the market, see `MarketInfo`); the original
 * decimal strings ride along where the venue sent them. `ts` is the server time in ms when the frame
 * carried one, otherwise the client clock at receipt.
 */
import type { BookView, LevelChange } from "./book.ts";
import type { PerpsMarketStatsIn, TradeIn, WsAccountAllFrameIn } from "./protocol.ts";

/** One market as loaded from `orderBookDetails`. */
export interface MarketInfo {
  marketId: number;
  symbol: string;
  marketType: "perp" | "spot";
  status: "active" | "inactive";
  /** Scale of prices: integer price = decimal price × 10^priceDecimals. */
  priceDecimals: number;
  /** Scale of sizes: integer size = decimal size × 10^sizeDecimals. */
  sizeDecimals: number;
  quoteDecimals: number;
  /** Decimal strings as sent. */
  minBaseAmount: string;
  minQuoteAmount: string;
  /** Percent strings ("0.0000"). */
  takerFee: string;
  makerFee: string;
  /** Basis points of notional (perps only). */
  defaultInitialMarginFraction?: number;
  minInitialMarginFraction?: number;
  maintenanceMarginFraction?: number;
  closeoutMarginFraction?: number;
}

/** A trade as the client emits it. */
export interface ClientTrade {
  id: number;
  marketId: number;
  /** Integer price (× 10^priceDecimals). */
  price: number;
  /** Integer base size (× 10^sizeDecimals). */
  size: number;
  /** Decimal strings as sent by the venue. */
  priceText: string;
  sizeText: string;
  usdAmount: string;
  /** The taker's side: `is_maker_ask == true` means the taker bought. */
  takerSide: "buy" | "sell";
  /** Venue trade kind: `trade`, `liquidation`, `deleverage`, `market-settlement`, … */
  kind: string;
  /** True for a fill from `liquidation_trades` or of kind `liquidation`/`deleverage`. */
  liquidation: boolean;
  askAccountId: number;
  bidAccountId: number;
  /** ms. */
  timestamp: number;
  blockHeight: number;
  /** The validated wire object, for fields not lifted above. */
  raw: TradeIn;
}

/** Why a market's book stopped being trustworthy. */
export type ResyncReason = "gap" | "malformed" | "disconnect" | "timeout";

/** Where a batch of trades came from. */
export type TradeSource = "snapshot" | "update" | "backfill";

export type ConnectionState = "connecting" | "connected" | "disconnected";

export type LighterEvent =
  /** Markets loaded (once at start, before any market event). */
  | { type: "markets"; markets: readonly MarketInfo[] }
  /** Socket lifecycle. `disconnected` carries the reconnect delay when one is scheduled. */
  | {
      type: "connection";
      state: ConnectionState;
      attempt: number;
      reason?: string;
      reconnectInMs?: number;
    }
  /**
   * A fresh book (first subscribe, after a resync or a reconnect). `book` is the client's live
   * book: read it synchronously or copy it with `book.levels(side)`.
   */
  | { type: "book.snapshot"; marketId: number; book: BookView; nonce: number; ts: number }
  /** Applied level changes; `changes` is owned by the receiver. `beginNonce` = previous `nonce`. */
  | {
      type: "book.delta";
      marketId: number;
      changes: LevelChange[];
      book: BookView;
      beginNonce: number;
      nonce: number;
      ts: number;
    }
  /** The book is stale until the next `book.snapshot` (the client is already resubscribing). */
  | { type: "book.resync"; marketId: number; reason: ResyncReason; expectedNonce?: number; gotBeginNonce?: number }
  /**
   * New trades, each emitted once, in ascending id order within the event. Across events ids
   * ascend too, except when a connection drops while a backfill is in flight: the older trades
   * it recovers then arrive later, as a `backfill` batch.
   */
  | { type: "trades"; marketId: number; trades: ClientTrade[]; source: TradeSource }
  /** The liquidation subset of a `trades` event, emitted right after it. */
  | { type: "liquidations"; marketId: number; trades: ClientTrade[] }
  /** market_stats for one market (from `market_stats/{m}` or `market_stats/all`). */
  | { type: "stats"; marketId: number; stats: PerpsMarketStatsIn; ts: number }
  /**
   * A funding settlement, observed when `funding_timestamp` advanced. `rate` is the settled
   * `funding_rate` in **percent per hour**, signed (positive: longs pay shorts).
   */
  | {
      type: "funding";
      marketId: number;
      /** Settlement time, ms. */
      fundingTimestamp: number;
      rate: string;
      markPrice: string;
      indexPrice: string;
      ts: number;
    }
  /** An `account_all` frame of a tracked account. */
  | { type: "account"; accountId: number; snapshot: boolean; account: WsAccountAllFrameIn; ts: number }
  /**
   * An `account_all` frame as received, not parsed yet (only with `deferAccountFrames`):
   * `LighterClient.parseAccountFrame` turns it into its `account` event later, off the hot path.
   */
  | { type: "account.frame"; text: string; ts: number }
  /** A venue error frame (flat or nested). */
  | { type: "venue.error"; code: number; message: string };

/** Picks one event variant by its `type`. */
export type LighterEventOf<K extends LighterEvent["type"]> = Extract<LighterEvent, { type: K }>;

export type LighterListener = (event: LighterEvent) => void;

/** Counters exposed as `client.stats`. */
export interface LighterClientStats {
  framesReceived: number;
  malformedFrames: number;
  unknownFrames: number;
  bookSnapshots: number;
  bookDeltas: number;
  duplicateDeltas: number;
  ignoredDeltas: number;
  gaps: number;
  resyncs: number;
  tradesEmitted: number;
  duplicateTrades: number;
  backfilledTrades: number;
  /** Backfills that hit the page cap before reaching the last complete id (older trades lost). */
  backfillTruncations: number;
  connects: number;
  disconnects: number;
  pingsSent: number;
  pingsAnswered: number;
  errorFrames: number;
  listenerErrors: number;
}

export const newStats = (): LighterClientStats => ({
  framesReceived: 0,
  malformedFrames: 0,
  unknownFrames: 0,
  bookSnapshots: 0,
  bookDeltas: 0,
  duplicateDeltas: 0,
  ignoredDeltas: 0,
  gaps: 0,
  resyncs: 0,
  tradesEmitted: 0,
  duplicateTrades: 0,
  backfilledTrades: 0,
  backfillTruncations: 0,
  connects: 0,
  disconnects: 0,
  pingsSent: 0,
  pingsAnswered: 0,
  errorFrames: 0,
  listenerErrors: 0,
});
