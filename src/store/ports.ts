/**
 * Persistence ports, one interface per aggregate. Adapters (sqlite/, postgres/) implement them and
 * pass the same contract suite (contract.suite.ts). Later aggregates (identity, accounts, signals,
 * exports) are added as new interfaces and new fields of `Store`, without touching these.
 *
 * Units: prices and sizes are integers in venue units (price × 10^price_decimals,
 * size × 10^size_decimals) — safe integers in JS numbers. Quote volumes (Σ price·size in those
 * units) can pass 2^53 over long windows, so they are bigint. Times are ms since the epoch.
 */

import type { Maybe } from "../lib/maybe";

export type Venue = string;

/** How a trade came about, as the venue labels it. */
export type TradeKind = "trade" | "liquidation" | "deleverage";

export interface TradeRecord {
  venue: Venue;
  marketId: number;
  /** Venue trade id; unique per (venue, marketId). Writes are idempotent on it. */
  tradeId: number;
  ts: number;
  price: number;
  size: number;
  /** True when the resting (maker) order was the ask, i.e. the taker bought. */
  isMakerAsk: boolean;
  askAccountId: number;
  bidAccountId: number;
  kind: TradeKind;
}

/** One L2 level: [price, size] in venue units. */
export type Level = readonly [price: number, size: number];

export interface BookSnapshotRecord {
  venue: Venue;
  marketId: number;
  ts: number;
  /** Venue nonce of the book state the snapshot shows. */
  nonce: number;
  /** Best first (highest price). */
  bids: Level[];
  /** Best first (lowest price). */
  asks: Level[];
}

export type CandleResolution = "1m" | "5m" | "15m" | "30m" | "1h" | "4h" | "1d" | "1w";

export interface CandleRecord {
  venue: Venue;
  marketId: number;
  resolution: CandleResolution;
  /** Bar open time (ms), aligned to the resolution (weeks start Monday 00:00 UTC). */
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Σ size, in size units. */
  volume: number;
  /** Σ price × size, in price units × size units (exact; VWAP = quoteVolume / volume). */
  quoteVolume: bigint;
  tradeCount: number;
  /** Σ size of taker buys, in size units (the buy side of the buy/sell split). */
  buyVolume: number;
}

export interface FundingRecord {
  venue: Venue;
  marketId: number;
  /** Settlement time (ms). Unique per (venue, marketId). */
  ts: number;
  /** Signed rate in percent per funding interval, as an exact decimal string (e.g. "-0.0012"). */
  rate: string;
  markPrice: number;
  indexPrice: number;
}

export interface LiquidationRecord {
  venue: Venue;
  marketId: number;
  /** The liquidation trade's id; unique per (venue, marketId). */
  id: number;
  ts: number;
  /** The account whose position was liquidated. */
  accountId: number;
  /** Side of the position that was liquidated. */
  side: "long" | "short";
  price: number;
  size: number;
  kind: "liquidation" | "deleverage";
}

/**
 * One market's exchange metrics as sampled at a minute boundary (the ingest samples the venue's
 * latest stats every minute). Prices are integers in venue units like everywhere in this file;
 * open interest and funding stay the venue's exact decimal strings.
 */
export interface MarketMetricRecord {
  venue: Venue;
  marketId: number;
  /** Start of the minute the sample belongs to (ms, a multiple of 60,000). Unique per (venue, marketId). */
  ts: number;
  /** Open interest in quote (USD) notional, exact decimal string (e.g. "1234567.89"). */
  openInterestUsd: string;
  markPrice: number;
  indexPrice: number;
  /** Last settled funding rate (percent per interval, signed, exact decimal string); null when the venue has none. */
  fundingRate: string | null;
}

export interface TimeRange {
  /** Inclusive. */
  start: number;
  /** Exclusive. */
  end: number;
}

export interface Page {
  limit: number;
  offset: number;
}

export interface Paged<T> {
  rows: T[];
  total: number;
}

/** A position in a time-ordered stream, for cursor reads (replay, exports): after (ts, id). */
export interface Cursor {
  ts: number;
  id: number;
}

export interface TradeQuery extends TimeRange, Page {
  venue: Venue;
  marketId: number;
  /** Taker side: "buy" means isMakerAsk. */
  side?: "buy" | "sell";
}

/** A replay page query: trades after `after` and snapshots after `afterSnapshotTs`, both before `end`. */
export interface HistoryPageQuery {
  venue: Venue;
  marketId: number;
  end: number;
  after: Cursor;
  tradeLimit: number;
  afterSnapshotTs: number;
  snapshotLimit: number;
}

