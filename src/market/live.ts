/**
 * The live read model: what the ingest leader publishes about each market (catalog, current book,
 * 24h stats and funding) and what REST routes read, through the Cache port — in memory on one node,
 * in Redis across nodes. Writers throttle book writes (sub-second, not per delta); readers never
 * touch the venue.
 *
 * Values are stored already formatted for the wire (decimal strings), so a read is one cache get
 * and a JSON parse, with no per-request arithmetic.
 */
import { andThen, type Maybe } from "../lib/maybe";
import type { Cache } from "../store/ports";

/** Static facts about a market, from the venue's market list. */
export interface MarketInfo {
  venue: string;
  marketId: number;
  symbol: string;
  priceDecimals: number;
  sizeDecimals: number;
  status: "active" | "inactive";
  /** Margin fractions in basis points of notional. */
  minInitialMarginFraction: number;
  maintenanceMarginFraction: number;
  closeoutMarginFraction: number;
}

export interface WireLevel {
  price: string;
  size: string;
}

/** The current L2 book, formatted. Levels best first. */
export interface LiveBook {
  market_id: number;
  bids: WireLevel[];
  asks: WireLevel[];
  best_bid: string | null;
  best_ask: string | null;
  spread: string | null;
  mid: string | null;
  nonce: number;
  /** Venue time of the book state (ms). */
  timestamp: number;
}

/**
 * Venue-sourced statistics of one market, formatted: mark/index/last prices, open interest and
 * funding. Rolling 24h figures are computed from recorded candles by the routes that serve them.
 */
export interface LiveStats {
  market_id: number;
  symbol: string;
  mark_price: string | null;
  index_price: string | null;
  last_trade_price: string | null;
  /** Open interest in quote (USD) notional. */
  open_interest_usd: string;
  /** Last settled funding rate, percent per hour, signed. */
  funding_rate: string | null;
  /** Estimated rate of the next settlement, percent per hour, signed. */
  predicted_funding_rate: string | null;
  /** Last settlement time (ms). */
  last_funding_time: number | null;
  /** Next settlement time (ms): the next whole hour. */
  next_funding_time: number | null;
  timestamp: number;
}

const key = {
  markets: (venue: string) => `live:markets:${venue}`,
  book: (venue: string, marketId: number) => `live:book:${venue}:${marketId}`,
  stats: (venue: string, marketId: number) => `live:stats:${venue}:${marketId}`,
};

/** Live values expire if the writer stops, so readers never serve a frozen book as current. */
export const LIVE_TTL_MS = 30_000;

export interface LiveMarketView {
  markets(venue: string): Promise<MarketInfo[]>;
  /** At once over an in-process cache; later over a networked one. */
  market(venue: string, marketId: number): Maybe<MarketInfo | null>;
  /** At once over an in-process cache; later over a networked one. */
  book(venue: string, marketId: number): Maybe<LiveBook | null>;
  stats(venue: string, marketId: number): Promise<LiveStats | null>;
}

export interface LiveMarketWriter {
  putMarkets(venue: string, markets: MarketInfo[]): Promise<void>;
  /** `json`, when given, must be `JSON.stringify(book)` (a writer that renders it cheaper than that). */
  putBook(venue: string, book: LiveBook, json?: string): Promise<void>;
  putStats(venue: string, stats: LiveStats): Promise<void>;
}

/**
 * The cache-backed read model; one instance serves both sides. Returned objects are shared between
 * readers and must not be mutated.
 */
export function createLiveMarkets(cache: Cache): LiveMarketView & LiveMarketWriter {
  // The catalog changes rarely; keep a parsed copy per venue keyed by the raw string.
  // An in-process cache is read without a promise: the hottest reads (the book) then answer at once.
  const peek = cache.peek;
  const read: (k: string) => Maybe<string | null> = peek ? (k) => peek.call(cache, k) : (k) => cache.get(k);
  const catalog = new Map<string, { raw: string; list: MarketInfo[]; byId: Map<number, MarketInfo> }>();
  const catalogOf = (venue: string, raw: string | null) => {
    if (!raw) return { list: [] as MarketInfo[], byId: new Map<number, MarketInfo>() };
    const hit = catalog.get(venue);
    if (hit && hit.raw === raw) return hit;
    const list = JSON.parse(raw) as MarketInfo[];
    const entry = { raw, list, byId: new Map(list.map((m) => [m.marketId, m])) };
    catalog.set(venue, entry);
    return entry;
  };
  const markets = (venue: string) => andThen(read(key.markets(venue)), (raw) => catalogOf(venue, raw));
  const parse = <T>(raw: string | null): T | null => (raw ? (JSON.parse(raw) as T) : null);
  // Books change ~10 times a second but are read far more often: keep the last parse per market,
  // keyed by the raw string, so repeated reads of an unchanged book cost a string compare.
  const books = new Map<string, { raw: string; book: LiveBook }>();
  const bookOf = (k: string, raw: string | null): LiveBook | null => {
    if (!raw) return null;
    const hit = books.get(k);
    if (hit && hit.raw === raw) return hit.book;
    const parsed = JSON.parse(raw) as LiveBook;
    books.set(k, { raw, book: parsed });
    return parsed;
  };
  const book = (venue: string, marketId: number): Maybe<LiveBook | null> => {
    const k = key.book(venue, marketId);
    return andThen(read(k), (raw) => bookOf(k, raw));
  };

  return {
    markets: async (venue) => (await markets(venue)).list,
    market: (venue, marketId) => andThen(markets(venue), (c) => c.byId.get(marketId) ?? null),
    book,
    stats: async (venue, marketId) => parse<LiveStats>(await cache.get(key.stats(venue, marketId))),
    putMarkets: (venue, list) => cache.set(key.markets(venue), JSON.stringify(list)),
    putBook: (venue, book, json) => cache.set(key.book(venue, book.market_id), json ?? JSON.stringify(book), LIVE_TTL_MS),
    putStats: (venue, stats) => cache.set(key.stats(venue, stats.market_id), JSON.stringify(stats), LIVE_TTL_MS),
  };
}
