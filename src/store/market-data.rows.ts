/**
 * Row shapes both market-data adapters read alike (same column names and JSON types), and their
 * records. Trades, snapshots and candles differ per backend (booleans, JSON text, bigint text)
 * and stay with their adapter.
 */
import type { BoundedCount, FundingRecord, LiquidationRecord, MarketMetricRecord } from "./ports.ts";

export interface FundingRow { venue: string; market_id: number; ts: number; rate: string; mark_price: number; index_price: number }
export interface LiquidationRow {
  venue: string; market_id: number; id: number; ts: number; account_id: number; side: LiquidationRecord["side"];
  price: number; size: number; kind: LiquidationRecord["kind"];
}
export interface MetricRow {
  venue: string; market_id: number; ts: number; open_interest_usd: string; mark_price: number; index_price: number;
  funding_rate: string | null;
}
export interface CountRow { n: number }
/**
 * A bounded count's row: `n` rows of the first `cap + 1` (so `n > cap` says there are more), the
 * first and the greatest time among them, and the time of the range's last row.
 */
export interface BoundedCountRow { n: number; first: number | null; upto: number | null; last: number | null }
/** The SQL of a bounded count over `table`; placeholders 1–5: venue, market, start, end, cap + 1. */
export const boundedCountSql = (table: "trades" | "book_snapshots", p: (n: number) => string): string => {
  const where = `WHERE venue = ${p(1)} AND market_id = ${p(2)} AND ts >= ${p(3)} AND ts < ${p(4)}`;
  // Both walk the primary key, which leads with (venue, market_id, ts): at most cap + 1 entries, then one.
  return `SELECT count(*) AS n, min(ts) AS first, max(ts) AS upto, (SELECT ts FROM ${table} ${where} ORDER BY ts DESC LIMIT 1) AS last
    FROM (SELECT ts FROM ${table} ${where} ORDER BY ts LIMIT ${p(5)}) r`;
};
/** `BoundedCount` from its row (an aggregate: always exactly one), for a count capped at `cap`. */
export const toBoundedCount = (row: BoundedCountRow, cap: number): BoundedCount => {
  const capped = row.n > cap;
  return { count: capped ? cap : row.n, capped, firstTs: row.first, lastTs: row.last, pastCapTs: capped ? row.upto : null };
};
export const toFunding = (r: FundingRow): FundingRecord => ({
  venue: r.venue, marketId: r.market_id, ts: r.ts, rate: r.rate, markPrice: r.mark_price, indexPrice: r.index_price,
});
export const toLiquidation = (r: LiquidationRow): LiquidationRecord => ({
  venue: r.venue, marketId: r.market_id, id: r.id, ts: r.ts, accountId: r.account_id, side: r.side, price: r.price,
  size: r.size, kind: r.kind,
});
export const toMetric = (r: MetricRow): MarketMetricRecord => ({
  venue: r.venue, marketId: r.market_id, ts: r.ts, openInterestUsd: r.open_interest_usd, markPrice: r.mark_price,
  indexPrice: r.index_price, fundingRate: r.funding_rate,
});
