/**
 * Publishes each market's current book and stats to the live read model. Books are written at most
 * every `intervalMs` (100 ms by default: sub-second fresh, not once per delta), only for markets
 * whose book changed, already formatted for the wire.
 */
import { formatScaled } from "../lib/decimal";
import { formatUnits } from "../ws/stream/render-book";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import type { LiveBook, LiveMarketWriter, LiveStats, MarketInfo, WireLevel } from "../market/live";
import type { MarketStats } from "../actors/market/market.events";

/** Levels per side kept in the live book. */
export const LIVE_BOOK_DEPTH = 500;
const HOUR_MS = 3_600_000;

interface BookSource {
  levels(side: "bid" | "ask", n?: number): { price: number; size: number }[];
}

/**
 * `formatScaled` without a BigInt for the common case (a non-negative safe integer): every 100 ms
 * this formats up to 2 × 500 levels per market.
 */
const format = (n: number, decimals: number): string => (n >= 0 && Number.isSafeInteger(n) ? formatUnits(n, decimals) : formatScaled(n, decimals));

export function formatBook(m: MarketInfo, book: BookSource, nonce: number, ts: number): LiveBook {
  const fmt = (levels: { price: number; size: number }[]): WireLevel[] =>
    levels.map((l) => ({ price: format(l.price, m.priceDecimals), size: format(l.size, m.sizeDecimals) }));
  const bidLevels = book.levels("bid", LIVE_BOOK_DEPTH);
  const askLevels = book.levels("ask", LIVE_BOOK_DEPTH);
  const bb = bidLevels[0]?.price;
  const ba = askLevels[0]?.price;
  const both = bb !== undefined && ba !== undefined;
  return {
    market_id: m.marketId,
    bids: fmt(bidLevels),
    asks: fmt(askLevels),
    best_bid: bb === undefined ? null : format(bb, m.priceDecimals),
    best_ask: ba === undefined ? null : format(ba, m.priceDecimals),
    spread: both ? format(ba - bb, m.priceDecimals) : null,
    // The mid can fall on half a tick: one more decimal keeps it exact.
    mid: both ? format((bb + ba) * 5, m.priceDecimals + 1) : null,
    nonce,
    timestamp: ts,
  };
}

export function formatStats(m: MarketInfo, s: MarketStats): LiveStats {
  const price = (p: number | null) => (p === null ? null : formatScaled(p, m.priceDecimals));
  return {
    market_id: m.marketId,
    symbol: m.symbol,
    mark_price: price(s.markPrice),
    index_price: price(s.indexPrice),
    last_trade_price: price(s.lastTradePrice),
    open_interest_usd: s.openInterestUsd,
    funding_rate: s.fundingRate,
    predicted_funding_rate: s.predictedFundingRate,
    last_funding_time: s.lastFundingTime,
    // Lighter settles on every hour.
    next_funding_time: Math.floor(s.ts / HOUR_MS) * HOUR_MS + HOUR_MS,
    timestamp: s.ts,
  };
}

export interface LivePublisher {
  bookChanged(marketId: number): void;
  stats(marketId: number, stats: MarketStats): void;
  stop(): void;
}

export function createLivePublisher(deps: {
  venue: string;
  writer: LiveMarketWriter;
  clock: Clock;
  log: Logger;
  market: (marketId: number) => MarketInfo | undefined;
  /** Current book, nonce and venue time of a market (read from its actor). */
  book: (marketId: number) => { book: BookSource; nonce: number; ts: number } | undefined;
  intervalMs?: number;
}): LivePublisher {
  const dirty = new Set<number>();
  const interval = deps.intervalMs ?? 100;
  const fail = (err: unknown) => deps.log.warn("live read model write failed", { err });
  let timer: unknown;
  const tick = () => {
    for (const id of dirty) {
      const m = deps.market(id);
      const current = deps.book(id);
      if (m && current) deps.writer.putBook(deps.venue, formatBook(m, current.book, current.nonce, current.ts)).catch(fail);
    }
    dirty.clear();
    timer = deps.clock.setTimeout(tick, interval);
  };
  timer = deps.clock.setTimeout(tick, interval);
  return {
    bookChanged: (id) => void dirty.add(id),
    stats(id, stats) {
      const m = deps.market(id);
      if (m) deps.writer.putStats(deps.venue, formatStats(m, stats)).catch(fail);
    },
    stop: () => deps.clock.clearTimeout(timer),
  };
}
