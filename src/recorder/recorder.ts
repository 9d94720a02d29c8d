/**
 * The durable recorder: actors hand it market rows synchronously; it writes them to the
 * MarketDataStore in batches and, when the store is slow or down, spills them to the journal
 * (journal.ts) so that memory stays bounded and nothing acknowledged is lost.
 *
 * Two lanes run independently, each strictly one operation at a time:
 * - the store lane writes batches: first every journal record (oldest first), then the buffer,
 *   each batch as one or more store calls kept short for the event loop (slice-pacer.ts);
 * - the spill lane moves the oldest buffered batches to the journal when memory passes its bound
 *   (and everything, on `flush`/`close`, while the store is failing).
 *
 * Ordering invariant, per kind: every journaled row is older than every buffered row, and the
 * store sees rows in recording order. It holds because (1) both lanes take from the head of a
 * queue, (2) the store lane never takes from the buffer while the journal has records or a spill
 * holds rows, and (3) a spill first "steals" the batch the store lane is writing, so a batch
 * whose write then fails can never land behind newer journaled rows. Stolen batches may reach the
 * store twice (direct write, then replay) and a crash mid-drain replays a whole segment: the
 * recorder relies on the store's idempotent inserts (trade/liquidation ids, funding ts, book
 * (market, ts), metrics (market, minute)) for "nothing written twice", and on recording order for
 * candle upserts, so an older version of a bar is always written before, never after, a newer
 * one. Journal replays of candles also drop versions older than the stored one (candle-guard.ts),
 * for replays after a crash mid-drain or an ingest fail-over. Design notes and guarantees:
 * README.md beside this file.
 */
import { join } from "node:path";
import { systemClock } from "../lib/clock.ts";
import { silentLogger } from "../lib/log.ts";
import type { BookSnapshotRecord, CandleRecord, FundingRecord, LiquidationRecord, MarketMetricRecord, TradeRecord } from "../store/ports.ts";
import type { AccountFillRecord, HeatmapTotalsRecord, PnlSnapshotRecord } from "../store/accounts.port.ts";
import { BatchQueue } from "./batch-queue.ts";
import { bookSnapshotBytes, ROW_BYTES } from "./codec.ts";
import { Journal } from "./journal.ts";
import { createLanes, type Row } from "./lanes.ts";
import { createSlicePacer, setImmediateYield } from "./slice-pacer.ts";
import { RECORD_KINDS, type Recorder, type RecorderOptions, type RecorderStats, type RecordKind } from "./types.ts";

/** A misconfigured bound would make the recorder spin or never flush: refuse it up front. */
function positive(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`recorder option ${name} must be a positive number, got ${value}`);
  return value;
}

/**
 * Creates a recorder and starts draining any journal a previous run left in `dataDir`. One
 * recorder per `dataDir` at a time (the journal has a single writer: the ingest node).
 */
