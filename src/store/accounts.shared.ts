/**
 * Rules and helpers both accounts adapters share, so every backend behaves the same: the
 * heatmap-totals write checks (RangeError, nothing written) and the per-account trim of
 * "newest N" reads.
 */
import type { AccountFillRecord, HeatmapTotalsRecord, PnlSnapshotRecord, TrackedAccountRecord } from "./accounts.port.ts";
import type { LiquidationRecord } from "./ports.ts";

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

/** Row shapes the accounts tables return (both backends name and type columns alike), and their records. */
export interface FillRow {
  venue: string; account_id: number; ts: number; market_id: number; trade_id: number; role: "maker" | "taker"; side: "buy" | "sell";
  price: number; size: number; kind: AccountFillRecord["kind"]; fee: number; realized_pnl: number | null;
}
export interface PnlRow {
  venue: string; account_id: number; ts: number; equity: number; collateral: number; unrealized_pnl: number; realized_pnl: number;
  funding_paid: number; notional: number; positions: number;
}
export interface HeatRow {
  venue: string; market_id: number; ts: number; mark_price: number; long_usd: string; short_usd: string; long_near_usd: string;
  short_near_usd: string; long_positions: number; short_positions: number; accounts: number;
}
export interface TrackedRow { venue: string; account_id: number; l1_address: string | null; first_seen: number; updated_at: number; state: string | null }
export interface LiqRow {
  venue: string; market_id: number; id: number; ts: number; account_id: number; side: LiquidationRecord["side"]; price: number; size: number;
  kind: LiquidationRecord["kind"];
}

export const toFill = (r: FillRow): AccountFillRecord => ({
  venue: r.venue, accountId: r.account_id, marketId: r.market_id, tradeId: r.trade_id, ts: r.ts, side: r.side, role: r.role,
  price: r.price, size: r.size, kind: r.kind, fee: r.fee, realizedPnl: r.realized_pnl,
});
export const toPnl = (r: PnlRow): PnlSnapshotRecord => ({
  venue: r.venue, accountId: r.account_id, ts: r.ts, equity: r.equity, collateral: r.collateral, unrealizedPnl: r.unrealized_pnl,
  realizedPnl: r.realized_pnl, fundingPaid: r.funding_paid, notional: r.notional, positions: r.positions,
});
export const toHeat = (r: HeatRow): HeatmapTotalsRecord => ({
  venue: r.venue, marketId: r.market_id, ts: r.ts, markPrice: r.mark_price, longUsd: r.long_usd, shortUsd: r.short_usd,
  longNearUsd: r.long_near_usd, shortNearUsd: r.short_near_usd, longPositions: r.long_positions, shortPositions: r.short_positions,
  accounts: r.accounts,
});
export const toTracked = (r: TrackedRow): TrackedAccountRecord => ({
  venue: r.venue, accountId: r.account_id, l1Address: r.l1_address, firstSeen: r.first_seen, updatedAt: r.updated_at, state: r.state,
});
export const toLiq = (r: LiqRow): LiquidationRecord => ({
  venue: r.venue, marketId: r.market_id, id: r.id, ts: r.ts, accountId: r.account_id, side: r.side, price: r.price, size: r.size, kind: r.kind,
});
