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
/** A bounded count: rows counted (up to the cap) and the last one's time. */
export interface BoundedCountRow { n: number; last: number | null }
/** `BoundedCount` from its row, for a count capped at `cap`. */
export const toBoundedCount = (row: BoundedCountRow | undefined, cap: number): BoundedCount => {
  const count = Number(row?.n ?? 0);
  return { count, capped: count >= cap, lastTs: row?.last == null ? null : Number(row.last) };
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
