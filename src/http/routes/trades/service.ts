/**
 * Trades & candles, framework-free. Trade history pages straight from the store; aggregation
 * streams the range through `TradeAggregator` page by page (never the whole range in memory);
 * candles are the stored bars of the requested resolution, encoded to JSON bytes (candles-json.ts)
 * and reused while unchanged (candle-chunks.ts).
 */
import type { Static } from "elysia";
import { alignTime, parseInterval, RESOLUTION_MS } from "../../../domain/time";
import { bucketCount, formatTradeBucket, type TradeBucket, TradeAggregator } from "../../../domain/trade-aggregate";
import { badRequest } from "../../../lib/errors";
import type { MarketInfo } from "../../../market/live";
import type { Cursor, MarketDataStore, TradeRecord } from "../../../store/ports";
import type { MetaExtra } from "../../envelope";
import { CandleChunkCache } from "./candle-chunks";
import { type MarketDataSource, requireMarket, resolveRange } from "../params";
import { formatNotional, formatUnits } from "../../../lib/decimal";
import {
  AGGREGATE_LIMITS,
  type AggregateData,
  type AggregateQuery,
  type Bucket,
  CANDLE_LIMITS,
  type CandlesQuery,
  TRADE_LIMITS,
  type Trade,
  type TradesData,
  type TradesQuery,
} from "./model";

/** The store (trades, candles) and the live catalog (markets and their decimals). */
export interface TradesDeps extends MarketDataSource {
  store: MarketDataStore;
  /** Trades read from the store per page while aggregating (default AGGREGATE_LIMITS.pageSize). */
  aggregatePageSize?: number;
}

/** Reads behind GET /api/v1/trades/by-time, /api/v1/trades/aggregate and /api/v1/candles. */
export class TradesService {
  /** Encoded candle bars, reused while the store returns them unchanged. */
  private readonly encodedBars = new CandleChunkCache();

  constructor(private readonly deps: TradesDeps) {}

  /** Trades in [start, end), oldest first, paged, optionally one taker side only. */
  async byTime(q: Static<typeof TradesQuery>, now: number): Promise<{ data: Static<typeof TradesData>; meta: MetaExtra }> {
    const range = resolveRange(q, now, { maxMs: TRADE_LIMITS.maxRangeMs });
    const market = await requireMarket(this.deps, q.market_id);
    const limit = q.limit ?? TRADE_LIMITS.default;
    const offset = q.offset ?? 0;
    const page = await this.deps.store.queryTrades({ venue: this.deps.venue, marketId: market.marketId, ...range, limit, offset, side: q.side });
    return {
      data: { market_id: market.marketId, symbol: market.symbol, trades: page.rows.map((r) => formatTrade(r, market)) },
      meta: { total: page.total, limit, offset },
    };
  }

  /** Per-interval VWAP, volume, notional and the taker buy/sell split over [start, end), plus totals. */
  async aggregate(q: Static<typeof AggregateQuery>, now: number): Promise<Static<typeof AggregateData>> {
    const interval = q.interval ?? AGGREGATE_LIMITS.defaultInterval;
    const intervalMs = parseInterval(interval);
    if (intervalMs === null) {
      throw badRequest(`query parameter 'interval' must be a count and one unit of s, m, h, d or w, from 1s to 1w (e.g. 1s, 15m, 4h, 1d); got '${interval}'`, {
        in: "query",
        field: "interval",
      });
    }
    const range = resolveRange(q, now, { maxMs: AGGREGATE_LIMITS.maxRangeMs });
    const buckets = bucketCount(range.start, range.end, intervalMs);
    if (buckets > AGGREGATE_LIMITS.maxBuckets) {
      throw badRequest(
        `too many buckets: ${buckets} intervals of ${interval} in the range, at most ${AGGREGATE_LIMITS.maxBuckets} per request; use a longer 'interval' or a shorter range`,
        { in: "query", field: "interval", max_buckets: AGGREGATE_LIMITS.maxBuckets },
      );
    }
    const market = await requireMarket(this.deps, q.market_id);
    const agg = new TradeAggregator({ ...range, intervalMs, maxBuckets: AGGREGATE_LIMITS.maxBuckets });
    await this.streamTrades(market.marketId, range.start, range.end, (page) => agg.addAll(page));
    const result = agg.finish();
    return {
      market_id: market.marketId,
      symbol: market.symbol,
      interval,
      interval_ms: intervalMs,
      ...range,
      buckets: result.buckets.map((b) => formatBucket(b, market)),
      totals: formatBucket(result.total, market),
    };
  }