/**
 * Rows of one kind in a range, counted up to a cap. Not `capped`: `count` is exact. `capped`: the
 * range holds more than the cap; `count` is the cap and `pastCapTs` the time of the first row past
 * it, so the rows up to there give the range's rate at its start.
 */
export interface BoundedCount {
  count: number;
  capped: boolean;
  /** Time of the range's first and last rows; null when it has none. */
  firstTs: number | null;
  lastTs: number | null;
  /** Time of the first row past the cap; null unless capped. */
  pastCapTs: number | null;
}

/** Trades column-wise: row i is (ts[i], tradeId[i], …); venue and market are the query's. */
export interface TradeColumns {
  ts: number[];
  tradeId: number[];
  price: number[];
  size: number[];
  isMakerAsk: boolean[];
  askAccountId: number[];
  bidAccountId: number[];
  kind: TradeKind[];
}

/** Book snapshots column-wise: row i is (ts[i], nonce[i], bids[i], asks[i]). */
export interface BookSnapshotColumns {
  ts: number[];
  nonce: number[];
  bids: Level[][];
  asks: Level[][];
}

/** One replay page of a market: its next trades and its next snapshots, each in cursor order. */
export interface HistoryPage {
  trades: TradeColumns;
  snapshots: BookSnapshotColumns;
}

export interface MarketDataStore {
  /** Inserts trades, ignoring ones already stored. Returns how many were new. */
  insertTrades(rows: readonly TradeRecord[]): Promise<number>;
  /** Trades in [start, end), oldest first, by (ts, tradeId), with the total matching count. */
  queryTrades(q: TradeQuery): Promise<Paged<TradeRecord>>;
  /** The newest stored trade of a market (greatest (ts, tradeId)), or null when there is none. */
  latestTrade(q: { venue: Venue; marketId: number }): Promise<TradeRecord | null>;
  /** Up to `limit` trades in [start, end) strictly after `after`, by (ts, tradeId). */
  readTradesAfter(q: { venue: Venue; marketId: number; end: number; after: Cursor; limit: number }): Promise<TradeRecord[]>;

  /**
   * A market's trades and book snapshots in [start, end), each counted up to `cap` rows: the cost
   * is bounded by `cap`, not by the range (an exact count over months of trades reads every row of
   * them). A kind with more rows reports the cap, and where its rows start and end (`BoundedCount`).
   */
  countHistory(q: TimeRange & { venue: Venue; marketId: number; cap: number }): Promise<{ trades: BoundedCount; snapshots: BoundedCount }>;
  /** Inserts snapshots; one per (venue, marketId, ts), later writes of the same key ignored. */
  insertBookSnapshots(rows: readonly BookSnapshotRecord[]): Promise<number>;
  /** The latest snapshot at or before `ts`, or null. */
  bookSnapshotAt(q: { venue: Venue; marketId: number; ts: number }): Promise<BookSnapshotRecord | null>;
  /** Snapshots in [start, end), oldest first. */
  queryBookSnapshots(q: TimeRange & Page & { venue: Venue; marketId: number }): Promise<Paged<BookSnapshotRecord>>;
  /** Up to `limit` snapshots in [start, end) with ts strictly after `afterTs`. */
  readBookSnapshotsAfter(q: { venue: Venue; marketId: number; end: number; afterTs: number; limit: number }): Promise<BookSnapshotRecord[]>;
  /**
   * The replay read: exactly the rows of `readTradesAfter` and `readBookSnapshotsAfter` for the
   * same cursors and limits, in the same order, but column-wise and in one call (one statement on
   * PostgreSQL). Replay reads millions of rows; an object per row, and on PostgreSQL a parsed
   * value per column, cost more than the rest of a replay frame, so pages travel as arrays.
   */
  readHistoryPage(q: HistoryPageQuery): Promise<HistoryPage>;

  /** Inserts or replaces candles by (venue, marketId, resolution, openTime). */
  upsertCandles(rows: readonly CandleRecord[]): Promise<void>;
  /** Candles with openTime in [start, end), oldest first, at most `limit`. */
  queryCandles(q: TimeRange & { venue: Venue; marketId: number; resolution: CandleResolution; limit: number }): Promise<CandleRecord[]>;

  /** Inserts funding settlements, ignoring ones already stored. Returns how many were new. */
  insertFunding(rows: readonly FundingRecord[]): Promise<number>;
  queryFunding(q: TimeRange & Page & { venue: Venue; marketId?: number }): Promise<Paged<FundingRecord>>;

