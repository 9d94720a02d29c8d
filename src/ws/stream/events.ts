/**
 * Stream events: what the ingest node tells every node's WebSocket fan-out about a market. They
 * are the MarketActors' domain events reduced to what the streams need, plus the venue's level-3
 * orders (for attribution), and they are plain JSON so the Redis bus can carry them between nodes
 * unchanged. Each names its market's decimals, so a node can render a market it has never seen.
 * Prices and sizes are integers in venue units.
 */
import type { Level, TradeKind } from "../../store/ports";
import type { LiquidationHeatmapUpdateFrame } from "../protocol";

/** Identity and decimals of the market an event belongs to. */
export interface StreamMarket {
  /** Market id. */
  m: number;
  /** Price decimals. */
  pd: number;
  /** Size decimals. */
  sd: number;
}

/** One level change of a delta (absolute new size; 0 removes the level). */
export interface StreamLevelChange {
  side: "bid" | "ask";
  price: number;
  size: number;
}

/** A trade, as the streams need it. */
export interface StreamTrade {
  id: number;
  ts: number;
  price: number;
  size: number;
  isMakerAsk: boolean;
  askAccountId: number;
  bidAccountId: number;
  kind: TradeKind;
}

/** A resting order from the venue's level-3 book. */
export interface RestingOrder {
  /** Venue order id (its order_index, as text). */
  id: string;
  account: number;
  price: number;
  /** Remaining size. */
  size: number;
}

/** One stream event (see the variants). */
export type StreamEvent =
  /**
   * The full book at `nonce`. `checkpoint: true` marks the periodic resend that lets nodes that
   * joined late (or lost a message on the bus) catch up; nodes already at `nonce` ignore it.
   */
  | (StreamMarket & { type: "book.snapshot"; bids: Level[]; asks: Level[]; nonce: number; ts: number; checkpoint?: boolean })
  /** Level changes; `beginNonce` equals the previous state's nonce. */
  | (StreamMarket & { type: "book.delta"; changes: StreamLevelChange[]; beginNonce: number; nonce: number; ts: number })
  /** The market's book is not trustworthy until the next snapshot (venue gap, disconnect, halt). */
  | (StreamMarket & { type: "book.stale"; reason: string })
  /** New trades in ascending id order (liquidations carry their kind). */
  | (StreamMarket & { type: "trades"; trades: StreamTrade[] })
  /**
   * The venue's level-3 resting orders, best first per side, read at `ts`. `depth` is the most
   * orders per side the venue returns: a side that long may be cut off.
   */
  | (StreamMarket & { type: "orders"; bids: RestingOrder[]; asks: RestingOrder[]; depth: number; ts: number })
  /** The market's liquidation heatmap from tracked accounts, already in its wire form. */
  | (StreamMarket & { type: "heatmap"; heatmap: LiquidationHeatmapUpdateFrame["liquidation_heatmap"] });

/** Subscribes to stream events; returns the unsubscribe function. */
export type StreamListener = (event: StreamEvent) => void;
