/**
 * Reading a replay's history from the store: per market, trades and book snapshots each by cursor
 * in bounded pages, merged into one chronological sequence; across markets, a k-way merge of those
 * sequences. Never more than one page per market and kind in memory.
 *
 * Order (the tie rule): by `ts`; at equal `ts` book snapshots come first, then trades; then by
 * market id, then trade id. A snapshot stamped t is the book as of t, so a backtest sees every
 * book before the trades printed in the same millisecond. Keys are unique, so the order is total
 * and the sequence does not depend on page sizes: within a market only rows up to the "horizon"
 * (the last row of a full page, beyond which the other kind may still have unseen rows) are
 * released; across markets nothing is released past a market whose next row is not read yet.
 *
 * Events travel as parallel arrays (ts, kind, head) rather than an object per event.
 */
import type { MarketInfo } from "../../market/live";
import type { BookSnapshotRecord, Cursor, HistoryPage, Level, MarketDataStore, TradeKind, TradeRecord } from "../../store/ports";
import { createRenderer, type EventRenderer } from "./render";

/** Where a market's next read starts: after this trade (ts, id) and after this snapshot ts. */
export interface ReadCursor {
  trade: Cursor;
  snapTs: number;
  /** Snapshots the next page asks for, sized from what the previous page used (absent: the limit). */
  snapshots?: number;
}
/** Page sizes of one read (per market). */
export interface PageLimits {
  trades: number;
  snapshots: number;
}
/** Default pages: trades are small rows, snapshots carry up to 2 × depth levels. */
export const DEFAULT_PAGE_LIMITS: PageLimits = Object.freeze({ trades: 5_000, snapshots: 200 });
/** A cursor that starts at `ts` (inclusive). */
export const cursorAt = (ts: number): ReadCursor => ({ trade: { ts: ts - 1, id: Number.MAX_SAFE_INTEGER }, snapTs: ts - 1 });

/** Rendered events in order, as parallel arrays; `kind` 0 = book snapshot, 1 = trade. */
export interface EventRun {
  ts: number[];
  kind: number[];
  heads: string[];
}
const emptyRun = (): EventRun => ({ ts: [], kind: [], heads: [] });

/** One market's read position. `pending[at…]` were read and merged but not yet released. Never mutated. */
export interface MarketRead {
  market: MarketInfo;
  cursor: ReadCursor;
  exhausted: boolean;
  pending: EventRun;
  at: number;
}
/** A session's read position over all its markets (ascending market id). */
export interface ReadState {
  markets: MarketRead[];
}
/** The read position of `markets` at `ts` (inclusive). */
export const readStateAt = (markets: readonly MarketInfo[], ts: number): ReadState => ({
  markets: [...markets].sort((a, b) => a.marketId - b.marketId).map((market) => ({ market, cursor: cursorAt(ts), exhausted: false, pending: emptyRun(), at: 0 })),
});

/** One market's merged page. `exhausted`: nothing is left before `end` after it. */
export interface MarketPage {
  run: EventRun;
  cursor: ReadCursor;
  exhausted: boolean;
}
/** Sort key comparison within a market: (ts, kind: snapshot 0 < trade 1, trade id). */
const before = (aTs: number, aKind: number, aId: number, bTs: number, bKind: number, bId: number) =>
  aTs !== bTs ? aTs < bTs : aKind !== bKind ? aKind < bKind : aId <= bId;

/**
 * Merges one market's page (trades and snapshots, each sorted, column-wise as the store returns
 * them), releasing rows up to the horizon. Pure, exported for tests.
 */
