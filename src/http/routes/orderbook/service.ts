/**
 * The orderbook group, framework-free: the live book (a hot path: one cache read, then slices),
 * depth at a custom tick size from the live book, and stored snapshots by point or range.
 */
import type { Static } from "elysia";
import { aggregateDepth, formatDepth, type PriceBand } from "../../../domain/depth";
import { formatScaled, parseScaledNumber } from "../../../lib/decimal";
import { andThen, type Maybe } from "../../../lib/maybe";
import { AppError, badRequest, notFound } from "../../../lib/errors";
import type { LiveBook, MarketInfo, WireLevel } from "../../../market/live";
import type { BookSnapshotRecord, Level, MarketDataStore } from "../../../store/ports";
import type { MetaExtra } from "../../envelope";
import { type MarketDataSource, parseDecimalQuery, parseTime, requireMarket, resolveRange } from "../params";
import {
  BOOK_DEPTH,
  type BookData,
  type DepthData,
  type DepthQuery,
  SNAPSHOT_LIMITS,
  type Snapshot,
  type SnapshotQuery,
  type SnapshotsData,
} from "./model";

/** The live read model (current book) and the store (snapshots). */
export interface OrderbookDeps extends MarketDataSource {
  store: MarketDataStore;
}

/** The first `n` levels; the array itself when it is short enough (no copy on the hot path). */
const top = <T>(levels: T[], n: number): T[] => (levels.length <= n ? levels : levels.slice(0, n));

/** Reads behind GET /api/v1/orderbook/:market_id, …/depth and …/snapshots. */
export class OrderbookService {
  /**
   * `data` of the current book as JSON, per live book object (replaced whenever the book changes,
   * ~10 times a second) and per depth: read far more often than it changes, it is serialised once.
   */
  private readonly bookJsonCache = new WeakMap<LiveBook, Map<number, { symbol: string; json: string }>>();

  constructor(private readonly deps: OrderbookDeps) {}

  /** `book()` as the JSON text of the envelope's `data`, shared by every reader of one book version. */
  bookJson(marketId: number, depth: number = BOOK_DEPTH.default): Maybe<string> {
    // At once over the in-process cache (no promise on the hottest read); later over Redis.
    return andThen(requireMarket(this.deps, marketId), (market) => andThen(this.liveBook(market), (book) => this.serialised(market, book, depth)));
  }

  private serialised(market: MarketInfo, book: LiveBook, depth: number): string {
    let perBook = this.bookJsonCache.get(book);
    if (!perBook) this.bookJsonCache.set(book, (perBook = new Map()));
    // Keyed by depth; the symbol is checked too (a catalog change renames a market under one book).
    let hit = perBook.get(depth);
    if (hit === undefined || hit.symbol !== market.symbol) {
      hit = { symbol: market.symbol, json: JSON.stringify(bookData(market, book, depth)) };
      perBook.set(depth, hit);
    }
    return hit.json;
  }

  /** The current book, cut to `depth` levels per side. 503 while the feed has no book for the market. */
  async book(marketId: number, depth: number = BOOK_DEPTH.default): Promise<Static<typeof BookData>> {
    const market = await requireMarket(this.deps, marketId);
    return bookData(market, await this.liveBook(market), depth);
  }

  /** Depth re-bucketed at `tick_size` within an optional price band, from the live book's levels. */
  async depth(marketId: number, q: Static<typeof DepthQuery>): Promise<Static<typeof DepthData>> {
    const market = await requireMarket(this.deps, marketId);
    const tickSize = parseTick(q.tick_size, market.priceDecimals);
    const priceBand = parseBand(q, market.priceDecimals);
    const book = await this.liveBook(market);
    const pd = market.priceDecimals;
    const sd = market.sizeDecimals;
    const toLevels = (side: WireLevel[]): Level[] => side.map((l) => [parseScaledNumber(l.price, pd), parseScaledNumber(l.size, sd)] as const);
    const depth = formatDepth(
      aggregateDepth({ bids: toLevels(book.bids), asks: toLevels(book.asks), tickSize, priceBand, maxLevels: q.levels ?? BOOK_DEPTH.default }),
      market,
    );
    const level = (l: (typeof depth.bids)[number]) => ({
      price: l.price,
      size: l.size,
      cumulative_size: l.cumulativeSize,
      notional: l.notional,
      cumulative_notional: l.cumulativeNotional,
    });
    return {
      market_id: market.marketId,
      symbol: market.symbol,
      tick_size: depth.tickSize,
      bids: depth.bids.map(level),
      asks: depth.asks.map(level),
      best_bid: depth.bestBid,
      best_ask: depth.bestAsk,
      spread: depth.spread,
      mid: depth.mid,
      crossed: depth.crossed,
      nonce: book.nonce,
      timestamp: book.timestamp,
    };
  }

