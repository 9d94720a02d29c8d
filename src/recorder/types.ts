/**
 * Public types of the recorder: the kinds of rows it records, the batch shape shared by the
 * buffer, the journal and the store writer, and the options / stats / API of a recorder.
 */
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import type {
  BookSnapshotRecord,
  CandleRecord,
  FundingRecord,
  LiquidationRecord,
  MarketDataStore,
  MarketMetricRecord,
  TradeRecord,
} from "../store/ports.ts";
import type { AccountFillRecord, AccountsStore, HeatmapTotalsRecord, PnlSnapshotRecord } from "../store/accounts.port.ts";

/** Row type per recorded kind; one buffer, one journal record type and one store call each. */
export interface RowsByKind {
  trades: TradeRecord;
  books: BookSnapshotRecord;
  candles: CandleRecord;
  funding: FundingRecord;
  liquidations: LiquidationRecord;
  /** Per-minute market metrics (exchange metrics history). */
  metrics: MarketMetricRecord;
  /** Tracked accounts' fills (accounts store). */
  fills: AccountFillRecord;
  /** Periodic account PnL snapshots (accounts store). */
  pnl: PnlSnapshotRecord;
  /** Per-minute liquidation-heatmap totals (accounts store). */
  heatmap: HeatmapTotalsRecord;
}

export type RecordKind = keyof RowsByKind;

/** Every kind, in a fixed order (stats, iteration). */
export const RECORD_KINDS: readonly RecordKind[] = ["trades", "books", "candles", "funding", "liquidations", "metrics", "fills", "pnl", "heatmap"];

/** The kinds written to the accounts store (the rest go to the market-data store). */
export const ACCOUNT_KINDS: ReadonlySet<RecordKind> = new Set<RecordKind>(["fills", "pnl", "heatmap"]);

/** Rows of one kind, oldest first. `Batch<"trades">` narrows; plain `Batch` is the union. */
export type Batch<K extends RecordKind = RecordKind> = { [P in K]: { kind: P; rows: RowsByKind[P][] } }[K];

/** Recorder health, most to least severe: see `RecorderStats.state`. */
export type RecorderState = "ok" | "degraded" | "spilling" | "draining";

export interface RecorderOptions {
  /** Where batches go. Its inserts must be idempotent and candle upserts last-write-wins (see README). */
  store: MarketDataStore;
  /**
   * Where fills, PnL snapshots and heatmap totals go (inserts idempotent on their keys). Without
   * it, recording those kinds throws.
   */
  accounts?: AccountsStore;
  /** Journal segments live in `${dataDir}/journal/`. */
  dataDir: string;
  /** Drives the flush interval, retry backoff and the close deadline. Default: the system clock. */
  clock?: Clock;
  log?: Logger;
  /** Partial batches are written at least this often (ms). Default 200. */
  flushIntervalMs?: number;
  /** Rows per journal record and at most per store call; a full batch is written at once. Default 1000. */
  batchRows?: number;
  /**
   * Ceiling (ms) for the synchronous part of one store call: a batch whose store call would hold
   * the event loop longer (bun:sqlite) is written as several calls, with loop turns between them.
   * Default 1.
   */
  sliceBudgetMs?: number;
  /**
   * High-resolution monotonic time (ms), used only to measure how long store calls hold the event
   * loop. Default `performance.now`; tests inject a fake to make slicing deterministic.
   */
  monotonicNow?: () => number;
  /** Memory bound: above either limit the oldest buffered rows are spilled to the journal. */
  maxBufferedRows?: number;
  /** Estimated bytes (see `estimateRowBytes`). Default 64 MiB. */
  maxBufferedBytes?: number;
  /** A segment is sealed and a new one started once it reaches this size. Default 16 MiB. */
  segmentBytes?: number;
  /**
   * fdatasync each append before acknowledging it (default true). Without it, journaled rows
   * survive a killed process (the kernel holds them) but not a power loss or kernel crash.
   */
  fsync?: boolean;
  /** Backoff between store retries: doubles from min to max. Defaults 100 ms and 5 s. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** How long `close()` tries to reach the store before spilling what is left. Default 5 s. */
  closeTimeoutMs?: number;
  /** Called after an append is durable, with the rows it holds (each row is acknowledged). */
  onJournaled?: (batches: readonly Batch[]) => void;
}

export interface RecorderStats {
  state: RecorderState;
  /** Rows in memory per kind: queued, being written to the store, or in a journal append not yet durable. */
  buffered: Record<RecordKind, number>;
  bufferedRows: number;
  bufferedBytes: number;
  /** Bytes and files in the journal directory (sealed, open and being drained). */
  journalBytes: number;
  journalSegments: number;
  /** Rows acknowledged by the store (journal replays included, so a row may count twice). */
  rowsWritten: number;
  /** Rows durably appended to the journal. */
  rowsJournaled: number;
  /** Failed store calls. */
  writeErrors: number;
  /** Failed journal appends (rows then stay in memory). */
  journalErrors: number;
  lastError: { message: string; at: number } | null;
}

/**
 * The durable recorder. `record*` never blocks and never throws for store trouble (only after
 * `close()`). Rows are kept by reference until written: callers must not mutate them afterwards.
 */
export interface Recorder {
  recordTrades(rows: readonly TradeRecord[]): void;
  recordBookSnapshot(row: BookSnapshotRecord): void;
  /** Candle upserts: a later version of a bar replaces an earlier one, in recording order. */
  recordCandles(rows: readonly CandleRecord[]): void;
  recordFunding(rows: readonly FundingRecord[]): void;
  recordLiquidations(rows: readonly LiquidationRecord[]): void;
  /** Per-minute market metrics; the store keeps the first row of each (venue, market, minute). */
  recordMarketMetrics(rows: readonly MarketMetricRecord[]): void;
  /** Account fills; the store ignores a (venue, account, market, trade, role) it already holds. */
  recordFills(rows: readonly AccountFillRecord[]): void;
  /** PnL snapshots; the first row of each (venue, account, ts) is kept. */
  recordPnlSnapshots(rows: readonly PnlSnapshotRecord[]): void;
  /** Heatmap totals; the first row of each (venue, market, minute) is kept. */
  recordHeatmapTotals(rows: readonly HeatmapTotalsRecord[]): void;
  stats(): RecorderStats;
  /** Resolves once every row recorded before the call is in the store or durably journaled. */
  flush(): Promise<void>;
  /** Resolves once memory and journal are empty (all in the store). Test and tooling aid. */
  whenIdle(): Promise<void>;
  /**
   * Stops recording, writes what it can to the store within `closeTimeoutMs`, spills the rest
   * to the journal and closes the journal. Further `record*` calls throw.
   */
  close(): Promise<void>;
}
