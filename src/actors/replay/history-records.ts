/**
 * `readHistoryPage` built from the object cursor reads (`readTradesAfter`, `readBookSnapshotsAfter`):
 * the reference the column-wise read is compared with, the "before" of bench/replay.ts, and a way
 * to page over anything that offers only those two reads (in-memory rows in tests).
 */
import type { BookSnapshotRecord, HistoryPage, MarketDataStore, TradeRecord } from "../../store/ports";

/** The column-wise page of these rows. */
export function historyPageOf(trades: readonly TradeRecord[], snaps: readonly BookSnapshotRecord[]): HistoryPage {
  return {
    trades: {
      ts: trades.map((t) => t.ts), tradeId: trades.map((t) => t.tradeId), price: trades.map((t) => t.price),
      size: trades.map((t) => t.size), isMakerAsk: trades.map((t) => t.isMakerAsk), askAccountId: trades.map((t) => t.askAccountId),
      bidAccountId: trades.map((t) => t.bidAccountId), kind: trades.map((t) => t.kind),
    },
    snapshots: { ts: snaps.map((s) => s.ts), nonce: snaps.map((s) => s.nonce), bids: snaps.map((s) => s.bids), asks: snaps.map((s) => s.asks) },
  };
}

/** A page source that reads through the two object cursor reads (in parallel) and transposes. */
export function recordsHistory(store: Pick<MarketDataStore, "readTradesAfter" | "readBookSnapshotsAfter">): Pick<MarketDataStore, "readHistoryPage"> {
  return {
    async readHistoryPage(q) {
      const base = { venue: q.venue, marketId: q.marketId, end: q.end };
      const [trades, snaps] = await Promise.all([
        store.readTradesAfter({ ...base, after: q.after, limit: q.tradeLimit }),
        store.readBookSnapshotsAfter({ ...base, afterTs: q.afterSnapshotTs, limit: q.snapshotLimit }),
      ]);
      return historyPageOf(trades, snaps);
    },
  };
}
