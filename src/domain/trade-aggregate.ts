/**
 * Trade aggregation at custom intervals (GET /api/v1/trades/aggregate): per bucket VWAP, volume,
 * quote notional and the taker buy/sell split, computed exactly (integers and bigints, no floats).
 * Also home of `NotionalSum`, the exact Σ price × size accumulator shared by candles and depth.
 */
import { divRound, formatScaled } from "../lib/decimal.ts";
import type { TradeRecord } from "../store/ports.ts";

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** A market's precision: venue units are price × 10^priceDecimals and size × 10^sizeDecimals. */
export interface MarketDecimals {
  priceDecimals: number;
  sizeDecimals: number;
}

/**
 * Exact Σ price × size over non-negative safe integers. A bigint per term would allocate on every
 * trade; instead terms are summed in a float while the running sum stays ≤ 2^53 − 1 (where floats
 * are exact integers) and spilled into a bigint only when it would not.
 *
 * Why the `<= MAX_SAFE` tests are exact: if the true product (or sum) is ≤ 2^53 − 1 the float result
 * is exact; if it is ≥ 2^53 the rounded float is ≥ 2^53 too, so it can never pass the test.
 */
export class NotionalSum {
  private small = 0;
  private big = 0n;

  /** Adds price × size. */
  add(price: number, size: number): void {
    const product = price * size;
    if (product <= MAX_SAFE) {
      const sum = this.small + product;
      if (sum <= MAX_SAFE) {
        this.small = sum;
        return;
      }
      this.big += BigInt(this.small);
      this.small = product;
      return;
    }
    this.big += BigInt(price) * BigInt(size);
  }

  /** Adds an already computed sum (a stored bar's quote volume). */
  addRaw(amount: bigint): void {
    this.big += amount;
  }

  /** The exact sum so far. */
  get value(): bigint {
    return this.small === 0 ? this.big : this.big + BigInt(this.small);
  }

  /** Back to zero, for reuse without allocating a new accumulator. */
  reset(): void {
    this.small = 0;
    this.big = 0n;
  }
}

/**
 * Decimals the VWAP is reported with beyond the market's price decimals. An average is finer than the
 * tick, and clients measure slippage against it in basis points; two more digits resolve 1% of a tick.
 */
export const VWAP_EXTRA_DECIMALS = 2;

/**
 * VWAP = Σ(price × size) / Σ size in price units × 10^extraDecimals, rounded half-up (all terms are
 * positive, so half-up and half-away-from-zero agree). Null when there is no volume.
 * The exact fraction is `notional / volume` itself; this is its rounded, fixed-point form.
 */
export function vwapScaled(notional: bigint, volume: number, extraDecimals = VWAP_EXTRA_DECIMALS): bigint | null {
  if (volume === 0) return null;
  return divRound(notional * 10n ** BigInt(extraDecimals), BigInt(volume));
}

/** One interval of trades: [start, end), with exact sums in venue units. */
export interface TradeBucket {
  start: number;
  /** Exclusive; the last bucket is clipped to the query's end. */
  end: number;
  count: number;
  /** Σ size (size units). */
  volume: number;
  /** Σ price × size (price units × size units); VWAP = notional / volume. */
  notional: bigint;
  /** Σ size of taker buys (isMakerAsk). */
  buyVolume: number;
  sellVolume: number;
  buyCount: number;
  sellCount: number;
}

export interface TradeAggregation {
  /** In time order. Dense (every interval, empty ones zeroed) unless `emptyBuckets: "omit"`. */
  buckets: TradeBucket[];
  /** The whole [start, end) range as one bucket. */
  total: TradeBucket;
}

export interface TradeAggregateOptions {
  /** Inclusive; the bucket grid starts here (align it first with `alignToInterval` for round times). */
  start: number;
  /** Exclusive. */
  end: number;
  /** Bucket length in ms, a positive integer (see `parseInterval`). */
  intervalMs: number;
  /**
   * "zero" (default): every interval is returned, empty ones with zero volume and a null VWAP, so a
   * chart gets a regular series. "omit": only intervals with trades.
   */
  emptyBuckets?: "zero" | "omit";
  /** Refuses ranges with more buckets than this (default `DEFAULT_MAX_BUCKETS`), to bound memory. */
  maxBuckets?: number;
}