export function mergePages(page: HistoryPage, market: MarketInfo, limits: PageLimits, cursor: ReadCursor, render: EventRenderer): MarketPage {
  const t = page.trades;
  const s = page.snapshots;
  const nT = t.ts.length;
  const nS = s.ts.length;
  const tradesFull = nT >= limits.trades;
  const snapsFull = nS >= limits.snapshots;
  // Horizon: the smallest "last row" of the full pages (Infinity when neither is full).
  let hTs = Number.POSITIVE_INFINITY;
  let hKind = 1;
  let hId = Number.MAX_SAFE_INTEGER;
  if (tradesFull && nT > 0) [hTs, hKind, hId] = [t.ts[nT - 1] as number, 1, t.tradeId[nT - 1] as number];
  if (snapsFull && nS > 0 && before(s.ts[nS - 1] as number, 0, 0, hTs, hKind, hId)) [hTs, hKind, hId] = [s.ts[nS - 1] as number, 0, 0];
  // One scratch record per kind, refilled per row: the renderer reads it synchronously and keeps
  // nothing, so no object is allocated per event.
  const { venue, marketId } = market;
  const tr: TradeRecord = { venue, marketId, tradeId: 0, ts: 0, price: 0, size: 0, isMakerAsk: false, askAccountId: 0, bidAccountId: 0, kind: "trade" };
  const sr: BookSnapshotRecord = { venue, marketId, ts: 0, nonce: 0, bids: [], asks: [] };
  const run = emptyRun();
  let ti = 0;
  let si = 0;
  let tradeCursor = cursor.trade;
  let snapTs = cursor.snapTs;
  for (;;) {
    const tTs = ti < nT ? (t.ts[ti] as number) : Number.NaN;
    const tId = ti < nT ? (t.tradeId[ti] as number) : 0;
    if (si < nS && (ti >= nT || before(s.ts[si] as number, 0, 0, tTs, 1, tId))) {
      const ts = s.ts[si] as number;
      if (!before(ts, 0, 0, hTs, hKind, hId)) break;
      sr.ts = ts, sr.nonce = s.nonce[si] as number, sr.bids = s.bids[si] as Level[], sr.asks = s.asks[si] as Level[];
      run.ts.push(ts), run.kind.push(0), run.heads.push(render.snapshot(sr));
      snapTs = ts;
      si++;
    } else if (ti < nT) {
      if (!before(tTs, 1, tId, hTs, hKind, hId)) break;
      tr.tradeId = tId, tr.ts = tTs, tr.price = t.price[ti] as number, tr.size = t.size[ti] as number;
      tr.isMakerAsk = t.isMakerAsk[ti] as boolean, tr.askAccountId = t.askAccountId[ti] as number;
      tr.bidAccountId = t.bidAccountId[ti] as number, tr.kind = t.kind[ti] as TradeKind;
      run.ts.push(tTs), run.kind.push(1), run.heads.push(render.trade(tr));
      tradeCursor = { ts: tTs, id: tId };
      ti++;
    } else break;
  }
  return { run, cursor: { trade: tradeCursor, snapTs }, exhausted: !tradesFull && !snapsFull };
}

/** A market's next page query: [cursor, end). */
export interface MarketPageQuery {
  market: MarketInfo;
  end: number;
  cursor: ReadCursor;
}
/**
 * Reads and renders one market's next merged page. In process (`storePageReader`) or on a worker
 * thread (history-worker.ts); the merge across markets stays with the session either way.
 */
export type MarketPageReader = (q: MarketPageQuery) => Promise<MarketPage>;

/**
 * The in-process reader over a store's column-wise page read (renderers are kept per market and
 * precision). `store` needs only `readHistoryPage`.
 */
export function storePageReader(store: Pick<MarketDataStore, "readHistoryPage">, venue: string, limits: PageLimits = DEFAULT_PAGE_LIMITS): MarketPageReader {
  const renderers = new Map<string, EventRenderer>();
  const rendererOf = (m: MarketInfo) => {
    const key = `${m.marketId}:${m.priceDecimals}:${m.sizeDecimals}`;
    let r = renderers.get(key);
    if (!r) renderers.set(key, (r = createRenderer(m)));
    return r;
  };
  return async (q) => {
    const snapshots = Math.min(limits.snapshots, q.cursor.snapshots ?? limits.snapshots);
    const page = await store.readHistoryPage({
      venue, marketId: q.market.marketId, end: q.end, after: q.cursor.trade, tradeLimit: limits.trades,
      afterSnapshotTs: q.cursor.snapTs, snapshotLimit: snapshots,
    });
    const merged = mergePages(page, q.market, { trades: limits.trades, snapshots }, q.cursor, rendererOf(q.market));
    merged.cursor.snapshots = nextSnapshotLimit(merged.run, page.snapshots.ts.length, snapshots, limits.snapshots);
    return merged;
  };
}

