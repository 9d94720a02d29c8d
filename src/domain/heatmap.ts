/**
 * Liquidation heatmap of one market: how much open notional would be liquidated at each price,
 * bucketed, from the liquidation prices of real (tracked) positions.
 *
 * - A long is liquidated when the price falls to its liquidation price, a short when it rises to
 *   it. A long with no liquidation price (collateral covers any fall) is not at risk and is
 *   counted apart; so is a position whose account's collateral is not known yet.
 * - A position's notional is its value at the current mark (size × mark, USDC micro-units), the
 *   figure the venue reports as `position_value`.
 * - Buckets are `[price, price + bucketSize)` in price ticks, aligned to multiples of `bucketSize`
 *   from zero, dense over the requested range (empty buckets are zeros), lowest price first.
 *   Positions whose liquidation price lies outside the range count in the totals and in
 *   `outOfRange`, not in a bucket.
 * - Cumulative figures: for longs, everything liquidated if the price falls into the bucket (Σ of
 *   the bucket and every bucket above it); for shorts, if it rises into it (Σ of it and below).
 */

/** One position as the heatmap needs it. */
export interface HeatmapPosition {
  sign: 1 | -1;
  /** Value at the mark, USDC micro-units. */
  notional: number;
  /** Liquidation price in price ticks (fractional); null when it has none or it is unknown. */
  liquidationTicks: number | null;
  /** True when the account's collateral is not known yet (so the liquidation price is not either). */
  unknown?: boolean;
}

/** The price window and bucket size, in price ticks. */
export interface HeatmapGrid {
  bucketTicks: number;
  /** Inclusive lower edge (floored to a bucket boundary). */
  minTicks: number;
  /** Exclusive upper edge (ceiled to a bucket boundary). */
  maxTicks: number;
}

/** A bucket's sums; money in micro-units. */
export interface HeatmapBucket {
  /** Lower edge, price ticks. */
  priceTicks: number;
  long: bigint;
  short: bigint;
  longPositions: number;
  shortPositions: number;
  /** Longs liquidated by a fall into this bucket (Σ of this and every bucket above it). */
  cumulativeLong: bigint;
  /** Shorts liquidated by a rise into this bucket (Σ of this and every bucket below it). */
  cumulativeShort: bigint;
}

/** Sums over every position of the market. */
export interface HeatmapTotals {
  /** Longs and shorts that have a liquidation price (in range or not). */
  long: bigint;
  short: bigint;
  longPositions: number;
  shortPositions: number;
  /** Of those, outside the grid. */
  longOutOfRange: bigint;
  shortOutOfRange: bigint;
  /** Longs with no liquidation price (not at risk). */
  longSafe: bigint;
  longSafePositions: number;
  /** Positions of accounts whose collateral is not known yet. */
  unknown: bigint;
  unknownPositions: number;
}

export interface Heatmap {
  grid: HeatmapGrid;
  buckets: HeatmapBucket[];
  totals: HeatmapTotals;
}

/** Most buckets one heatmap may have. */
export const MAX_HEATMAP_BUCKETS = 2_000;

/** Aligns a window to bucket boundaries; throws RangeError when it would need too many buckets. */
export function heatmapGrid(bucketTicks: number, minTicks: number, maxTicks: number): HeatmapGrid {
  if (!(bucketTicks > 0) || !Number.isSafeInteger(bucketTicks)) throw new RangeError("bucket size must be a positive whole number of ticks");
  const lo = Math.max(0, Math.floor(minTicks / bucketTicks) * bucketTicks);
  const hi = Math.max(lo + bucketTicks, Math.ceil(maxTicks / bucketTicks) * bucketTicks);
  if ((hi - lo) / bucketTicks > MAX_HEATMAP_BUCKETS) throw new RangeError(`at most ${MAX_HEATMAP_BUCKETS} buckets`);
  return { bucketTicks, minTicks: lo, maxTicks: hi };
}

/** Builds the heatmap of `positions` on `grid`. */
export function buildHeatmap(positions: Iterable<HeatmapPosition>, grid: HeatmapGrid): Heatmap {
  const n = Math.round((grid.maxTicks - grid.minTicks) / grid.bucketTicks);
  const longs = new Float64Array(n);
  const shorts = new Float64Array(n);
  const longCount = new Uint32Array(n);
  const shortCount = new Uint32Array(n);
  const t = { long: 0, short: 0, longOut: 0, shortOut: 0, safe: 0, unknown: 0 };
  const totals: HeatmapTotals = {
    long: 0n, short: 0n, longPositions: 0, shortPositions: 0, longOutOfRange: 0n, shortOutOfRange: 0n,
    longSafe: 0n, longSafePositions: 0, unknown: 0n, unknownPositions: 0,
  };
  // Float64 sums of integer micro-units stay exact up to 2^53 (9 billion USD); past that the
  // buckets are rounded to the nearest representable micro-unit, which no chart can see.
  for (const p of positions) {
    if (p.unknown) {
      t.unknown += p.notional;
      totals.unknownPositions++;
      continue;
    }
    if (p.liquidationTicks === null) {
      if (p.sign > 0) {
        t.safe += p.notional;
        totals.longSafePositions++;
      }
      continue;
    }
    const k = Math.floor((p.liquidationTicks - grid.minTicks) / grid.bucketTicks);
    const inRange = k >= 0 && k < n;
    if (p.sign > 0) {
      t.long += p.notional;
      totals.longPositions++;
      if (inRange) {
        longs[k] = (longs[k] as number) + p.notional;
        longCount[k] = (longCount[k] as number) + 1;
      } else t.longOut += p.notional;
    } else {
      t.short += p.notional;
      totals.shortPositions++;
      if (inRange) {
        shorts[k] = (shorts[k] as number) + p.notional;
        shortCount[k] = (shortCount[k] as number) + 1;
      } else t.shortOut += p.notional;
    }
  }
  totals.long = BigInt(t.long);
  totals.short = BigInt(t.short);
  totals.longOutOfRange = BigInt(t.longOut);
  totals.shortOutOfRange = BigInt(t.shortOut);
  totals.longSafe = BigInt(t.safe);
  totals.unknown = BigInt(t.unknown);

  const buckets: HeatmapBucket[] = new Array(n);
  for (let k = 0; k < n; k++) {
    buckets[k] = {
      priceTicks: grid.minTicks + k * grid.bucketTicks, long: BigInt(longs[k] as number), short: BigInt(shorts[k] as number),
      longPositions: longCount[k] as number, shortPositions: shortCount[k] as number, cumulativeLong: 0n, cumulativeShort: 0n,
    };
  }
  // A fall to a bucket liquidates every long at or above it; a rise, every short at or below it.
  let acc = 0n;
  for (let k = n - 1; k >= 0; k--) buckets[k]!.cumulativeLong = acc += buckets[k]!.long;
  acc = 0n;
  for (let k = 0; k < n; k++) buckets[k]!.cumulativeShort = acc += buckets[k]!.short;
  return { grid, buckets, totals };
}