  /**
   * Point mode (`at`): the latest snapshot at or before it, 404 when there is none. Range mode
   * (`start`, optional `end`): snapshots in [start, end), oldest first, paged. Giving both is a 400.
   */
  async snapshots(marketId: number, q: Static<typeof SnapshotQuery>, now: number): Promise<{ data: Static<typeof SnapshotsData>; meta?: MetaExtra }> {
    if (q.at !== undefined && (q.start !== undefined || q.end !== undefined)) {
      throw badRequest("use either 'at' (the book as of one time) or 'start'/'end' (a range of snapshots), not both", { in: "query", field: "at" });
    }
    if (q.at === undefined && q.start === undefined) {
      throw badRequest("query parameter 'at' (the book as of one time) or 'start' (a range of snapshots) is required", { in: "query", field: "at" });
    }
    const market = await requireMarket(this.deps, marketId);
    const depth = q.depth ?? BOOK_DEPTH.default;
    const base = { venue: this.deps.venue, marketId: market.marketId };
    if (q.at !== undefined) {
      const at = parseTime("at", q.at);
      const snap = await this.deps.store.bookSnapshotAt({ ...base, ts: at });
      if (!snap) throw notFound(`no order book snapshot of market ${market.marketId} at or before ${new Date(at).toISOString()}`);
      return { data: { market_id: market.marketId, symbol: market.symbol, mode: "at", snapshots: [formatSnapshot(snap, market, depth)] } };
    }
    const range = resolveRange(q, now, { maxMs: SNAPSHOT_LIMITS.maxRangeMs });
    const limit = q.limit ?? SNAPSHOT_LIMITS.default;
    const offset = q.offset ?? 0;
    const page = await this.deps.store.queryBookSnapshots({ ...base, ...range, limit, offset });
    return {
      data: { market_id: market.marketId, symbol: market.symbol, mode: "range", snapshots: page.rows.map((s) => formatSnapshot(s, market, depth)) },
      meta: { total: page.total, limit, offset },
    };
  }

  private liveBook(market: MarketInfo): Maybe<LiveBook> {
    return andThen(this.deps.live.book(this.deps.venue, market.marketId), (book) => {
      if (!book) {
        throw new AppError("service_unavailable", `no live order book for market ${market.marketId} (${market.symbol}) yet: the venue feed has not synced it; retry shortly`, {
          headers: { "retry-after": "1" },
        });
      }
      return book;
    });
  }
}

/** The live book as the route's `data`, cut to `depth` levels per side. */
function bookData(market: MarketInfo, book: LiveBook, depth: number): Static<typeof BookData> {
  return {
    market_id: market.marketId,
    symbol: market.symbol,
    bids: top(book.bids, depth),
    asks: top(book.asks, depth),
    best_bid: book.best_bid,
    best_ask: book.best_ask,
    spread: book.spread,
    mid: book.mid,
    nonce: book.nonce,
    timestamp: book.timestamp,
  };
}

/** tick_size → price units: a positive whole multiple of the market's tick. */
function parseTick(text: string | undefined, priceDecimals: number): number {
  if (text === undefined) return 1;
  const floor = parseDecimalQuery("tick_size", text, priceDecimals, "floor");
  const tick = formatScaled(1, priceDecimals);
  if (floor === 0 || floor !== parseDecimalQuery("tick_size", text, priceDecimals, "ceil")) {
    throw badRequest(`query parameter 'tick_size' must be a positive multiple of the market's tick ${tick}; got '${text}'`, { in: "query", field: "tick_size" });
  }
  return floor;
}

/** The optional price band: ± pct around the mid, or inclusive min/max (rounded inward to the tick). */
function parseBand(q: Static<typeof DepthQuery>, priceDecimals: number): PriceBand | undefined {
  const hasMinMax = q.min_price !== undefined || q.max_price !== undefined;
  if (q.pct_from_mid !== undefined) {
    if (hasMinMax) throw badRequest("use either 'pct_from_mid' or 'min_price'/'max_price', not both", { in: "query", field: "pct_from_mid" });
    return { pctFromMid: q.pct_from_mid };
  }
  if (!hasMinMax) return undefined;
  const min = q.min_price === undefined ? undefined : parseDecimalQuery("min_price", q.min_price, priceDecimals, "ceil");
  const max = q.max_price === undefined ? undefined : parseDecimalQuery("max_price", q.max_price, priceDecimals, "floor");
  if (min !== undefined && max !== undefined && min > max) {
    throw badRequest(`query parameter 'min_price' (${q.min_price}) must not be above 'max_price' (${q.max_price})`, { in: "query", field: "min_price" });
  }
  return { min, max };
}

/** A stored snapshot (integer levels) as the wire shape, cut to `depth` levels per side. */
function formatSnapshot(s: BookSnapshotRecord, m: MarketInfo, depth: number): Static<typeof Snapshot> {
  const pd = m.priceDecimals;
  const fmt = (levels: Level[]) => top(levels, depth).map(([price, size]) => ({ price: formatScaled(price, pd), size: formatScaled(size, m.sizeDecimals) }));
  const bb = s.bids.find((l) => l[1] > 0)?.[0];
  const ba = s.asks.find((l) => l[1] > 0)?.[0];
  const both = bb !== undefined && ba !== undefined;
  return {
    timestamp: s.ts,
    nonce: s.nonce,
    bids: fmt(s.bids),
    asks: fmt(s.asks),
    best_bid: bb === undefined ? null : formatScaled(bb, pd),
    best_ask: ba === undefined ? null : formatScaled(ba, pd),
    spread: both ? formatScaled(ba - bb, pd) : null,
    // Same convention as the live book: one extra decimal keeps a half-tick mid exact.
    mid: both ? formatScaled((bb + ba) * 5, pd + 1) : null,
  };
}