  /**
   * Stored candles of one resolution as the `data` object's JSON bytes, in parts to send in order
   * (the 10,000-row path: bars read now, encoded once and reused while unchanged; see
   * candle-chunks.ts), and the meta to send with it.
   */
  async candlesJson(q: Static<typeof CandlesQuery>, now: number): Promise<{ data: Uint8Array[]; meta: MetaExtra }> {
    const limit = q.limit ?? CANDLE_LIMITS.default;
    const barMs = RESOLUTION_MS[q.resolution];
    // Without a start: the `limit` bar slots that open before `end`, i.e. the latest bars.
    const defaultStart = (end: number) => alignTime(end - 1, q.resolution) - (limit - 1) * barMs;
    const range = resolveRange(q, now, { maxMs: Number.POSITIVE_INFINITY, defaultStart });
    const market = await requireMarket(this.deps, q.market_id);
    const rows = await this.deps.store.queryCandles({ venue: this.deps.venue, marketId: market.marketId, resolution: q.resolution, ...range, limit });
    const meta: MetaExtra = { limit };
    const last = rows[rows.length - 1];
    // A full page from an explicit start may have more after it: say where to continue.
    if (q.start !== undefined && last !== undefined && rows.length === limit) meta.next_start = last.openTime + 1;
    return { data: this.encodedBars.encode(market, q.resolution, rows), meta };
  }

  /** Feeds `sink` every trade of [start, end) in (ts, id) order, `pageSize` at a time. */
  private async streamTrades(marketId: number, start: number, end: number, sink: (page: readonly TradeRecord[]) => void): Promise<void> {
    const size = this.deps.aggregatePageSize ?? AGGREGATE_LIMITS.pageSize;
    let after: Cursor = { ts: start - 1, id: Number.MAX_SAFE_INTEGER };
    for (;;) {
      const page = await this.deps.store.readTradesAfter({ venue: this.deps.venue, marketId, end, after, limit: size });
      const first = page[0];
      // The port promises rows strictly after the cursor; tolerate an adapter that repeats it.
      sink(first !== undefined && first.ts === after.ts && first.tradeId === after.id ? page.slice(1) : page);
      const last = page[page.length - 1];
      if (page.length < size || last === undefined) return;
      after = { ts: last.ts, id: last.tradeId };
    }
  }
}

/** One stored trade on the wire. */
export function formatTrade(r: TradeRecord, m: MarketInfo): Static<typeof Trade> {
  return {
    trade_id: r.tradeId,
    market_id: r.marketId,
    price: formatUnits(r.price, m.priceDecimals),
    size: formatUnits(r.size, m.sizeDecimals),
    side: r.isMakerAsk ? "buy" : "sell",
    is_maker_ask: r.isMakerAsk,
    ask_account_id: r.askAccountId,
    bid_account_id: r.bidAccountId,
    type: r.kind,
    usd_amount: formatNotional(r.price, r.size, m.priceDecimals + m.sizeDecimals),
    timestamp: r.ts,
  };
}

function formatBucket(b: TradeBucket, m: MarketInfo): Static<typeof Bucket> {
  const f = formatTradeBucket(b, m);
  return {
    start: f.start,
    end: f.end,
    vwap: f.vwap,
    volume: f.volume,
    notional: f.notional,
    count: f.count,
    buy_volume: f.buyVolume,
    sell_volume: f.sellVolume,
    buy_count: f.buyCount,
    sell_count: f.sellCount,
  };
}

export { encodeCandlesData } from "./candles-json";
