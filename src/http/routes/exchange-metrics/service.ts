/**
 * Exchange metrics history, framework-free. For each bucket of the chosen resolution, per market or
 * as exchange totals:
 * - volume, quote volume and trades from the stored candles of that resolution (one bar per bucket,
 *   the numbers /candles serves — never re-aggregated from raw trades);
 * - open interest, mark price and funding rate from the bucket's last per-minute metric sample;
 * - liquidation count and USD volume from the stored liquidations, read in pages up to a bound.
 * All sums are exact (bigint, at the finest precision of what is added).
 */
import type { Static } from "elysia";
import { alignTime, MINUTE_MS, RESOLUTION_MS } from "../../../domain/time";
import type { Clock } from "../../../lib/clock";
import { formatScaled, formatUnits, parseScaled, rescale } from "../../../lib/decimal";
import { badRequest } from "../../../lib/errors";
import type { MarketInfo } from "../../../market/live";
import type { LiquidationRecord, MarketDataStore, MarketMetricRecord, Venue } from "../../../store/ports";
import type { MetaExtra } from "../../envelope";
import { type MarketDataSource, optionalMarket, resolveRange } from "../params";
import { type MetricsBucket, type MetricsData, type MetricsQuery, METRICS_LIMITS } from "./model";

/** What the metrics group reads: the store (candles, samples, liquidations), the live catalog, the clock. */
export interface ExchangeMetricsDeps extends MarketDataSource {
  store: MarketDataStore;
  clock: Clock;
}

type Query = Static<typeof MetricsQuery>;
type Bucket = Static<typeof MetricsBucket>;

/** An exact decimal: value × 10^-decimals. */
interface Scaled {
  value: bigint;
  decimals: number;
}

/** What is added up per bucket before formatting. */
interface Acc {
  volume: number;
  quote: bigint;
  trades: number;
  oi: Scaled | null;
  /** Market scope only: the last sample itself. */
  sample: MarketMetricRecord | null;
  liquidations: number;
  liquidationQuote: bigint;
}

/** The grid of a request: `count` buckets of `ms` starting at `start` (aligned). */
interface BucketGrid {
  start: number;
  ms: number;
  count: number;
}

/** Serves /exchange/metrics: one bucket grid per request, filled from stored history. */
export class ExchangeMetricsService {
  constructor(private readonly deps: ExchangeMetricsDeps) {}

  /** Buckets of `resolution` whose start is in [start, end), at most `limit`, oldest first. */
  async metrics(q: Query, now: number): Promise<{ data: Static<typeof MetricsData>; meta: MetaExtra }> {
    const limit = q.limit ?? METRICS_LIMITS.default;
    const ms = RESOLUTION_MS[q.resolution];
    // Without a start: the `limit` bucket slots that start before `end`, i.e. the latest ones.
    const defaultStart = (end: number) => alignTime(end - 1, q.resolution) - (limit - 1) * ms;
    const range = resolveRange(q, now, { maxMs: Number.POSITIVE_INFINITY, defaultStart });
    const market = await optionalMarket(this.deps, q.market_id);
    const scope = market ? [market] : [...(await this.deps.live.markets(this.deps.venue))].sort((a, b) => a.marketId - b.marketId);

    const aligned = alignTime(range.start, q.resolution);
    const first = aligned === range.start ? aligned : aligned + ms;
    const total = first < range.end ? Math.floor((range.end - 1 - first) / ms) + 1 : 0;
    const grid: BucketGrid = { start: first, ms, count: Math.min(total, limit) };
    const meta: MetaExtra = { total, limit };
    if (total > grid.count) meta.next_start = first + grid.count * ms;

    // One precision per response for each summed column: the finest any market in scope needs.
    const quoteDecimals = Math.max(0, ...scope.map((m) => m.priceDecimals + m.sizeDecimals));
    const accs = await this.collect({ grid, resolution: q.resolution, scope, oneMarket: market !== undefined, quoteDecimals, now });
    const oiDecimals = Math.max(0, ...accs.map((a) => a.oi?.decimals ?? 0));
    const buckets = accs.map((a, i): Bucket => ({
      timestamp: grid.start + i * ms,
      volume: market ? formatUnits(a.volume, market.sizeDecimals) : null,
      quote_volume: formatScaled(a.quote, quoteDecimals),
      trades: a.trades,
      open_interest_usd: market ? (a.sample?.openInterestUsd ?? null) : a.oi && formatScaled(rescale(a.oi.value, a.oi.decimals, oiDecimals), oiDecimals),
      mark_price: market && a.sample ? formatUnits(a.sample.markPrice, market.priceDecimals) : null,
      funding_rate: market ? (a.sample?.fundingRate ?? null) : null,
      liquidations: a.liquidations,
      liquidation_volume_usd: formatScaled(a.liquidationQuote, quoteDecimals),
    }));
    return {
      data: { scope: market ? "market" : "exchange", market_id: market?.marketId ?? null, symbol: market?.symbol ?? null, resolution: q.resolution, buckets },
      meta,
    };
  }