  /** Inserts liquidations, ignoring ones already stored. Returns how many were new. */
  insertLiquidations(rows: readonly LiquidationRecord[]): Promise<number>;
  /** Liquidations in [start, end); newest first when `order` is "desc" (the default is "asc"). */
  /** `count: false` skips counting the range (a latest-N read needs no total): `total` is then the rows' length. */
  queryLiquidations(q: TimeRange & Page & { venue: Venue; marketId?: number; order?: "asc" | "desc"; count?: boolean }): Promise<Paged<LiquidationRecord>>;

  /**
   * Inserts per-minute market metrics, idempotent on (venue, marketId, ts): a row whose key is
   * already stored (or earlier in the same batch) is ignored. Returns how many were new. Rejects the
   * whole batch when a ts is not a minute start or a decimal field is not a plain decimal.
   */
  insertMarketMetrics(rows: readonly MarketMetricRecord[]): Promise<number>;
  /** Metrics with ts in [start, end), of one market or all, oldest first by (ts, marketId), at most `limit`. */
  queryMarketMetrics(q: TimeRange & { venue: Venue; marketId?: number; limit: number }): Promise<MarketMetricRecord[]>;
}

export type {
  ApiKeyPatch, ApiKeyRecord, CreditDelta, IdentityStore, KeyWithOwner, UsageDelta, UsageRow, UserRecord,
} from "./identity.port.ts";
import type { IdentityStore } from "./identity.port.ts";
export type {
  AccountFillRecord, AccountsStore, HeatmapTotalsRecord, PerAccountQuery, PnlSnapshotRecord, TrackedAccountRecord,
} from "./accounts.port.ts";
import type { AccountsStore } from "./accounts.port.ts";
export type {
  AttemptResult, DeliveryAttemptRecord, DeliveryRecord, DeliveryStatus, NewSignal, SignalChange, SignalPatch, SignalRecord, SignalsStore,
  WebhookChannelRecord,
} from "./signals.port.ts";
import type { SignalsStore } from "./signals.port.ts";

/** What a backend can and cannot do; tests branch on these flags, never on the backend's name. */
export interface StoreCapabilities {
  /** Time-series tables are partitioned by time. */
  partitioned: boolean;
  /** Several processes can share the store (and so need a leader lock for ingest). */
  shared: boolean;
}

export interface Store {
  readonly kind: "sqlite" | "postgres";
  readonly capabilities: StoreCapabilities;
  readonly marketData: MarketDataStore;
  /** Users, API keys, usage and the credit ledger (identity.port.ts). */
  readonly identity: IdentityStore;
  /** Tracked venue accounts, their fills, PnL snapshots and heatmap totals (accounts.port.ts). */
  readonly accounts: AccountsStore;
  /** Alert rules and the durable webhook outbox (signals.port.ts). */
  readonly signals: SignalsStore;
  /** Applies pending migrations; idempotent. */
  migrate(): Promise<{ applied: string[] }>;
  /** Resolves when the store answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  /** Flushes and closes connections. */
  close(): Promise<void>;
}

/** Key/value cache for live state read by REST (books, stats). Values are strings (usually JSON). */
export interface Cache {
  readonly kind: "memory" | "redis";
  get(key: string): Promise<string | null>;
  /** `get` without I/O, where the cache is in this process (memory); absent on networked caches. */
  peek?(key: string): string | null;
  /** Sets a value; `ttlMs` bounds its life when given. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  del(key: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  /** Requests still allowed right now (never negative). */
  remaining: number;
  /** When the window has fully refilled (ms epoch). */
  resetAt: number;
  /** When denied: how long until one more request would be allowed (ms). 0 when allowed. */
  retryAfterMs: number;
}

/**
 * Counts requests per key against `limit` per `windowMs`. Implementations are atomic: concurrent
 * callers on any number of nodes never admit more than the limit in any interval of windowMs
 * (a sliding window; see memory/rate-limiter.ts for the semantics and their trade-offs).
 */
export interface RateLimiter {
  readonly kind: "memory" | "redis";
  /** The in-memory limiter decides at once (and throws a bad argument); a networked one answers later (and rejects). */
  consume(key: string, limit: number, windowMs: number, cost?: number): Maybe<LimitDecision>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Ensures one active ingest node. `acquire` tries once; `run` keeps trying until it holds the lock
 * and then keeps it alive, calling `onLost` if it ever loses it.
 */
export interface LeaderLock {
  readonly kind: "postgres" | "redis" | "local";
  tryAcquire(): Promise<boolean>;
  readonly isLeader: boolean;
  release(): Promise<void>;
}
