/**
 * What a MarketActor consumes (venue-neutral `feed.*` events, translated from a venue client by the
 * ingest router) and what it emits (domain events consumed by the recorder, the live read model,
 * the broadcaster and signals). Prices and sizes are integers in venue units.
 */
import type { FundingRecord, Level, TradeRecord } from "../../store/ports";

export interface LevelChange {
  side: "bid" | "ask";
  price: number;
  /** New absolute size; 0 removes the level. */
  size: number;
}

/**
 * Venue market statistics as last reported: prices in venue units, rates and open interest as the
 * venue's exact decimal strings. Rolling 24h figures are computed from our own recorded candles,
 * not taken from the venue's float fields.
 */
export interface MarketStats {
  markPrice: number | null;
  indexPrice: number | null;
  lastTradePrice: number | null;
  /** Open interest in quote (USD) notional, decimal string. */
  openInterestUsd: string;
  /** Last settled funding rate, percent per hour, signed. */
  fundingRate: string | null;
  /** Current estimate for the next settlement, percent per hour, signed. */
  predictedFundingRate: string | null;
  /** Last settlement time (ms). */
  lastFundingTime: number | null;
  ts: number;
}

export type MarketInput =
  | { type: "feed.snapshot"; bids: Level[]; asks: Level[]; nonce: number; ts: number }
  | { type: "feed.delta"; changes: LevelChange[]; beginNonce: number; nonce: number; ts: number }
  | { type: "feed.resync"; reason: string }
  | { type: "feed.disconnected" }
  | { type: "feed.trades"; trades: TradeRecord[] }
  | { type: "feed.stats"; stats: MarketStats }
  | { type: "feed.funding"; funding: FundingRecord }
  | { type: "market.halt"; reason: string }
  | { type: "market.resume" };

export type MarketEmitted =
  /** Every book change, in nonce order; `snapshot` carries the full book instead of changes. */
  | {
      type: "book.updated";
      marketId: number;
      snapshot: boolean;
      changes: LevelChange[];
      bids?: Level[];
      asks?: Level[];
      beginNonce: number;
      nonce: number;
      ts: number;
    }
  /** The book sampled on the snapshot interval (1 s), for the recorder and the live read model. */
  | { type: "book.sampled"; marketId: number; bids: Level[]; asks: Level[]; nonce: number; ts: number }
  | { type: "trade.executed"; marketId: number; trades: TradeRecord[] }
  | { type: "liquidation.occurred"; marketId: number; trades: TradeRecord[] }
  | { type: "stats.updated"; marketId: number; stats: MarketStats }
  | { type: "funding.settled"; marketId: number; funding: FundingRecord }
  | { type: "market.state"; marketId: number; state: "syncing" | "live" | "resyncing" | "halted"; reason?: string };