  /** Reads candles, samples and liquidations of the grid for the markets in scope and folds them per bucket. */
  private async collect(c: {
    grid: BucketGrid;
    resolution: Query["resolution"];
    scope: MarketInfo[];
    oneMarket: boolean;
    /** Decimals of the summed quote columns. */
    quoteDecimals: number;
    now: number;
  }): Promise<Acc[]> {
    const { grid, resolution, scope, oneMarket, quoteDecimals } = c;
    const accs: Acc[] = Array.from({ length: grid.count }, () => ({
      volume: 0, quote: 0n, trades: 0, oi: null, sample: null, liquidations: 0, liquidationQuote: 0n,
    }));
    if (grid.count === 0 || scope.length === 0) return accs;
    const { store, venue } = this.deps;
    const end = grid.start + grid.count * grid.ms;
    const byId = new Map(scope.map((m) => [m.marketId, m]));
    const at = (ts: number) => Math.floor((ts - grid.start) / grid.ms);
    /** A market's quote units (price × size units) at the response's common precision. */
    const quoteOf = (marketId: number, v: bigint) => {
      const m = byId.get(marketId) as MarketInfo;
      return rescale(v, m.priceDecimals + m.sizeDecimals, quoteDecimals);
    };

    const [bars, samples, liquidations] = await Promise.all([
      Promise.all(scope.map((m) => store.queryCandles({ venue, marketId: m.marketId, resolution, start: grid.start, end, limit: grid.count }))),
      lastSamplePerBucket(store, { venue, marketIds: scope.map((m) => m.marketId), oneMarket, grid, now: c.now }),
      this.liquidations(oneMarket ? scope[0]?.marketId : undefined, grid.start, end),
    ]);

    for (const bar of bars.flat()) {
      const acc = accs[at(bar.openTime)];
      if (!acc) continue;
      acc.volume += bar.volume;
      acc.quote += quoteOf(bar.marketId, bar.quoteVolume);
      acc.trades += bar.tradeCount;
    }
    samples.forEach((perMarket, i) => {
      const acc = accs[i] as Acc;
      for (const s of perMarket.values()) {
        if (oneMarket) acc.sample = s;
        acc.oi = addScaled(acc.oi, decimalOf(s.openInterestUsd));
      }
    });
    for (const l of liquidations) {
      const acc = accs[at(l.ts)];
      // Exchange totals cover the markets the venue lists (a delisted market has no decimals).
      if (!acc || !byId.has(l.marketId)) continue;
      acc.liquidations += 1;
      acc.liquidationQuote += quoteOf(l.marketId, BigInt(l.price) * BigInt(l.size));
    }
    return accs;
  }

  /** Every liquidation in [start, end) (of one market or all), refusing more than the bound. */
  private async liquidations(marketId: number | undefined, start: number, end: number): Promise<LiquidationRecord[]> {
    const page = METRICS_LIMITS.liquidationPage;
    const read = (offset: number) => this.deps.store.queryLiquidations({ venue: this.deps.venue, marketId, start, end, limit: page, offset });
    const first = await read(0);
    if (first.total > METRICS_LIMITS.maxLiquidations) {
      throw badRequest(
        `too many liquidations: ${first.total} in the requested buckets, at most ${METRICS_LIMITS.maxLiquidations} per request; use a smaller 'limit' or a shorter range`,
        { in: "query", field: "limit", max_liquidations: METRICS_LIMITS.maxLiquidations },
      );
    }
    // Keyed by id: a row written into the range between two pages must not be counted twice.
    const rows = new Map(first.rows.map((l) => [`${l.marketId}:${l.id}`, l]));
    for (let offset = page; offset < first.total; offset += page) {
      for (const l of (await read(offset)).rows) rows.set(`${l.marketId}:${l.id}`, l);
    }
    return [...rows.values()];
  }
}

/** Rows per read when a 1m grid reads its whole window (paged by time). */
const SAMPLE_PAGE = 20_000;
/** Rows asked for when reading one minute of every market; markets past it are found by the per-market fallback. */
const MINUTE_ROWS = 10_000;