/** The fewest snapshots a page asks for. */
export const MIN_SNAPSHOTS = 8;

/**
 * How many snapshots the next page asks for. A page ends at its last trade (or snapshot), and the
 * snapshots read past that point are read again by the next page: with a snapshot every thousand
 * trades, a fixed 200 per page meant reading ~40 times as many as were sent, and turning their
 * levels into text was a third of PostgreSQL's time per page. So the next page asks for twice what
 * this one used (at least MIN_SNAPSHOTS), and twice as many as this one asked for when this one
 * ran short, up to the limit. Asking for too few only ends a page early; nothing is skipped.
 */
export function nextSnapshotLimit(run: EventRun, read: number, asked: number, limit: number): number {
  let used = 0;
  for (let i = 0; i < run.kind.length; i++) if (run.kind[i] === 0) used++;
  const wanted = read >= asked && used === read ? asked * 2 : used * 2;
  return Math.min(limit, Math.max(MIN_SNAPSHOTS, wanted));
}

/** What `readNext` releases: the next events of all markets in order, and the position after them. */
export interface MergedPage {
  run: EventRun;
  state: ReadState;
  /** Nothing is left in any market. */
  exhausted: boolean;
}

/** Refills every market that has nothing pending (in parallel), then releases events in order (`mergeMarkets`). */
export async function readNext(read: MarketPageReader, q: { end: number; state: ReadState }): Promise<MergedPage> {
  const refill = async (m: MarketRead): Promise<MarketRead> => {
    let cur = m;
    // A page that is not the last always releases at least one row; the loop is a guard, not a retry.
    while (!cur.exhausted && cur.at >= cur.pending.ts.length) {
      const page = await read({ market: cur.market, end: q.end, cursor: cur.cursor });
      cur = { market: cur.market, cursor: page.cursor, exhausted: page.exhausted, pending: page.run, at: 0 };
    }
    return cur;
  };
  return mergeMarkets({ markets: await Promise.all(q.state.markets.map(refill)) });
}

/**
 * Releases pending events of all markets in the total order until a market that may have more rows
 * runs out of pending ones (its next row is unknown). Pure, exported for tests.
 */
export function mergeMarkets(state: ReadState): MergedPage {
  const ms = state.markets;
  // A market that may have more rows but has none read blocks the merge (readNext refills first).
  if (ms.some((m) => !m.exhausted && m.at >= m.pending.ts.length)) return { run: emptyRun(), state, exhausted: false };
  const at = ms.map((m) => m.at);
  let run: EventRun;
  if (ms.length === 1) {
    // One market: everything pending is already in order.
    const m = ms[0] as MarketRead;
    run = m.at === 0 ? m.pending : { ts: m.pending.ts.slice(m.at), kind: m.pending.kind.slice(m.at), heads: m.pending.heads.slice(m.at) };
    at[0] = m.pending.ts.length;
  } else {
    run = emptyRun();
    for (;;) {
      let best = -1;
      for (let k = 0; k < ms.length; k++) {
        const p = (ms[k] as MarketRead).pending;
        const i = at[k] as number;
        if (i >= p.ts.length) continue;
        if (best < 0) {
          best = k;
          continue;
        }
        const b = (ms[best] as MarketRead).pending;
        const j = at[best] as number;
        const [ts, kind, bts, bkind] = [p.ts[i] as number, p.kind[i] as number, b.ts[j] as number, b.kind[j] as number];
        // Markets are in ascending id, so on equal (ts, kind) the earlier market stays first.
        if (ts < bts || (ts === bts && kind < bkind)) best = k;
      }
      if (best < 0) break;
      const m = ms[best] as MarketRead;
      const i = at[best] as number;
      run.ts.push(m.pending.ts[i] as number), run.kind.push(m.pending.kind[i] as number), run.heads.push(m.pending.heads[i] as string);
      at[best] = i + 1;
      if (i + 1 >= m.pending.ts.length && !m.exhausted) break;
    }
  }
  const markets = ms.map((m, k) => (at[k] === m.at ? m : { ...m, at: at[k] as number }));
  return { run, state: { markets }, exhausted: markets.every((m) => m.exhausted && m.at >= m.pending.ts.length) };
}
