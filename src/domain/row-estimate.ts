/**
 * How many rows a time range holds, from a count bounded at a cap (`MarketDataStore.countHistory`):
 * the replay's `replay_started` counts. Under the cap the count is exact. Past it, the rate of the
 * first cap + 1 rows (from the range's first row to the first row past the cap) is carried over
 * the span the range's rows actually cover, first row to last — so time with no rows at either
 * end (before a market listed, after recording stopped, an `end` in the future) adds nothing.
 * Still an estimate: a burst at the start of the span overstates it, a quiet start understates it.
 */
import type { BoundedCount } from "../store/ports.ts";

export interface RowEstimate {
  rows: number;
  exact: boolean;
}

export function estimateRows(c: BoundedCount): RowEstimate {
  if (!c.capped || c.firstTs === null || c.lastTs === null || c.pastCapTs === null) return { rows: c.count, exact: !c.capped };
  const counted = c.count + 1;
  const rate = counted / (c.pastCapTs - c.firstTs + 1);
  // The span reaches at least the first row past the cap, so this only guards rounding.
  return { rows: Math.max(counted, Math.round(rate * (c.lastTs - c.firstTs + 1))), exact: false };
}
