/**
 * Depth aggregation at a custom tick size (GET /api/v1/orderbook/:market_id/depth and the derived
 * WS views): re-buckets L2 levels, with cumulative size and exact notional, plus the exact touch,
 * mid and spread. Pure: it reads level arrays, it does not own a book.
 */
import { formatScaled } from "../lib/decimal.ts";
import type { Level } from "../store/ports.ts";
import { type MarketDecimals, NotionalSum } from "./trade-aggregate.ts";

/** Inclusive bounds on bucket prices (price units), or a symmetric band of ± pct % around the mid. */
export type PriceBand = { min?: number; max?: number } | { pctFromMid: number };

export interface DepthOptions {
  /** Best first (highest price). Other orders are accepted but cost a sorted copy. */
  bids: readonly Level[];
  /** Best first (lowest price). */
  asks: readonly Level[];
  /** Bucket width in price units: a positive safe integer (1 = the venue's own price precision). */
  tickSize: number;
  priceBand?: PriceBand;
  /** At most this many buckets per side, from the touch outward. */
  maxLevels?: number;
}

/** One bucket. Sizes in size units, notionals in price units × size units. */
export interface DepthLevel {
  /** Bucket price: bids floored, asks ceiled to the tick, so buckets never look better than the book. */
  price: number;
  size: number;
  /** Size of this bucket and every bucket nearer the touch. */
  cumulativeSize: number;
  /** Σ raw price × size of the levels in the bucket (what the liquidity is really worth, not bucket price × size). */
  notional: bigint;
  cumulativeNotional: bigint;
}

/** Extra decimals of `midScaled`: the mid of two integers is always a multiple of 0.5. */
export const MID_EXTRA_DECIMALS = 1;

export interface AggregatedDepth {
  tickSize: number;
  bids: DepthLevel[];
  asks: DepthLevel[];
  /** Raw touch of the whole book (not bucketed, not banded); null for an empty side. */
  bestBid: number | null;
  bestAsk: number | null;
  /** (bestBid + bestAsk) / 2 in price units × 10 (MID_EXTRA_DECIMALS), exact; null unless both sides exist. */
  midScaled: number | null;
  /** bestAsk − bestBid in price units; ≤ 0 when the book is crossed or locked. */
  spread: number | null;
  /** bestBid ≥ bestAsk: a transient state during venue updates, reported rather than hidden. */
  crossed: boolean;
}

/**
 * Buckets both sides at `tickSize`. Bids floor and asks ceil to the tick, so the aggregated best bid
 * is never above, nor the best ask below, the real one. The band filters bucket prices (every bucket
 * is wholly in or out); `pctFromMid` is measured from the exact mid, or from the only side's best
 * when one side is empty. Zero-size levels (deletions) are skipped. Throws RangeError on bad options.
 */
export function aggregateDepth(opts: DepthOptions): AggregatedDepth {
  const { tickSize } = opts;
  if (!Number.isSafeInteger(tickSize) || tickSize <= 0) throw new RangeError(`bad tick size ${tickSize}`);
  const maxLevels = opts.maxLevels ?? Number.POSITIVE_INFINITY;
  if (maxLevels !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(maxLevels) || maxLevels <= 0)) {
    throw new RangeError(`bad maxLevels ${maxLevels}`);
  }
  const bids = inOrder(opts.bids, true);
  const asks = inOrder(opts.asks, false);
  const bestBid = touch(bids);
  const bestAsk = touch(asks);
  const [lo, hi] = bandBounds(opts.priceBand, bestBid, bestAsk);
  const both = bestBid !== null && bestAsk !== null;
  return {
    tickSize,
    bids: bucketSide(bids, tickSize, true, lo, hi, maxLevels),
    asks: bucketSide(asks, tickSize, false, lo, hi, maxLevels),
    bestBid,
    bestAsk,
    midScaled: both ? (bestBid + bestAsk) * 5 : null,
    spread: both ? bestAsk - bestBid : null,
    crossed: both && bestBid >= bestAsk,
  };
}

/** The levels best first; the input itself when already so (the book's natural order). */
function inOrder(levels: readonly Level[], isBid: boolean): readonly Level[] {
  for (let i = 1; i < levels.length; i++) {
    const prev = (levels[i - 1] as Level)[0];
    const cur = (levels[i] as Level)[0];
    if (isBid ? cur > prev : cur < prev) {
      return [...levels].sort(isBid ? (a, b) => b[0] - a[0] : (a, b) => a[0] - b[0]);
    }
  }
  return levels;
}

function touch(levels: readonly Level[]): number | null {
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as Level;
    if (level[1] > 0) return level[0];
  }
  return null;
}

const PCT_SCALE = 100_000_000n; // 100 % in millionths of a percent

