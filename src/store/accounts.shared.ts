/**
 * Rules and helpers both accounts adapters share, so every backend behaves the same: the
 * heatmap-totals write checks (RangeError, nothing written) and the per-account trim of
 * "newest N" reads.
 */
import type { HeatmapTotalsRecord } from "./accounts.port.ts";

const MINUTE_MS = 60_000;
const DECIMAL_TEXT = /^-?\d+(?:\.\d+)?$/;

/** Throws a RangeError naming the first row that breaks the rules; returns the rows. */
export function checkedHeatmapTotals<T extends readonly HeatmapTotalsRecord[]>(rows: T): T {
  for (const r of rows) {
    const where = `heatmap totals (${r.venue}, ${r.marketId}, ${r.ts})`;
    if (!Number.isSafeInteger(r.ts) || r.ts % MINUTE_MS !== 0) throw new RangeError(`${where}: ts must be a minute start`);
    for (const [name, value] of [["longUsd", r.longUsd], ["shortUsd", r.shortUsd], ["longNearUsd", r.longNearUsd], ["shortNearUsd", r.shortNearUsd]] as const) {
      if (!DECIMAL_TEXT.test(value)) throw new RangeError(`${where}: ${name} ${JSON.stringify(value)} is not a decimal`);
    }
  }
  return rows;
}

/**
 * Keeps the first `n` rows of each account from rows grouped by account (newest first within an
 * account): the threshold reads return ties at the N-th row's timestamp as well.
 */
export function trimPerAccount<T extends { accountId: number }>(rows: readonly T[], n: number): T[] {
  const out: T[] = [];
  let current = Number.NaN;
  let kept = 0;
  for (const r of rows) {
    if (r.accountId !== current) {
      current = r.accountId;
      kept = 0;
    }
    if (kept++ < n) out.push(r);
  }
  return out;
}
