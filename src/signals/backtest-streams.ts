/**
 * Stored history of one market as cursor-read streams for backtests: trades, book snapshots,
 * funding settlements and heatmap totals, each read in bounded pages after the last row taken,
 * never the whole range. `mergeHistory` interleaves them in time order.
 *
 * Tie rule at equal `ts`: book snapshot, then funding, then heatmap totals, then trades by trade id
 * (as the replay: a snapshot stamped t is the book as of t, before the trades of that millisecond).
 */
import type { AccountsStore, HeatmapTotalsRecord } from "../store/accounts.port";
import type { BookSnapshotRecord, FundingRecord, MarketDataStore, TradeRecord } from "../store/ports";

export type HistoryRow =
  | { kind: 0; ts: number; id: 0; book: BookSnapshotRecord }
  | { kind: 1; ts: number; id: 0; funding: FundingRecord }
  | { kind: 2; ts: number; id: 0; heatmap: HeatmapTotalsRecord }
  | { kind: 3; ts: number; id: number; trade: TradeRecord };

/** A stream read page by page; `head` is the next row (undefined once exhausted). */
class PagedStream {
  private buffer: HistoryRow[] = [];
  private at = 0;
  private done = false;
  pages = 0;
  taken = 0;

  constructor(private readonly readPage: (last: HistoryRow | undefined) => Promise<HistoryRow[]>, private readonly limit: number) {}

  /** Ensures a head is buffered when one exists. */
  async fill(): Promise<void> {
    if (this.at < this.buffer.length || this.done) return;
    const last = this.buffer[this.buffer.length - 1];
    this.buffer = await this.readPage(last);
    this.at = 0;
    this.pages++;
    if (this.buffer.length < this.limit) this.done = true;
  }

  get head(): HistoryRow | undefined {
    return this.buffer[this.at];
  }

  take(): HistoryRow {
    this.taken++;
    return this.buffer[this.at++]!;
  }
}

export interface HistoryQuery {
  marketData: MarketDataStore;
  accounts: AccountsStore;
  venue: string;
  marketId: number;
  start: number;
  end: number;
  /** Which kinds to read (unread kinds cost nothing). */
  kinds: { trades: boolean; books: boolean; funding: boolean; heatmaps: boolean };
  pageSize: number;
}

export interface HistoryCounts {
  trades: number;
  books: number;
  funding: number;
  heatmaps: number;
}

/** Builds the streams of a query. */
export function historyStreams(q: HistoryQuery): { streams: PagedStream[]; counts(): HistoryCounts } {
  const { venue, marketId, end, pageSize: limit } = q;
  const base = { venue, marketId, end };
  const after = (last: HistoryRow | undefined) => (last ? last.ts + 1 : q.start);
  const make = (on: boolean, read: (last: HistoryRow | undefined) => Promise<HistoryRow[]>) => (on ? new PagedStream(read, limit) : null);
  const trades = make(q.kinds.trades, async (last) => {
    const cursor = last ? { ts: last.ts, id: last.id } : { ts: q.start - 1, id: Number.MAX_SAFE_INTEGER };
    const rows = await q.marketData.readTradesAfter({ ...base, after: cursor, limit });
    return rows.map((trade) => ({ kind: 3 as const, ts: trade.ts, id: trade.tradeId, trade }));
  });
  const books = make(q.kinds.books, async (last) => {
    const rows = await q.marketData.readBookSnapshotsAfter({ ...base, afterTs: last ? last.ts : q.start - 1, limit });
    return rows.map((book) => ({ kind: 0 as const, ts: book.ts, id: 0 as const, book }));
  });
  // Funding and heatmap totals are unique per (market, ts): "after the last ts" is a cursor.
  const funding = make(q.kinds.funding, async (last) => {
    const page = await q.marketData.queryFunding({ venue, marketId, start: after(last), end, limit, offset: 0 });
    return page.rows.map((f) => ({ kind: 1 as const, ts: f.ts, id: 0 as const, funding: f }));
  });
  const heatmaps = make(q.kinds.heatmaps, async (last) => {
    const rows = await q.accounts.queryHeatmapTotals({ venue, marketId, start: after(last), end, limit });
    return rows.map((heatmap) => ({ kind: 2 as const, ts: heatmap.ts, id: 0 as const, heatmap }));
  });
  const all = [trades, books, funding, heatmaps];
  return {
    streams: all.filter((s): s is PagedStream => s !== null),
    counts: () => ({ trades: trades?.taken ?? 0, books: books?.taken ?? 0, funding: funding?.taken ?? 0, heatmaps: heatmaps?.taken ?? 0 }),
  };
}

const before = (a: HistoryRow, b: HistoryRow) => (a.ts !== b.ts ? a.ts < b.ts : a.kind !== b.kind ? a.kind < b.kind : a.id < b.id);

/**
 * Calls `visit` with every row of every stream in time order. Between pages it yields to the event
 * loop (a macrotask), so a long backtest never holds the process. `visit` returning false stops.
 */
export async function mergeHistory(streams: PagedStream[], visit: (row: HistoryRow) => boolean): Promise<void> {
  for (;;) {
    let filled = false;
    for (const s of streams) {
      if (s.head === undefined) {
        const pages = s.pages;
        await s.fill();
        filled ||= s.pages !== pages;
      }
    }
    if (filled) await new Promise<void>((resolve) => setImmediate(resolve));
    let next: PagedStream | undefined;
    for (const s of streams) if (s.head !== undefined && (!next || before(s.head, next.head!))) next = s;
    if (!next) return;
    // Take rows from this stream while it stays first and buffered.
    if (!visit(next.take())) return;
  }
}
