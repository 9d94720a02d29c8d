/**
 * Publishes each market's current book and stats to the live read model. Books are written at most
 * every `intervalMs` (100 ms by default: sub-second fresh, not once per delta), only for markets
 * whose book changed, already formatted for the wire.
 */
import { formatScaled } from "../lib/decimal";
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

/** The live book of `book`, formatted for the wire. */
export function formatBook(m: MarketInfo, book: BookSource, nonce: number, ts: number): LiveBook {
  return new BookRenderer(m).render(book, nonce, ts).book;
}

interface CachedLevel {
  size: number;
  level: WireLevel;
  json: string;
}

/**
 * Renders one market's live book, and its JSON, every tick. Between two ticks most of the 2 × 500
 * levels are unchanged, so each level's wire form and JSON text are kept by price and reused while
 * its size is the same: a tick formats only the levels that changed and builds the JSON by joining
 * cached fragments, instead of formatting 2000 numbers and serialising 1000 fresh objects (whose
 * garbage also brought on collections in the middle of the fan-out).
 */
export class BookRenderer {
  private bids = new Map<number, CachedLevel>();
  private asks = new Map<number, CachedLevel>();

  constructor(private readonly m: MarketInfo) {}

  /** Whether this renderer formats `m` as it is now (same market and precisions). */
  renders(m: MarketInfo): boolean {
    return m.marketId === this.m.marketId && m.priceDecimals === this.m.priceDecimals && m.sizeDecimals === this.m.sizeDecimals;
  }

  /** The book and `JSON.stringify(book)`. Level objects are shared between ticks: do not mutate. */
  render(source: BookSource, nonce: number, ts: number): { book: LiveBook; json: string } {
    const { m } = this;
    const bidLevels = source.levels("bid", LIVE_BOOK_DEPTH);
    const askLevels = source.levels("ask", LIVE_BOOK_DEPTH);
    const bids = this.side(bidLevels, this.bids);
    const asks = this.side(askLevels, this.asks);
    this.bids = bids.cache;
    this.asks = asks.cache;
    const bb = bidLevels[0]?.price;
    const ba = askLevels[0]?.price;
    const both = bb !== undefined && ba !== undefined;
    const book: LiveBook = {
      market_id: m.marketId,
      bids: bids.wire,
      asks: asks.wire,
      best_bid: bb === undefined ? null : formatScaled(bb, m.priceDecimals),
      best_ask: ba === undefined ? null : formatScaled(ba, m.priceDecimals),
      spread: both ? formatScaled(ba - bb, m.priceDecimals) : null,
      // The mid can fall on half a tick: one more decimal keeps it exact.
      mid: both ? formatScaled((bb + ba) * 5, m.priceDecimals + 1) : null,
      nonce,
      timestamp: ts,
    };
    // Key for key what JSON.stringify(book) writes (the numbers and decimal strings need no escaping).
    const str = (v: string | null) => (v === null ? "null" : `"${v}"`);
    const json =
      `{"market_id":${book.market_id},"bids":[${bids.json}],"asks":[${asks.json}],"best_bid":${str(book.best_bid)},` +
      `"best_ask":${str(book.best_ask)},"spread":${str(book.spread)},"mid":${str(book.mid)},"nonce":${nonce},"timestamp":${ts}}`;
    return { book, json };
  }

  private side(levels: readonly { price: number; size: number }[], was: Map<number, CachedLevel>) {
    const { priceDecimals: pd, sizeDecimals: sd } = this.m;
    const cache = new Map<number, CachedLevel>();
    const wire: WireLevel[] = [];
    const parts: string[] = [];
    for (const l of levels) {
      let c = was.get(l.price);
      if (c === undefined || c.size !== l.size) {
        const level = { price: formatScaled(l.price, pd), size: formatScaled(l.size, sd) };
        c = { size: l.size, level, json: `{"price":"${level.price}","size":"${level.size}"}` };
      }
      cache.set(l.price, c);
      wire.push(c.level);
      parts.push(c.json);
    }
    return { cache, wire, json: parts.join(",") };
  }
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
  const renderers = new Map<number, BookRenderer>();
  const tick = () => {
    for (const id of dirty) {
      const m = deps.market(id);
      const current = deps.book(id);
      if (!m || !current) continue;
      let renderer = renderers.get(id);
      // A catalog change can alter a market's precision: its cached level texts are then stale.
      if (!renderer || !renderer.renders(m)) renderers.set(id, (renderer = new BookRenderer(m)));
      const { book, json } = renderer.render(current.book, current.nonce, current.ts);
      deps.writer.putBook(deps.venue, book, json).catch(fail);
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
