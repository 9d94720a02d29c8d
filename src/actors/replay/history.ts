/**
 * Reading a replay's history from the store: trades and book snapshots, each by cursor in bounded
 * pages, merged into one chronological sequence. Never more than one page of each in memory.
 *
 * Order (the tie rule): by `ts`; at equal `ts` the book snapshot comes first, then trades by
 * trade id. A snapshot stamped t is the book as of t, so a backtest sees the book before the
 * trades printed in the same millisecond. The sequence does not depend on page sizes: only rows
 * up to the "horizon" (the last row of a full page, the point beyond which the other kind may
 * still have unseen rows) are released; the rest are read again with the next page.
 */
import type { MarketInfo } from "../../market/live";
import type { BookSnapshotRecord, Cursor, MarketDataStore, TradeRecord } from "../../store/ports";
import { renderSnapshot, renderTrade, type ReplayItem } from "./render";

/** Where the next read starts: after this trade (ts, id) and after this snapshot ts. */
export interface ReadCursor {
  trade: Cursor;
  snapTs: number;
}

/** Page sizes of one read. */
export interface PageLimits {
  trades: number;
  snapshots: number;
}

/** Default pages: trades are small rows, snapshots carry up to 2 × depth levels. */
export const DEFAULT_PAGE_LIMITS: PageLimits = Object.freeze({ trades: 5_000, snapshots: 200 });

/** A cursor that starts at `ts` (inclusive). */
export const cursorAt = (ts: number): ReadCursor => ({ trade: { ts: ts - 1, id: Number.MAX_SAFE_INTEGER }, snapTs: ts - 1 });

/** One merged page. `exhausted`: nothing is left before `end` after it. */
export interface MergedPage {
  items: ReplayItem[];
  cursor: ReadCursor;
  exhausted: boolean;
}

/** Sort key comparison: (ts, kind: snapshot 0 < trade 1, trade id). */
const before = (aTs: number, aKind: number, aId: number, bTs: number, bKind: number, bId: number) =>
  aTs !== bTs ? aTs < bTs : aKind !== bKind ? aKind < bKind : aId <= bId;

/** Merges two sorted pages, releasing rows up to the horizon. Pure, exported for tests. */
export function mergePages(trades: readonly TradeRecord[], snaps: readonly BookSnapshotRecord[], limits: PageLimits, cursor: ReadCursor, market: MarketInfo): MergedPage {
  const tradesFull = trades.length >= limits.trades;
  const snapsFull = snaps.length >= limits.snapshots;
  const lastT = trades[trades.length - 1];
  const lastS = snaps[snaps.length - 1];
  // Horizon: the smallest "last row" of the full pages (Infinity when neither is full).
  let hTs = Number.POSITIVE_INFINITY;
  let hKind = 1;
  let hId = Number.MAX_SAFE_INTEGER;
  if (tradesFull && lastT) [hTs, hKind, hId] = [lastT.ts, 1, lastT.tradeId];
  if (snapsFull && lastS && before(lastS.ts, 0, 0, hTs, hKind, hId)) [hTs, hKind, hId] = [lastS.ts, 0, 0];
  const items: ReplayItem[] = [];
  let ti = 0;
  let si = 0;
  let tradeCursor = cursor.trade;
  let snapTs = cursor.snapTs;
  for (;;) {
    const t = trades[ti];
    const s = snaps[si];
    const takeSnap = s !== undefined && (t === undefined || before(s.ts, 0, 0, t.ts, 1, t.tradeId));
    if (takeSnap) {
      if (!before(s.ts, 0, 0, hTs, hKind, hId)) break;
      items.push(renderSnapshot(s, market));
      snapTs = s.ts;
      si++;
    } else if (t !== undefined) {
      if (!before(t.ts, 1, t.tradeId, hTs, hKind, hId)) break;
      items.push(renderTrade(t, market));
      tradeCursor = { ts: t.ts, id: t.tradeId };
      ti++;
    } else break;
  }
  return { items, cursor: { trade: tradeCursor, snapTs }, exhausted: !tradesFull && !snapsFull };
}

/** Reads the next merged page of [cursor, end) for one market. */
export async function readMergedPage(
  store: MarketDataStore,
  q: { venue: string; market: MarketInfo; end: number; cursor: ReadCursor; limits?: PageLimits },
): Promise<MergedPage> {
  const limits = q.limits ?? DEFAULT_PAGE_LIMITS;
  const base = { venue: q.venue, marketId: q.market.marketId, end: q.end };
  const [trades, snaps] = await Promise.all([
    store.readTradesAfter({ ...base, after: q.cursor.trade, limit: limits.trades }),
    store.readBookSnapshotsAfter({ ...base, afterTs: q.cursor.snapTs, limit: limits.snapshots }),
  ]);
  return mergePages(trades, snaps, limits, q.cursor, q.market);
}