export function createRecorder(opts: RecorderOptions): Recorder {
  const clock = opts.clock ?? systemClock;
  const log = (opts.log ?? silentLogger()).child({ component: "recorder" });
  const batchRows = positive("batchRows", opts.batchRows ?? 1000);
  const flushIntervalMs = positive("flushIntervalMs", opts.flushIntervalMs ?? 200);
  const trades = new BatchQueue<TradeRecord>(batchRows);
  const books = new BatchQueue<BookSnapshotRecord>(batchRows);
  const candles = new BatchQueue<CandleRecord>(batchRows);
  const funding = new BatchQueue<FundingRecord>(batchRows);
  const liquidations = new BatchQueue<LiquidationRecord>(batchRows);
  const metrics = new BatchQueue<MarketMetricRecord>(batchRows);
  const fills = new BatchQueue<AccountFillRecord>(batchRows);
  const pnl = new BatchQueue<PnlSnapshotRecord>(batchRows);
  const heatmap = new BatchQueue<HeatmapTotalsRecord>(batchRows);
  const queues: Record<RecordKind, BatchQueue<Row>> = { trades, books, candles, funding, liquidations, metrics, fills, pnl, heatmap };
  const recorded: Record<RecordKind, number> = { trades: 0, books: 0, candles: 0, funding: 0, liquidations: 0, metrics: 0, fills: 0, pnl: 0, heatmap: 0 };

  const journal = new Journal({
    dir: join(opts.dataDir, "journal"),
    segmentBytes: positive("segmentBytes", opts.segmentBytes ?? 16 * 1024 * 1024),
    fsync: opts.fsync ?? true,
    log,
  });
  const lanes = createLanes({
    store: opts.store,
    accounts: opts.accounts,
    journal,
    queues,
    clock,
    log,
    maxRows: positive("maxBufferedRows", opts.maxBufferedRows ?? 100_000),
    maxBytes: positive("maxBufferedBytes", opts.maxBufferedBytes ?? 64 * 1024 * 1024),
    retryMinMs: positive("retryMinMs", opts.retryMinMs ?? 100),
    retryMaxMs: positive("retryMaxMs", opts.retryMaxMs ?? 5000),
    onJournaled: opts.onJournaled,
    pacer: createSlicePacer({
      budgetMs: positive("sliceBudgetMs", opts.sliceBudgetMs ?? 1),
      now: opts.monotonicNow ?? (() => performance.now()),
      yieldToLoop: setImmediateYield,
    }),
  });

  let closed = false;
  let closing: Promise<void> | null = null;
  let tick: unknown = null;
  const scheduleTick = () => {
    tick = clock.setTimeout(() => {
      lanes.flushPartial();
      scheduleTick();
    }, flushIntervalMs);
  };
  scheduleTick();
  if (journal.hasRecords()) lanes.kickStore(); // crash recovery: drain what the last run left

  const open = () => {
    if (closed) throw new Error("recorder is closed");
  };
  const openForAccounts = () => {
    open();
    if (!opts.accounts) throw new Error("recorder: no accounts store configured");
  };
  /** After each record call: wake the writer for a full batch, the spiller past the bound. */
  const recordedRows = (kind: RecordKind, n: number, full: boolean) => {
    recorded[kind] += n;
    if (lanes.overBound()) lanes.kickSpill();
    if (full) lanes.kickStore();
  };
  const targets = () => ({ ...recorded });

  return {
    recordTrades(rows) {
      open();
      let full = false;
      for (const r of rows) full = trades.push(r, ROW_BYTES.trades) || full;
      recordedRows("trades", rows.length, full);
    },
    recordBookSnapshot(row) {
      open();
      const full = books.push(row, bookSnapshotBytes(row.bids.length + row.asks.length));
      recordedRows("books", 1, full);
    },
    recordCandles(rows) {
      open();
      let full = false;
      for (const r of rows) full = candles.push(r, ROW_BYTES.candles) || full;
      recordedRows("candles", rows.length, full);
    },
    recordFunding(rows) {
      open();
      let full = false;
      for (const r of rows) full = funding.push(r, ROW_BYTES.funding) || full;
      recordedRows("funding", rows.length, full);
    },
    recordLiquidations(rows) {
      open();
      let full = false;
      for (const r of rows) full = liquidations.push(r, ROW_BYTES.liquidations) || full;
      recordedRows("liquidations", rows.length, full);
    },
    recordMarketMetrics(rows) {
      open();
      let full = false;
      for (const r of rows) full = metrics.push(r, ROW_BYTES.metrics) || full;
      recordedRows("metrics", rows.length, full);
    },
    recordFills(rows) {
      openForAccounts();
      let full = false;
      for (const r of rows) full = fills.push(r, ROW_BYTES.fills) || full;
      recordedRows("fills", rows.length, full);
    },
    recordPnlSnapshots(rows) {
      openForAccounts();
      let full = false;
      for (const r of rows) full = pnl.push(r, ROW_BYTES.pnl) || full;
      recordedRows("pnl", rows.length, full);
    },
    recordHeatmapTotals(rows) {
      openForAccounts();
      let full = false;
      for (const r of rows) full = heatmap.push(r, ROW_BYTES.heatmap) || full;
      recordedRows("heatmap", rows.length, full);
    },

    stats(): RecorderStats {
      const buffered = { trades: 0, books: 0, candles: 0, funding: 0, liquidations: 0, metrics: 0, fills: 0, pnl: 0, heatmap: 0 };
      let bufferedRows = 0;
      let bufferedBytes = 0;
      for (const k of RECORD_KINDS) {
        buffered[k] = queues[k].rows;
        bufferedRows += queues[k].rows;
        bufferedBytes += queues[k].bytes;
      }
      for (const t of lanes.held()) {
        buffered[t.kind] += t.chunk.rows.length;
        bufferedRows += t.chunk.rows.length;
        bufferedBytes += t.chunk.bytes;
      }
      return {
        state: lanes.state(),
        buffered,
        bufferedRows,
        bufferedBytes,
        journalBytes: journal.bytes,
        journalSegments: journal.segments,
        ...lanes.counters(),
      };
    },

    flush: () => lanes.settle(targets(), null),
    whenIdle: () => lanes.idle(),

    close() {
      if (closing) return closing;
      closed = true;
      clock.clearTimeout(tick);
      closing = (async () => {
        let deadlineHit = false;
        const deadline = clock.setTimeout(() => {
          deadlineHit = true;
          lanes.wake();
        }, opts.closeTimeoutMs ?? 5000);
        try {
          await lanes.settle(targets(), () => deadlineHit);
        } finally {
          clock.clearTimeout(deadline);
        }
        await lanes.stop();
        await journal.close();
      })();
      return closing;
    },
  };
}