/** Default cap on buckets per aggregation (e.g. one day at 1s is 86,400). */
export const DEFAULT_MAX_BUCKETS = 100_000;

/** Number of buckets [start, end) splits into at `intervalMs`; routes check it before aggregating. */
export function bucketCount(start: number, end: number, intervalMs: number): number {
  return end <= start ? 0 : Math.ceil((end - start) / intervalMs);
}

/**
 * Incremental aggregation: feed trades (or whole pages from the store) with `add`/`addAll`, then call
 * `finish`. Trades may arrive in any order; ones outside [start, end) are ignored (`add` says so).
 * State is one typed-array slot per bucket and field, so folding allocates nothing per trade.
 */
export class TradeAggregator {
  private readonly start: number;
  private readonly end: number;
  private readonly intervalMs: number;
  private readonly omitEmpty: boolean;
  private readonly volume: Float64Array;
  private readonly buyVolume: Float64Array;
  private readonly count: Float64Array;
  private readonly buyCount: Float64Array;
  /** Notional per bucket while it fits a float exactly; the excess spills into `notionalBig`. */
  private readonly notional: Float64Array;
  private readonly notionalBig = new Map<number, bigint>();

  constructor(opts: TradeAggregateOptions) {
    const { start, end, intervalMs } = opts;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
      throw new RangeError(`bad range [${start}, ${end})`);
    }
    if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) throw new RangeError(`bad interval ${intervalMs}`);
    const n = bucketCount(start, end, intervalMs);
    const max = opts.maxBuckets ?? DEFAULT_MAX_BUCKETS;
    if (n > max) throw new RangeError(`${n} buckets exceed the limit of ${max}`);
    this.start = start;
    this.end = end;
    this.intervalMs = intervalMs;
    this.omitEmpty = opts.emptyBuckets === "omit";
    this.volume = new Float64Array(n);
    this.buyVolume = new Float64Array(n);
    this.count = new Float64Array(n);
    this.buyCount = new Float64Array(n);
    this.notional = new Float64Array(n);
  }

  /** Folds one trade; returns false (and ignores it) when it lies outside [start, end). */
  add(trade: TradeRecord): boolean {
    const { ts, price, size } = trade;
    if (ts < this.start || ts >= this.end) return false;
    // Exact for integers below 2^53 with a bounded bucket count (see bucketCount/maxBuckets).
    const i = Math.floor((ts - this.start) / this.intervalMs);
    this.volume[i] = (this.volume[i] as number) + size;
    this.count[i] = (this.count[i] as number) + 1;
    if (trade.isMakerAsk) {
      this.buyVolume[i] = (this.buyVolume[i] as number) + size;
      this.buyCount[i] = (this.buyCount[i] as number) + 1;
    }
    const product = price * size;
    const sum = (this.notional[i] as number) + product;
    if (sum <= MAX_SAFE) {
      this.notional[i] = sum;
    } else {
      // Rare: move the float part and this term into the bigint spill (see NotionalSum).
      const spilled = BigInt(this.notional[i] as number) + BigInt(price) * BigInt(size);
      this.notionalBig.set(i, (this.notionalBig.get(i) ?? 0n) + spilled);
      this.notional[i] = 0;
    }
    return true;
  }

  /** Folds a page of trades; returns how many fell inside the range. */
  addAll(trades: readonly TradeRecord[]): number {
    let inside = 0;
    for (let k = 0; k < trades.length; k++) if (this.add(trades[k] as TradeRecord)) inside++;
    return inside;
  }

  /** The buckets and the total so far. Can be called more than once. */
  finish(): TradeAggregation {
    const n = this.volume.length;
    const buckets: TradeBucket[] = [];
    const total = emptyBucket(this.start, this.end);
    let totalSmall = 0;
    for (let i = 0; i < n; i++) {
      const count = this.count[i] as number;
      if (count === 0 && this.omitEmpty) continue;
      const small = this.notional[i] as number;
      const big = this.notionalBig.get(i);
      const notional = big === undefined ? BigInt(small) : big + BigInt(small);
      const volume = this.volume[i] as number;
      const buyVolume = this.buyVolume[i] as number;
      const buyCount = this.buyCount[i] as number;
      const start = this.start + i * this.intervalMs;
      buckets.push({
        start,
        end: Math.min(start + this.intervalMs, this.end),
        count,
        volume,
        notional,
        buyVolume,
        sellVolume: volume - buyVolume,
        buyCount,
        sellCount: count - buyCount,
      });
      total.count += count;
      total.volume += volume;
      total.buyVolume += buyVolume;
      total.buyCount += buyCount;
      if (big !== undefined) total.notional += big;
      if (totalSmall + small <= MAX_SAFE) totalSmall += small;
      else {
        total.notional += BigInt(totalSmall) + BigInt(small);
        totalSmall = 0;
      }
    }
    total.notional += BigInt(totalSmall);
    total.sellVolume = total.volume - total.buyVolume;
    total.sellCount = total.count - total.buyCount;
    return { buckets, total };
  }
}