/**
 * The last metric sample of each bucket, per market in `marketIds` (index = bucket of the grid).
 *
 * Samples are one per market per minute (the store refuses a ts off the minute), so a bucket's last
 * sample is normally the one of its last minute — or, for the bucket still open, of the current
 * minute. Coarse grids read that one minute per bucket (for every market at once) instead of every
 * minute of the window (a week of samples per weekly bucket). A market missing from it (the ingest
 * was down, the feed stale) is searched backwards through its bucket in growing windows, which
 * reads about as many rows as the gap is long. Each market's first sample in the window bounds the
 * search (nothing before it, e.g. before the market was listed). A 1m grid reads its window once:
 * every sample is the last of its bucket.
 */
async function lastSamplePerBucket(
  store: MarketDataStore,
  q: { venue: Venue; marketIds: readonly number[]; oneMarket: boolean; grid: BucketGrid; now: number },
): Promise<Map<number, MarketMetricRecord>[]> {
  const { venue, grid } = q;
  const out = Array.from({ length: grid.count }, () => new Map<number, MarketMetricRecord>());
  const wanted = new Set(q.marketIds);
  const one = q.oneMarket ? q.marketIds[0] : undefined;
  const end = grid.start + grid.count * grid.ms;
  const keep = (r: MarketMetricRecord) => {
    if (wanted.has(r.marketId)) out[Math.floor((r.ts - grid.start) / grid.ms)]?.set(r.marketId, r);
  };

  if (grid.ms === MINUTE_MS) {
    for (let from = grid.start; ; ) {
      const rows = await store.queryMarketMetrics({ venue, marketId: one, start: from, end, limit: SAMPLE_PAGE });
      rows.forEach(keep);
      const last = rows[rows.length - 1];
      if (rows.length < SAMPLE_PAGE || !last) return out;
      // The last minute of a full page may go on in the next one: read it again (keeping is idempotent).
      if (last.ts === from) throw new Error(`more than ${SAMPLE_PAGE} market metric samples in one minute`);
      from = last.ts;
    }
  }

  const firstSeen = new Map<number, number>();
  await Promise.all(
    q.marketIds.map(async (marketId) => {
      const [row] = await store.queryMarketMetrics({ venue, marketId, start: grid.start, end, limit: 1 });
      if (row) firstSeen.set(marketId, row.ts);
    }),
  );
  if (firstSeen.size === 0) return out;
  /** End of the current minute: nothing is sampled past it yet. */
  const present = alignTime(q.now, "1m") + MINUTE_MS;

  await Promise.all(
    out.map(async (found, i) => {
      const bucketStart = grid.start + i * grid.ms;
      const upTo = Math.min(bucketStart + grid.ms, present);
      const expected = [...firstSeen].filter(([, ts]) => ts < upTo);
      if (expected.length === 0) return;
      const lastMinute = upTo - MINUTE_MS;
      const tail = await store.queryMarketMetrics({ venue, marketId: one, start: lastMinute, end: upTo, limit: one === undefined ? MINUTE_ROWS : 1 });
      tail.forEach(keep);
      await Promise.all(
        expected.map(async ([marketId, firstTs]) => {
          if (found.has(marketId)) return;
          const last = await latestBefore(store, { venue, marketId, from: Math.max(bucketStart, firstTs), before: lastMinute });
          if (last) found.set(marketId, last);
        }),
      );
    }),
  );
  return out;
}

/**
 * A market's latest sample in [from, before), read backwards in windows of 1, 4, 16… minutes: a gap
 * of g minutes costs O(log g) reads of O(g) rows, whatever the bucket length.
 */
async function latestBefore(
  store: MarketDataStore,
  q: { venue: Venue; marketId: number; from: number; before: number },
): Promise<MarketMetricRecord | undefined> {
  for (let width = MINUTE_MS, hi = q.before; hi > q.from; width *= 4) {
    const lo = Math.max(q.from, hi - width);
    const rows = await store.queryMarketMetrics({ venue: q.venue, marketId: q.marketId, start: lo, end: hi, limit: Math.ceil((hi - lo) / MINUTE_MS) });
    const last = rows[rows.length - 1];
    if (last) return last;
    hi = lo;
  }
  return undefined;
}

/** A venue decimal string as an exact scaled integer at its own precision (the store only keeps plain decimals). */
function decimalOf(text: string): Scaled {
  const dot = text.indexOf(".");
  const decimals = dot < 0 ? 0 : text.length - dot - 1;
  return { value: parseScaled(text, decimals) ?? 0n, decimals };
}

/** Exact a + b at the finer of their precisions. */
function addScaled(a: Scaled | null, b: Scaled): Scaled {
  if (!a) return b;
  const decimals = Math.max(a.decimals, b.decimals);
  return { value: rescale(a.value, a.decimals, decimals) + rescale(b.value, b.decimals, decimals), decimals };
}
