/**
 * The accounts aggregate's port: venue accounts we track (and their last known state, for warm
 * restarts and for nodes that do not run the tracker), their fills, periodic PnL snapshots, and
 * the per-market liquidation-heatmap totals sampled every minute. Adapters:
 * sqlite/accounts.sqlite.ts, postgres/accounts.postgres.ts; both pass accounts.contract.ts.
 *
 * Units as in ports.ts: prices and sizes in venue units, times in ms. Money per account (fees,
 * PnL, equity) is USDC in micro-units as safe integers; market-wide notional sums, which can pass
 * 2^53 micro-units, are exact decimal strings.
 */
import type { LiquidationRecord, Page, Paged, TimeRange, TradeKind, Venue } from "./ports.ts";

/** One side of a trade, as seen by one of its two accounts. */
export interface AccountFillRecord {
  venue: Venue;
  accountId: number;
  marketId: number;
  tradeId: number;
  ts: number;
  /** This account's side. */
  side: "buy" | "sell";
  role: "maker" | "taker";
  price: number;
  size: number;
  kind: TradeKind;
  /** Fee paid, micro-units (negative: a rebate). */
  fee: number;
  /** PnL this fill realised for the account, micro-units; null when the trade did not say. */
  realizedPnl: number | null;
}

/** An account's PnL figures at one instant; micro-units. Unique per (venue, accountId, ts). */
export interface PnlSnapshotRecord {
  venue: Venue;
  accountId: number;
  ts: number;
  /** Collateral + unrealized PnL (total asset value). */
  equity: number;
  collateral: number;
  unrealizedPnl: number;
  /** Σ of the positions' running realized PnL. */
  realizedPnl: number;
  /** Σ of the positions' running funding paid out (negative: received). */
  fundingPaid: number;
  /** Σ position values at the marks. */
  notional: number;
  positions: number;
}

/**
 * Liquidation-heatmap totals of one market at a minute: open notional at risk on each side (see
 * domain/heatmap.ts) and the part within 5 % of the mark. Unique per (venue, marketId, ts).
 */
export interface HeatmapTotalsRecord {
  venue: Venue;
  marketId: number;
  /** Minute start, ms (multiple of 60,000). */
  ts: number;
  /** Mark price, price ticks. */
  markPrice: number;
  /** USD decimal strings with 6 decimals. */
  longUsd: string;
  shortUsd: string;
  longNearUsd: string;
  shortNearUsd: string;
  longPositions: number;
  shortPositions: number;
  /** Tracked accounts with a position in the market. */
  accounts: number;
}

/** A tracked venue account and its last persisted state (JSON owned by the tracker). */
export interface TrackedAccountRecord {
  venue: Venue;
  accountId: number;
  l1Address: string | null;
  firstSeen: number;
  updatedAt: number;
  /** Serialized state, or null when none was saved yet. */
  state: string | null;
}

/** Per-account "newest N" read over many accounts at once. */
export interface PerAccountQuery extends TimeRange {
  venue: Venue;
  accountIds: readonly number[];
  /** At most this many rows per account, newest first. */
  perAccount: number;
}

export interface AccountsStore {
  /** Inserts fills, ignoring ones already stored (key: venue, account, market, trade, role). Returns how many were new. */
  insertFills(rows: readonly AccountFillRecord[]): Promise<number>;
  /** For every account in `accountIds`: its newest `perAccount` fills in [start, end), in one query. Newest first per account. */
  recentFills(q: PerAccountQuery): Promise<AccountFillRecord[]>;
  /** One account's fills in [start, end), newest first by (ts, market, trade), paged, with the total. */
  queryFills(q: TimeRange & Page & { venue: Venue; accountId: number; marketId?: number }): Promise<Paged<AccountFillRecord>>;

  /** Inserts snapshots; a (venue, account, ts) already stored is ignored. Returns how many were new. */
  insertPnlSnapshots(rows: readonly PnlSnapshotRecord[]): Promise<number>;
  /** One account's snapshots in [start, end), oldest first, at most `limit`. */
  queryPnlSnapshots(q: TimeRange & { venue: Venue; accountId: number; limit: number }): Promise<PnlSnapshotRecord[]>;

  /** Inserts totals; the first row of a (venue, market, minute) is kept. Returns how many were new. */
  insertHeatmapTotals(rows: readonly HeatmapTotalsRecord[]): Promise<number>;
  /** Totals of one market in [start, end), oldest first, at most `limit`. */
  queryHeatmapTotals(q: TimeRange & { venue: Venue; marketId: number; limit: number }): Promise<HeatmapTotalsRecord[]>;

  /**
   * Inserts or updates tracked accounts: `firstSeen` of an existing row is kept; `l1Address` and
   * `state` are replaced only by non-null values; `updatedAt` takes the newer value.
   */
  upsertTrackedAccounts(rows: readonly TrackedAccountRecord[]): Promise<void>;
  /** Every tracked account of a venue, by account id. */
  listTrackedAccounts(venue: Venue): Promise<TrackedAccountRecord[]>;

  /** For every account in `accountIds`: its newest `perAccount` liquidations in [start, end). Newest first per account. */
  recentLiquidations(q: PerAccountQuery): Promise<LiquidationRecord[]>;
}