/** Inclusive [lo, hi] on bucket prices. */
function bandBounds(band: PriceBand | undefined, bestBid: number | null, bestAsk: number | null): [number, number] {
  if (band === undefined) return [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  if ("pctFromMid" in band) {
    const pct = band.pctFromMid;
    if (!Number.isFinite(pct) || pct <= 0) throw new RangeError(`bad pctFromMid ${pct}`);
    const twiceRef = bestBid !== null && bestAsk !== null ? bestBid + bestAsk : 2 * (bestBid ?? bestAsk ?? 0);
    if (twiceRef === 0) return [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
    // Exact rational bounds ref × (1 ± pct/100), with pct in millionths of a percent: no float drift
    // decides whether a bucket exactly on the edge is in.
    const pctMicro = BigInt(Math.round(pct * 1_000_000));
    const ref2 = BigInt(twiceRef);
    const den = 2n * PCT_SCALE;
    const loNum = ref2 * (PCT_SCALE - pctMicro);
    const lo = loNum <= 0n ? Number.NEGATIVE_INFINITY : Number((loNum + den - 1n) / den);
    const hi = Number((ref2 * (PCT_SCALE + pctMicro)) / den);
    return [lo, hi];
  }
  const lo = band.min ?? Number.NEGATIVE_INFINITY;
  const hi = band.max ?? Number.POSITIVE_INFINITY;
  if (Number.isNaN(lo) || Number.isNaN(hi)) throw new RangeError("bad price band");
  return [lo, hi];
}

/** Walks one side from the touch outward, merging consecutive levels of the same bucket. */
function bucketSide(
  levels: readonly Level[],
  tick: number,
  isBid: boolean,
  lo: number,
  hi: number,
  maxLevels: number,
): DepthLevel[] {
  const out: DepthLevel[] = [];
  const notional = new NotionalSum();
  let bucket = Number.NaN;
  let size = 0;
  let cumSize = 0;
  let cumNotional = 0n;
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as Level;
    const price = level[0];
    const levelSize = level[1];
    if (levelSize <= 0) continue;
    // `%` on integer-valued doubles is exact, unlike flooring a quotient.
    const rem = price % tick;
    const b = rem === 0 ? price : isBid ? price - rem : price - rem + tick;
    if (b !== bucket) {
      // Buckets move away from the touch: past the far edge of the band nothing more can qualify.
      if (isBid ? b < lo : b > hi) break;
      if (isBid ? b > hi : b < lo) continue;
      if (size > 0) {
        const n = notional.value;
        cumSize += size;
        cumNotional += n;
        out.push({ price: bucket, size, cumulativeSize: cumSize, notional: n, cumulativeNotional: cumNotional });
        size = 0;
        notional.reset();
      }
      if (out.length >= maxLevels) return out;
      bucket = b;
    }
    size += levelSize;
    notional.add(price, levelSize);
  }
  if (size > 0) {
    const n = notional.value;
    cumSize += size;
    cumNotional += n;
    out.push({ price: bucket, size, cumulativeSize: cumSize, notional: n, cumulativeNotional: cumNotional });
  }
  return out;
}

/** A depth level as decimal strings. */
export interface FormattedDepthLevel {
  price: string;
  size: string;
  cumulativeSize: string;
  notional: string;
  cumulativeNotional: string;
}

/** Aggregated depth as decimal strings in the market's units. */
export interface FormattedDepth {
  tickSize: string;
  bids: FormattedDepthLevel[];
  asks: FormattedDepthLevel[];
  bestBid: string | null;
  bestAsk: string | null;
  /** priceDecimals + 1 places, always, so a half-tick mid is exact and the width is stable. */
  mid: string | null;
  spread: string | null;
  crossed: boolean;
}

/** Formats depth for the wire: prices at priceDecimals, sizes at sizeDecimals, notionals at both. */
export function formatDepth(depth: AggregatedDepth, decimals: MarketDecimals): FormattedDepth {
  const { priceDecimals: pd, sizeDecimals: sd } = decimals;
  const level = (l: DepthLevel): FormattedDepthLevel => ({
    price: formatScaled(l.price, pd),
    size: formatScaled(l.size, sd),
    cumulativeSize: formatScaled(l.cumulativeSize, sd),
    notional: formatScaled(l.notional, pd + sd),
    cumulativeNotional: formatScaled(l.cumulativeNotional, pd + sd),
  });
  return {
    tickSize: formatScaled(depth.tickSize, pd),
    bids: depth.bids.map(level),
    asks: depth.asks.map(level),
    bestBid: depth.bestBid === null ? null : formatScaled(depth.bestBid, pd),
    bestAsk: depth.bestAsk === null ? null : formatScaled(depth.bestAsk, pd),
    mid: depth.midScaled === null ? null : formatScaled(depth.midScaled, pd + MID_EXTRA_DECIMALS),
    spread: depth.spread === null ? null : formatScaled(depth.spread, pd),
    crossed: depth.crossed,
  };
}
