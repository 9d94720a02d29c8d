/**
 * The write-side rules of the market-metrics aggregate that both adapters enforce before sending
 * anything, so a bad row fails the same way (a RangeError, nothing written) on every backend. The
 * schemas back up the minute rule with a CHECK; the decimal rule is text and lives only here.
 */
import type { MarketMetricRecord } from "./ports.ts";

const MINUTE_MS = 60_000;
/** A plain signed decimal as venues write them: no exponent, no spaces, no leading '+'. */
const DECIMAL_TEXT = /^-?\d+(?:\.\d+)?$/;

/** Throws a RangeError naming the first row that breaks the aggregate's rules; returns the rows. */
export function checkedMarketMetrics<T extends readonly MarketMetricRecord[]>(rows: T): T {
  for (const r of rows) {
    const where = `market metric (${r.venue}, ${r.marketId}, ${r.ts})`;
    if (!Number.isSafeInteger(r.ts) || r.ts % MINUTE_MS !== 0) throw new RangeError(`${where}: ts must be a minute start`);
    if (!DECIMAL_TEXT.test(r.openInterestUsd)) throw new RangeError(`${where}: openInterestUsd ${JSON.stringify(r.openInterestUsd)} is not a decimal`);
    if (r.fundingRate !== null && !DECIMAL_TEXT.test(r.fundingRate)) {
      throw new RangeError(`${where}: fundingRate ${JSON.stringify(r.fundingRate)} is not a decimal`);
    }
  }
  return rows;
}

/** True when `text` is a plain decimal the store accepts (for producers that must not send a bad row). */
export const isStorableDecimal = (text: string): boolean => DECIMAL_TEXT.test(text);