function emptyBucket(start: number, end: number): TradeBucket {
  return { start, end, count: 0, volume: 0, notional: 0n, buyVolume: 0, sellVolume: 0, buyCount: 0, sellCount: 0 };
}

/**
 * Aggregates trades into `intervalMs` buckets over [start, end). Accepts any iterable, or an async
 * iterable (then returns a Promise) so a caller can stream pages from the store without holding the
 * range in memory. For page arrays, `TradeAggregator.addAll` avoids per-trade async overhead.
 * Throws RangeError for a bad range/interval or more buckets than `maxBuckets`.
 */
export function aggregateTrades(trades: Iterable<TradeRecord>, opts: TradeAggregateOptions): TradeAggregation;
export function aggregateTrades(trades: AsyncIterable<TradeRecord>, opts: TradeAggregateOptions): Promise<TradeAggregation>;
export function aggregateTrades(
  trades: Iterable<TradeRecord> | AsyncIterable<TradeRecord>,
  opts: TradeAggregateOptions,
): TradeAggregation | Promise<TradeAggregation> {
  const agg = new TradeAggregator(opts);
  if (Symbol.asyncIterator in trades) {
    return (async () => {
      for await (const trade of trades) agg.add(trade);
      return agg.finish();
    })();
  }
  if (Array.isArray(trades)) agg.addAll(trades);
  else for (const trade of trades) agg.add(trade);
  return agg.finish();
}

/** A bucket as decimal strings in the market's units (times stay ms epoch numbers). */
export interface FormattedTradeBucket {
  start: number;
  end: number;
  /** priceDecimals + vwapExtraDecimals places; null for an empty bucket. */
  vwap: string | null;
  volume: string;
  /** Quote notional, priceDecimals + sizeDecimals places (exact). */
  notional: string;
  buyVolume: string;
  sellVolume: string;
  count: number;
  buyCount: number;
  sellCount: number;
}

/**
 * Formats a bucket for the wire. VWAP is rounded half-up to priceDecimals + `vwapExtraDecimals`
 * (default VWAP_EXTRA_DECIMALS); volumes and notional are exact.
 */
export function formatTradeBucket(
  bucket: TradeBucket,
  decimals: MarketDecimals & { vwapExtraDecimals?: number },
): FormattedTradeBucket {
  const extra = decimals.vwapExtraDecimals ?? VWAP_EXTRA_DECIMALS;
  const vwap = vwapScaled(bucket.notional, bucket.volume, extra);
  return {
    start: bucket.start,
    end: bucket.end,
    vwap: vwap === null ? null : formatScaled(vwap, decimals.priceDecimals + extra),
    volume: formatScaled(bucket.volume, decimals.sizeDecimals),
    notional: formatScaled(bucket.notional, decimals.priceDecimals + decimals.sizeDecimals),
    buyVolume: formatScaled(bucket.buyVolume, decimals.sizeDecimals),
    sellVolume: formatScaled(bucket.sellVolume, decimals.sizeDecimals),
    count: bucket.count,
    buyCount: bucket.buyCount,
    sellCount: bucket.sellCount,
  };
}
